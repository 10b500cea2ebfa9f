// Reading and checking what users pass in: the store's options once, at
// creation, and each call's options. Every property is read exactly once, so
// a getter cannot pass the check and then hand back something else. Bad
// values are a `TypeError` that names the option.

const describe = (value) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'number' ? String(value) : typeof value

const isObject = (value) => value !== null && (typeof value === 'object' || typeof value === 'function')

/** Throws unless `value` is a function. */
export function requireFunction(value, name) {
  if (typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`)
  }
}

/** A wait in ms: a number ≥ 0, `Infinity` for none. */
function readTimeout(value, name) {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new TypeError(`${name} must be a number of milliseconds ≥ 0 (Infinity for none), got ${describe(value)}`)
  }
  return value
}

function readBoolean(value, name) {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, got ${describe(value)}`)
  return value
}

const isAbortSignal = (value) => typeof AbortSignal === 'function' && value instanceof AbortSignal

/** A lock shared beyond the store speaks the `QueueLock` protocol (index.d.ts). */
function readQueueLock(value) {
  if (value === undefined) return undefined
  if (!isObject(value) || ['request', 'cancel', 'release'].some((name) => typeof value[name] !== 'function')) {
    throw new TypeError(
      `AsyncAtomicStore(options): options.lock must be a SharedLock, a RedisLock or another object with request, cancel and release methods, got ${describe(value)}`,
    )
  }
  return value
}

/**
 * The store's options, read once: `{ read, write, data, timeout, maxPending,
 * sharedReads, lock }` with defaults filled in.
 */
export function readStoreOptions(options) {
  const name = 'AsyncAtomicStore(options)'
  if (!isObject(options)) {
    throw new TypeError(`${name}: options must be an object with read, write and data functions, got ${describe(options)}`)
  }
  const { read, write, data, timeout, maxPending, sharedReads, lock } = options
  requireFunction(read, `${name}: options.read`)
  requireFunction(write, `${name}: options.write`)
  requireFunction(data, `${name}: options.data`)
  if (maxPending !== undefined && maxPending !== Infinity && !(Number.isInteger(maxPending) && maxPending > 0)) {
    throw new TypeError(`${name}: options.maxPending must be a positive integer or Infinity, got ${describe(maxPending)}`)
  }
  return {
    read,
    write,
    data,
    timeout: readTimeout(timeout, `${name}: options.timeout`) ?? Infinity,
    // The core counts in 32 bits; a bound above that is no bound.
    maxPending: maxPending === undefined || maxPending >= 2 ** 32 - 1 ? 2 ** 32 - 1 : maxPending,
    sharedReads: readBoolean(sharedReads, `${name}: options.sharedReads`),
    lock: readQueueLock(lock),
  }
}

/**
 * One call's options, read once: `{ signal, timeout, ifAvailable, shared }`.
 * `timeout` is `undefined` when the call does not set one; `shared` is
 * `undefined` unless `mode` was given, which only `lock()` accepts.
 */
export function readCallOptions(options, method) {
  const name = `${method}(..., options)`
  if (!isObject(options)) throw new TypeError(`${name}: options must be an object, got ${describe(options)}`)
  const { signal, timeout, ifAvailable, mode } = options
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`${name}: options.signal must be an AbortSignal, got ${describe(signal)}`)
  }
  let shared
  if (mode !== undefined) {
    if (method !== 'lock') throw new TypeError(`${name}: options.mode is an option of lock() only`)
    if (mode !== 'exclusive' && mode !== 'shared') {
      throw new TypeError(`${name}: options.mode must be 'exclusive' or 'shared', got ${typeof mode === 'string' ? `'${mode}'` : describe(mode)}`)
    }
    shared = mode === 'shared'
  }
  return {
    signal,
    timeout: readTimeout(timeout, `${name}: options.timeout`),
    ifAvailable: readBoolean(ifAvailable, `${name}: options.ifAvailable`),
    shared,
  }
}
