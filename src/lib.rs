//! The lock at the heart of the `async-atomic-store` npm package.
//!
//! Many async sources read, write and read-modify-write one store; the store
//! lets one operation run at a time and serves the others in the exact order
//! they were called, so no update is lost.
//!
//! * [`FifoLock`]: the lock itself, plain Rust with no JavaScript in it: a
//!   holder flag and a queue of waiters with direct hand-off and cheap
//!   cancellation.
//! * `StoreLock` (wasm32 only): the thin wasm-bindgen binding, a [`FifoLock`]
//!   of call ids. The package's JavaScript keeps each queued call under its
//!   id and runs the user's callbacks around the lock.
//!
//! Not for threads: the lock is single-threaded by design (JS has one thread
//! per realm). Use `std::sync::Mutex` or an async runtime's mutex there.

#![warn(missing_docs, missing_debug_implementations)]

mod lock;

pub use lock::{Acquire, FifoLock, Ticket};

#[cfg(target_arch = "wasm32")]
mod binding;
