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
    /// The run's first and last slots.
    first: u32,
    last: u32,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            entries: Array::new(),
            heap_len: 0,
            first: NIL,
            last: NIL,
        }
    }
}

impl Deadlines {
    /// Gives `slot`, which has no deadline yet, the deadline `deadline`,
    /// once [`try_reserve`](Self::try_reserve) has made room for it.
    pub(crate) fn insert(&mut self, slot: u32, deadline: f64) {
        let last = self.last;
        let in_order = match self.entries.get_mut(last as usize) {
            Some(entry) if entry.deadline > deadline => false,
            Some(entry) => {
                entry.next = slot;
                true
            }
            None => {
                self.first = slot;
                true
            }
        };
        if in_order {
            self.last = slot;
            self.set_deadline(slot, deadline, last);
            if let Some(entry) = self.entries.get_mut(slot as usize) {
                entry.next = NIL;
            }
        } else {
            let at = self.heap_len;
            self.heap_len += 1;
            self.set_deadline(slot, deadline, IN_HEAP);
            self.put(at, slot);
            self.sift_up(at);
        }
    }

    /// Makes room for deadlines of slots below `slots`.
    pub(crate) fn try_reserve(&mut self, slots: usize) -> bool {
        let capacity = self.entries.capacity();
        slots <= capacity || self.entries.grow(slots.max(capacity * 2), EMPTY)
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
                match self.entries.get_mut(prev as usize) {
                    Some(entry) => entry.next = next,
                    None => self.first = next,
                }
                match self.entries.get_mut(next as usize) {
                    Some(entry) => entry.prev = prev,
                    None => self.last = prev,
                }
            }
        }
        self.set_deadline(slot, f64::INFINITY, ABSENT);
    }

    /// The slot with the earliest deadline, or `u32::MAX` if no slot has one.
    pub(crate) fn earliest(&self) -> u32 {
        let top = self.heap_slot(0).unwrap_or(NIL);
        if self.deadline(top) < self.deadline(self.first) {
            top
        } else {
            self.first
        }
    }

    /// The deadline of `slot`; for a slot with none, one no deadline is later than.
    pub(crate) fn deadline(&self, slot: u32) -> f64 {
        self.entries.get(slot as usize).map_or(f64::INFINITY, |entry| entry.deadline)
    }

    /// Gives back the memory of a large array, once no slot has a deadline
    /// (every entry is then [`EMPTY`] again, as far as it is read).
    pub(crate) fn clear(&mut self) {
        if self.entries.capacity() > 256 {
            *self = Deadlines::default();
        }
    }

    fn set_deadline(&mut self, slot: u32, deadline: f64, prev: u32) {
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            entry.deadline = deadline;
            entry.prev = prev;
        }
    }

    /// The slot at heap position `at`, if the heap reaches that far.
    fn heap_slot(&self, at: usize) -> Option<u32> {
        if at < self.heap_len {
            self.entries.get(at).map(|entry| entry.heap)
        } else {
            None
        }
    }

    /// The deadline at heap position `at`; past the heap's end, one no deadline is later than.
    fn key(&self, at: usize) -> f64 {
        self.deadline(self.heap_slot(at).unwrap_or(NIL))
    }

    /// Takes the deadline at heap position `at` out; the heap's last fills the hole.
    fn remove_from_heap(&mut self, at: usize) {
        let Some(last) = self.heap_len.checked_sub(1).and_then(|end| self.heap_slot(end)) else {
            return;
        };
        self.heap_len -= 1;
        if at < self.heap_len {
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
        if let (Some(slot_a), Some(slot_b)) = (self.heap_slot(a), self.heap_slot(b)) {
            self.put(a, slot_b);
            self.put(b, slot_a);
        }
    }

    /// Puts `slot` at heap position `at`, and records that it is there.
    fn put(&mut self, at: usize, slot: u32) {
        if let Some(entry) = self.entries.get_mut(at) {
            entry.heap = slot;
        }
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            entry.next = at as u32;
        }
    }
}
