//! The lock at the heart of the `async-atomic-store` npm package.
//!
//! Many async sources read, write and read-modify-write one store; the store
//! lets one operation run at a time and serves the others in the exact order
//! they were called, so no update is lost.
//!
//! * [`FifoLock`]: the lock itself, plain Rust with no JavaScript in it: a
//!   holder flag and a queue of waiters with direct hand-off and cheap
//!   cancellation.
//! * [`SlotLock`]: a [`FifoLock`] that also picks where each queued call is
//!   parked: a small slot number, reused as soon as it is free.
//! * `StoreLock` (wasm32 only): the thin wasm-bindgen binding of a
//!   [`SlotLock`]. The package's JavaScript parks each queued call in an
//!   array at its slot and runs the user's callbacks around the lock.
//!
//! Not for threads: the lock is single-threaded by design (JS has one thread
//! per realm). Use `std::sync::Mutex` or an async runtime's mutex there.

#![warn(missing_docs, missing_debug_implementations)]

mod lock;
mod slot_lock;

pub use lock::{Acquire, FifoLock, Ticket};
pub use slot_lock::SlotLock;

#[cfg(target_arch = "wasm32")]
mod binding;

#[cfg(target_arch = "wasm32")]
mod wasm_runtime;
