//! The lock at the heart of the `async-atomic-store` npm package.
//!
//! Many async sources read, write and read-modify-write one store; the store
//! lets one operation run at a time (or a batch of shared reads) and serves
//! the others in the exact order they were called, so no update is lost.
//!
//! * [`WaitQueue`]: the queue policy, plain Rust with no JavaScript in it:
//!   who holds the lock, who waits in what order, exclusive and shared
//!   modes granted in strict FIFO batches, waiters that give up (aborts,
//!   deadlines), a bound on the queue, and the counts. Every store's queue
//!   is one: in its own mode it grants calls itself; in its outer mode a
//!   line shared beyond the store (the package's `SharedLock` across
//!   threads, `RedisLock` across processes, both written in JS where their
//!   state lives) decides the order, and the queue keeps the store's
//!   waiting calls.
//! * [`AsyncLock`]: the same policy as a native async lock for one thread;
//!   dropping a queued acquire leaves the line.
//! * [`KeyLines`]: the lines of a queue locked per key: calls on different
//!   keys run together, whole-store calls see the whole store.
//! * `lock_*` functions (wasm32 only): the thin binding of a
//!   [`WaitQueue`], one per store. The package's JavaScript parks each queued
//!   call in an array at the slot the queue picks and runs the user's
//!   callbacks around the lock.
//!
//! Not for threads: the queue is single-threaded by design (JS has one thread
//! per realm; the package's `SharedLock` keeps what threads share in a
//! `SharedArrayBuffer`). Use `std::sync::Mutex` or an async runtime's mutex
//! across threads.

// Written against `core` and `alloc` only, so the wasm build can drop `std`.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs, missing_debug_implementations)]

extern crate alloc;

mod array;
mod async_lock;
mod deadlines;
mod key_lines;
mod links;
mod wait_queue;

pub use async_lock::{Acquire, AsyncLock, Guard, QueueFull};
pub use key_lines::{KeyLines, MAX_KEYS};
pub use wait_queue::{Join, Kind, Mode, Request, WaitQueue, MAX_SLOTS};

#[cfg(target_arch = "wasm32")]
mod binding;

#[cfg(target_arch = "wasm32")]
mod wasm_runtime;
