// The store: the user's callbacks run here, in the order, modes and batches
// a wasm `StoreLock` (the Rust `WaitQueue`) decides.
//
// Every method has the upstream's shape: take the lock, call the callbacks,
// release in `finally`. Each call makes one call into wasm, which takes the
// lock if it can or queues the call and picks a slot for it; a queued call
// waits as four array entries at that slot, and the release that grants the
// slot starts its operation. A queued call is therefore its promise, one
// resolve function and its arguments, not a suspended async function.
//
// Which call runs next, which one has timed out, how long the queue may grow:
// the core decides all of it. This file only parks calls, keeps one timer at
// the core's next deadline, and listens to abort signals.

import { StoreLock } from '../core/core-lock.js'
import { LockBusyError, QueueFullError } from './errors.js'
import { readCallOptions, readStoreOptions, requireFunction } from './options.js'
import { Transaction, closeTransaction } from './transaction.js'

export { LockBusyError, QueueFullError }

/** Array entries of parked calls a store keeps for reuse when it goes idle (4 per call). */
const IDLE_PARKED_KEPT = 4096

// What the core's `join` returns when it does not return a slot.
const GRANTED = -1
const BUSY = -2
const FULL = -3

const now = () => performance.now()

// What a call's deadline counts from: never earlier than `now()`, and at
// most 1 ms later. `performance.now()` costs about 200 ns a call in
// Chromium, where `Date.now()` costs 40, so it is read again only once
// `Date.now()` has moved on: while that shows the same millisecond, less
// than 1 ms has passed since the last reading, so that reading plus 1 ms
// is not early. A call may so wait up to 1 ms past its timeout; never less.
let wallAt = NaN
let deadlineBase = 0
const deadlineNow = () => {
  const wall = Date.now()
  if (wall !== wallAt) {
    wallAt = wall
    deadlineBase = now() + 1
  }
  return deadlineBase
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

/**
 * `value` as `await` takes it, with a thenable's `then` read only once:
 * `then` is what the caller read from it.
 */
const adopt = (value, then) => (value instanceof Promise ? value : new Promise((resolve, reject) => then.call(value, resolve, reject)))

/** The `then` of a value that may be a thenable; anything but a function means it is not one. */
const thenOf = (value) => (value !== null && (typeof value === 'object' || typeof value === 'function') ? value.then : undefined)

const timeoutError = () => new DOMException('the call waited longer than its timeout for the lock', 'TimeoutError')

/** Where a store keeps what its prototype's `pending`, `locked` and `idle()` read. */
const internals = Symbol('AsyncAtomicStore internals')

/**
 * Creates a store whose `read`, `write`, `append`, `lock` and `data` run one
 * at a time (or shared reads together), strictly in call order. Works called
 * plainly and with `new`, including from a subclass.
 */
export function AsyncAtomicStore(options) {
  const { read, write, data, timeout: storeTimeout, maxPending, sharedReads, lock: queueLock } = readStoreOptions(options)
  const lock = new StoreLock(maxPending)
  /** Calls need the options path even without per-call options. */
  const plain = storeTimeout === Infinity && !sharedReads && queueLock === undefined

  /**
   * The queued calls, each parked at the slot the core picked for it: slot
   * `s` is `[run, a, b, resolve]` at indices `4s` to `4s + 3`. The wasm core
   * holds only the slot numbers: a call held there would be a root for the
   * garbage collector and would keep a dropped store alive for good. The
   * array is as long as the deepest queue, and dropped once the store is idle.
   */
  let parked = []
  /** For calls with a signal: slot `s` is `[signal, onAbort]` at `2s`, `2s + 1`. */
  let watched
  /** The deadline the one timer is set for, and the timer. */
  let armedAt = Infinity
  let timer
  /** Resolve functions of `idle()` promises. */
  let idleWaiters

  /** Takes the call parked at `slot` out (read `run`, `a`, `b` first); returns its resolve function. */
  const unpark = (slot) => {
    const at = slot * 4
    const resolve = parked[at + 3]
    parked[at] = parked[at + 1] = parked[at + 2] = parked[at + 3] = undefined
    if (watched !== undefined && watched[slot * 2] !== undefined) {
      watched[slot * 2].removeEventListener('abort', watched[slot * 2 + 1])
      watched[slot * 2] = watched[slot * 2 + 1] = undefined
    }
    return resolve
  }

  /** Starts the operation of the call the core granted `slot` to; its promise follows the operation's. */
  const start = (slot) => {
    const at = slot * 4
    const run = parked[at]
    const a = parked[at + 1]
    const b = parked[at + 2]
    unpark(slot)(run(a, b))
  }

  /** Starts `granted` (from `release` or `next_granted`) and the rest of its batch. */
  const startBatch = (granted) => {
    while (granted >= 0) {
      start(granted >> 1)
      granted = granted & 1 ? lock.next_granted() : -1
    }
  }

  // A hand-off leaves the timer alone: granting a waiter can only make the
  // next deadline later, and a timer that fires early just re-arms. Once a
  // release grants nothing, the timer follows the core (none if none waits).
  const release = () => {
    const granted = lock.release()
    if (granted >= 0) startBatch(granted)
    else {
      if (parked.length > IDLE_PARKED_KEPT && lock.pending() === 0) {
        parked = []
        watched = undefined
      }
      if (armedAt !== Infinity) retime()
    }
    if (idleWaiters !== undefined) settleIdle()
  }

  /** Rejects the waiting call in `slot`, which the core has just removed, and starts what that granted. */
  const reject = (slot, error) => {
    unpark(slot)(Promise.reject(error))
    startBatch(lock.next_granted())
    if (idleWaiters !== undefined) settleIdle()
  }

  const onTimer = () => {
    armedAt = Infinity
    timer = undefined
    const time = now()
    for (let slot; (slot = lock.expire(time)) >= 0; ) {
      leaveLine(slot)
      reject(slot, timeoutError())
    }
    retime()
  }

  /**
   * Keeps the one timer at or before the core's next deadline (none if no
   * call waits with one). A timer set for an earlier deadline is kept: when
   * it fires, it expires nothing yet and re-arms. Moving it at every
   * hand-off would cost a clearTimeout and a setTimeout per call.
   */
  const retime = () => {
    const next = lock.next_deadline()
    if (next === armedAt || (next > armedAt && next !== Infinity)) return
    clearTimeout(timer)
    armedAt = next
    timer = next === Infinity ? undefined : setTimeout(onTimer, Math.max(0, Math.ceil(next - now())))
  }

  const watch = (slot, signal) => {
    const onAbort = () => {
      if (lock.cancel(slot)) {
        leaveLine(slot)
        reject(slot, signal.reason)
      }
      retime()
    }
    signal.addEventListener('abort', onAbort)
    watched ??= []
    watched[slot * 2] = signal
    watched[slot * 2 + 1] = onAbort
  }

  const isIdle = () => lock.pending() === 0 && (queueLock === undefined ? !lock.locked() : outerRunning === 0)
  const settleIdle = () => {
    if (!isIdle()) return
    const waiters = idleWaiters
    idleWaiters = undefined
    for (const resolve of waiters) resolve()
  }

  /** Queues a call the core did not grant at once: parks it at `slot` or rejects it. */
  const queue = (joined, run, a, b) => {
    if (joined === BUSY) return Promise.reject(new LockBusyError())
    if (joined === FULL) return Promise.reject(new QueueFullError())
    const promise = new Promise(keepResolve)
    const at = joined * 4
    parked[at] = run
    parked[at + 1] = a
    parked[at + 2] = b
    parked[at + 3] = takeResolve()
    return promise
  }

  /** A call with no options on a store with no defaults: runs `run(a, b)` under the lock, now or when its turn comes. */
  const enter = (run, a, b) => {
    let joined
    try {
      joined = lock.join()
    } catch (error) {
      return Promise.reject(error)
    }
    return joined === GRANTED ? run(a, b) : queue(joined, run, a, b)
  }

  /** A call with options, or on a store with defaults: `shared` is the method's mode unless `options.mode` says otherwise. */
  const enterWith = (run, a, b, options, shared, method) => {
    let signal
    let timeout = storeTimeout
    let ifAvailable = false
    if (options !== undefined) {
      try {
        const call = readCallOptions(options, method)
        signal = call.signal
        timeout = call.timeout ?? storeTimeout
        ifAvailable = call.ifAvailable
        if (call.shared !== undefined) shared = call.shared
      } catch (error) {
        return Promise.reject(error)
      }
      if (signal?.aborted) return Promise.reject(signal.reason)
    }
    if (run === runLock && shared) run = runSharedLock
    const deadline = timeout === Infinity ? Infinity : deadlineNow() + timeout
    if (queueLock !== undefined) return enterOuter(run, a, b, shared, ifAvailable, deadline, signal)
    let joined
    try {
      joined = lock.join_with(shared, ifAvailable, deadline)
    } catch (error) {
      return Promise.reject(error)
    }
    if (joined === GRANTED) return run(a, b)
    const promise = queue(joined, run, a, b)
    if (joined >= 0) guard(joined, signal, deadline)
    return promise
  }

  /** For a call just parked at `slot`: listens to its signal, and brings the timer forward to its deadline. */
  const guard = (slot, signal, deadline) => {
    if (signal !== undefined) watch(slot, signal)
    if (deadline < armedAt) retime()
  }

  // A store with a `lock` option (a SharedLock, a RedisLock) queues each call
  // twice: in the shared line, which decides the order, and in this store's
  // core, which keeps the call's deadline, abort and `maxPending` and counts
  // it. The core's lock is held for good by the store itself, so every call
  // waits in the core until the shared line grants its place; the grant then
  // takes it out of the core (`cancel`) and starts it. A call that gives up
  // first is rejected at once, and a grant that reaches it too late is passed
  // straight on.

  /** Calls of this store running under the shared lock. */
  let outerRunning = 0
  /** Whether the shared lock can be taken at once, with no callback (`SharedLock` can). */
  const takesAtOnce = typeof queueLock?.acquireNow === 'function'
  /** The shared line's place of the call waiting at each slot. */
  const places = []
  if (queueLock !== undefined) lock.join()

  /** A call that gave up (its slot already out of the core) leaves the shared line too, if there is one. */
  const leaveLine = (slot) => {
    if (queueLock === undefined) return
    queueLock.cancel(places[slot])
    places[slot] = undefined
  }

  const enterOuter = (run, a, b, shared, ifAvailable, deadline, signal) => {
    // Nothing holds or waits in the shared line (which has every waiting
    // call of this store in it too): the call runs now, as on a plain store.
    // While a call of this store runs, an exclusive call cannot be taken at
    // once, and is not tried.
    if (takesAtOnce && (outerRunning === 0 || shared)) {
      let place
      try {
        place = queueLock.acquireNow(shared ? 'shared' : 'exclusive')
      } catch (error) {
        return Promise.reject(error)
      }
      if (place !== undefined) {
        outerRunning++
        return run(a, b, undefined, place)
      }
    }
    let joined
    try {
      joined = lock.join_with(shared, false, deadline)
    } catch (error) {
      return Promise.reject(error)
    }
    const promise = queue(joined, run, a, b)
    if (joined < 0) return promise
    const slot = joined
    const resolve = parked[slot * 4 + 3]
    /** Whether the call still waits at `slot` (it has not given up); takes it out of the core if so. */
    const stillWaiting = () => parked[slot * 4 + 3] === resolve && lock.cancel(slot)
    let place
    const granted = (grant) => {
      if (!stillWaiting()) {
        queueLock.release(place)
        return
      }
      places[slot] = undefined
      outerRunning++
      unpark(slot)(run(a, b, grant, place))
      retime()
    }
    const failed = (error) => {
      if (!stillWaiting()) return
      places[slot] = undefined
      reject(slot, error)
      retime()
    }
    try {
      place = queueLock.request(shared ? 'shared' : 'exclusive', ifAvailable, granted, failed)
    } catch (error) {
      failed(error)
      return promise
    }
    places[slot] = place
    guard(slot, signal, deadline)
    return promise
  }

  // Each operation runs with the lock held. Its first `await` makes sure no
  // callback runs synchronously inside the method call, and that a hand-off
  // never recurses: the next operation starts on a fresh microtask. Plain
  // (non-thenable) callback results are used without another `await`. With a
  // `lock` option, `place` is the call's place in the shared line, released here.
  const done =
    queueLock === undefined
      ? release
      : (place) => {
          outerRunning--
          queueLock.release(place)
          if (idleWaiters !== undefined) settleIdle()
        }

  const runRead = async (key, _, __, place) => {
    await undefined
    try {
      const value = read(key)
      const then = thenOf(value)
      return typeof then === 'function' ? await adopt(value, then) : value
    } finally {
      done(place)
    }
  }

  const runWrite = async (key, value, _, place) => {
    await undefined
    try {
      const written = write(key, value)
      const then = thenOf(written)
      if (typeof then === 'function') await adopt(written, then)
    } finally {
      done(place)
    }
  }

  const runAppend = async (key, transform, _, place) => {
    await undefined
    try {
      requireFunction(transform, 'append(key, transform): transform')
      let value = read(key)
      let then = thenOf(value)
      if (typeof then === 'function') value = await adopt(value, then)
      let next = transform(value)
      then = thenOf(next)
      if (typeof then === 'function') next = await adopt(next, then)
      const written = write(key, next)
      then = thenOf(written)
      if (typeof then === 'function') await adopt(written, then)
      return next
    } finally {
      done(place)
    }
  }

  const lockWith = async (callback, shared, grant, place) => {
    await undefined
    const transaction = new Transaction(read, write, shared, grant)
    try {
      requireFunction(callback, 'lock(callback): callback')
      let source = data()
      let then = thenOf(source)
      if (typeof then === 'function') source = await adopt(source, then)
      const result = callback(source, transaction)
      then = thenOf(result)
      return typeof then === 'function' ? await adopt(result, then) : result
    } finally {
      transaction[closeTransaction]()
      done(place)
    }
  }
  const runLock = (callback, _, grant, place) => lockWith(callback, false, grant, place)
  const runSharedLock = (callback, _, grant, place) => lockWith(callback, true, grant, place)

  const runData = async (_, __, ___, place) => {
    await undefined
    try {
      const source = data()
      const then = thenOf(source)
      return typeof then === 'function' ? await adopt(source, then) : source
    } finally {
      done(place)
    }
  }

  const store = Object.create(new.target === undefined ? AsyncAtomicStore.prototype : new.target.prototype)
  // A plain store's calls without options take the short path, `enter`.
  store.read = (key, options) =>
    plain && options === undefined ? enter(runRead, key) : enterWith(runRead, key, undefined, options, sharedReads, 'read')
  store.write = (key, value, options) =>
    plain && options === undefined ? enter(runWrite, key, value) : enterWith(runWrite, key, value, options, false, 'write')
  store.append = (key, transform, options) =>
    plain && options === undefined ? enter(runAppend, key, transform) : enterWith(runAppend, key, transform, options, false, 'append')
  store.lock = (callback, options) =>
    plain && options === undefined ? enter(runLock, callback) : enterWith(runLock, callback, undefined, options, false, 'lock')
  store.data = (options) =>
    plain && options === undefined ? enter(runData) : enterWith(runData, undefined, undefined, options, sharedReads, 'data')
  Object.defineProperty(store, internals, {
    value: {
      pending: () => (queueLock === undefined ? lock.pending() : queueLock.pending),
      locked: () => (queueLock === undefined ? lock.locked() : queueLock.locked),
      idle: () => {
        if (isIdle()) return Promise.resolve()
        return new Promise((resolve) => (idleWaiters ??= []).push(resolve))
      },
    },
  })
  return store
}

Object.defineProperties(AsyncAtomicStore.prototype, {
  /** How many calls wait for the lock, not counting the ones running. */
  pending: {
    get() {
      return this[internals].pending()
    },
  },
  /** Whether an operation runs or is being handed the lock. */
  locked: {
    get() {
      return this[internals].locked()
    },
  },
  /** Resolves once nothing runs and nothing waits. */
  idle: {
    value() {
      return this[internals].idle()
    },
    writable: true,
    configurable: true,
  },
})

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
