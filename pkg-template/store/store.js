// The store: what users call. Each method reads its call's options and
// hands the call to the store's line, chosen once when the store is made:
//
// - own-line.js: the store's own core decides every turn;
// - keyed-line.js (`perKey: true`): the core decides every turn per key;
// - outer-line.js: a `lock` option (SharedLock, RedisLock) decides the
//   order, and the core keeps this store's waiting calls.
//
// A line is `{ enter, enterPlain, release, leave }` over the store's state;
// no call asks which line it has. The operations (operations.js) run the
// user's callbacks; waiting.js parks the calls that wait. Every function is
// module-level and takes the state: one shared function per operation
// keeps its optimised code however many stores come and go.

import { core, newCore } from '../core/core-lock.js'
import { LockBusyError, QueueFullError } from './errors.js'
import { runAppend, runData, runLock, runRead, runSharedLock, runWrite } from './operations.js'
import { adapterOptions, readCallOptions, readStoreOptions } from './options.js'
import { keyedLine } from './keyed-line.js'
import { ownLine } from './own-line.js'
import { outerLine } from './outer-line.js'
import { deadlineNow, idle } from './waiting.js'

export { LockBusyError, QueueFullError }

/**
 * A store's state: its options, its line and core, and its waiting calls.
 * One object literal with every field from the start: V8 keeps a literal's
 * shape for good, so the optimised code of the functions that take it
 * survives every store being collected (bench/gc-probe.mjs).
 */
function newState({ read, write, data, timeout, maxPending, sharedReads, perKey, lock }) {
  const line = lock !== undefined ? outerLine : perKey ? keyedLine : ownLine
  const s = {
    read,
    write,
    data,
    timeout,
    sharedReads,
    line,
    /** The address of the store's queue in wasm memory (core-lock.js). */
    at: 0,
    lock,
    /** Whether `lock` can be taken at once, with no callback (SharedLock can). */
    takesAtOnce: typeof lock?.acquireNow === 'function',
    /** Calls with no options take the line's `enterPlain` when the store has no defaults. */
    enter: timeout === Infinity && !sharedReads ? enterPlain : enterWith,
    /**
     * The waiting calls, parked at the slot the core picked: slot `s` is
     * `[run, a, b, resolve, its signal watch]` at `5s` to `5s + 4`. The wasm
     * core holds only slot numbers: a JS value held there would be a
     * garbage-collector root.
     */
    parked: [],
    /** Calls that stopped waiting since the core last trimmed its slots (waiting.js). */
    left: 0,
    /** The outer line's turn of each waiting call, by slot. */
    turns: [],
    /** The keyed line's key ids (key-ids.js), and the ids each call holds or waits for, by slot. */
    idOf: perKey ? new Map() : undefined,
    keyOf: perKey ? [] : undefined,
    uses: perKey ? [] : undefined,
    freeIds: perKey ? [] : undefined,
    heldIds: perKey ? [] : undefined,
    /** The signal watches kept by signal (waiting.js). */
    signals: undefined,
    /** The store's one abort listener, made when a call first waits with a signal. */
    onAbort: undefined,
    /** The deadline the one timer is set for, and the timer. */
    armedAt: Infinity,
    timer: undefined,
    /** Resolve functions of `idle()` promises. */
    idleWaiters: undefined,
  }
  s.at = newCore(s, maxPending, line.kind)
  return s
}

/** Where a store keeps its state, for the prototype's `pending`, `locked` and `idle()`. */
const state = Symbol('AsyncAtomicStore state')

function enterPlain(store, run, a, b, shared, method, options) {
  return options === undefined ? store.line.enterPlain(store, run, a, b) : enterWith(store, run, a, b, shared, method, options)
}

/** A call with options, or on a store with defaults: `shared` is the method's mode unless `options.mode` says otherwise. */
function enterWith(store, run, a, b, shared, method, options) {
  let signal
  let timeout = store.timeout
  let ifAvailable = false
  if (options !== undefined) {
    try {
      const call = readCallOptions(options, method)
      signal = call.signal
      timeout = call.timeout ?? timeout
      ifAvailable = call.ifAvailable
      if (call.shared !== undefined) shared = call.shared
      if (call.keys !== undefined) b = call.keys // only lock() takes keys, and its b is free
    } catch (error) {
      return Promise.reject(error)
    }
    if (signal?.aborted) return Promise.reject(signal.reason)
  }
  if (run === runLock && shared) run = runSharedLock
  const deadline = timeout === Infinity ? Infinity : deadlineNow() + timeout
  return store.line.enter(store, run, a, b, shared, ifAvailable, deadline, signal)
}

/**
 * Creates a store whose `read`, `write`, `append`, `lock` and `data` run one
 * at a time (or shared reads together), strictly in call order. Works called
 * plainly and with `new`, including from a subclass.
 */
export function AsyncAtomicStore(options) {
  const s = newState(readStoreOptions(options))
  const shared = s.sharedReads
  const store = Object.create(new.target === undefined ? AsyncAtomicStore.prototype : new.target.prototype)
  store.read = (key, options) => s.enter(s, runRead, key, undefined, shared, 'read', options)
  store.write = (key, value, options) => s.enter(s, runWrite, key, value, false, 'write', options)
  store.append = (key, transform, options) => s.enter(s, runAppend, key, transform, false, 'append', options)
  store.lock = (callback, options) => s.enter(s, runLock, callback, undefined, false, 'lock', options)
  store.data = (options) => s.enter(s, runData, undefined, undefined, shared, 'data', options)
  Object.defineProperty(store, state, { value: s })
  return store
}

Object.defineProperties(AsyncAtomicStore.prototype, {
  /** How many of this store's calls wait for their turn, not counting the ones running. */
  pending: {
    get() {
      return core.pending(this[state])
    },
  },
  /** Whether one of this store's calls runs or is being handed its turn. */
  locked: {
    get() {
      return core.locked(this[state])
    },
  },
  /** Resolves once none of this store's calls runs or waits. */
  idle: {
    value() {
      return idle(this[state])
    },
    writable: true,
    configurable: true,
  },
})

/** Wraps an existing array (or a new one) in a store keyed by index; `options` are the store's other options (`perKey`, `timeout`, ...). */
export function AsyncArray(array, options) {
  const inner = array || []
  return AsyncAtomicStore(adapterOptions('AsyncArray', options, {
    data: () => inner,
    read: (index) => inner[index],
    write: (index, value) => { inner[index] = value },
  }))
}

/** Wraps an existing object (or a new prototype-less one) in a store keyed by property; `options` as for AsyncArray. */
export function AsyncObject(obj, options) {
  const inner = obj || Object.create(null)
  return AsyncAtomicStore(adapterOptions('AsyncObject', options, {
    data: () => inner,
    read: (key) => inner[key],
    write: (key, value) => { inner[key] = value },
  }))
}

/** Wraps an existing Map (or a new one) in a store keyed by the map's keys; `options` as for AsyncArray. */
export function AsyncMap(map, options) {
  const inner = map || new Map()
  return AsyncAtomicStore(adapterOptions('AsyncMap', options, {
    data: () => inner,
    read: (key) => inner.get(key),
    write: (key, value) => { inner.set(key, value) },
  }))
}
