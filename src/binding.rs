//! The wasm-bindgen binding: a [`WaitQueue`] for the package's JavaScript.
//!
//! The JavaScript keeps one `StoreLock` per store and parks each queued call
//! in a plain array at the slot the queue picks; the queue holds only slot
//! numbers. Plain numbers cross into wasm and back with no externref table
//! slot (a slot would be a garbage-collector root and would keep a dropped
//! store alive), so the binding never holds a JS value and never calls into
//! JS: a callback that re-enters the store can never find it borrowed.
//!
//! Results are small integers so that each call is one crossing: a negative
//! number is an outcome ([`GRANTED`], [`BUSY`], [`FULL`], [`NONE`]), anything
//! else a slot. A handed-out slot comes doubled, plus 1 if more of its batch
//! is waiting for [`StoreLock::next_granted`].

use wasm_bindgen::prelude::*;

use crate::{Join, Mode, Request, WaitQueue};

/// [`StoreLock::join`]: the caller holds the lock now.
const GRANTED: i32 = -1;
/// [`StoreLock::join`]: `ifAvailable` was asked and the call would wait.
const BUSY: i32 = -2;
/// [`StoreLock::join`]: the queue already holds `maxPending` calls.
const FULL: i32 = -3;
/// No slot to hand out.
const NONE: i32 = -1;

/// One store's lock; it queues slot numbers and hands them back in order.
#[wasm_bindgen]
#[derive(Debug)]
pub struct StoreLock {
    queue: WaitQueue,
}

#[wasm_bindgen]
impl StoreLock {
    /// Creates a free lock whose queue holds at most `max_pending` calls.
    #[wasm_bindgen(constructor)]
    pub fn new(max_pending: u32) -> StoreLock {
        StoreLock {
            queue: WaitQueue::with_max_pending(max_pending),
        }
    }

    /// An exclusive call with no options: `GRANTED`, `FULL` or its slot.
    pub fn join(&mut self) -> i32 {
        joined(self.queue.join(Request::EXCLUSIVE))
    }

    /// A call with options (`deadline` is `Infinity` for none): `GRANTED`,
    /// `BUSY`, `FULL` or its slot.
    pub fn join_with(&mut self, shared: bool, if_available: bool, deadline: f64) -> i32 {
        let mode = if shared {
            Mode::Shared
        } else {
            Mode::Exclusive
        };
        let deadline = (deadline < f64::INFINITY).then_some(deadline);
        joined(self.queue.join(Request {
            mode,
            if_available,
            deadline,
        }))
    }

    /// Ends one holder's turn: the first slot it granted (encoded), or `NONE`.
    pub fn release(&mut self) -> i32 {
        let slot = self.queue.release();
        self.handed(slot)
    }

    /// The next slot of a granted batch (encoded), or `NONE`.
    pub fn next_granted(&mut self) -> i32 {
        let slot = self.queue.next_granted();
        self.handed(slot)
    }

    /// Removes the waiter in `slot`; `false` if it holds none. May grant
    /// shared waiters behind it: take them with `next_granted`.
    pub fn cancel(&mut self, slot: u32) -> bool {
        self.queue.cancel(slot)
    }

    /// Removes a waiter whose deadline is at or before `now` and returns its
    /// slot (plain, not encoded), or `NONE`. Take any grants with `next_granted`.
    pub fn expire(&mut self, now: f64) -> i32 {
        self.queue.expire(now).map_or(NONE, |slot| slot as i32)
    }

    /// The earliest deadline of a waiting call, or `Infinity`.
    pub fn next_deadline(&self) -> f64 {
        self.queue.next_deadline().unwrap_or(f64::INFINITY)
    }

    /// How many calls wait, not counting the holders.
    pub fn pending(&self) -> u32 {
        self.queue.waiting()
    }

    /// Whether a call holds the lock or is being handed it.
    pub fn locked(&self) -> bool {
        self.queue.is_locked()
    }

    fn handed(&self, slot: Option<u32>) -> i32 {
        match slot {
            Some(slot) => (slot as i32) * 2 + self.queue.has_granted() as i32,
            None => NONE,
        }
    }
}

fn joined(join: Join) -> i32 {
    match join {
        Join::Granted => GRANTED,
        Join::Queued(slot) => slot as i32,
        Join::Busy => BUSY,
        Join::Full => FULL,
    }
}
