//! The wait queue under every lock of the package: who holds the lock, who
//! waits and in what order, who gives up, how long the queue may grow.
//!
//! # Implementation details
//!
//! The holders are a count and a flag (is the holder exclusive). Waiters are
//! slots in one array of links, a doubly linked list in arrival order, so any
//! waiter leaves the line in O(1) and leaves nothing behind.
//!
//! * **Joining** takes the lock at once if it is free, or if the caller is
//!   shared, the lock is held shared and nobody waits. Otherwise the caller
//!   gets a slot at the back of the line (the most recently freed slot, or a
//!   new one), unless `if_available` was asked (then [`Join::Busy`]) or the
//!   line already holds `max_pending` waiters (then [`Join::Full`]).
//! * **Releasing** never frees the lock while anyone waits: when the last
//!   holder leaves, the lock is granted straight to the front of the line,
//!   either one exclusive waiter or every shared waiter up to the next
//!   exclusive one (a batch, as in the Web Locks API). Between that grant and
//!   the grantees running, a newcomer finds the lock held and queues behind,
//!   so nobody can cut in, and a shared newcomer never joins a running batch
//!   while anyone waits, so writers are never starved.
//! * **Giving up** (an abort, a timeout) unlinks the waiter. If it was at the
//!   front and the lock is held shared, the shared waiters now at the front
//!   are granted at once: nothing they waited for is left ahead of them.
//! * **Deadlines** are kept earliest first (in join order where they come in
//!   order, O(1); in a heap where they do not), so the caller needs one
//!   timer per queue, set to [`WaitQueue::next_deadline`], however many
//!   waiters have deadlines of whatever lengths.
//!
//! * **An outer line** ([`WaitQueue::outer`]) is for callers whose order
//!   something outside decides (a lock shared by threads or processes). The
//!   queue then never grants by itself: every caller waits in a slot, with
//!   its deadline and under `max_pending`, until the outer line's turn
//!   arrives and [`WaitQueue::grant`] makes it a holder, or it gives up.
//!   A turn the outer line gives at once is counted with [`WaitQueue::hold`].
//!
//! Granted slots stay at the front of the list, flagged, until
//! [`WaitQueue::next_granted`] hands them out one by one. A slot is free for
//! reuse from the moment it is handed out, and the most recently freed slot
//! is the next one a waiter gets. Once nobody waits, slot numbers start again
//! from 0 and a queue that grew large gives its memory back to the allocator.
//! Joining reserves all the memory a waiter can need before it changes
//! anything, so running out of memory refuses the caller ([`Join::Full`]),
//! and releasing, granting and cancelling never allocate. A waiting slot
//! costs 8 bytes: two links, with the mode and the granted mark in their
//! spare bits (plus, once any waiter has a deadline, a 24-byte deadline
//! entry per slot, see `deadlines.rs`).

use crate::deadlines::Deadlines;
use crate::links::{Link, Links};

/// How a caller wants the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Alone: nobody else holds the lock while it does.
    Exclusive,
    /// Together with the other shared callers granted in the same batch.
    Shared,
}

/// What a caller asks for when it [joins](WaitQueue::join) the queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Request {
    /// Exclusive or shared.
    pub mode: Mode,
    /// Take the lock only if that needs no waiting; never queue.
    pub if_available: bool,
    /// Give up waiting at this time (any unit, as long as every call agrees).
    pub deadline: Option<f64>,
}

impl Request {
    /// An exclusive request that waits as long as it takes.
    pub const EXCLUSIVE: Request = Request {
        mode: Mode::Exclusive,
        if_available: false,
        deadline: None,
    };
    /// A shared request that waits as long as it takes.
    pub const SHARED: Request = Request {
        mode: Mode::Shared,
        if_available: false,
        deadline: None,
    };

    /// The same request, taking the lock only if it needs no waiting.
    pub fn if_available(self) -> Request {
        Request {
            if_available: true,
            ..self
        }
    }

    /// The same request, giving up at `deadline`.
    pub fn deadline(self, deadline: f64) -> Request {
        Request {
            deadline: Some(deadline),
            ..self
        }
    }
}

