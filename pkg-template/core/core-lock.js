// One store's wasm lock. The core exports plain functions over the address
// of a queue in wasm memory (see src/binding.rs: a wasm-bindgen class, or
// wasm-bindgen's wrappers, cost wasm and time on every call), and these
// module-level functions call them directly on the instance's exports,
// given the store's state, which holds the address as `at`. The address is
// freed when the state is garbage-collected: every timer and abort listener
// of a store holds the state, so that happens only once nothing can pass
// the address any more.
//
// An object of functions, not a class: V8 drops the optimised code that relies on a
// class instance's shape once the last instance is collected, so the first
// store made after a full garbage collection ran slow (bench/gc-probe.mjs).
// Each function returns what src/binding.rs documents for its `lock_*`
// function; booleans cross as 0 and 1.
import { wasm } from './core.js'

/** Frees a dropped store's queue; where there is no FinalizationRegistry, it is kept. */
const reclaim = typeof FinalizationRegistry === 'undefined' ? undefined : new FinalizationRegistry((at) => wasm.lock_free(at))

/**
 * A new queue for `owner` (the store's state, which keeps it as `at`):
 * `kind` is 0 for a queue that grants calls itself, 1 for an outer line's,
 * 2 for a keyed one's.
 */
export function newCore(owner, maxPending, kind) {
  const at = wasm.lock_new(maxPending, kind)
  reclaim?.register(owner, at)
  return at
}

/**
 * A view of the buffer in wasm memory that keyed calls pass their key ids
 * in, with room for at least `n`; one for every queue. Growing wasm memory
 * detaches the view (its length becomes 0), and the next call remakes it.
 */
let keyIdView = new Uint32Array(0)
export function keyBuffer(n) {
  if (keyIdView.length < n) keyIdView = new Uint32Array(wasm.memory.buffer, wasm.lock_keys(n), n)
  return keyIdView
}

/** The queue's operations, given the store's state; one object, so a test can stand in a failing core. */
export const core = {
  join: (s) => wasm.lock_join(s.at, 0, 0, 0, Infinity),
  joinWith: (s, shared, ifAvailable, deadline) => wasm.lock_join(s.at, 0, shared, ifAvailable, deadline),
  /** A keyed queue's call on the first `n` ids of `keyBuffer` (none: the whole store). */
  joinKeys: (s, n, shared, ifAvailable, deadline) => wasm.lock_join(s.at, n, shared, ifAvailable, deadline),
  release: (s) => wasm.lock_release(s.at, 0),
  releaseSlot: (s, slot) => wasm.lock_release(s.at, slot),
  nextGranted: (s) => wasm.lock_next_granted(s.at),
  grant: (s, slot) => wasm.lock_grant(s.at, slot) !== 0,
  hold: (s) => wasm.lock_hold(s.at),
  cancel: (s, slot) => wasm.lock_cancel(s.at, slot) !== 0,
  expire: (s, now) => wasm.lock_expire(s.at, now),
  nextDeadline: (s) => wasm.lock_next_deadline(s.at),
  trim: (s) => wasm.lock_trim(s.at),
  pending: (s) => wasm.lock_pending(s.at),
  locked: (s) => wasm.lock_locked(s.at) !== 0,
}
