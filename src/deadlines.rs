//! The waiters' deadlines, earliest first: read in O(1), and removed when a
//! waiter is granted or gives up, leaving nothing behind.
//!
//! Deadlines mostly come in the order waiters join: a store's `timeout`, or
//! the same per-call timeout, gives each waiter a deadline no earlier than
//! the one before. Those go into the *run*, a linked list in deadline order,
//! where adding and removing take O(1). A deadline earlier than the run's
//! last goes into a binary min-heap instead (O(log n)), so that no order of
//! deadlines makes the queue slow. The earliest deadline is the earlier of
//! the run's first and the heap's top.

use crate::array::Array;

/// The end of the run, or a slot with no deadline.
const NIL: u32 = u32::MAX;
/// `prev` of a slot whose deadline is in the heap (`next` is its position there).
const IN_HEAP: u32 = u32::MAX - 1;
/// `prev` of a slot with no deadline.
const ABSENT: u32 = u32::MAX - 2;

/// A slot's deadline, and where it is kept.
#[derive(Debug, Clone, Copy)]
struct Entry {
    deadline: f64,
    /// The previous slot in the run ([`NIL`] at its start), or [`IN_HEAP`], or [`ABSENT`].
    prev: u32,
    /// The next slot in the run ([`NIL`] at its end), or the position in the heap.
    next: u32,
    /// The slot at heap position `i` (for entry `i`, if `i` is below the heap's length).
    heap: u32,
}

const EMPTY: Entry = Entry {
    deadline: f64::INFINITY,
    prev: ABSENT,
    next: NIL,
    heap: NIL,
};

/// Deadlines of waiting slots, earliest first.
#[derive(Debug)]
pub(crate) struct Deadlines {
    /// Entry `i` is slot `i`'s; slots with no deadline have an [`EMPTY`] one.
    entries: Array<Entry>,
    /// How many slots the heap holds: those whose deadlines came out of
    /// order, a min-heap on their deadlines, in the entries' `heap` fields.
    heap_len: usize,
    /// The run's ends, as the entry of slot [`NIL`] (a sentinel): `next` is
    /// the run's first slot and `prev` its last, so that linking and
    /// unlinking need no special case at either end. Its deadline stays
    /// infinite.
    ends: Entry,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            entries: Array::new(),
            heap_len: 0,
            ends: Entry { prev: NIL, ..EMPTY },
        }
    }
}

impl Deadlines {
    /// Gives `slot`, which has no deadline yet, the deadline `deadline`,
    /// once [`try_reserve`](Self::try_reserve) has made room for it.
    pub(crate) fn insert(&mut self, slot: u32, deadline: f64) {
        let last = self.ends.prev;
        if last == NIL || self.deadline(last) <= deadline {
            self.entry(last).next = slot;
            self.ends.prev = slot;
            self.set(slot, deadline, last, NIL);
        } else {
            let at = self.heap_len;
            self.heap_len += 1;
            self.set(slot, deadline, IN_HEAP, NIL);
            self.put(at, slot);
            self.sift_up(at);
        }
    }

    /// Makes room for deadlines of slots below `slots`.
    pub(crate) fn try_reserve(&mut self, slots: usize) -> bool {
        self.entries.room(slots, &EMPTY)
    }

    /// Forgets the deadline of `slot`, if it has one.
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(&Entry { prev, next, .. }) = self.entries.get(slot as usize) else {
            return;
        };
        match prev {
            ABSENT => return,
            IN_HEAP => self.remove_from_heap(next as usize),
            _ => {
                self.entry(prev).next = next;
                self.entry(next).prev = prev;
            }
        }
        self.set(slot, f64::INFINITY, ABSENT, NIL);
    }

    /// The slot with the earliest deadline, or `u32::MAX` if no slot has one.
    pub(crate) fn earliest(&self) -> u32 {
        let top = self.heap_slot(0);
        let first = self.ends.next;
        if self.deadline(top) < self.deadline(first) {
            top
        } else {
            first
        }
    }

    /// The deadline of `slot`; for a slot with none, one no deadline is later than.
    pub(crate) fn deadline(&self, slot: u32) -> f64 {
        self.entries
            .get(slot as usize)
            .unwrap_or(&self.ends)
            .deadline
    }

    /// Gives back the memory of a large array, once no slot has a deadline
    /// (every entry is then [`EMPTY`] again, as far as it is read).
    pub(crate) fn clear(&mut self) {
        self.entries.shrink(256);
    }

    /// The entry of `slot`; [`ends`](Self::ends) for [`NIL`] (or any slot past the entries).
    fn entry(&mut self, slot: u32) -> &mut Entry {
        let Deadlines { entries, ends, .. } = self;
        entries.get_mut(slot as usize).unwrap_or(ends)
    }

    fn set(&mut self, slot: u32, deadline: f64, prev: u32, next: u32) {
        let entry = self.entry(slot);
        entry.deadline = deadline;
        entry.prev = prev;
        entry.next = next;
    }

    /// The slot at heap position `at`, or [`NIL`] past the heap's end.
    fn heap_slot(&self, at: usize) -> u32 {
        match self.entries.get(at) {
            Some(entry) if at < self.heap_len => entry.heap,
            _ => NIL,
        }
    }

    /// The deadline at heap position `at`; past the heap's end, one no deadline is later than.
    fn key(&self, at: usize) -> f64 {
        self.deadline(self.heap_slot(at))
    }

    /// Takes the deadline at heap position `at` out; the heap's last fills the hole.
    fn remove_from_heap(&mut self, at: usize) {
        // A slot in the heap is there: the heap is not empty.
        let end = self.heap_len - 1;
        let last = self.heap_slot(end);
        self.heap_len = end;
        if at < end {
            self.put(at, last);
            self.sift_down(at);
            self.sift_up(at);
        }
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.key(parent) <= self.key(at) {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let left = 2 * at + 1;
            let mut least = at;
            if self.key(left) < self.key(least) {
                least = left;
            }
            if self.key(left + 1) < self.key(least) {
                least = left + 1;
            }
            if least == at {
                break;
            }
            self.swap(at, least);
            at = least;
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        let (slot_a, slot_b) = (self.heap_slot(a), self.heap_slot(b));
        self.put(a, slot_b);
        self.put(b, slot_a);
    }

    /// Puts `slot` at heap position `at`, and records that it is there.
    fn put(&mut self, at: usize, slot: u32) {
        self.entry(at as u32).heap = slot;
        self.entry(slot).next = at as u32;
    }
}
