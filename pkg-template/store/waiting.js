// Calls that wait for their turn, whatever line decides it: where each is
// parked, how its turn starts it or its giving up rejects it, the one timer
// per store at the core's next deadline, one abort listener per signal, and
// `idle()`. The core picks every slot, deadline and grant; this file only
// keeps the JavaScript values the core cannot hold.

import { core } from '../core/core-lock.js'
import { LockBusyError, QueueFullError } from './errors.js'

/** What the core's `join` returns when it does not return a slot. */
export const GRANTED = -1
const BUSY = -2
const FULL = -3

/** Entries of `store.parked` per call: run, a, b, resolve, and its signal watch. */
const PER_CALL = 5
/** Where in a call's entries its signal watch is (`undefined` for none). */
const WATCHED = 4
/** The index in `store.parked` of the signal watch of the call at `slot`. */
const watchAt = (slot) => slot * PER_CALL + WATCHED
/** Array entries of parked calls kept for reuse once nobody waits (1,024 calls'). */
const PARKED_KEPT = 1024 * PER_CALL
/** The longest delay `setTimeout` takes; a longer one fires at once (and Node warns). */
const MAX_DELAY = 2 ** 31 - 1

const now = () => performance.now()

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

/**
 * Queues a call the core did not grant at once (`joined` is its slot, or
 * `BUSY` or `FULL`): parks `run(store, turn, a, b)` at the slot until its
 * turn, listening to its signal and timing its deadline.
 */
export function wait(store, joined, run, a, b, signal, deadline) {
  if (joined === BUSY) return Promise.reject(new LockBusyError())
  if (joined === FULL) return Promise.reject(new QueueFullError())
  const promise = new Promise(keepResolve)
  const at = joined * PER_CALL
  const parked = store.parked
  parked[at] = run
  parked[at + 1] = a
  parked[at + 2] = b
  parked[at + 3] = lastResolve
  lastResolve = undefined
  if (signal !== undefined) {
    try {
      watch(store, joined, signal)
    } catch (error) {
      // A signal that takes no listener (Deno's once made non-extensible):
      // the call gives up with the error, as if aborted, once its line has it.
      queueMicrotask(() => core.cancel(store, joined) && giveUp(store, joined, error))
    }
  }
  if (deadline < store.armedAt) retime(store)
  return promise
}

/** Takes the call parked at `slot` out; returns its resolve function. */
function unpark(store, slot) {
  store.left++
  const at = slot * PER_CALL
  const parked = store.parked
  const resolve = parked[at + 3]
  const watched = parked[at + WATCHED]
  parked[at] = parked[at + 1] = parked[at + 2] = parked[at + 3] = undefined
  if (watched !== undefined) {
    parked[at + WATCHED] = undefined
    unwatch(store, watched)
  }
  return resolve
}

/** Starts the call parked at `slot`, whose turn has come; its promise follows the operation's. */
export function start(store, slot, turn) {
  const at = slot * PER_CALL
  const parked = store.parked
  const run = parked[at]
  const a = parked[at + 1]
  const b = parked[at + 2]
  unpark(store, slot)(run(store, turn, a, b))
}

/**
 * Starts `granted` (an encoded slot from the core's `release` or
 * `next_granted`) and the rest of its batch. A call the core granted has its
 * slot as its turn: the keyed line releases by slot; the own line ignores it.
 */
export function startBatch(store, granted) {
  while (granted >= 0) {
    start(store, granted >> 1, granted >> 1)
    granted = granted & 1 ? core.nextGranted(store) : -1
  }
}

/** Rejects the call in `slot`, which the core has just removed, and starts what that granted. */
export function reject(store, slot, error) {
  unpark(store, slot)(Promise.reject(error))
  startBatch(store, core.nextGranted(store))
  afterTurn(store)
}

/** The call in `slot` gave up (an abort, a timeout) and the core has removed it. */
function giveUp(store, slot, error) {
  store.line.leave(store, slot)
  reject(store, slot, error)
}

/**
 * After a turn ends with nobody granted: once nobody waits, a store that
 * queued many calls drops their arrays, and the timer follows the core.
 */
export function afterTurn(store) {
  if (store.parked.length > PARKED_KEPT) shrink(store)
  if (store.armedAt !== Infinity) retime(store)
  if (store.idleWaiters !== undefined) settleIdle(store)
}

/**
 * The per-slot arrays shrink with the waiting count: dropped once nobody
 * waits, and cut to the core's slots once few wait next to their length
 * (the core gives back its high free slots, so later calls get low ones).
 * A trim that gives nothing back costs one look at the highest slot; one
 * that does walks the slots below the new end, so the next waits until more
 * calls have stopped waiting since then than wait now.
 */
function shrink(store) {
  const slots = Math.floor(store.parked.length / PER_CALL)
  const pending = core.pending(store)
  if (pending === 0) {
    store.parked = []
    store.turns = []
  } else if (pending < slots >> 4 && store.left >= pending) {
    const end = core.trim(store)
    if (end === slots) return
    store.left = 0
    store.parked.length = Math.min(store.parked.length, end * PER_CALL)
    for (const array of [store.turns, store.heldIds]) {
      if (array !== undefined && array.length > end) array.length = end
    }
  }
}