/// The outcome of [`WaitQueue::join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// The caller holds the lock now.
    Granted,
    /// The caller waits in this slot until [`WaitQueue::next_granted`] hands it out.
    Queued(u32),
    /// The request was `if_available` and would have had to wait; nothing was queued.
    Busy,
    /// Queuing the caller would exceed `max_pending`, or no memory was left
    /// for it; nothing was queued.
    Full,
}

/// No slot: the end of a list.
const NIL: u32 = 0x3FFF_FFFF;
/// `prev` of a slot on the free list.
const VACANT: u32 = 0x3FFF_FFFE;
/// Flag in `prev`: the waiter in the slot is shared.
const SHARED: u32 = 1 << 31;
/// Flag in `prev`: the slot was granted the lock and is not yet handed out.
const GRANTED: u32 = 1 << 30;
/// Both flags.
const FLAGS: u32 = SHARED | GRANTED;
/// Slot numbers stay below this, so a binding can encode a slot and a flag in an `i32`.
pub const MAX_SLOTS: u32 = VACANT;
/// Slots a queue keeps allocated when it empties; more are given back.
const KEPT_SLOTS: usize = 256;

/// A strictly FIFO queue of callers for one lock, with exclusive and shared modes.
///
/// The order in which callers join is the exact order in which they are
/// granted the lock. The queue does not block or wake anyone: it tells the
/// caller who holds the lock next, and the caller wakes them.
///
/// ```
/// use async_atomic_store::{Join, Request, WaitQueue};
///
/// let mut queue = WaitQueue::new();
/// assert_eq!(queue.join(Request::EXCLUSIVE), Join::Granted);
/// assert_eq!(queue.join(Request::SHARED), Join::Queued(0));
/// assert_eq!(queue.join(Request::SHARED), Join::Queued(1));
/// assert_eq!(queue.join(Request::EXCLUSIVE), Join::Queued(2));
///
/// // The exclusive holder's release grants both shared waiters as one batch.
/// assert_eq!(queue.release(), Some(0));
/// assert_eq!(queue.next_granted(), Some(1));
/// assert_eq!(queue.next_granted(), None);
/// // The exclusive waiter gets the lock when the whole batch is done.
/// assert_eq!(queue.release(), None);
/// assert_eq!(queue.release(), Some(2));
/// assert_eq!(queue.release(), None);
/// assert!(!queue.is_locked());
/// ```
#[derive(Debug)]
pub struct WaitQueue {
    links: Links,
    /// The first slot in the line: granted slots not yet handed out come first, then the waiters.
    front: u32,
    /// The first waiter (not granted).
    head: u32,
    tail: u32,
    /// The most recently freed slot; the free list goes on through `next`.
    free: u32,
    deadlines: Deadlines,
    waiting: u32,
    holders: u32,
    exclusive: bool,
    max_pending: u32,
    /// Whether an outer line decides the order (see [`WaitQueue::outer`]).
    outer: bool,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    /// Creates a free lock with nobody waiting and no bound on the queue.
    pub fn new() -> Self {
        Self::with_max_pending(u32::MAX)
    }

    /// Creates a free lock whose queue holds at most `max_pending` waiters.
    pub fn with_max_pending(max_pending: u32) -> Self {
        WaitQueue {
            links: Links::default(),
            front: NIL,
            head: NIL,
            tail: NIL,
            free: NIL,
            deadlines: Deadlines::default(),
            waiting: 0,
            holders: 0,
            exclusive: false,
            max_pending,
            outer: false,
        }
    }

    /// Creates a queue for callers whose order an outer line decides: it
    /// keeps their slots, deadlines, `max_pending` bound and counts, but
    /// grants only when told to, with [`grant`](Self::grant). `if_available`
    /// is the outer line's to decide too, so [`join`](Self::join) always queues.
    pub fn outer(max_pending: u32) -> Self {
        WaitQueue {
            outer: true,
            ..Self::with_max_pending(max_pending)
        }
    }

