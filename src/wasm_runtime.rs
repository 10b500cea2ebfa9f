//! What the wasm build needs from a runtime, without `std` (which would bring
//! its allocator, and its panic machinery with every formatting routine):
//! a small memory allocator and a panic handler that stops at once.
//!
//! # The allocator
//!
//! Every block is a power of two in size, at least 8 bytes, and aligned to
//! 8 bytes (the crate asks for no more; a larger alignment gets null). A
//! freed block goes onto the free list of its size, linked through its
//! first word, and the next request of that size takes it back: allocating
//! and freeing are a few instructions, with no search and no merging.
//! Blocks never seen before are cut one after the other from the end of the
//! wasm memory, which grows a page at a time.
//!
//! The lock's allocations come in few sizes (a lock, and queues that grow by
//! doubling), so blocks are reused as they are; the price is up to half of
//! each block unused, and memory, once grown, is kept for later blocks, as
//! wasm memory cannot shrink anyway.
//!
//! When the memory cannot grow, the allocator returns null: the core's
//! `try_reserve` calls then refuse the caller instead of trapping.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65536;

/// One free list per power-of-two block size, and the end of the cut memory.
struct SizeClasses {
    /// `free[k]`: the most recently freed block of `1 << k` bytes, or null.
    free: UnsafeCell<[*mut u8; usize::BITS as usize]>,
    /// Where the next new block may start; 0 until the first one is cut.
    next: UnsafeCell<usize>,
}

// SAFETY: wasm32-unknown-unknown without the `atomics` feature runs one thread.
unsafe impl Sync for SizeClasses {}

#[global_allocator]
static ALLOCATOR: SizeClasses = SizeClasses {
    free: UnsafeCell::new([null_mut(); usize::BITS as usize]),
    next: UnsafeCell::new(0),
};

/// The power of two of the block that holds `layout` (aligned to 8 at
/// most). A layout is at most `isize::MAX` bytes, so the result is at most 31.
fn class(layout: Layout) -> usize {
    let size = layout.size().max(8);
    size.next_power_of_two().trailing_zeros() as usize
}

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Blocks are 8-aligned: each is a multiple of 8 bytes, cut one after
        // the other from a page boundary.
        if layout.align() > 8 {
            return null_mut();
        }
        let class = class(layout);
        let free = (*self.free.get()).get_unchecked_mut(class);
        let block = *free;
        if !block.is_null() {
            *free = *(block as *mut *mut u8);
            return block;
        }
        let size = 1usize << class;
        let memory_end = wasm32::memory_size(0) * PAGE;
        let next = &mut *self.next.get();
        if *next == 0 {
            // Everything below the memory's end at start-up is the stack and static data.
            *next = memory_end;
        }
        let start = *next;
        let Some(end) = start.checked_add(size) else {
            return null_mut();
        };
        if end > memory_end
            && wasm32::memory_grow(0, (end - memory_end).div_ceil(PAGE)) == usize::MAX
        {
            return null_mut();
        }
        *next = end;
        start as *mut u8
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let free = (*self.free.get()).get_unchecked_mut(class(layout));
        *(block as *mut *mut u8) = *free;
        *free = block;
    }
}

/// A panic stops the instance at once: no message is formatted, so no
/// formatting code is linked. The core is written not to panic.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}
