//! The slots' links, stored in fixed-size chunks so that a growing queue
//! never copies what it holds: a long queue costs its 8 bytes per slot and
//! nothing more, where a doubling array would briefly need three times that.

use core::mem::size_of;
use core::ptr::null_mut;

use crate::array::{free, resize, Array};

/// Slots per chunk after the first; the first doubles up to this.
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
#[derive(Debug)]
pub(crate) struct Links {
    /// Chunk `i` holds slots from `i * CHUNK` on.
    chunks: Array<*mut Link>,
    /// Slots the chunks have room for: `CHUNK` per chunk, or, while the
    /// first is the only one, its own size.
    room: usize,
    /// Slots in use, all initialised: every slot below `len`.
    len: usize,
}

impl Default for Links {
    fn default() -> Self {
        Links {
            chunks: Array::new(),
            room: 0,
            len: 0,
        }
    }
}

impl Links {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    // Inlined, as `place` is: called, they made 1,000 queued calls 10% slower
    // with opt-level "z" (the links are read at every join and grant).
    #[inline(always)]
    pub(crate) fn get(&self, slot: usize) -> Option<&Link> {
        // SAFETY: below `len`, a slot is initialised (see `place`).
        self.place(slot, self.len).map(|link| unsafe { &*link })
    }

    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Link> {
        // SAFETY: as in `get`; `&mut self` makes the reference unique.
        self.place(slot, self.len).map(|link| unsafe { &mut *link })
    }

    /// Makes room for one more link, so that [`push`](Self::push) cannot fail.
    pub(crate) fn try_reserve_one(&mut self) -> bool {
        if self.len < self.room {
            return true;
        }
        // The first chunk starts small (most queues are short); later ones are made whole.
        let (at, old, new) = if self.room < CHUNK {
            (0, self.room, (self.room * 2).max(1))
        } else {
            (self.room / CHUNK, 0, CHUNK)
        };
        if !self.chunks.room(at + 1, &null_mut()) {
            return false;
        }
        // SAFETY: `room` made the table hold `at + 1` chunks at least.
        let chunk = unsafe { self.chunks.get_unchecked_mut(at) };
        let size = size_of::<Link>();
        // SAFETY: chunk `at` has `old` slots (none and null if it is new).
        let block = unsafe { resize(chunk.cast(), old * size, new * size) };
        if block.is_null() {
            return false;
        }
        *chunk = block.cast();
        self.room += new - old;
        true
    }

    /// Appends a link after [`try_reserve_one`](Self::try_reserve_one) made room for it.
    pub(crate) fn push(&mut self, link: Link) {
        if let Some(place) = self.place(self.len, self.room) {
            // SAFETY: `place` is inside a chunk (below `room`).
            unsafe { place.write(link) };
            self.len += 1;
        }
    }

    /// Forgets every link, keeping up to `kept` slots' memory for the next queue.
    pub(crate) fn clear(&mut self, kept: usize) {
        if self.room > kept {
            *self = Links::default();
        }
        self.len = 0;
    }

    /// Forgets the links from `len` on (their memory stays, for the next ones).
    pub(crate) fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Where `slot` is kept, if it is below `end` (at most `room`).
    #[inline(always)]
    fn place(&self, slot: usize, end: usize) -> Option<*mut Link> {
        if slot >= end {
            return None;
        }
        // SAFETY: `slot < end <= room`, and every chunk below `room` is in
        // the table and allocated (`try_reserve_one` grows `room` only once
        // the chunk is there; `clear` empties both): the index is in
        // bounds, the chunk not null, and it holds `slot % CHUNK`. Checks
        // the compiler cannot drop, in code inlined at every look-up.
        unsafe {
            let chunk = *self.chunks.as_slice().get_unchecked(slot / CHUNK);
            core::hint::assert_unchecked(!chunk.is_null());
            Some(chunk.add(slot % CHUNK))
        }
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        let bytes = self.room.min(CHUNK) * size_of::<Link>();
        for &chunk in self.chunks.as_slice() {
            if !chunk.is_null() {
                // SAFETY: a chunk holds `room.min(CHUNK)` slots: all are full but the first while it is alone.
                unsafe { free(chunk.cast(), bytes) };
            }
        }
    }
}
