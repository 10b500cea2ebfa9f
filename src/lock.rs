//! The FIFO lock: one holder at a time, waiters served strictly in arrival order.
//!
//! # Implementation details
//!
//! The lock is a flag (`locked`) and a queue of waiters. A waiter is whatever
//! the caller needs to wake a queued operation later: a JS function in the
//! wasm binding, a [`std::task::Waker`] in a native executor, a plain number in
//! the tests. The lock never calls it; it only hands it back.
//!
//! * **Acquiring** takes the lock if it is free, otherwise appends the waiter
//!   to the back of the queue and gives the caller a [`Ticket`].
//! * **Releasing** never frees the lock while anyone waits: it pops the front
//!   waiter and returns it, and the lock stays held on that waiter's behalf.
//!   This direct hand-off is what makes the order strict: between a release
//!   and the woken waiter running, a newcomer finds the lock held and queues
//!   behind it, so nobody can cut in.
//! * **Cancelling** (a waiter that gives up: dropped, timed out, aborted)
//!   blanks its slot instead of shifting the queue; the hand-off skips blank
//!   slots. Blank slots at the front are trimmed at once, and once blanks
//!   outnumber live waiters the queue is compacted, so it never holds more
//!   than about twice as many slots as live waiters.
//!
//! Every slot carries its ticket, a number that only grows and is never
//! reused, so a cancel finds its slot by binary search. Acquire and release
//! are O(1) amortised, cancel O(log n) amortised.

use std::collections::VecDeque;

/// A strictly FIFO lock whose waiters are values of type `W`.
///
/// The order in which callers try to acquire the lock is the exact order in
/// which they get it. The lock holds no data and does not block: it tells the
/// caller who holds the lock next, and the caller wakes them.
///
/// ```
/// use async_atomic_store::{Acquire, FifoLock};
///
/// let mut lock = FifoLock::new();
/// assert!(matches!(lock.acquire("first"), Acquire::Acquired("first")));
/// assert!(matches!(lock.acquire("second"), Acquire::Queued(_)));
/// assert!(matches!(lock.acquire("third"), Acquire::Queued(_)));
///
/// // Each release hands the lock straight to the next waiter.
/// assert_eq!(lock.release(), Some("second"));
/// assert_eq!(lock.release(), Some("third"));
/// assert_eq!(lock.release(), None);
/// assert!(!lock.is_locked());
/// ```
#[derive(Debug)]
pub struct FifoLock<W> {
    locked: bool,
    /// Waiters in arrival order with their tickets; `None` marks one that was cancelled.
    queue: VecDeque<(Ticket, Option<W>)>,
    /// The ticket the next queued waiter gets.
    next_ticket: u64,
    /// Live (not cancelled) waiters in `queue`.
    waiting: usize,
}

/// A queued waiter's place in line, used to [cancel](FifoLock::cancel) it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(u64);

/// The outcome of [`FifoLock::acquire`].
#[derive(Debug, PartialEq, Eq)]
pub enum Acquire<W> {
    /// The lock was free and is now held by the caller; the waiter is given back unused.
    Acquired(W),
    /// The lock is held; the waiter was queued and will be handed the lock by a later release.
    Queued(Ticket),
}

impl<W> FifoLock<W> {
    /// Creates an unlocked lock with an empty queue.
    pub fn new() -> Self {
        FifoLock {
            locked: false,
            queue: VecDeque::new(),
            next_ticket: 0,
            waiting: 0,
        }
    }

    /// Takes the lock if it is free. Returns `false`, and queues nothing, if it is held.
    pub fn try_acquire(&mut self) -> bool {
        if self.locked {
            return false;
        }
        self.locked = true;
        true
    }

    /// Takes the lock if it is free; otherwise queues `waiter` behind every earlier waiter.
    pub fn acquire(&mut self, waiter: W) -> Acquire<W> {
        if self.try_acquire() {
            return Acquire::Acquired(waiter);
        }
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.queue.push_back((ticket, Some(waiter)));
        self.waiting += 1;
        Acquire::Queued(ticket)
    }

    /// Ends the current holder's turn.
    ///
    /// If anyone is waiting, the front waiter now holds the lock and is
    /// returned so the caller can wake it; the lock is never free in between.
    /// Otherwise the lock becomes free and `None` is returned. Releasing a
    /// free lock does nothing.
    pub fn release(&mut self) -> Option<W> {
        while let Some((_, slot)) = self.queue.pop_front() {
            if let Some(waiter) = slot {
                self.waiting -= 1;
                return Some(waiter);
            }
        }
        self.locked = false;
        None
    }

    /// Removes a queued waiter, returning it, without disturbing the order of the others.
    ///
    /// Returns `None` if the ticket is no longer queued: it was already handed
    /// the lock (the caller then holds it and must release it) or cancelled.
    pub fn cancel(&mut self, ticket: Ticket) -> Option<W> {
        let index = self.queue.binary_search_by_key(&ticket, |(t, _)| *t).ok()?;
        let waiter = self.queue[index].1.take()?;
        self.waiting -= 1;
        while matches!(self.queue.front(), Some((_, None))) {
            self.queue.pop_front();
        }
        if self.queue.len() > 2 * self.waiting + 16 {
            self.queue.retain(|(_, slot)| slot.is_some());
        }
        Some(waiter)
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// How many waiters are queued, not counting the holder.
    pub fn waiting(&self) -> usize {
        self.waiting
    }
}

impl<W> Default for FifoLock<W> {
    fn default() -> Self {
        Self::new()
    }
}
