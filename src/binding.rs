//! The wasm-bindgen binding: a [`FifoLock`] whose waiters are JS values.
//!
//! The package's JavaScript keeps one `StoreLock` per store. The binding never
//! calls into JS, so a callback that re-enters the store while the lock is
//! being used can never find it borrowed, and nothing here can panic on
//! input from JS.

use wasm_bindgen::prelude::*;

use crate::{Acquire, FifoLock};

/// One store's lock; its waiters are opaque JS values handed back on release.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct StoreLock {
    lock: FifoLock<JsValue>,
}

#[wasm_bindgen]
impl StoreLock {
    /// Creates a free lock.
    #[wasm_bindgen(constructor)]
    pub fn new() -> StoreLock {
        StoreLock::default()
    }

    /// Takes the lock if it is free; returns whether it did.
    #[wasm_bindgen(js_name = tryAcquire)]
    pub fn try_acquire(&mut self) -> bool {
        self.lock.try_acquire()
    }

    /// Queues `waiter` behind everyone else. Returns `true` if the lock was
    /// free instead, in which case the caller now holds it and nothing was queued.
    pub fn enqueue(&mut self, waiter: JsValue) -> bool {
        matches!(self.lock.acquire(waiter), Acquire::Acquired(_))
    }

    /// Ends the current turn: returns the waiter that now holds the lock, or
    /// `undefined` if nobody waits and the lock is free.
    pub fn release(&mut self) -> JsValue {
        self.lock.release().unwrap_or(JsValue::UNDEFINED)
    }
}
