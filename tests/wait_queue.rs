//! Behaviour of `WaitQueue` that the ordering table (`tests/conformance.rs`)
//! does not cover: slot numbers and memory, cancel at the slot level,
//! deadlines, and a property test against a plain model of the same policy.

use std::collections::{HashMap, VecDeque};

use async_atomic_store::{Join, Mode, Request, WaitQueue};
use proptest::prelude::*;

fn slot(join: Join) -> u32 {
    match join {
        Join::Queued(slot) => slot,
        other => panic!("expected the caller to be queued, got {other:?}"),
    }
}

/// Every slot a release hands out: the first and the rest of its batch.
fn release_all(queue: &mut WaitQueue) -> Vec<u32> {
    let first = queue.release();
    first
        .into_iter()
        .chain(std::iter::from_fn(|| queue.next_granted()))
        .collect()
}

#[test]
fn a_freed_slot_is_the_next_one_handed_out() {
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    for _ in 0..3 {
        queue.join(Request::EXCLUSIVE);
    }
    assert_eq!(release_all(&mut queue), [0]);
    assert_eq!(release_all(&mut queue), [1]);
    // The most recently freed slot comes first.
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Queued(1));
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Queued(0));
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Queued(3));
    // Call order still rules.
    let served: Vec<_> = (0..4).flat_map(|_| release_all(&mut queue)).collect();
    assert_eq!(served, [2, 1, 0, 3]);
}

#[test]
fn slots_start_again_from_zero_and_memory_is_given_back_once_nobody_waits() {
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    for _ in 0..10_000 {
        queue.join(Request::EXCLUSIVE.deadline(5.0));
    }
    assert_eq!(queue.slots(), 10_000);
    for _ in 0..10_000 {
        queue.release();
    }
    assert!(queue.is_locked());
    assert_eq!(queue.slots(), 0);
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Queued(0));
}

#[test]
fn cancel_refuses_a_slot_cancelled_granted_or_never_handed_out() {
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    let gone = slot(queue.join(Request::EXCLUSIVE));
    let s1 = slot(queue.join(Request::SHARED));
    let s2 = slot(queue.join(Request::SHARED));
    assert!(queue.cancel(gone));
    assert!(!queue.cancel(gone), "a slot can be cancelled once");
    // Granted as one batch: s2 is granted but not yet handed out.
    assert_eq!(queue.release(), Some(s1));
    assert!(!queue.cancel(s2), "a granted slot cannot be cancelled");
    assert_eq!(queue.next_granted(), Some(s2));
    assert!(!queue.cancel(999), "nor a slot that was never handed out");
}
#[test]
fn deadlines_expire_earliest_first_whatever_order_they_were_set_in() {
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    let late = slot(queue.join(Request::EXCLUSIVE.deadline(30.0)));
    let none = slot(queue.join(Request::EXCLUSIVE));
    let early = slot(queue.join(Request::EXCLUSIVE.deadline(10.0)));
    let middle = slot(queue.join(Request::EXCLUSIVE.deadline(20.0)));
    assert_eq!(queue.next_deadline(), Some(10.0));
    assert_eq!(queue.expire(9.0), None);
    assert_eq!(queue.expire(25.0), Some(early));
    assert_eq!(queue.expire(25.0), Some(middle));
    assert_eq!(queue.expire(25.0), None);
    assert_eq!(queue.next_deadline(), Some(30.0));
    // A granted waiter's deadline is gone with it.
    assert_eq!(release_all(&mut queue), [late]);
    assert_eq!(queue.next_deadline(), None);
    assert_eq!(queue.expire(f64::INFINITY), None);
    assert_eq!(release_all(&mut queue), [none]);
}

#[test]
fn two_timeout_lengths_interleaved_expire_in_deadline_order() {
    // Deadlines in join order go to the run, the earlier ones that follow a
    // later one to the heap; cancels and grants take them out of either.
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    let mut slots = Vec::new();
    for now in 0..20 {
        let timeout = if now % 2 == 0 { 1000.0 } else { 10.0 };
        let deadline = f64::from(now) + timeout;
        slots.push((
            deadline,
            slot(queue.join(Request::EXCLUSIVE.deadline(deadline))),
        ));
    }
    // One from each structure gives up, in the middle of each.
    assert!(queue.cancel(slots[6].1) && queue.cancel(slots[7].1));
    slots.remove(7);
    slots.remove(6);
    let mut expired = Vec::new();
    while let Some(slot) = queue.expire(2000.0) {
        expired.push(slot);
    }
    slots.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(
        expired,
        slots.iter().map(|&(_, slot)| slot).collect::<Vec<_>>()
    );
    assert_eq!(queue.next_deadline(), None);
}

