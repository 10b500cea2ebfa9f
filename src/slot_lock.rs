//! A [`FifoLock`] whose waiters are slot numbers it picks itself.
//!
//! The package's JavaScript parks each queued call in a plain array at an
//! index; this lock decides both the index and the order. It hands out the
//! lowest free indices (a freed slot is reused before a new one is opened), so
//! the array is never longer than the deepest the queue has been, and it
//! starts again from slot 0 whenever the queue empties.

use crate::{Acquire, FifoLock};

/// A FIFO lock that hands each queued caller a slot number to park its call in.
///
/// ```
/// use async_atomic_store::SlotLock;
///
/// let mut lock = SlotLock::new();
/// assert_eq!(lock.join(), None); // free: taken at once, nothing to park
/// assert_eq!(lock.join(), Some(0)); // held: park this call in slot 0
/// assert_eq!(lock.join(), Some(1));
///
/// assert_eq!(lock.release(), Some(0)); // slot 0's call holds the lock now
/// assert_eq!(lock.join(), Some(0)); // slot 0 was read and is free again
/// assert_eq!(lock.release(), Some(1));
/// assert_eq!(lock.release(), Some(0));
/// assert_eq!(lock.release(), None);
/// assert!(!lock.is_locked());
/// ```
#[derive(Debug, Default)]
pub struct SlotLock {
    lock: FifoLock<u32>,
    /// Slots below `opened` that no queued call holds, most recently freed last.
    free: Vec<u32>,
    /// How many slots have been handed out since the queue was last empty.
    opened: u32,
}

impl SlotLock {
    /// Creates a free lock with no slots in use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the lock if it is free and returns `None`: the caller holds it.
    /// Otherwise queues the caller behind everyone else and returns the slot
    /// it must park its call in until [`release`](Self::release) returns that slot.
    pub fn join(&mut self) -> Option<u32> {
        if self.lock.try_acquire() {
            return None;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.opened += 1;
            self.opened - 1
        });
        // The lock is held, so this queues the slot.
        let queued = self.lock.acquire(slot);
        debug_assert!(matches!(queued, Acquire::Queued(_)));
        Some(slot)
    }

    /// Ends the current turn. Returns the slot whose call now holds the lock
    /// (the caller takes the call out of it at once: the slot is free for the
    /// next [`join`](Self::join)), or `None` if nobody waits and the lock is free.
    pub fn release(&mut self) -> Option<u32> {
        let slot = self.lock.release()?;
        if self.lock.waiting() == 0 {
            self.free.clear();
            self.opened = 0;
        } else {
            self.free.push(slot);
        }
        Some(slot)
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.lock.is_locked()
    }

    /// How many callers are queued, not counting the holder.
    pub fn waiting(&self) -> usize {
        self.lock.waiting()
    }

    /// How many slots have been handed out since the queue was last empty:
    /// every slot number in use is below it.
    pub fn slots_opened(&self) -> u32 {
        self.opened
    }
}