    /// Takes the lock for the caller if it can now, else queues it (see [`Join`]).
    pub fn join(&mut self, request: Request) -> Join {
        let shared = request.mode == Mode::Shared;
        if !self.outer {
            if self.holders == 0 || (shared && !self.exclusive && self.head == NIL) {
                self.holders += 1;
                self.exclusive = !shared;
                return Join::Granted;
            }
            if request.if_available {
                return Join::Busy;
            }
        }
        if self.waiting >= self.max_pending || !self.reserve(request.deadline.is_some()) {
            return Join::Full;
        }
        let Some(slot) = self.open_slot() else {
            return Join::Full;
        };
        let mode = if shared { SHARED } else { 0 };
        self.set(
            slot,
            Link {
                prev: self.tail | mode,
                next: NIL,
            },
        );
        if self.tail == NIL {
            self.front = slot;
        } else {
            self.set_next(self.tail, slot);
        }
        if self.head == NIL {
            self.head = slot;
        }
        self.tail = slot;
        self.waiting += 1;
        if let Some(deadline) = request.deadline {
            self.deadlines.insert(slot, deadline);
        }
        Join::Queued(slot)
    }

    /// Ends one holder's turn. When the lock is no longer held, grants it to
    /// the front of the line and returns the first granted slot; take the
    /// rest of a shared batch with [`next_granted`](Self::next_granted).
    /// Releasing a free lock does nothing.
    // Inlined, as `expire` is: each has one caller in the wasm binding, and
    // an `Option` returned from a call goes through memory (100 bytes of wasm).
    #[inline(always)]
    pub fn release(&mut self) -> Option<u32> {
        if self.holders == 0 {
            return None;
        }
        self.holders -= 1;
        self.grant_front();
        self.next_granted()
    }

    /// Hands out the next granted slot: its caller now holds the lock. The
    /// slot is free for the next [`join`](Self::join) at once.
    pub fn next_granted(&mut self) -> Option<u32> {
        if !self.has_granted() {
            return None;
        }
        let slot = self.front;
        let link = self.links.get(slot as usize).copied()?;
        self.front = link.next;
        if link.next == NIL {
            self.tail = NIL;
        } else if let Some(next) = self.links.get_mut(link.next as usize) {
            next.prev = NIL | (next.prev & FLAGS);
        }
        self.vacate(slot);
        Some(slot)
    }

    /// Whether any slot is granted and not yet handed out.
    pub fn has_granted(&self) -> bool {
        self.front != self.head
    }

    /// Removes the waiter in `slot` from the line, without disturbing the
    /// order of the others. Returns `false` if `slot` holds no waiter.
    /// Removing the front waiter can grant the lock to shared waiters behind
    /// it: take them with [`next_granted`](Self::next_granted).
    pub fn cancel(&mut self, slot: u32) -> bool {
        let Some(link) = self.links.get(slot as usize).copied() else {
            return false;
        };
        if link.prev == VACANT || link.prev & GRANTED != 0 {
            return false;
        }
        let was_head = slot == self.head;
        self.unlink(slot, link);
        self.vacate(slot);
        if was_head {
            self.grant_front();
        }
        true
    }

    /// In an outer line: the outer line's turn has come for the waiter in
    /// `slot`, which now holds the lock. Returns `false` if `slot` holds no
    /// waiter (it gave up first), so the turn must be passed on.
    pub fn grant(&mut self, slot: u32) -> bool {
        if !self.outer || !self.cancel(slot) {
            return false;
        }
        self.holders += 1;
        true
    }

    /// In an outer line: counts a caller the outer line granted at once,
    /// without waiting, as a holder.
    pub fn hold(&mut self) {
        if self.outer {
            self.holders += 1;
        }
    }

    /// Removes and returns the waiter with the earliest deadline, if that
    /// deadline is at or before `now`. Like [`cancel`](Self::cancel), this
    /// can grant the lock to shared waiters behind it.
    // Inlined: see `release`.
    #[inline(always)]
    pub fn expire(&mut self, now: f64) -> Option<u32> {
        let slot = self.deadlines.earliest();
        if slot == u32::MAX || self.deadlines.deadline(slot) > now {
            return None;
        }
        self.cancel(slot);
        Some(slot)
    }

