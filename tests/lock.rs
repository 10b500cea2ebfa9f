//! Behaviour of `FifoLock`: order, hand-off, cancellation, and a model check.

use std::collections::VecDeque;

use async_atomic_store::{Acquire, FifoLock, Ticket};
use proptest::prelude::*;

fn queued<W>(acquire: Acquire<W>) -> Ticket {
    match acquire {
        Acquire::Queued(ticket) => ticket,
        Acquire::Acquired(_) => panic!("expected the waiter to be queued"),
    }
}

#[test]
fn a_free_lock_is_taken_at_once() {
    let mut lock = FifoLock::new();
    assert!(!lock.is_locked());
    assert_eq!(lock.acquire(7), Acquire::Acquired(7));
    assert!(lock.is_locked());
    assert!(!lock.try_acquire());
    assert_eq!(lock.waiting(), 0);
}

#[test]
fn waiters_get_the_lock_in_call_order() {
    let mut lock = FifoLock::new();
    assert!(lock.try_acquire());
    for waiter in 0..100 {
        queued(lock.acquire(waiter));
    }
    let served: Vec<_> = std::iter::from_fn(|| lock.release()).collect();
    assert_eq!(served, (0..100).collect::<Vec<_>>());
    assert!(!lock.is_locked());
}

#[test]
fn release_hands_off_directly_so_newcomers_queue_behind() {
    let mut lock = FifoLock::new();
    assert!(lock.try_acquire());
    queued(lock.acquire("queued before release"));

    assert_eq!(lock.release(), Some("queued before release"));
    // The lock was never free: a newcomer between the release and the woken
    // waiter running cannot take it.
    assert!(lock.is_locked());
    assert!(!lock.try_acquire());
    queued(lock.acquire("newcomer"));
    assert_eq!(lock.release(), Some("newcomer"));
    assert_eq!(lock.release(), None);
    assert!(!lock.is_locked());
}

#[test]
fn releasing_a_free_lock_does_nothing() {
    let mut lock = FifoLock::<u8>::new();
    assert_eq!(lock.release(), None);
    assert!(!lock.is_locked());
    assert!(lock.try_acquire());
}

#[test]
fn a_waiter_dropped_while_queued_leaves_the_order_of_the_others_intact() {
    let mut lock = FifoLock::new();
    assert!(lock.try_acquire());
    let tickets: Vec<_> = (0..5).map(|w| queued(lock.acquire(w))).collect();

    // Drop one from the middle, the front and the back.
    assert_eq!(lock.cancel(tickets[2]), Some(2));
    assert_eq!(lock.cancel(tickets[0]), Some(0));
    assert_eq!(lock.cancel(tickets[4]), Some(4));
    assert_eq!(lock.waiting(), 2);
    // A ticket leaves only once.
    assert_eq!(lock.cancel(tickets[2]), None);

    queued(lock.acquire(5));
    assert_eq!(lock.release(), Some(1));
    assert_eq!(lock.release(), Some(3));
    assert_eq!(lock.release(), Some(5));
    assert_eq!(lock.release(), None);
}

#[test]
fn a_waiter_already_handed_the_lock_cannot_be_cancelled() {
    let mut lock = FifoLock::new();
    assert!(lock.try_acquire());
    let ticket = queued(lock.acquire('a'));
    assert_eq!(lock.release(), Some('a'));
    // It holds the lock now; it must release it rather than cancel.
    assert_eq!(lock.cancel(ticket), None);
    assert!(lock.is_locked());
}

#[test]
fn a_million_waiters_drain_in_order() {
    let mut lock = FifoLock::new();
    assert!(lock.try_acquire());
    for waiter in 0..1_000_000u32 {
        queued(lock.acquire(waiter));
    }
    let mut expected = 0;
    while let Some(waiter) = lock.release() {
        assert_eq!(waiter, expected);
        expected += 1;
    }
    assert_eq!(expected, 1_000_000);
}

/// One step of a random workload.
#[derive(Debug, Clone)]
enum Step {
    /// A new caller tries to acquire.
    Acquire,
    /// The holder releases.
    Release,
    /// The n-th (modulo) ever-issued ticket gives up.
    Cancel(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Acquire),
        2 => Just(Step::Release),
        1 => any::<usize>().prop_map(Step::Cancel),
    ]
}

proptest! {
    /// The lock behaves exactly like the obvious model: a holder flag and a
    /// list of waiters in arrival order.
    #[test]
    fn matches_a_simple_model_queue(steps in prop::collection::vec(step(), 0..300)) {
        let mut lock = FifoLock::new();
        let mut model_locked = false;
        let mut model_queue: VecDeque<usize> = VecDeque::new();
        let mut tickets: Vec<(Ticket, usize)> = Vec::new();
        let mut next_waiter = 0;

        for step in steps {
            match step {
                Step::Acquire => {
                    let waiter = next_waiter;
                    next_waiter += 1;
                    match lock.acquire(waiter) {
                        Acquire::Acquired(w) => {
                            prop_assert!(!model_locked);
                            prop_assert_eq!(w, waiter);
                            model_locked = true;
                        }
                        Acquire::Queued(ticket) => {
                            prop_assert!(model_locked);
                            model_queue.push_back(waiter);
                            tickets.push((ticket, waiter));
                        }
                    }
                }
                Step::Release => {
                    let expected = if model_locked { model_queue.pop_front() } else { None };
                    if expected.is_none() {
                        model_locked = false;
                    }
                    prop_assert_eq!(lock.release(), expected);
                }
                Step::Cancel(n) if !tickets.is_empty() => {
                    let (ticket, waiter) = tickets[n % tickets.len()];
                    let position = model_queue.iter().position(|&w| w == waiter);
                    let expected = position.and_then(|i| model_queue.remove(i));
                    prop_assert_eq!(lock.cancel(ticket), expected);
                }
                Step::Cancel(_) => {}
            }
            prop_assert_eq!(lock.is_locked(), model_locked);
            prop_assert_eq!(lock.waiting(), model_queue.len());
        }
    }
}
