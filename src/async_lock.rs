//! The crate's native async face: [`AsyncLock`], a strictly FIFO async lock
//! for single-threaded executors, on the same [`WaitQueue`] policy as the
//! JavaScript stores. Dropping a queued acquire leaves the line, as an
//! aborted JS call does; dropping an acquire that was granted but not yet
//! polled hands the lock on.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::{Join, Mode, Request, WaitQueue};

/// A FIFO async lock with exclusive and shared modes, for one thread.
///
/// ```
/// use async_atomic_store::{AsyncLock, Mode};
/// use futures::executor::block_on;
///
/// let lock = AsyncLock::new();
/// block_on(async {
///     let first = lock.acquire(Mode::Shared).await.unwrap();
///     let second = lock.acquire(Mode::Shared).await.unwrap(); // shared holders run together
///     assert!(lock.try_acquire(Mode::Exclusive).is_none());
///     drop((first, second));
///     assert!(lock.try_acquire(Mode::Exclusive).is_some());
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct AsyncLock {
    state: Rc<RefCell<State>>,
}

/// The queue and, for each queued slot, the waiter parked there.
#[derive(Debug, Default)]
struct State {
    queue: WaitQueue,
    parked: Vec<Option<Rc<Waiter>>>,
}

/// What a queued acquire shares with whoever grants it the lock.
#[derive(Debug, Default)]
struct Waiter {
    granted: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// The acquire would have made the queue longer than its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

impl fmt::Display for QueueFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock's queue is full")
    }
}

impl AsyncLock {
    /// Creates a free lock with no bound on its queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates a free lock whose queue holds at most `max_pending` waiters.
    pub fn with_max_pending(max_pending: u32) -> Self {
        let state = State {
            queue: WaitQueue::with_max_pending(max_pending),
            parked: Vec::new(),
        };
        AsyncLock {
            state: Rc::new(RefCell::new(state)),
        }
    }

    /// Waits for the lock in `mode`, behind everyone who asked before.
    pub fn acquire(&self, mode: Mode) -> Acquire {
        Acquire {
            lock: self.clone(),
            mode,
            queued: None,
        }
    }

    /// Takes the lock in `mode` if that needs no waiting.
    pub fn try_acquire(&self, mode: Mode) -> Option<Guard> {
        let request = Request {
            mode,
            if_available: true,
            deadline: None,
        };
        let joined = self.state.borrow_mut().queue.join(request);
        (joined == Join::Granted).then(|| Guard { lock: self.clone() })
    }

    /// How many acquires wait, not counting the holders.
    pub fn waiting(&self) -> u32 {
        self.state.borrow().queue.waiting()
    }

    /// Whether anyone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.state.borrow().queue.is_locked()
    }

    /// Ends one holder's turn and wakes whoever it granted the lock to.
    fn release(&self) {
        let first = self.state.borrow_mut().queue.release();
        self.wake_granted(first);
    }

    /// Marks `first` and the rest of its batch granted and wakes them.
    fn wake_granted(&self, first: Option<u32>) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.borrow_mut();
            let mut next = first;
            while let Some(slot) = next {
                if let Some(waiter) = state.parked.get_mut(slot as usize).and_then(Option::take) {
                    waiter.granted.set(true);
                    wakers.extend(waiter.waker.borrow_mut().take());
                }
                next = state.queue.next_granted();
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// The future of [`AsyncLock::acquire`]. Dropping it before it is ready leaves the line.
#[derive(Debug)]
pub struct Acquire {
    lock: AsyncLock,
    mode: Mode,
    queued: Option<(u32, Rc<Waiter>)>,
}

impl Future for Acquire {
    type Output = Result<Guard, QueueFull>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some((_, waiter)) = &self.queued {
            if !waiter.granted.get() {
                *waiter.waker.borrow_mut() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            self.queued = None;
            return Poll::Ready(Ok(Guard {
                lock: self.lock.clone(),
            }));
        }
        let request = Request {
            mode: self.mode,
            if_available: false,
            deadline: None,
        };
        let joined = self.lock.state.borrow_mut().queue.join(request);
        match joined {
            // `Holds` only comes from a keyed queue's `join_keys`.
            Join::Granted | Join::Holds(_) => Poll::Ready(Ok(Guard {
                lock: self.lock.clone(),
            })),
            Join::Queued(slot) => {
                let waiter = Rc::new(Waiter {
                    granted: Cell::new(false),
                    waker: RefCell::new(Some(cx.waker().clone())),
                });
                {
                    let mut state = self.lock.state.borrow_mut();
                    let index = slot as usize;
                    if state.parked.len() <= index {
                        state.parked.resize(index + 1, None);
                    }
                    state.parked[index] = Some(waiter.clone());
                }
                self.queued = Some((slot, waiter));
                Poll::Pending
            }
            Join::Busy | Join::Full => Poll::Ready(Err(QueueFull)),
        }
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some((slot, waiter)) = self.queued.take() else {
            return;
        };
        if waiter.granted.get() {
            // Granted but never polled: this acquire holds the lock; hand it on.
            self.lock.release();
            return;
        }
        let granted = {
            let mut state = self.lock.state.borrow_mut();
            state.parked[slot as usize] = None;
            state.queue.cancel(slot);
            state.queue.next_granted()
        };
        self.lock.wake_granted(granted);
    }
}

/// A turn holding the lock; dropping it releases the lock to the next in line.
#[derive(Debug)]
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct Guard {
    lock: AsyncLock,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.lock.release();
    }
}
