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
//! * **Keys** ([`WaitQueue::keyed`]): calls on keys or on the whole store,
//!   each waiting for exactly the earlier calls it conflicts with. The
//!   [`KeyLines`] decide who is granted and keep the granted slots until
//!   they are handed out; the queue keeps the slots, deadlines, bound and
//!   counts as for any line. A holder keeps its slot until
//!   [`WaitQueue::release_slot`], since only the slot says which keys it held.
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

use alloc::boxed::Box;

use crate::deadlines::Deadlines;
use crate::key_lines::KeyLines;
use crate::links::{Link, Links};

/// How a caller wants the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Alone: nobody else holds the lock while it does.
    Exclusive,
    /// Together with the other shared callers granted in the same batch.
    Shared,
}

/// Who decides the order of a queue's callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The queue itself: one line ([`WaitQueue::with_max_pending`]).
    Own,
    /// Something outside ([`WaitQueue::outer`]).
    Outer,
    /// The queue, per key ([`WaitQueue::keyed`]).
    Keyed,
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

    /// Whether it is shared, and its deadline (infinite for none): plain
    /// values, where the request itself would go through memory in wasm.
    fn parts(self) -> (bool, f64) {
        (
            self.mode == Mode::Shared,
            self.deadline.unwrap_or(f64::INFINITY),
        )
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
    /// A keyed queue's caller holds the lock now, in this slot, until
    /// [`WaitQueue::release_slot`].
    Holds(u32),
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
/// No slot, where an `Option` would go through memory in wasm.
pub(crate) const NO_SLOT: u32 = u32::MAX;
/// `Some(slot)`, or `None` for [`NO_SLOT`].
pub(crate) fn some(slot: u32) -> Option<u32> {
    (slot != NO_SLOT).then_some(slot)
}
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
    /// Whether the holders are exclusive; read only while there are any.
    exclusive: bool,
    max_pending: u32,
    /// Whether an outer line decides the order (see [`WaitQueue::outer`]).
    outer: bool,
    /// The lines of a queue locked per key (see [`WaitQueue::keyed`]).
    // Boxed: a store that is not keyed pays one word for it.
    keyed: Option<Box<KeyLines>>,
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
        Self::with_kind(max_pending, Kind::Own)
    }

    /// Creates a queue for callers whose order an outer line decides: it
    /// keeps their slots, deadlines, `max_pending` bound and counts, but
    /// grants only when told to, with [`grant`](Self::grant). `if_available`
    /// is the outer line's to decide too, so [`join`](Self::join) always queues.
    pub fn outer(max_pending: u32) -> Self {
        Self::with_kind(max_pending, Kind::Outer)
    }

    /// Creates a queue for calls on keys (small ids the caller picks) and
    /// on the whole store, made with [`join_keys`](Self::join_keys): each
    /// call waits for exactly the earlier calls it conflicts with (see [`KeyLines`]).
    /// With no memory for its lines, it refuses every call ([`Join::Full`]);
    /// in the wasm build, it stops the instance instead.
    pub fn keyed(max_pending: u32) -> Self {
        Self::with_kind(max_pending, Kind::Keyed)
    }

    /// Creates a queue of the kind `kind` whose queue holds at most `max_pending` waiters.
    pub fn with_kind(max_pending: u32, kind: Kind) -> Self {
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
            outer: kind == Kind::Outer,
            keyed: (kind == Kind::Keyed).then(KeyLines::boxed).flatten(),
        }
    }

    /// In a keyed queue: a call on `keys` (none: the whole store). It holds
    /// the lock at once ([`Join::Holds`]) unless it conflicts with an
    /// earlier call still running or waiting; then it waits in a slot, or
    /// is refused as [`join`](Self::join) would refuse it. Any other queue
    /// refuses every call ([`Join::Full`]).
    pub fn join_keys(&mut self, request: Request, keys: &[u32]) -> Join {
        let (shared, deadline) = request.parts();
        self.join_keys_with(keys, shared, request.if_available, deadline)
    }

    /// [`join_keys`](Self::join_keys), with the request in parts (see [`Request::parts`]).
    pub(crate) fn join_keys_with(
        &mut self,
        keys: &[u32],
        shared: bool,
        if_available: bool,
        deadline: f64,
    ) -> Join {
        let next = self.links.len() as u32;
        let mode = if shared {
            Mode::Shared
        } else {
            Mode::Exclusive
        };
        if !self.reserve(deadline < f64::INFINITY)
            || !self
                .keyed
                .as_mut()
                .is_some_and(|lines| lines.reserve(next, keys))
        {
            return Join::Full;
        }
        let slot = self.open_slot();
        if slot == NO_SLOT {
            return Join::Full;
        }
        if self
            .keyed
            .as_mut()
            .is_some_and(|lines| lines.join(slot, keys, mode))
        {
            self.holders += 1;
            return Join::Holds(slot);
        }
        // It waits: unless it may, it leaves at once, which grants nothing.
        if if_available || self.waiting >= self.max_pending {
            self.leave_keys(slot);
            return if if_available { Join::Busy } else { Join::Full };
        }
        self.wait_until(slot, deadline)
    }

    /// Counts the caller in `slot` as waiting, until `deadline` (infinite: none).
    fn wait_until(&mut self, slot: u32, deadline: f64) -> Join {
        self.waiting += 1;
        if deadline < f64::INFINITY {
            self.deadlines.insert(slot, deadline);
        }
        Join::Queued(slot)
    }

    /// Whether the queue is locked per key ([`WaitQueue::keyed`]): in the
    /// wasm build, exactly when it was made so (see `KeyLines::boxed`).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn is_keyed(&self) -> bool {
        self.keyed.is_some()
    }

    /// In a keyed queue: ends the turn of the holder in `slot`, grants what
    /// that frees and returns the first slot granted, as [`release`](Self::release)
    /// does. Returns `None`, and does nothing, if `slot` holds no holder.
    pub fn release_slot(&mut self, slot: u32) -> Option<u32> {
        some(self.release_slot_or_none(slot))
    }

    /// [`release_slot`](Self::release_slot), with [`NO_SLOT`] for `None`.
    pub(crate) fn release_slot_or_none(&mut self, slot: u32) -> u32 {
        if !self
            .keyed
            .as_ref()
            .is_some_and(|lines| lines.is_granted(slot))
        {
            return NO_SLOT;
        }
        self.holders -= 1;
        self.leave_keys(slot);
        self.next_granted_or_none()
    }

    /// Takes the lock for the caller if it can now, else queues it (see [`Join`]).
    /// A keyed queue's callers use [`join_keys`](Self::join_keys) instead.
    pub fn join(&mut self, request: Request) -> Join {
        let (shared, deadline) = request.parts();
        self.join_with(shared, request.if_available, deadline)
    }

    /// [`join`](Self::join), with the request in parts (see [`Request::parts`]).
    pub(crate) fn join_with(&mut self, shared: bool, if_available: bool, deadline: f64) -> Join {
        if !self.outer {
            if self.holders == 0 || (shared && !self.exclusive && self.head == NIL) {
                self.holders += 1;
                self.exclusive = !shared;
                return Join::Granted;
            }
            if if_available {
                return Join::Busy;
            }
        }
        if self.waiting >= self.max_pending || !self.reserve(deadline < f64::INFINITY) {
            return Join::Full;
        }
        let slot = self.open_slot();
        if slot == NO_SLOT {
            return Join::Full;
        }
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
        self.wait_until(slot, deadline)
    }

    /// Ends one holder's turn. When the lock is no longer held, grants it to
    /// the front of the line and returns the first granted slot; take the
    /// rest of a shared batch with [`next_granted`](Self::next_granted).
    /// Releasing a free lock does nothing. A keyed queue's holders use
    /// [`release_slot`](Self::release_slot) instead.
    pub fn release(&mut self) -> Option<u32> {
        some(self.release_or_none())
    }

    /// [`release`](Self::release), with [`NO_SLOT`] for `None`: an `Option`
    /// returned from a call goes through memory in wasm.
    pub(crate) fn release_or_none(&mut self) -> u32 {
        if self.holders == 0 {
            return NO_SLOT;
        }
        self.holders -= 1;
        self.grant_front();
        self.next_granted_or_none()
    }

    /// Hands out the next granted slot: its caller now holds the lock. The
    /// slot is free for the next [`join`](Self::join) at once.
    pub fn next_granted(&mut self) -> Option<u32> {
        some(self.next_granted_or_none())
    }

    /// [`next_granted`](Self::next_granted), with [`NO_SLOT`] for `None`.
    pub(crate) fn next_granted_or_none(&mut self) -> u32 {
        if let Some(lines) = &mut self.keyed {
            return lines.next_granted_or_none();
        }
        if !self.has_granted() {
            return NO_SLOT;
        }
        let slot = self.front;
        self.unlink(slot);
        self.vacate(slot);
        slot
    }

    /// Whether any slot is granted and not yet handed out.
    pub fn has_granted(&self) -> bool {
        match &self.keyed {
            Some(lines) => lines.has_granted(),
            None => self.front != self.head,
        }
    }

    /// Removes the waiter in `slot` from the line, without disturbing the
    /// order of the others. Returns `false` if `slot` holds no waiter.
    /// Removing the front waiter can grant the lock to shared waiters behind
    /// it: take them with [`next_granted`](Self::next_granted).
    pub fn cancel(&mut self, slot: u32) -> bool {
        let waits = match &self.keyed {
            Some(lines) => lines.is_waiting(slot),
            None => self
                .links
                .get(slot as usize)
                .is_some_and(|link| link.prev != VACANT && link.prev & GRANTED == 0),
        };
        if !waits {
            return false;
        }
        self.waiting -= 1;
        self.deadlines.remove(slot);
        if self.keyed.is_some() {
            self.leave_keys(slot);
            return true;
        }
        let was_head = slot == self.head;
        self.unlink(slot);
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
        self.holders += u32::from(self.outer);
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

    /// Gives back the free slots above the highest one in use, so that
    /// later waiters get low slot numbers again and a caller's per-slot
    /// arrays can shrink; returns the new [`slots`](Self::slots). Costs one
    /// look at the highest slot if there is nothing to give back, else the
    /// number of slots: call it when few slots are in use next to `slots`,
    /// not at every call.
    pub fn trim(&mut self) -> u32 {
        let mut end = self.links.len() as u32;
        while end > 0 && self.is_vacant(end - 1) {
            end -= 1;
        }
        if (end as usize) < self.links.len() {
            // The free list is made again from the free slots below `end`, lowest first.
            self.links.truncate(end as usize);
            self.free = NIL;
            for slot in (0..end).rev() {
                if self.is_vacant(slot) {
                    self.set_next(slot, self.free);
                    self.free = slot;
                }
            }
        }
        end
    }

    fn is_vacant(&self, slot: u32) -> bool {
        self.links
            .get(slot as usize)
            .is_some_and(|link| link.prev == VACANT)
    }

    /// Grants the lock to the front of the line while the front fits: one
    /// exclusive waiter on a free lock, or shared waiters on a lock that is
    /// free or held shared. Granted slots stay linked, flagged, until handed out.
    fn grant_front(&mut self) {
        if self.outer {
            return;
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

    /// In a keyed queue: takes the call in `slot` out of its key lines,
    /// makes the calls that frees holders, and frees the slot.
    fn leave_keys(&mut self, slot: u32) {
        let WaitQueue {
            keyed: Some(lines),
            deadlines,
            waiting,
            holders,
            ..
        } = self
        else {
            return;
        };
        lines.leave(slot, |granted| {
            deadlines.remove(granted);
            *waiting -= 1;
            *holders += 1;
        });
        self.vacate(slot);
    }

    /// Takes `slot` out of the line's list.
    fn unlink(&mut self, slot: u32) {
        let Some(link) = self.links.get(slot as usize).copied() else {
            return;
        };
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
    }

    /// Makes room for one more waiter (and its deadline) before anything
    /// changes, so that running out of memory refuses the caller instead of
    /// leaving the queue half-updated.
    fn reserve(&mut self, with_deadline: bool) -> bool {
        self.links.try_reserve_one()
            && (!with_deadline || self.deadlines.try_reserve(self.links.len() + 1))
    }

    /// A slot for a new waiter: the most recently freed one, or a new one
    /// ([`NO_SLOT`] if there are `MAX_SLOTS`). It is marked in use (no
    /// longer `VACANT`) until it is vacated.
    fn open_slot(&mut self) -> u32 {
        let taken = Link {
            prev: NIL,
            next: NIL,
        };
        let slot = self.free;
        if let Some(link) = self.links.get_mut(slot as usize) {
            self.free = link.next;
            *link = taken;
            return slot;
        }
        let slot = self.links.len() as u32;
        if slot >= MAX_SLOTS {
            return NO_SLOT;
        }
        self.links.push(taken);
        slot
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
        // A keyed queue's holders keep their slots, out of the line.
        if self.front == NIL && (self.keyed.is_none() || self.holders + self.waiting == 0) {
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
