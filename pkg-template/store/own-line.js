// The store's own line: its core decides every turn. A call takes the lock
// at once when the core grants it, or waits parked; a release hands the lock
// straight to the next call or batch the core grants.

import { core } from '../core/core-lock.js'
import { GRANTED, afterTurn, startBatch, wait } from './waiting.js'

/** The line of a store with no `lock` option (see store.js for the interface). */
export const ownLine = {
  kind: 0,

  enter(store, run, a, b, shared, ifAvailable, deadline, signal) {
    let joined
    try {
      joined = core.joinWith(store, shared, ifAvailable, deadline)
    } catch (error) {
      return Promise.reject(error)
    }
    return joined === GRANTED ? run(store, undefined, a, b) : wait(store, joined, run, a, b, signal, deadline)
  },

  /** A call with no options on a store with no defaults: the shortest path. */
  enterPlain(store, run, a, b) {
    let joined
    try {
      joined = core.join(store)
    } catch (error) {
      return Promise.reject(error)
    }
    return joined === GRANTED ? run(store, undefined, a, b) : wait(store, joined, run, a, b, undefined, Infinity)
  },

  // A hand-off leaves the timer alone: granting a waiter can only make the
  // next deadline later, and a timer that fires early just re-arms.
  release(store) {
    const granted = core.release(store)
    if (granted >= 0) startBatch(store, granted)
    else afterTurn(store)
  },

  /** A call that gave up is out of the core already; nothing else holds it. */
  leave() {},
}
