//! The wasm-bindgen binding: a [`FifoLock`] whose waiters are numbers.
//!
//! The package's JavaScript keeps one `StoreLock` per store, and its queued
//! calls in a JS map under numbers it picks; the lock queues only those
//! numbers. Plain numbers cross into wasm and back with no externref table
//! slot (a slot would be a garbage-collector root, and the table has a size
//! limit), so a queue costs a few bytes of linear memory per call and its
//! length is bounded only by memory. The binding never calls into JS, so a
//! callback that re-enters the store while the lock is being used can never
//! find it borrowed, and nothing here can panic on input from JS.

use wasm_bindgen::prelude::*;

use crate::{Acquire, FifoLock};

/// One store's lock; its waiters are numbers handed back on release.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct StoreLock {
    lock: FifoLock<u32>,
}

#[wasm_bindgen]
impl StoreLock {
    /// Creates a free lock.
    #[wasm_bindgen(constructor)]
    pub fn new() -> StoreLock {
        StoreLock::default()
    }

    /// Takes the lock if it is free and returns `true`: the caller now holds
    /// it and nothing was queued. Otherwise queues `waiter` behind everyone
    /// else and returns `false`.
    pub fn enqueue(&mut self, waiter: u32) -> bool {
        matches!(self.lock.acquire(waiter), Acquire::Acquired(_))
    }

    /// Ends the current turn: returns the waiter that now holds the lock, or
    /// `undefined` if nobody waits and the lock is free.
    pub fn release(&mut self) -> Option<u32> {
        self.lock.release()
    }
}
