//! Memory for the queue's arrays, taken from the allocator directly.
//!
//! std's `Vec` would link its growth machinery (capacity arithmetic, error
//! values, a panic path: about 900 bytes of wasm, more than the queue's own
//! joining); the queue needs only "make room, or say there is none", which
//! [`resize`] does for every array. Growth either succeeds or changes
//! nothing, so the queue can reserve before it mutates.

use core::alloc::Layout;
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
/// initialised: [`grow`](Self::grow) fills the new room, so an index is
/// checked against the capacity alone.
#[derive(Debug)]
pub(crate) struct Array<T: Copy> {
    start: NonNull<T>,
    capacity: usize,
}

impl<T: Copy> Array<T> {
    pub(crate) const fn new() -> Self {
        assert!(align_of::<T>() <= ALIGN && size_of::<T>() > 0);
        Array {
            start: NonNull::dangling(),
            capacity: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn get(&self, at: usize) -> Option<&T> {
        self.as_slice().get(at)
    }

    pub(crate) fn get_mut(&mut self, at: usize) -> Option<&mut T> {
        // SAFETY: `start` holds `capacity` initialised elements, owned by `self`.
        unsafe { slice::from_raw_parts_mut(self.start.as_ptr(), self.capacity) }.get_mut(at)
    }

    /// Grows the array to `capacity` elements, each new one `fill`; `false`,
    /// and nothing changed, if there is no memory for them.
    pub(crate) fn grow(&mut self, capacity: usize, fill: T) -> bool {
        let size = size_of::<T>();
        let Some(bytes) = capacity.checked_mul(size) else {
            return false;
        };
        // SAFETY: the block is this array's, of `self.capacity * size` bytes.
        let block = unsafe { resize(self.start.as_ptr().cast(), self.capacity * size, bytes) };
        let Some(start) = NonNull::new(block.cast::<T>()) else {
            return false;
        };
        for at in self.capacity..capacity {
            // SAFETY: `at` is inside the new block.
            unsafe { start.as_ptr().add(at).write(fill) };
        }
        self.start = start;
        self.capacity = capacity;
        true
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: as in `get_mut`.
        unsafe { slice::from_raw_parts(self.start.as_ptr(), self.capacity) }
    }
}

impl<T: Copy> Drop for Array<T> {
    fn drop(&mut self) {
        // SAFETY: the block is this array's, and is dropped with it.
        unsafe { free(self.start.as_ptr().cast(), self.capacity * size_of::<T>()) }
    }
}

#[cfg(test)]
mod tests {
    use super::Array;

    #[test]
    fn growing_keeps_the_values_and_fills_the_new_room() {
        let mut array = Array::new();
        assert_eq!(array.get(0), None);
        assert!(array.grow(2, 7u32));
        *array.get_mut(1).unwrap() = 8;
        assert!(array.grow(5, 9));
        let values: Vec<_> = (0..6).map(|at| array.get(at).copied()).collect();
        assert_eq!(values, [Some(7), Some(8), Some(9), Some(9), Some(9), None]);
    }

    #[test]
    fn a_growth_too_large_for_memory_changes_nothing() {
        let mut array = Array::new();
        assert!(array.grow(3, 1u64));
        // More than any memory, and more than the address space.
        assert!(!array.grow(usize::MAX / 16, 2));
        assert!(!array.grow(usize::MAX, 2));
        assert_eq!(array.capacity(), 3);
        assert_eq!(array.get(2), Some(&1));
    }
}