    /// The earliest deadline of any waiter, if any has one.
    // Inlined: see `release`.
    #[inline(always)]
    pub fn next_deadline(&self) -> Option<f64> {
        let deadline = self.deadlines.deadline(self.deadlines.earliest());
        (deadline != f64::INFINITY).then_some(deadline)
    }

    /// Whether anyone holds the lock (or has been granted it).
    pub fn is_locked(&self) -> bool {
        self.holders > 0
    }

    /// How many callers hold the lock (or have been granted it).
    pub fn holders(&self) -> u32 {
        self.holders
    }

    /// How many callers wait, not counting the holders.
    pub fn waiting(&self) -> u32 {
        self.waiting
    }

    /// How many slots are allocated: every slot number in use is below it.
    pub fn slots(&self) -> usize {
        self.links.len()
    }

    /// Grants the lock to the front of the line while the front fits: one
    /// exclusive waiter on a free lock, or shared waiters on a lock that is
    /// free or held shared. Granted slots stay linked, flagged, until handed out.
    fn grant_front(&mut self) {
        if self.outer {
            return;
        }
        if self.holders == 0 {
            self.exclusive = false;
        }
        while let Some(link) = self.links.get_mut(self.head as usize) {
            let shared = link.prev & SHARED != 0;
            if self.holders > 0 && (self.exclusive || !shared) {
                break;
            }
            link.prev |= GRANTED;
            let slot = self.head;
            self.head = link.next;
            self.waiting -= 1;
            self.deadlines.remove(slot);
            self.holders += 1;
            self.exclusive = !shared;
        }
    }

    /// Takes the waiter in `slot` (whose links are `link`) out of the line, and its deadline with it.
    fn unlink(&mut self, slot: u32, link: Link) {
        let prev = link.prev & !FLAGS;
        if prev == NIL {
            self.front = link.next;
        } else {
            self.set_next(prev, link.next);
        }
        if link.next == NIL {
            self.tail = prev;
        } else if let Some(next) = self.links.get_mut(link.next as usize) {
            next.prev = prev | (next.prev & FLAGS);
        }
        if self.head == slot {
            self.head = link.next;
        }
        self.waiting -= 1;
        self.deadlines.remove(slot);
    }

    /// Makes room for one more waiter (and its deadline) before anything
    /// changes, so that running out of memory refuses the caller instead of
    /// leaving the queue half-updated.
    fn reserve(&mut self, with_deadline: bool) -> bool {
        self.links.try_reserve_one()
            && (!with_deadline || self.deadlines.try_reserve(self.links.len() + 1))
    }

    /// A slot for a new waiter: the most recently freed one, or a new one.
    fn open_slot(&mut self) -> Option<u32> {
        if let Some(link) = self.links.get(self.free as usize) {
            let slot = self.free;
            self.free = link.next;
            return Some(slot);
        }
        let slot = self.links.len() as u32;
        if slot >= MAX_SLOTS {
            return None;
        }
        self.links.push(Link {
            prev: VACANT,
            next: NIL,
        });
        Some(slot)
    }

    /// Puts `slot` on the free list; once the line is empty, starts slot
    /// numbers again from 0.
    fn vacate(&mut self, slot: u32) {
        self.set(
            slot,
            Link {
                prev: VACANT,
                next: self.free,
            },
        );
        self.free = slot;
        if self.front == NIL {
            self.links.clear(KEPT_SLOTS);
            self.deadlines.clear();
            self.free = NIL;
        }
    }

    fn set(&mut self, slot: u32, link: Link) {
        if let Some(entry) = self.links.get_mut(slot as usize) {
            *entry = link;
        }
    }

    fn set_next(&mut self, slot: u32, next: u32) {
        if let Some(entry) = self.links.get_mut(slot as usize) {
            entry.next = next;
        }
    }
}
