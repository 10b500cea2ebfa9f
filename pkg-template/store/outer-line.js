// The line of a store with a `lock` option (a SharedLock, a RedisLock, any
// object speaking the `QueueLock` protocol of index.d.ts): that lock decides
// the order across threads or processes, and the store's core, made in its
// outer mode, keeps each of the store's own waiting calls (its deadline,
// its abort, the store's `maxPending`, the counts). When the shared line's
// turn comes, the core grants that call's slot; a call that gave up first
// has left both, and a turn that reaches it late is passed straight on.

import { core } from '../core/core-lock.js'
import { afterTurn, reject, start, wait } from './waiting.js'

/**
 * What the shared line gave one call: its `place` (to release), its
 * `grant` (`token`, `signal`, for the transaction) and, while it waits, its
 * `slot` in the core (-1 once it runs or gave up).
 */
const newTurn = (slot) => ({ slot, place: undefined, grant: undefined })

const modeOf = (shared) => (shared ? 'shared' : 'exclusive')

export const outerLine = {
  kind: 1,

  enter(store, run, a, b, shared, ifAvailable, deadline, signal) {
    // A lock that can be taken at once (SharedLock can) is tried first, unless
    // one of this store's calls runs: then an exclusive call cannot succeed.
    if (store.takesAtOnce && (shared || !core.locked(store))) {
      const turn = takeAtOnce(store, shared)
      if (turn !== undefined) return run(store, turn, a, b)
    }
    let joined
    try {
      joined = core.joinWith(store, shared, 0, deadline)
    } catch (error) {
      return Promise.reject(error)
    }
    const promise = wait(store, joined, run, a, b, signal, deadline)
    if (joined >= 0) request(store, newTurn(joined), shared, ifAvailable)
    return promise
  },

  enterPlain(store, run, a, b) {
    return outerLine.enter(store, run, a, b, false, false, Infinity, undefined)
  },

  release(store, turn) {
    store.lock.release(turn.place)
    core.release(store)
    afterTurn(store)
  },

  /** The call in `slot` gave up: it leaves the shared line too. */
  leave(store, slot) {
    const turn = store.turns[slot]
    store.turns[slot] = undefined
    turn.slot = -1
    store.lock.cancel(turn.place)
  },
}

/** The lock taken at once, with nothing waiting ahead, or `undefined`. */
function takeAtOnce(store, shared) {
  let place
  try {
    place = store.lock.acquireNow(modeOf(shared))
  } catch {
    return undefined // `request` reports what is wrong
  }
  if (place === undefined) return undefined
  core.hold(store)
  const turn = newTurn(-1)
  turn.place = place
  return turn
}

function request(store, turn, shared, ifAvailable) {
  store.turns[turn.slot] = turn
  try {
    turn.place = store.lock.request(
      modeOf(shared),
      ifAvailable,
      (grant) => granted(store, turn, grant),
      (error) => failed(store, turn, error),
    )
  } catch (error) {
    failed(store, turn, error)
  }
}

function granted(store, turn, grant) {
  const slot = turn.slot
  if (slot < 0 || !core.grant(store, slot)) {
    store.lock.release(turn.place)
    return
  }
  store.turns[slot] = undefined
  turn.slot = -1
  turn.grant = grant
  start(store, slot, turn)
}

function failed(store, turn, error) {
  const slot = turn.slot
  if (slot < 0) return
  store.turns[slot] = undefined
  turn.slot = -1
  core.cancel(store, slot)
  reject(store, slot, error)
}
