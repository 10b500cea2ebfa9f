// The store: the user's callbacks run here, one operation at a time, in the
// order a wasm `StoreLock` (the Rust FIFO lock) serves them.
//
// Every method has the upstream's shape: take the lock, call the callbacks,
// release in `finally`. Each call makes one call into wasm, which takes the
// lock if it is free or queues the call and picks a slot for it; a queued
// call waits as four array entries at that slot, and the release that hands
// the lock to the slot starts its operation. A queued call is therefore its
// promise, one resolve function and its arguments, not a suspended async
// function.

import { StoreLock } from './core.js'

/** Array entries of parked calls a store keeps for reuse when it goes idle (4 per call). */
const IDLE_PARKED_KEPT = 4096

/** Set once the wasm core is instantiated (synchronously in Node). */
let coreReady = false
/** While the core is still compiling (browsers): a promise of its readiness. */
let coreLoading
/** Why the core could not be loaded, if it failed. */
let coreError

/**
 * Called once by the entry point. `loading` is omitted when the core was
 * instantiated synchronously, or is the promise of its asynchronous start.
 */
export function coreLoaded(loading) {
  if (loading === undefined) {
    coreReady = true
    return
  }
  coreLoading = loading.then(
    () => { coreReady = true },
    (error) => { coreError = error },
  )
}

/**
 * The resolve function of the promise made last with `new Promise(keepResolve)`:
 * one shared executor, so making a call's promise allocates no closure of its
 * own. A queued call keeps only its resolve function: resolving with the
 * operation's own promise settles the call's promise either way.
 */
let lastResolve
const keepResolve = (resolve) => {
  lastResolve = resolve
}

/** Takes the resolve function of the promise just made. */
const takeResolve = () => {
  const resolve = lastResolve
  lastResolve = undefined
  return resolve
}

const isThenable = (value) =>
  value !== null &&
  (typeof value === 'object' || typeof value === 'function') &&
  typeof value.then === 'function'

const describe = (value) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value

function requireFunction(value, name) {
  if (typeof value !== 'function') {
    throw new TypeError(`${name} must be a function, got ${describe(value)}`)
  }
}

function validateOptions(options) {
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
    throw new TypeError(
      `AsyncAtomicStore(options): options must be an object with read, write and data functions, got ${describe(options)}`,
    )
  }
  for (const name of ['read', 'write', 'data']) {
    requireFunction(options[name], `AsyncAtomicStore(options): options.${name}`)
  }
}

/**
 * Creates a store whose `read`, `write`, `append`, `lock` and `data` run one
 * at a time, strictly in call order. Works called plainly and with `new`.
 */