// One listener per signal and store, however many of the store's calls
// wait with that signal: adding a listener costs EventTarget a walk of the
// ones already there, and Node warns of a leak past ten. The listener is
// the store's one `onAbort` function: Node wraps an object listener in a
// closure of its own. A store finds its watch of a signal on the signal
// itself, under WATCH, unless another store's is there first or the signal
// takes no property; then in its own Map, kept only while it holds any.
// Among 100,000 waiting calls' signals, a Map costs 0.3 µs a call on Node
// 24 (0.5 on 22), the property 0.1 (0.2).

/** A store's watch of one signal: the slots of the calls waiting with it, the first kept apart, since most signals have one call. */
class SignalWatch {
  constructor(store, signal, slot) {
    this.store = store
    this.signal = signal
    this.slot = slot
    this.slots = undefined
    this.count = 1
  }
}

const WATCH = Symbol('async-atomic-store signal watch')

/**
 * Whether a store may keep its watch on the signal: not on Node before 22,
 * where every AbortSignal has a hidden class of its own, so adding a
 * property costs 2.5 µs against 0.75 for the Map (Node 20).
 */
const watchOnSignal = !(parseInt(globalThis.process?.versions?.node) < 22)

/** The store's watch of `signal`, if any; `kept` is the one on the signal. */
const watchFor = (store, signal, kept = watchOnSignal ? signal[WATCH] : undefined) =>
  kept?.store === store ? kept : store.signals?.get(signal)

/** Listens for `signal` on behalf of the call at `slot`. */
function watch(store, slot, signal) {
  const kept = watchOnSignal ? signal[WATCH] : undefined
  let watched = watchFor(store, signal, kept)
  if (watched === undefined) {
    watched = new SignalWatch(store, signal, slot)
    signal.addEventListener('abort', (store.onAbort ??= (event) => abortWaiting(store, event.target)))
    if (kept === undefined && watchOnSignal && Object.isExtensible(signal)) signal[WATCH] = watched
    else (store.signals ??= new Map()).set(signal, watched)
  } else {
    ;(watched.slots ??= [watched.slot]).push(slot)
    if (++watched.count * 2 + 16 < watched.slots.length) compact(store, watched)
  }
  store.parked[watchAt(slot)] = watched
}

/** `signal` aborted: every call of the store still waiting with it gives up. An 'abort' event sent by hand to a signal that has not aborted changes nothing. */
function abortWaiting(store, signal) {
  const watched = watchFor(store, signal)
  if (watched === undefined || !signal.aborted) return
  for (const slot of watched.slots ?? [watched.slot]) {
    if (store.parked[watchAt(slot)] === watched && core.cancel(store, slot)) giveUp(store, slot, signal.reason)
  }
  retime(store)
}

/**
 * A call `watched` listened for no longer waits: the signal's listener goes
 * with its last call. The property stays, `undefined`: deleting it costs 0.5 µs.
 */
function unwatch(store, watched) {
  if (--watched.count > 0) return
  const { signal } = watched
  signal.removeEventListener('abort', store.onAbort)
  if (watchOnSignal && signal[WATCH] === watched) signal[WATCH] = undefined
  else if (store.signals.delete(signal) && store.signals.size === 0) store.signals = undefined
}

/** Keeps only the slots still waiting with this signal, each once. */
function compact(store, watched) {
  const { parked } = store
  const kept = []
  for (const slot of watched.slots) {
    if (parked[watchAt(slot)] !== watched) continue
    parked[watchAt(slot)] = null
    kept.push(slot)
  }
  for (const slot of kept) parked[watchAt(slot)] = watched
  watched.slots = kept
}

const timeoutError = () => new DOMException('the call waited longer than its timeout for the lock', 'TimeoutError')

function onTimer(store) {
  store.armedAt = Infinity
  store.timer = undefined
  const time = now()
  for (let slot; (slot = core.expire(store, time)) >= 0; ) giveUp(store, slot, timeoutError())
  retime(store)
}

/**
 * Keeps the one timer at or before the core's next deadline (none if no
 * call waits with one). A timer set for an earlier deadline is kept: when
 * it fires, it expires nothing yet and re-arms. Moving it at every hand-off
 * would cost a clearTimeout and a setTimeout per call.
 */
function retime(store) {
  const next = core.nextDeadline(store)
  if (next === store.armedAt || (next > store.armedAt && next !== Infinity)) return
  clearTimeout(store.timer)
  store.armedAt = next
  store.timer = next === Infinity ? undefined : setTimeout(onTimer, Math.min(MAX_DELAY, Math.max(0, Math.ceil(next - now()))), store)
}

// What a call's deadline counts from: never earlier than `now()`, and at
// most 1 ms later. `performance.now()` costs about 200 ns a call in
// Chromium, where `Date.now()` costs 40, so it is read again only once
// `Date.now()` has moved on: while that shows the same millisecond, less
// than 1 ms has passed since the last reading, so that reading plus 1 ms
// is not early. A call may so wait up to 1 ms past its timeout; never less.
let wallAt = NaN
let deadlineBase = 0
export function deadlineNow() {
  const wall = Date.now()
  if (wall !== wallAt) {
    wallAt = wall
    deadlineBase = now() + 1
  }
  return deadlineBase
}

const isIdle = (store) => core.pending(store) === 0 && !core.locked(store)

/** Resolves once none of the store's calls runs or waits. */
export function idle(store) {
  if (isIdle(store)) return Promise.resolve()
  return new Promise((resolve) => (store.idleWaiters ??= []).push(resolve))
}

function settleIdle(store) {
  if (!isIdle(store)) return
  const waiters = store.idleWaiters
  store.idleWaiters = undefined
  for (const resolve of waiters) resolve()
}
