//! The slots' links, stored in fixed-size chunks so that a growing queue
//! never copies what it holds: a long queue costs its 8 bytes per slot and
//! nothing more, where a doubling array would briefly need three times that.

use alloc::vec::Vec;

use crate::room::{push_reserved, reserve};

/// Slots per chunk after the first; the first grows like a `Vec` up to this.
const CHUNK: usize = 4096;

/// A slot's links. For a slot in the line, `prev` also carries the mode and
/// granted flags; for a free slot, `prev` is a marker and `next` links the
/// free list (see `wait_queue.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub(crate) prev: u32,
    pub(crate) next: u32,
}

/// An array of [`Link`]s indexed by slot.
#[derive(Debug, Default)]
pub(crate) struct Links {
    chunks: Vec<Vec<Link>>,
    len: usize,
}

impl Links {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, slot: usize) -> Option<&Link> {
        self.chunks.get(slot / CHUNK)?.get(slot % CHUNK)
    }

    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Link> {
        self.chunks.get_mut(slot / CHUNK)?.get_mut(slot % CHUNK)
    }

    /// Makes room for one more link, so that [`push`](Self::push) cannot fail.
    pub(crate) fn try_reserve_one(&mut self) -> bool {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => reserve(last, 1),
            _ => {
                // The first chunk starts small (most queues are short); later ones are made whole.
                let mut chunk = Vec::new();
                let room = if self.chunks.is_empty() { 1 } else { CHUNK };
                let ok = reserve(&mut self.chunks, 1) && chunk.try_reserve_exact(room).is_ok();
                ok && push_reserved(&mut self.chunks, chunk)
            }
        }
    }

    /// Appends a link after [`try_reserve_one`](Self::try_reserve_one) made room for it.
    pub(crate) fn push(&mut self, link: Link) {
        if let Some(last) = self.chunks.last_mut() {
            if push_reserved(last, link) {
                self.len += 1;
            }
        }
    }

    /// Forgets every link, keeping up to `kept` slots' memory for the next queue.
    pub(crate) fn clear(&mut self, kept: usize) {
        if self.chunks.len() > 1
            || self
                .chunks
                .first()
                .is_some_and(|first| first.capacity() > kept)
        {
            self.chunks = Vec::new();
        } else if let Some(first) = self.chunks.first_mut() {
            first.clear();
        }
        self.len = 0;
    }
}
