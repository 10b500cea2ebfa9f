// One store's wasm lock. The core exports plain functions over the address
// of a queue in wasm memory (see src/binding.rs: a wasm-bindgen class, or
// wasm-bindgen's wrappers, cost more wasm than the queue itself), and this
// class calls them directly on the instance's exports. It holds the address
// and frees it when the class instance is garbage-collected. A store's state
// holds the instance, and every timer and abort listener of the store holds
// the state, so the address is freed only once nothing can pass it any more.
import { wasm } from './core.js'

/** Frees a dropped lock's queue; where there is no FinalizationRegistry, it is kept. */
const reclaim = typeof FinalizationRegistry === 'undefined' ? undefined : new FinalizationRegistry((at) => wasm.lock_free(at))

/**
 * A view of the buffer in wasm memory that keyed calls pass their key ids
 * in, with room for at least `n`; one for every lock. Growing wasm memory
 * detaches the view (its length becomes 0), and the next call remakes it.
 */
let keyIds = new Uint32Array(0)
export function keyBuffer(n) {
  if (keyIds.length < n) keyIds = new Uint32Array(wasm.memory.buffer, wasm.lock_keys(n), n)
  return keyIds
}

/**
 * Each method returns what src/binding.rs documents for its `lock_*`
 * function of the same name; booleans cross as 0 and 1.
 */
export class StoreLock {
  /** `kind` is 0 for a lock whose core grants calls itself, 1 for an outer line's, 2 for a keyed one's (see src/binding.rs). */
  constructor(maxPending, kind) {
    this.at = wasm.lock_new(maxPending, kind)
    reclaim?.register(this, this.at)
  }
  join() {
    return wasm.lock_join_with(this.at, 0, 0, Infinity)
  }
  join_with(shared, ifAvailable, deadline) {
    return wasm.lock_join_with(this.at, shared, ifAvailable, deadline)
  }
  /** A keyed lock's call on the first `n` ids of `keyBuffer` (none: the whole store). */
  join_keys(n, shared, ifAvailable, deadline) {
    return wasm.lock_join_keys(this.at, n, shared, ifAvailable, deadline)
  }
  release() {
    return wasm.lock_release(this.at)
  }
  release_slot(slot) {
    return wasm.lock_release_slot(this.at, slot)
  }
  next_granted() {
    return wasm.lock_next_granted(this.at)
  }
  grant(slot) {
    return wasm.lock_grant(this.at, slot) !== 0
  }
  hold() {
    wasm.lock_hold(this.at)
  }
  cancel(slot) {
    return wasm.lock_cancel(this.at, slot) !== 0
  }
  expire(now) {
    return wasm.lock_expire(this.at, now)
  }
  next_deadline() {
    return wasm.lock_next_deadline(this.at)
  }
  pending() {
    return wasm.lock_pending(this.at)
  }
  locked() {
    return wasm.lock_locked(this.at) !== 0
  }
}
