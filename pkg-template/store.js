// The store: the user's callbacks run here, one operation at a time, in the
// order a wasm `StoreLock` (the Rust FIFO lock) serves them.
//
// Every method has the upstream's shape: take the lock, call the callbacks,
// release in `finally`. Each call makes one call into wasm, which takes the
// lock if it is free or queues the call's number; a queued call waits as a
// `Waiter` record in a JS map under that number, and the release that hands
// the lock to the number starts its operation. A queued call is therefore a
// few small objects, not a suspended async function.

import { StoreLock } from './core.js'

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

/** One call waiting for the lock: what to run, with what, and whom to tell. */
class Waiter {
  constructor(run, a, b, resolve, reject) {
    this.run = run
    this.a = a
    this.b = b
    this.resolve = resolve
    this.reject = reject
  }
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
  /** Calls made before the wasm core was ready, in call order. */
  let early

  /**
   * Queued waiters by number. The wasm queue holds only the numbers: a waiter
   * held there would be a root for the garbage collector and, through its
   * callbacks, would keep a dropped store (and its lock) alive for good.
   */
  const queued = new Map()
  /** The number the next call gets; u32, as the wasm lock stores it. */
  let nextNumber = 0

  /** Takes the lock for a new call and returns `true`, or queues the call's number and returns it. */
  const join = () => {
    const number = nextNumber
    nextNumber = (nextNumber + 1) >>> 0
    return lock.enqueue(number) || number
  }

  const start = (waiter) => {
    waiter.run(waiter.a, waiter.b).then(waiter.resolve, waiter.reject)
  }

  const release = () => {
    const number = lock.release()
    if (number === undefined) return
    const next = queued.get(number)
    queued.delete(number)
    start(next)
  }

  const createLock = () => {
    lock = new StoreLock()
    const calls = early
    early = undefined
    for (const waiter of calls) {
      const turn = join()
      if (turn === true) start(waiter)
      else queued.set(turn, waiter)
    }
  }

  const failEarly = (error) => {
    const calls = early
    early = undefined
    for (const waiter of calls) waiter.reject(error)
  }

  /** Before the wasm core is ready: the call waits for it, in call order (or fails with it). */
  const waitForCore = (run, a, b) => {
    if (coreError !== undefined) return Promise.reject(coreError)
    return new Promise((resolve, reject) => {
      const waiter = new Waiter(run, a, b, resolve, reject)
      if (early === undefined) {
        early = [waiter]
        coreLoading.then(() => (coreReady ? createLock() : failEarly(coreError)))
      } else {
        early.push(waiter)
      }
    })
  }

  /** Keeps a call queued under `number` until its turn; its promise settles when it has run. */
  const wait = (number, run, a, b) =>
    new Promise((resolve, reject) => {
      queued.set(number, new Waiter(run, a, b, resolve, reject))
    })

  /** Runs `run(a, b)` under the lock: now if the lock is free, else when its turn comes. */
  const enter = (run, a, b) => {
    if (lock === undefined) return waitForCore(run, a, b)
    const turn = join()
    return turn === true ? run(a, b) : wait(turn, run, a, b)
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
