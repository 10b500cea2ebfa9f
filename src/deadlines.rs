//! The waiters' deadlines: a binary min-heap indexed by slot, so the
//! earliest is read in O(1) and any slot's deadline is removed in O(log n)
//! when its waiter is granted or gives up, leaving nothing behind.

use alloc::vec::Vec;

/// `position` of a slot with no deadline.
const NONE: u32 = u32::MAX;

/// Deadlines of waiting slots, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    /// `(deadline, slot)`, a min-heap on the deadline.
    heap: Vec<(f64, u32)>,
    /// For each slot, its index in `heap`, or [`NONE`].
    position: Vec<u32>,
}

impl Deadlines {
    /// Gives `slot`, which has no deadline yet, the deadline `deadline`.
    pub(crate) fn insert(&mut self, slot: u32, deadline: f64) {
        let index = slot as usize;
        if self.position.len() <= index {
            self.position.resize(index + 1, NONE);
        }
        self.heap.push((deadline, slot));
        self.sift_up(self.heap.len() - 1);
    }

    /// Makes room for deadlines of slots below `slots`, one more than today.
    pub(crate) fn try_reserve(
        &mut self,
        slots: usize,
    ) -> Result<(), alloc::collections::TryReserveError> {
        self.heap.try_reserve(1)?;
        self.position
            .try_reserve(slots.saturating_sub(self.position.len()))
    }

    /// Forgets the deadline of `slot`, if it has one.
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(&at) = self.position.get(slot as usize) else {
            return;
        };
        if at == NONE {
            return;
        }
        self.place(slot, NONE as usize);
        let last = self.heap.len() - 1;
        let at = at as usize;
        self.heap.swap(at, last);
        self.heap.pop();
        if at < last {
            let moved = self.heap[at].1;
            self.place(moved, at);
            self.sift_down(at);
            self.sift_up(at);
        }
    }

    /// The earliest deadline and its slot.
    pub(crate) fn earliest(&self) -> Option<(f64, u32)> {
        self.heap.first().copied()
    }

    /// Forgets every deadline and gives back the memory of a large heap.
    pub(crate) fn clear(&mut self) {
        if self.position.capacity() > 256 {
            *self = Deadlines::default();
        }
        self.heap.clear();
        self.position.clear();
    }

    fn sift_up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[parent].0 <= self.heap[at].0 {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
        self.place(self.heap[at].1, at);
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let left = 2 * at + 1;
            let right = left + 1;
            let mut least = at;
            if left < self.heap.len() && self.heap[left].0 < self.heap[least].0 {
                least = left;
            }
            if right < self.heap.len() && self.heap[right].0 < self.heap[least].0 {
                least = right;
            }
            if least == at {
                break;
            }
            self.swap(at, least);
            at = least;
        }
        self.place(self.heap[at].1, at);
    }

    /// Swaps two heap entries, recording where the one now at `a` is.
    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.place(self.heap[a].1, a);
    }

    /// Records that `slot` is at heap index `at` ([`NONE`]: not in the heap).
    fn place(&mut self, slot: u32, at: usize) {
        if let Some(entry) = self.position.get_mut(slot as usize) {
            *entry = at as u32;
        }
    }
}
