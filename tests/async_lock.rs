//! Behaviour of `AsyncLock` on the `futures` executor: order, batches, and
//! cancellation by dropping a queued acquire.

use std::cell::RefCell;
use std::rc::Rc;

use async_atomic_store::{AsyncLock, Mode, QueueFull};
use futures::executor::LocalPool;
use futures::future::{select, Either};
use futures::task::LocalSpawnExt;
use futures::FutureExt;

/// Lets the other tasks run once.
async fn yield_now() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// Spawns a task that takes the lock in `mode`, logs `name` and yields once while holding it.
fn spawn_user(
    pool: &LocalPool,
    lock: &AsyncLock,
    mode: Mode,
    name: &'static str,
    log: &Rc<RefCell<Vec<&'static str>>>,
) {
    let (lock, log) = (lock.clone(), log.clone());
    pool.spawner()
        .spawn_local(async move {
            let _guard = lock.acquire(mode).await.unwrap();
            log.borrow_mut().push(name);
            yield_now().await;
            log.borrow_mut().push("done");
        })
        .unwrap();
}

#[test]
fn acquires_are_served_in_call_order_and_shared_ones_in_batches() {
    let mut pool = LocalPool::new();
    let lock = AsyncLock::new();
    let log = Rc::new(RefCell::new(Vec::new()));
    for (mode, name) in [
        (Mode::Exclusive, "w1"),
        (Mode::Shared, "r1"),
        (Mode::Shared, "r2"),
        (Mode::Exclusive, "w2"),
        (Mode::Shared, "r3"),
    ] {
        spawn_user(&pool, &lock, mode, name, &log);
    }
    pool.run();
    assert_eq!(
        *log.borrow(),
        ["w1", "done", "r1", "r2", "done", "done", "w2", "done", "r3", "done"]
    );
    assert!(!lock.is_locked());
}

#[test]
fn dropping_a_queued_acquire_leaves_the_line() {
    let mut pool = LocalPool::new();
    let lock = AsyncLock::new();
    let holder = lock.try_acquire(Mode::Exclusive).unwrap();
    let mut first = lock.acquire(Mode::Exclusive);
    let second = lock.acquire(Mode::Exclusive);
    assert!(pool
        .run_until(async { futures::poll!(&mut first) })
        .is_pending());
    assert_eq!(lock.waiting(), 1);
    drop(first);
    assert_eq!(lock.waiting(), 0);
    drop(holder);
    // The lock is free again: the dropped waiter took nothing with it.
    let guard = pool.run_until(second).unwrap();
    assert!(lock.is_locked());
    drop(guard);
    assert!(!lock.is_locked());
}

#[test]
fn a_timeout_is_a_select_that_drops_the_acquire() {
    let mut pool = LocalPool::new();
    let lock = AsyncLock::new();
    let _holder = lock.try_acquire(Mode::Exclusive).unwrap();
    let outcome = pool.run_until(async {
        match select(lock.acquire(Mode::Exclusive), futures::future::ready(())).await {
            Either::Left(_) => "acquired",
            Either::Right(((), _acquire)) => "timed out",
        }
    });
    assert_eq!(outcome, "timed out");
    assert_eq!(lock.waiting(), 0);
}

#[test]
fn dropping_a_granted_but_unpolled_acquire_hands_the_lock_on() {
    let mut pool = LocalPool::new();
    let lock = AsyncLock::new();
    let holder = lock.try_acquire(Mode::Exclusive).unwrap();
    let mut granted_unpolled = lock.acquire(Mode::Exclusive);
    let mut next = lock.acquire(Mode::Exclusive);
    assert!(pool
        .run_until(async { futures::poll!(&mut granted_unpolled) })
        .is_pending());
    assert!(pool
        .run_until(async { futures::poll!(&mut next) })
        .is_pending());
    drop(holder); // grants `granted_unpolled`, which is never polled again
    drop(granted_unpolled);
    assert!(
        next.now_or_never().is_some(),
        "the lock went on to the next acquire"
    );
}

#[test]
fn a_bounded_lock_refuses_acquires_beyond_its_bound() {
    let mut pool = LocalPool::new();
    let lock = AsyncLock::with_max_pending(1);
    let _holder = lock.try_acquire(Mode::Exclusive).unwrap();
    let mut waiting = lock.acquire(Mode::Exclusive);
    assert!(pool
        .run_until(async { futures::poll!(&mut waiting) })
        .is_pending());
    assert_eq!(
        pool.run_until(lock.acquire(Mode::Shared)).err(),
        Some(QueueFull)
    );
}