#[test]
fn thousands_of_deadlines_in_any_order_expire_earliest_first() {
    let mut queue = WaitQueue::new();
    queue.join(Request::EXCLUSIVE);
    // Past one chunk of slots; every third deadline in join order (the
    // run), the others scattered (mostly the heap).
    let deadline = |slot: u32| {
        let at = if slot.is_multiple_of(3) {
            slot
        } else {
            slot.wrapping_mul(7919) % 10_007
        };
        f64::from(at)
    };
    for expected in 0..10_000 {
        assert_eq!(
            queue.join(Request::EXCLUSIVE.deadline(deadline(expected))),
            Join::Queued(expected)
        );
    }
    for slot in (0..10_000).step_by(5) {
        assert!(queue.cancel(slot));
    }
    let mut expired = Vec::new();
    while let Some(next) = queue.next_deadline() {
        let slot = queue.expire(next).unwrap();
        assert_eq!(deadline(slot), next);
        expired.push(slot);
    }
    assert_eq!(expired.len(), 8_000);
    assert!(expired
        .windows(2)
        .all(|pair| deadline(pair[0]) <= deadline(pair[1])));
    assert!(expired.iter().all(|slot| !slot.is_multiple_of(5)));
    assert_eq!(queue.waiting(), 0);
    assert_eq!(queue.slots(), 0);
}

#[test]
fn releasing_a_free_lock_does_nothing() {
    let mut queue = WaitQueue::new();
    assert_eq!(queue.release(), None);
    assert!(!queue.is_locked());
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Granted);
}

#[test]
fn an_outer_line_grants_only_by_slot_and_keeps_deadlines_the_bound_and_counts() {
    let mut queue = WaitQueue::outer(2);
    // Nothing is granted by joining, not even on a free lock or `if_available`.
    let first = slot(queue.join(Request::EXCLUSIVE));
    let second = slot(queue.join(Request::SHARED.if_available().deadline(5.0)));
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Full);
    assert_eq!((queue.waiting(), queue.is_locked()), (2, false));
    // The outer line's turns may come in any order; a release grants nothing.
    assert!(queue.grant(second));
    assert_eq!((queue.waiting(), queue.holders()), (1, 1));
    assert_eq!(queue.release(), None);
    assert!(!queue.has_granted());
    // A waiter that gave up is not granted: the turn must be passed on.
    assert_eq!(queue.expire(10.0), None);
    assert!(queue.cancel(first));
    assert!(!queue.grant(first));
    assert!(!queue.is_locked());
    // A turn given at once, with no slot, counts as a holder.
    queue.hold();
    assert_eq!((queue.holders(), queue.waiting()), (1, 0));
    let third = slot(queue.join(Request::EXCLUSIVE.deadline(3.0)));
    assert_eq!(queue.expire(3.0), Some(third));
    assert_eq!(queue.release(), None);
    assert!(!queue.is_locked());
}

#[test]
fn an_own_line_is_never_granted_by_slot() {
    let mut queue = WaitQueue::new();
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Granted);
    let waiter = slot(queue.join(Request::EXCLUSIVE));
    assert!(!queue.grant(waiter));
    queue.hold();
    assert_eq!((queue.holders(), queue.waiting()), (1, 1));
}

#[test]
fn trim_gives_back_the_free_slots_above_the_highest_in_use_and_new_waiters_get_low_slots() {
    let mut queue = WaitQueue::new();
    assert_eq!(queue.join(Request::EXCLUSIVE), Join::Granted);
    let slots: Vec<u32> = (0..1000)
        .map(|_| slot(queue.join(Request::EXCLUSIVE)))
        .collect();
    // The oldest 10 keep waiting; the rest give up, most recent last.
    for &given_up in &slots[10..] {
        assert!(queue.cancel(given_up));
    }
    assert_eq!(queue.slots(), 1000);
    assert_eq!(queue.trim(), 10);
    assert_eq!(queue.slots(), 10);
    assert_eq!(queue.trim(), 10, "nothing more to give back");
    // New waiters take slots from 10 on, in order behind the ten.
    assert_eq!(slot(queue.join(Request::EXCLUSIVE)), 10);
    assert!(queue.cancel(slots[3]));
    assert_eq!(
        queue.trim(),
        11,
        "a free slot below the highest in use stays"
    );
    assert_eq!(slot(queue.join(Request::EXCLUSIVE)), 3);
    let order = release_all(&mut queue);
    assert_eq!(order, vec![0]);
    for expected in [1, 2, 4, 5, 6, 7, 8, 9, 10, 3] {
        assert_eq!(queue.release(), Some(expected));
    }
    assert_eq!(queue.release(), None);
    assert!(!queue.is_locked());
}

/// One step of a random schedule.
#[derive(Debug, Clone)]
enum Op {
    Join {
        shared: bool,
        if_available: bool,
        deadline: Option<u8>,
    },
    Release,
    Cancel(usize),
    Expire(u8),
    Trim,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), prop::bool::weighted(0.15), prop::option::weighted(0.4, any::<u8>()))
            .prop_map(|(shared, if_available, deadline)| Op::Join { shared, if_available, deadline }),
        3 => Just(Op::Release),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<u8>().prop_map(Op::Expire),
        1 => Just(Op::Trim),
    ]
}

