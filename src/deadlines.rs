//! The waiters' deadlines: a binary min-heap indexed by slot, so the
//! earliest is read in O(1) and any slot's deadline is removed in O(log n)
//! when its waiter is granted or gives up, leaving nothing behind.
//!
//! The heap and the index share one array: entry `i` holds the heap's `i`-th
//! deadline and its slot, and where in the heap slot `i`'s deadline is. The
//! heap never outgrows the index (every slot in it has an index entry), so
//! one array of 16-byte entries does, and a queue is 8 bytes smaller than
//! with two arrays, which keeps a store's queue in a 64-byte block.

use alloc::vec::Vec;

use crate::room::{push_reserved, reserve};

/// `position` of a slot with no deadline.
const NONE: u32 = u32::MAX;

/// Entry `i` of the shared array.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The heap's `i`-th deadline (if `i` is below the heap's length)...
    deadline: f64,
    /// ...and its slot.
    slot: u32,
    /// Where in the heap slot `i`'s deadline is, or [`NONE`].
    position: u32,
}

const EMPTY: Entry = Entry {
    deadline: f64::INFINITY,
    slot: 0,
    position: NONE,
};

/// Deadlines of waiting slots, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    /// The heap (a min-heap on the deadline, in the first `len` entries) and
    /// the index (for every slot that ever had a deadline since the last clear).
    entries: Vec<Entry>,
    /// How many deadlines the heap holds.
    len: usize,
}

impl Deadlines {
    /// Gives `slot`, which has no deadline yet, the deadline `deadline`,
    /// once [`try_reserve`](Self::try_reserve) has made room for it.
    pub(crate) fn insert(&mut self, slot: u32, deadline: f64) {
        while self.entries.len() <= slot as usize && push_reserved(&mut self.entries, EMPTY) {}
        let at = self.len;
        if let Some(entry) = self.entries.get_mut(at) {
            entry.deadline = deadline;
            entry.slot = slot;
            self.len += 1;
            self.sift_up(at);
        }
    }

    /// Makes room for deadlines of slots below `slots`.
    pub(crate) fn try_reserve(&mut self, slots: usize) -> bool {
        let more = slots.saturating_sub(self.entries.len());
        reserve(&mut self.entries, more)
    }

    /// Forgets the deadline of `slot`, if it has one.
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(&Entry { position: at, .. }) = self.entries.get(slot as usize) else {
            return;
        };
        if at == NONE || self.len == 0 {
            return;
        }
        self.place(slot, NONE as usize);
        // The last deadline fills the hole, and moves up or down to its place.
        self.len -= 1;
        let at = at as usize;
        if at < self.len {
            self.swap(at, self.len);
            self.sift_down(at);
            self.sift_up(at);
        }
    }

    /// The earliest deadline and its slot. Inlined: returned from a call,
    /// the pair goes through memory, for 140 bytes of wasm more.
    #[inline(always)]
    pub(crate) fn earliest(&self) -> Option<(f64, u32)> {
        if self.len == 0 {
            return None;
        }
        self.entries
            .first()
            .map(|entry| (entry.deadline, entry.slot))
    }

    /// Forgets every deadline and gives back the memory of a large array.
    pub(crate) fn clear(&mut self) {
        if self.entries.capacity() > 256 {
            *self = Deadlines::default();
        }
        self.entries.clear();
        self.len = 0;
    }

    /// The deadline at heap index `at`; past the heap's end, one no deadline is later than.
    fn key(&self, at: usize) -> f64 {
        match self.entries.get(at) {
            Some(entry) if at < self.len => entry.deadline,
            _ => f64::INFINITY,
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
        self.place_entry(at);
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let left = 2 * at + 1;
            let right = left + 1;
            let mut least = at;
            if self.key(left) < self.key(least) {
                least = left;
            }
            if self.key(right) < self.key(least) {
                least = right;
            }
            if least == at {
                break;
            }
            self.swap(at, least);
            at = least;
        }
        self.place_entry(at);
    }

    /// Swaps two heap deadlines (not the index), recording where the one now at `a` is.
    fn swap(&mut self, a: usize, b: usize) {
        let (Some(&entry_a), Some(&entry_b)) = (self.entries.get(a), self.entries.get(b)) else {
            return;
        };
        if let Some(entry) = self.entries.get_mut(a) {
            entry.deadline = entry_b.deadline;
            entry.slot = entry_b.slot;
        }
        if let Some(entry) = self.entries.get_mut(b) {
            entry.deadline = entry_a.deadline;
            entry.slot = entry_a.slot;
        }
        self.place(entry_b.slot, a);
    }

    /// Records where the deadline at heap index `at` is.
    fn place_entry(&mut self, at: usize) {
        if let Some(&Entry { slot, .. }) = self.entries.get(at) {
            self.place(slot, at);
        }
    }

    /// Records that `slot` is at heap index `at` ([`NONE`]: not in the heap).
    fn place(&mut self, slot: u32, at: usize) {
        if let Some(entry) = self.entries.get_mut(slot as usize) {
            entry.position = at as u32;
        }
    }
}
