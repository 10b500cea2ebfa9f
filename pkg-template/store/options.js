// Reading and checking what users pass in: the store's options once, at
// creation, and each call's options; SharedLock, RedisLock and PgLock check
// theirs with the same `expect`. Every property is read exactly once, so
// a getter cannot pass the check and then hand back something else. Bad
// values are a `TypeError` that names the option: "`name` must be `wanted`,
// got `got`".

/** A value as an error message names it: `null`, `an array` (`an empty array`), a number, a quoted string, or its type. */
export const describe = (value) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? value.length === 0 ? 'an empty array' : 'an array'
      : typeof value === 'number'
        ? String(value)
        : typeof value === 'string'
          ? `'${value}'`
          : typeof value

export const isObject = (value) => value !== null && (typeof value === 'object' || typeof value === 'function')

/** `value` if it is `valid`; otherwise throws "`name` must be `wanted`, got `describe(value)`". */
export function expect(valid, value, name, wanted) {
  if (!valid) throw new TypeError(`${name} must be ${wanted}, got ${describe(value)}`)
  return value
}

/**
 * `expect` for the option `option` of the options named `where`, the two
 * put together only if it is wrong: a call with options builds no string.
 */
const expectOption = (valid, value, where, option, wanted) => (valid ? value : expect(false, value, `${where}.${option}`, wanted))

/** Throws unless `value` is a function. */
export const requireFunction = (value, name) => expect(typeof value === 'function', value, name, 'a function')

/** A wait in ms: a number ≥ 0, `Infinity` for none; `undefined` if not given. */
const readTimeout = (value, where) =>
  value === undefined ? value : expectOption(typeof value === 'number' && value >= 0, value, where, 'timeout', 'a number of ms from 0 to Infinity')

const readBoolean = (value, where, option) => (value === undefined ? false : expectOption(typeof value === 'boolean', value, where, option, 'true or false'))

/**
 * The store's options, read once: `{ read, write, data, timeout, maxPending,
 * sharedReads, perKey, lock }` with defaults filled in.
 */
export function readStoreOptions(options) {
  const name = 'AsyncAtomicStore(options): options'
  expect(isObject(options), options, name, 'an object with read, write and data functions')
  const { read, write, data, timeout, maxPending, sharedReads, perKey, lock } = options
  requireFunction(read, `${name}.read`)
  requireFunction(write, `${name}.write`)
  requireFunction(data, `${name}.data`)
  expect(
    maxPending === undefined || maxPending === Infinity || (Number.isInteger(maxPending) && maxPending > 0),
    maxPending,
    `${name}.maxPending`,
    'a positive integer or Infinity',
  )
  const keyed = readBoolean(perKey, name, 'perKey')
  if (keyed && lock !== undefined) {
    throw new TypeError(`${name}.perKey: per-key locking is not yet available across threads or processes (the lock option)`)
  }
  return {
    read,
    write,
    data,
    timeout: readTimeout(timeout, name) ?? Infinity,
    // The core counts in 32 bits; a bound above that is no bound.
    maxPending: maxPending === undefined || maxPending >= 2 ** 32 - 1 ? 2 ** 32 - 1 : maxPending,
    sharedReads: readBoolean(sharedReads, name, 'sharedReads'),
    perKey: keyed,
    // A lock shared beyond the store speaks the `QueueLock` protocol (index.d.ts).
    lock: expect(
      lock === undefined || (isObject(lock) && ['request', 'cancel', 'release'].every((method) => typeof lock[method] === 'function')),
      lock,
      `${name}.lock`,
      'a SharedLock, a RedisLock or an object with request, cancel and release methods',
    ),
  }
}

/** An adapter's store options: the user's `options` (an object, or `undefined` for none) with the adapter's `callbacks`. */
export function adapterOptions(adapter, options, callbacks) {
  expect(options === undefined || isObject(options), options, `${adapter}(..., options): options`, 'an object')
  return { ...options, ...callbacks }
}

/** Each method's name for its call options in error messages, made once. */
const callOptionsNames = Object.create(null)

/**
 * One call's options, read once: `{ signal, timeout, ifAvailable, shared,
 * keys }`. `timeout` is `undefined` when the call does not set one; `shared`
 * is `undefined` unless `mode` was given, and `keys` unless `keys` was (a
 * copy), which only `lock()` accepts. Called on every call with options, so
 * it builds an error message only for an option that is wrong.
 */
export function readCallOptions(options, method) {
  const name = (callOptionsNames[method] ??= `${method}(..., options): options`)
  expect(isObject(options), options, name, 'an object')
  const { signal, timeout, ifAvailable, mode, keys } = options
  expectOption(signal === undefined || (typeof AbortSignal === 'function' && signal instanceof AbortSignal), signal, name, 'signal', 'an AbortSignal')
  if ((mode !== undefined || keys !== undefined) && method !== 'lock') {
    throw new TypeError(`${name}.${mode !== undefined ? 'mode' : 'keys'} is an option of lock() only`)
  }
  expectOption(keys === undefined || (Array.isArray(keys) && keys.length > 0), keys, name, 'keys', 'an array of one or more keys')
  expectOption(mode === undefined || mode === 'exclusive' || mode === 'shared', mode, name, 'mode', "'exclusive' or 'shared'")
  return {
    signal,
    timeout: readTimeout(timeout, name),
    ifAvailable: readBoolean(ifAvailable, name, 'ifAvailable'),
    shared: mode === undefined ? undefined : mode === 'shared',
    keys: keys?.slice(),
  }
}