/// The policy written as plainly as possible: holders, and a line of
/// `(id, shared, deadline)` in call order.
#[derive(Default)]
struct Model {
    holders: Vec<bool>,
    line: VecDeque<(usize, bool, Option<u8>)>,
    max_pending: usize,
}

impl Model {
    fn fits(&self, shared: bool) -> bool {
        self.holders.is_empty() || (shared && self.holders.iter().all(|&s| s))
    }

    /// Grants the front while it fits; returns the ids granted.
    fn grant_front(&mut self) -> Vec<usize> {
        let mut granted = Vec::new();
        while let Some(&(id, shared, _)) = self.line.front() {
            if !self.fits(shared) {
                break;
            }
            self.line.pop_front();
            self.holders.push(shared);
            granted.push(id);
        }
        granted
    }
}

proptest! {
    #[test]
    fn matches_the_model(ops in prop::collection::vec(op(), 1..200), max_pending in 1usize..8) {
        let mut queue = WaitQueue::with_max_pending(max_pending as u32);
        let mut model = Model { max_pending, ..Model::default() };
        let mut ids_by_slot: HashMap<u32, usize> = HashMap::new();
        let mut next_id = 0;
        for op in ops {
            match op {
                Op::Join { shared, if_available, deadline } => {
                    let mode = if shared { Mode::Shared } else { Mode::Exclusive };
                    let request = Request { mode, if_available, deadline: deadline.map(f64::from) };
                    let id = next_id;
                    next_id += 1;
                    let expected = if model.fits(shared) && model.line.is_empty() {
                        model.holders.push(shared);
                        Join::Granted
                    } else if if_available {
                        Join::Busy
                    } else if model.line.len() >= model.max_pending {
                        Join::Full
                    } else {
                        model.line.push_back((id, shared, deadline));
                        Join::Queued(0)
                    };
                    let joined = queue.join(request);
                    match (joined, expected) {
                        (Join::Queued(slot), Join::Queued(_)) => {
                            prop_assert!(ids_by_slot.insert(slot, id).is_none(), "slot {} handed out twice", slot);
                        }
                        _ => prop_assert_eq!(joined, expected),
                    }
                }
                Op::Trim => {
                    // Changes no outcome; every slot in use stays below the bound.
                    let bound = queue.trim();
                    prop_assert!(ids_by_slot.keys().all(|&slot| slot < bound), "a slot in use at or above {}", bound);
                    prop_assert_eq!(queue.slots(), bound as usize);
                }
                Op::Release => {
                    if model.holders.is_empty() {
                        prop_assert_eq!(queue.release(), None);
                        continue;
                    }
                    model.holders.pop();
                    let expected = model.grant_front();
                    let granted: Vec<_> = release_all(&mut queue).iter().map(|s| ids_by_slot.remove(s).unwrap()).collect();
                    prop_assert_eq!(granted, expected, "a release hands over the whole batch, in order");
                }
                Op::Cancel(pick) => {
                    if model.line.is_empty() {
                        continue;
                    }
                    let at = pick % model.line.len();
                    let (id, _, _) = model.line.remove(at).unwrap();
                    let expected = if at == 0 { model.grant_front() } else { Vec::new() };
                    let slot = *ids_by_slot.iter().find(|(_, &i)| i == id).unwrap().0;
                    ids_by_slot.remove(&slot);
                    prop_assert!(queue.cancel(slot));
                    let granted: Vec<_> = std::iter::from_fn(|| queue.next_granted()).map(|s| ids_by_slot.remove(&s).unwrap()).collect();
                    prop_assert_eq!(granted, expected);
                }
                Op::Expire(now) => {
                    let earliest = model.line.iter().filter_map(|&(_, _, d)| d).min();
                    match queue.expire(f64::from(now)) {
                        None => prop_assert!(earliest.is_none_or(|d| d > now)),
                        Some(slot) => {
                            let id = ids_by_slot.remove(&slot).unwrap();
                            let at = model.line.iter().position(|&(i, _, _)| i == id).unwrap();
                            prop_assert_eq!(model.line[at].2, earliest, "the earliest deadline expires first");
                            prop_assert!(earliest.unwrap() <= now);
                            model.line.remove(at);
                            let expected = if at == 0 { model.grant_front() } else { Vec::new() };
                            let granted: Vec<_> = std::iter::from_fn(|| queue.next_granted()).map(|s| ids_by_slot.remove(&s).unwrap()).collect();
                            prop_assert_eq!(granted, expected);
                        }
                    }
                }
            }
            prop_assert_eq!(queue.waiting() as usize, model.line.len());
            prop_assert_eq!(queue.holders() as usize, model.holders.len());
            let earliest = model.line.iter().filter_map(|&(_, _, d)| d).min().map(f64::from);
            prop_assert_eq!(queue.next_deadline(), earliest);
            prop_assert!(queue.slots() <= model.max_pending, "freed slots are reused");
        }
    }
}
