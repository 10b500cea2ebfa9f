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
 * `expect` for an option of one call, which names it only if it is wrong:
 * a call with options builds no string.
 */
const expectCall = (valid, value, method, option, wanted) =>
  valid ? value : expect(false, value, `${method}(..., options): options${option}`, wanted)

/** Throws unless `value` is a function. */
export const requireFunction = (value, name) => expect(typeof value === 'function', value, name, 'a function')

/** A wait in ms: a number ≥ 0, `Infinity` for none. */
const isTimeout = (value) => typeof value === 'number' && value >= 0
const TIMEOUT = 'a number of ms from 0 to Infinity'

const readBoolean = (value, name) => (value === undefined ? false : expect(typeof value === 'boolean', value, name, 'true or false'))

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
  const keyed = readBoolean(perKey, `${name}.perKey`)
  if (keyed && lock !== undefined) {
    throw new TypeError(`${name}.perKey: per-key locking is not yet available across threads or processes (the lock option)`)
  }
  return {
    read,
    write,
    data,
    timeout: timeout === undefined ? Infinity : expect(isTimeout(timeout), timeout, `${name}.timeout`, TIMEOUT),
    // The core counts in 32 bits; a bound above that is no bound.
    maxPending: maxPending === undefined || maxPending >= 2 ** 32 - 1 ? 2 ** 32 - 1 : maxPending,
    sharedReads: readBoolean(sharedReads, `${name}.sharedReads`),
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
 * it builds an error message only for an option that is wrong.
 */
export function readCallOptions(options, method) {
  expectCall(isObject(options), options, method, '', 'an object')
  const { signal, timeout, ifAvailable, mode, keys } = options
  expectCall(signal === undefined || (typeof AbortSignal === 'function' && signal instanceof AbortSignal), signal, method, '.signal', 'an AbortSignal')
  if ((mode !== undefined || keys !== undefined) && method !== 'lock') {
    throw new TypeError(`${method}(..., options): options.${mode !== undefined ? 'mode' : 'keys'} is an option of lock() only`)
  }
  expectCall(keys === undefined || (Array.isArray(keys) && keys.length > 0), keys, method, '.keys', 'an array of one or more keys')
  expectCall(mode === undefined || mode === 'exclusive' || mode === 'shared', mode, method, '.mode', "'exclusive' or 'shared'")
  return {
    signal,
    timeout: timeout === undefined ? undefined : expectCall(isTimeout(timeout), timeout, method, '.timeout', TIMEOUT),
    ifAvailable: ifAvailable === undefined ? false : expectCall(typeof ifAvailable === 'boolean', ifAvailable, method, '.ifAvailable', 'true or false'),
    shared: mode === undefined ? undefined : mode === 'shared',
    keys: keys?.slice(),
  }
}
