//! Memory for the queue's arrays, taken from the allocator directly.
//!
//! std's `Vec` would link its growth machinery (capacity arithmetic, error
//! values, a panic path: about 900 bytes of wasm, more than the queue's own
//! joining); the queue needs only "make room, or say there is none", which
//! [`resize`] does for every array. Growth either succeeds or changes
//! nothing, so the queue can reserve before it mutates.

use core::alloc::Layout;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ptr::{copy_nonoverlapping, null_mut, NonNull};
use core::slice;

/// The alignment of every block: enough for an `f64`.
const ALIGN: usize = 8;

/// Moves the block at `block`, of `old` bytes (none if `old` is 0), to a
/// new block of `new` bytes (`new >= old`, `new > 0`) that starts with the
/// same `old` bytes. Returns null, and leaves the block as it was, if there
/// is no memory for it.
///
/// # Safety
/// `block` and `old` are what the last `resize` of this block returned and
/// was asked for (or null and 0).
pub(crate) unsafe fn resize(block: *mut u8, old: usize, new: usize) -> *mut u8 {
    let Ok(layout) = Layout::from_size_align(new, ALIGN) else {
        return null_mut();
    };
    let moved = alloc::alloc::alloc(layout);
    if !moved.is_null() && old != 0 {
        copy_nonoverlapping(block, moved, old);
        free(block, old);
    }
    moved
}

/// Gives back a block of `bytes` bytes that [`resize`] returned (nothing if `bytes` is 0).
///
/// # Safety
/// As for [`resize`]; the block is not used again.
pub(crate) unsafe fn free(block: *mut u8, bytes: usize) {
    if bytes != 0 {
        alloc::alloc::dealloc(block, Layout::from_size_align_unchecked(bytes, ALIGN));
    }
}

/// A fixed-capacity array of `Copy` values whose every element is
/// initialised: [`room`](Self::room) fills the new room, so an index is
/// checked against the capacity alone.
#[derive(Debug)]
pub(crate) struct Array<T: Copy> {
    block: Block,
    _values: PhantomData<T>,
}

/// An array's memory, whatever its element type: one growth path for every
/// array, where a generic one would be compiled once per type (about 100
/// bytes of wasm each).
#[derive(Debug)]
struct Block {
    /// Dangling (aligned for any element, never read) while `capacity` is 0.
    start: NonNull<u8>,
    capacity: usize,
}

impl Block {
    // SAFETY: not null.
    const EMPTY: Block = Block {
        start: unsafe { NonNull::new_unchecked(ALIGN as *mut u8) },
        capacity: 0,
    };

    /// Grows the block to hold at least `len` elements of `size` bytes
    /// (doubling at least), each new one a copy of the `size` bytes at
    /// `fill`; `false`, and nothing changed, if there is no memory for them.
    ///
    /// # Safety
    /// `size` is the size of the block's elements, and `fill` points to one.
    unsafe fn room(&mut self, len: usize, size: usize, fill: *const u8) -> bool {
        if len <= self.capacity {
            return true;
        }
        let capacity = len.max(self.capacity * 2);
        let Some(bytes) = capacity.checked_mul(size) else {
            return false;
        };
        let old = self.capacity * size;
        let Some(start) = NonNull::new(resize(self.start.as_ptr(), old, bytes)) else {
            return false;
        };
        // One element copied in, then the filled part doubled: a few bulk
        // copies, where one per element made growing a large array slow.
        let room = start.as_ptr().add(old);
        copy_nonoverlapping(fill, room, size);
        let mut filled = size;
        while old + filled < bytes {
            let n = filled.min(bytes - old - filled);
            copy_nonoverlapping(room, room.add(filled), n);
            filled += n;
        }
        self.start = start;
        self.capacity = capacity;
        true
    }

    /// Gives the block back if it holds more than `kept` elements of `size`
    /// bytes, leaving none.
    ///
    /// # Safety
    /// `size` is the size of the block's elements.
    unsafe fn shrink(&mut self, kept: usize, size: usize) {
        if self.capacity > kept {
            free(self.start.as_ptr(), self.capacity * size);
            *self = Block::EMPTY;
        }
    }
}

impl<T: Copy> Array<T> {
    pub(crate) const fn new() -> Self {
        assert!(align_of::<T>() <= ALIGN && size_of::<T>() > 0);
        Array {
            block: Block::EMPTY,
            _values: PhantomData,
        }
    }

    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.block.capacity
    }

    pub(crate) fn get(&self, at: usize) -> Option<&T> {
        self.as_slice().get(at)
    }

    pub(crate) fn get_mut(&mut self, at: usize) -> Option<&mut T> {
        // SAFETY: the block holds `capacity` initialised elements, owned by `self`.
        unsafe { slice::from_raw_parts_mut(self.block.start.cast().as_ptr(), self.block.capacity) }
            .get_mut(at)
    }

    /// Element `at`, below the capacity (see [`room`](Self::room)).
    ///
    /// # Safety
    /// `at` is below the capacity.
    pub(crate) unsafe fn get_unchecked_mut(&mut self, at: usize) -> &mut T {
        debug_assert!(at < self.block.capacity);
        &mut *self.block.start.cast::<T>().as_ptr().add(at)
    }

    /// Makes the array hold at least `len` elements (growing it to twice
    /// its capacity at least), each new one `fill`; `false`, and nothing
    /// changed, if there is no memory for them.
    pub(crate) fn room(&mut self, len: usize, fill: &T) -> bool {
        // SAFETY: the block holds elements of type `T`, and `fill` is one.
        unsafe {
            self.block
                .room(len, size_of::<T>(), (fill as *const T).cast())
        }
    }

    /// Empties an array of more than `kept` elements, which are no longer
    /// used, giving back its memory.
    pub(crate) fn shrink(&mut self, kept: usize) {
        // SAFETY: the block holds elements of type `T`.
        unsafe { self.block.shrink(kept, size_of::<T>()) }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: as in `get_mut`.
        unsafe { slice::from_raw_parts(self.block.start.cast().as_ptr(), self.block.capacity) }
    }
}

impl<T: Copy> Drop for Array<T> {
    fn drop(&mut self) {
        // SAFETY: the block is this array's, and is dropped with it.
        unsafe {
            free(
                self.block.start.as_ptr(),
                self.block.capacity * size_of::<T>(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Array;

    #[test]
    fn growing_keeps_the_values_and_fills_the_new_room() {
        let mut array = Array::new();
        assert_eq!(array.get(0), None);
        assert!(array.room(2, &7u32));
        *array.get_mut(1).unwrap() = 8;
        assert!(array.room(3, &9));
        assert!(array.room(4, &10));
        let values: Vec<_> = (0..5).map(|at| array.get(at).copied()).collect();
        assert_eq!(values, [Some(7), Some(8), Some(9), Some(9), None]);
    }

    #[test]
    fn a_growth_too_large_for_memory_changes_nothing() {
        let mut array = Array::new();
        assert!(array.room(3, &1u64));
        // More than any memory, and more than the address space.
        assert!(!array.room(usize::MAX / 16, &2));
        assert!(!array.room(usize::MAX, &2));
        assert_eq!(array.capacity(), 3);
        assert_eq!(array.get(2), Some(&1));
    }
}
