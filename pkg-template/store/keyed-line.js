// The line of a store made with `perKey: true`: its core, in its keyed mode
// (src/key_lines.rs), decides every turn. `read`, `write` and `append` hold
// only their key; `lock(cb, { keys })` holds exactly those keys, taken
// together; `lock(cb)` and `data()` hold the whole store. Each call waits
// for exactly the earlier calls it conflicts with, and never for a later
// call. A call's turn is its slot in the core, which it keeps while it
// runs: the slot says which keys to release.

import { core, keyBuffer } from '../core/core-lock.js'
import { dropId, takeId } from './key-ids.js'
import { runAppend, runRead, runWrite } from './operations.js'
import { afterTurn, startBatch, wait } from './waiting.js'

/** Entries of `heldIds` kept once nothing runs or waits; more are dropped. */
const HELD_KEPT = 4096

/** Whether `run` works on the one key it is given first. */
const onKey = (run) => run === runRead || run === runWrite || run === runAppend

export const keyedLine = {
  kind: 2,

  enter(store, run, a, b, shared, ifAvailable, deadline, signal) {
    const ids = takeIds(store, onKey(run), a, b)
    let joined
    try {
      joined = join(store, ids, shared, ifAvailable, deadline)
    } catch (error) {
      dropIds(store, ids)
      return Promise.reject(error)
    }
    if (joined < 0) {
      dropIds(store, ids)
      return wait(store, joined) // LockBusyError or QueueFullError
    }
    const slot = joined >> 1
    store.heldIds[slot] = ids
    return joined & 1 ? run(store, slot, a, b) : wait(store, slot, run, a, b, signal, deadline)
  },

  enterPlain(store, run, a, b) {
    return keyedLine.enter(store, run, a, b, false, false, Infinity, undefined)
  },

  release(store, slot) {
    keyedLine.leave(store, slot)
    const granted = core.releaseSlot(store, slot)
    if (granted >= 0) {
      startBatch(store, granted)
      return
    }
    if (store.heldIds.length > HELD_KEPT && !core.locked(store) && core.pending(store) === 0) store.heldIds = []
    afterTurn(store)
  },

  /** The call in `slot` is done with its keys: it ran, or gave up. */
  leave(store, slot) {
    dropIds(store, store.heldIds[slot])
    store.heldIds[slot] = undefined
  },
}

/** A call's key ids: one id for a call on a key, an array for `keys`, `undefined` for the whole store. */
function takeIds(store, onOneKey, a, keys) {
  if (onOneKey) return takeId(store, a)
  return keys === undefined ? undefined : keys.map((key) => takeId(store, key))
}

function dropIds(store, ids) {
  if (typeof ids === 'number') dropId(store, ids)
  else if (ids !== undefined) for (const id of ids) dropId(store, id)
}

/** Joins the core's key lines with `ids`, passed through the key buffer. */
function join(store, ids, shared, ifAvailable, deadline) {
  if (typeof ids === 'number') {
    keyBuffer(1)[0] = ids
    return core.joinKeys(store, 1, shared, ifAvailable, deadline)
  }
  const n = ids === undefined ? 0 : ids.length
  const buffer = keyBuffer(n)
  for (let at = 0; at < n; at++) buffer[at] = ids[at]
  return core.joinKeys(store, n, shared, ifAvailable, deadline)
}
