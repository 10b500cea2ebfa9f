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

/** The store's function name, as the `where` of its options. */
const STORE = 'AsyncAtomicStore'

/** How errors name the options of `where`, the store or a method: `AsyncAtomicStore(options): options`, `append(..., options): options`. */
const optionsName = (where) => (where === STORE ? `${STORE}(options): options` : `${where}(..., options): options`)

/**
 * `expect` for the option `option` of the options of `where`, named only
 * if it is wrong: a call with options builds no string and looks nothing up.
 */
const expectOption = (valid, value, where, option, wanted) => (valid ? value : expect(false, value, `${optionsName(where)}.${option}`, wanted))

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
  const name = optionsName(STORE)
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
  const keyed = readBoolean(perKey, STORE, 'perKey')
  if (keyed && lock !== undefined) {
    throw new TypeError(`${name}.perKey: per-key locking is not yet available across threads or processes (the lock option)`)
  }
  return {
    read,
    write,
    data,
    timeout: readTimeout(timeout, STORE) ?? Infinity,
    // The core counts in 32 bits; a bound above that is no bound.
    maxPending: maxPending === undefined || maxPending >= 2 ** 32 - 1 ? 2 ** 32 - 1 : maxPending,
    sharedReads: readBoolean(sharedReads, STORE, 'sharedReads'),
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

/**
 * One call's options, read once: `{ signal, timeout, ifAvailable, shared,
 * keys }`. `timeout` is `undefined` when the call does not set one; `shared`
 * is `undefined` unless `mode` was given, and `keys` unless `keys` was (a
 * copy), which only `lock()` accepts. Called on every call with options, so
 * it names the options only for an option that is wrong.
 */
export function readCallOptions(options, method) {
  if (!isObject(options)) expect(false, options, optionsName(method), 'an object')
  const { signal, timeout, ifAvailable, mode, keys } = options
  expectOption(signal === undefined || (typeof AbortSignal === 'function' && signal instanceof AbortSignal), signal, method, 'signal', 'an AbortSignal')
  if ((mode !== undefined || keys !== undefined) && method !== 'lock') {
    throw new TypeError(`${optionsName(method)}.${mode !== undefined ? 'mode' : 'keys'} is an option of lock() only`)
  }
  expectOption(keys === undefined || (Array.isArray(keys) && keys.length > 0), keys, method, 'keys', 'an array of one or more keys')
  expectOption(mode === undefined || mode === 'exclusive' || mode === 'shared', mode, method, 'mode', "'exclusive' or 'shared'")
  return {
    signal,
    timeout: readTimeout(timeout, method),
    ifAvailable: readBoolean(ifAvailable, method, 'ifAvailable'),
    shared: mode === undefined ? undefined : mode === 'shared',
    keys: keys?.slice(),
  }
}