export function AsyncAtomicStore(options) {
  validateOptions(options)
  const { read, write, data } = options

  let lock = coreReady ? new StoreLock() : undefined

  /**
   * The queued calls, each parked at the slot the lock picked for it: slot
   * `s` is `[run, a, b, resolve]` at indices `4s` to `4s + 3`. The wasm lock
   * holds only the slot numbers: a call held there would be a root for the
   * garbage collector and, through its callbacks, would keep a dropped store
   * (and its lock) alive for good. Slots are reused lowest first, so the
   * array is as long as the deepest queue, and it is dropped once the store
   * is idle.
   */
  let parked = []
  /** Calls made before the wasm core was ready, in call order, 4 entries each like `parked`. */
  let early

  /** Starts a call's operation; its promise follows the operation's. */
  const start = (run, a, b, resolve) => {
    resolve(run(a, b))
  }

  const park = (slot, run, a, b, resolve) => {
    const at = slot * 4
    parked[at] = run
    parked[at + 1] = a
    parked[at + 2] = b
    parked[at + 3] = resolve
  }

  const release = () => {
    const slot = lock.release()
    if (slot === undefined) {
      if (parked.length > IDLE_PARKED_KEPT) parked = []
      return
    }
    const at = slot * 4
    const run = parked[at]
    const a = parked[at + 1]
    const b = parked[at + 2]
    const resolve = parked[at + 3]
    parked[at] = parked[at + 1] = parked[at + 2] = parked[at + 3] = undefined
    start(run, a, b, resolve)
  }

  const createLock = () => {
    lock = new StoreLock()
    const calls = early
    early = undefined
    for (let at = 0; at < calls.length; at += 4) {
      const slot = lock.join()
      if (slot === undefined) start(calls[at], calls[at + 1], calls[at + 2], calls[at + 3])
      else park(slot, calls[at], calls[at + 1], calls[at + 2], calls[at + 3])
    }
  }

  const failEarly = (error) => {
    const calls = early
    early = undefined
    for (let at = 3; at < calls.length; at += 4) calls[at](Promise.reject(error))
  }

  /** Before the wasm core is ready: the call waits for it, in call order (or fails with it). */
  const waitForCore = (run, a, b) => {
    if (coreError !== undefined) return Promise.reject(coreError)
    const promise = new Promise(keepResolve)
    if (early === undefined) {
      early = []
      coreLoading.then(() => (coreReady ? createLock() : failEarly(coreError)))
    }
    early.push(run, a, b, takeResolve())
    return promise
  }

  /** Runs `run(a, b)` under the lock: now if the lock is free, else when its turn comes. */
  const enter = (run, a, b) => {
    if (lock === undefined) return waitForCore(run, a, b)
    const slot = lock.join()
    if (slot === undefined) return run(a, b)
    const promise = new Promise(keepResolve)
    park(slot, run, a, b, takeResolve())
    return promise
  }

  // Each operation runs with the lock held. Its first `await` makes sure no
  // callback runs synchronously inside the method call, and that a hand-off
  // never recurses: the next operation starts on a fresh microtask.
  // Plain (non-thenable) callback results are used without another `await`.

  const runRead = async (key) => {
    await undefined
    try {
      const value = read(key)
      return isThenable(value) ? await value : value
    } finally {
      release()
    }
  }

  const runWrite = async (key, value) => {
    await undefined
    try {
      const written = write(key, value)
      if (isThenable(written)) await written
    } finally {
      release()
    }
  }

  const runAppend = async (key, transform) => {
    await undefined
    try {
      requireFunction(transform, 'append(key, transform): transform')
      let value = read(key)
      if (isThenable(value)) value = await value
      let next = transform(value)
      if (isThenable(next)) next = await next
      const written = write(key, next)
      if (isThenable(written)) await written
      return next
    } finally {
      release()
    }
  }

  const runLock = async (callback) => {
    await undefined
    try {
      requireFunction(callback, 'lock(callback): callback')
      let source = data()
      if (isThenable(source)) source = await source
      const result = callback(source)
      return isThenable(result) ? await result : result
    } finally {
      release()
    }
  }

  const runData = async () => {
    await undefined
    try {
      const source = data()
      return isThenable(source) ? await source : source
    } finally {
      release()
    }
  }

  const store = Object.create(AsyncAtomicStore.prototype)
  store.read = (key) => enter(runRead, key)
  store.write = (key, value) => enter(runWrite, key, value)
  store.append = (key, transform) => enter(runAppend, key, transform)
  store.lock = (callback) => enter(runLock, callback)
  store.data = () => enter(runData)
  return store
}

/** Wraps an existing array (or a new one) in a store keyed by index. */
export function AsyncArray(array) {
  const inner = array || []
  return AsyncAtomicStore({
    data: () => inner,
    read: (index) => inner[index],
    write: (index, value) => { inner[index] = value },
  })
}

/** Wraps an existing object (or a new prototype-less one) in a store keyed by property. */
export function AsyncObject(obj) {
  const inner = obj || Object.create(null)
  return AsyncAtomicStore({
    data: () => inner,
    read: (key) => inner[key],
    write: (key, value) => { inner[key] = value },
  })
}

/** Wraps an existing Map (or a new one) in a store keyed by the map's keys. */
export function AsyncMap(map) {
  const inner = map || new Map()
  return AsyncAtomicStore({
    data: () => inner,
    read: (key) => inner.get(key),
    write: (key, value) => { inner.set(key, value) },
  })
}
