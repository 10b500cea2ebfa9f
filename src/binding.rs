//! The wasm-bindgen binding: a [`SlotLock`] for the package's JavaScript.
//!
//! The JavaScript keeps one `StoreLock` per store and parks each queued call
//! in a plain array at the slot the lock picks; the lock queues only slot
//! numbers. Plain numbers cross into wasm and back with no externref table
//! slot (a slot would be a garbage-collector root, and the table has a size
//! limit), so a queue costs a few bytes of linear memory per call and its
//! length is bounded only by memory. The binding never calls into JS, so a
//! callback that re-enters the store while the lock is being used can never
//! find it borrowed, and nothing here can panic on input from JS.

use wasm_bindgen::prelude::*;

use crate::SlotLock;

/// One store's lock; it queues slot numbers and hands them back in order.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct StoreLock {
    lock: SlotLock,
}

#[wasm_bindgen]
impl StoreLock {
    /// Creates a free lock.
    #[wasm_bindgen(constructor)]
    pub fn new() -> StoreLock {
        StoreLock::default()
    }

    /// Takes the lock if it is free and returns `undefined`: the caller now
    /// holds it. Otherwise queues the caller behind everyone else and returns
    /// the slot to park its call in.
    pub fn join(&mut self) -> Option<u32> {
        self.lock.join()
    }

    /// Ends the current turn: returns the slot whose call now holds the lock
    /// (take it out at once; the slot is reused), or `undefined` if nobody
    /// waits and the lock is free.
    pub fn release(&mut self) -> Option<u32> {
        self.lock.release()
    }
}
