//! Behaviour of `KeyLines`: calls on different keys run together, whole-store
//! calls see the whole store, keys are taken all at once, and a property
//! test against the plain statement of the guarantee: a call is granted
//! exactly when every earlier call it conflicts with has finished.

use std::collections::BTreeSet;

use async_atomic_store::{Join, KeyLines, Mode, Request, WaitQueue, MAX_KEYS};
use proptest::prelude::*;

const X: Mode = Mode::Exclusive;
const S: Mode = Mode::Shared;

/// Joins call `slot`; whether it was granted at once.
fn join(lines: &mut KeyLines, slot: u32, keys: &[u32], mode: Mode) -> bool {
    assert!(lines.reserve(slot, keys));
    lines.join(slot, keys, mode)
}

/// The calls granted by the leave of `slot`.
fn leave(lines: &mut KeyLines, slot: u32) -> Vec<u32> {
    let mut heard = Vec::new();
    lines.leave(slot, |granted| heard.push(granted));
    let granted: Vec<u32> = std::iter::from_fn(|| lines.next_granted()).collect();
    assert_eq!(heard, granted, "leave tells each grant");
    granted
}

#[test]
fn calls_on_different_keys_run_together() {
    let mut lines = KeyLines::new();
    for slot in 0..100 {
        assert!(join(&mut lines, slot, &[slot], X));
    }
    assert!(!join(&mut lines, 100, &[5], X));
    assert_eq!(leave(&mut lines, 5), [100]);
}

#[test]
fn a_call_on_several_keys_waits_for_each_and_takes_them_together() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], X));
    assert!(join(&mut lines, 1, &[2], X));
    assert!(!join(&mut lines, 2, &[1, 2], X));
    // A later call on key 2 waits for the waiting call 2, not only for call 1.
    assert!(!join(&mut lines, 3, &[2], X));
    assert_eq!(leave(&mut lines, 0), []);
    assert_eq!(leave(&mut lines, 1), [2]);
    assert_eq!(leave(&mut lines, 2), [3]);
}

#[test]
fn keys_in_opposite_orders_cannot_deadlock() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1, 2], X));
    assert!(!join(&mut lines, 1, &[2, 1], X));
    assert!(!join(&mut lines, 2, &[1, 2], X));
    assert_eq!(leave(&mut lines, 0), [1]);
    assert_eq!(leave(&mut lines, 1), [2]);
}

#[test]
fn a_key_given_twice_counts_once() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[4, 4, 4], X));
    assert!(!join(&mut lines, 1, &[4], S));
    assert_eq!(leave(&mut lines, 0), [1]);
}

#[test]
fn a_whole_store_call_waits_for_every_key_and_every_later_call_waits_for_it() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], X));
    assert!(join(&mut lines, 1, &[2], S));
    assert!(!join(&mut lines, 2, &[], X));
    assert!(
        !join(&mut lines, 3, &[3], S),
        "a later call on a free key waits too"
    );
    assert_eq!(leave(&mut lines, 1), []);
    assert_eq!(leave(&mut lines, 0), [2]);
    assert_eq!(leave(&mut lines, 2), [3]);
}

#[test]
fn shared_calls_never_conflict() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], S));
    assert!(join(&mut lines, 1, &[], S));
    assert!(join(&mut lines, 2, &[1, 2], S));
    assert!(join(&mut lines, 3, &[], S));
}

#[test]
fn a_whole_store_read_waits_for_keyed_writes_and_keyed_reads_do_not() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], X));
    assert!(!join(&mut lines, 1, &[], S));
    // Does not conflict with the waiting read, nor with the write of key 1.
    assert!(join(&mut lines, 2, &[2], S));
    // Conflicts with the waiting store-wide read.
    assert!(!join(&mut lines, 3, &[3], X));
    assert_eq!(leave(&mut lines, 0), [1]);
    assert_eq!(leave(&mut lines, 1), [3]);
}

#[test]
fn a_shared_call_behind_a_waiting_exclusive_call_on_its_key_waits_for_it() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], S));
    assert!(!join(&mut lines, 1, &[1], X));
    assert!(!join(&mut lines, 2, &[1], S));
    assert!(join(&mut lines, 3, &[2], S), "other keys are free");
    assert_eq!(leave(&mut lines, 0), [1]);
    assert_eq!(leave(&mut lines, 1), [2]);
}

#[test]
fn leaving_while_waiting_frees_the_calls_behind_at_once() {
    let mut lines = KeyLines::new();
    assert!(join(&mut lines, 0, &[1], S));
    assert!(!join(&mut lines, 1, &[1, 2], X));
    assert!(!join(&mut lines, 2, &[1], S));
    assert!(!join(&mut lines, 3, &[2], S));
    // Calls 2 and 3 waited only for the writer.
    assert_eq!(leave(&mut lines, 1), [2, 3]);
}

#[test]
fn a_key_id_too_large_is_refused_before_anything_changes() {
    let mut lines = KeyLines::new();
    assert!(!lines.reserve(0, &[1, MAX_KEYS]));
    assert!(!lines.reserve(0, &[u32::MAX]));
    assert!(join(&mut lines, 0, &[1], X));
    assert!(!join(&mut lines, 1, &[1], X));
}

#[test]
fn thousands_of_calls_leave_nothing_behind() {
    let mut lines = KeyLines::new();
    for round in 0..3 {
        let mut running: Vec<u32> = (0..5000)
            .filter(|&slot| join(&mut lines, slot, &[slot % 7, 7 + slot % 11], X))
            .collect();
        let mut done = 0;
        while let Some(slot) = running.pop() {
            running.extend(leave(&mut lines, slot));
            done += 1;
        }
        assert_eq!(done, 5000, "round {round}: every call ran once");
        assert!(
            join(&mut lines, 0, &[], X),
            "round {round}: the store is free again"
        );
        assert_eq!(leave(&mut lines, 0), []);
    }
}

/// What a test does next.
#[derive(Debug, Clone)]
enum Op {
    /// A call on these keys (none: the whole store).
    Join(Vec<u32>, bool),
    /// The running call picked by this number finishes.
    Release(usize),
    /// The waiting call picked by this number gives up.
    Cancel(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (prop::collection::vec(0u32..6, 0..4), any::<bool>()).prop_map(|(k, s)| Op::Join(k, s)),
        2 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Cancel),
    ]
}

/// A call of the model: its keys (empty: the whole store), shared, and state.
#[derive(Debug)]
struct Call {
    slot: u32,
    keys: BTreeSet<u32>,
    shared: bool,
    granted: bool,
    finished: bool,
}

fn conflict(a: &Call, b: &Call) -> bool {
    !(a.shared && b.shared)
        && (a.keys.is_empty() || b.keys.is_empty() || !a.keys.is_disjoint(&b.keys))
}

/// The guarantee, as plainly as it can be said: a call runs exactly when
/// every earlier call it conflicts with has finished.
fn should_run(calls: &[Call], at: usize) -> bool {
    calls[..at]
        .iter()
        .all(|earlier| earlier.finished || !conflict(earlier, &calls[at]))
}

proptest! {
    #[test]
    fn grants_exactly_when_every_earlier_conflicting_call_has_finished(ops in prop::collection::vec(op(), 1..120)) {
        let mut lines = KeyLines::new();
        let mut calls: Vec<Call> = Vec::new();
        let mut free_slots: Vec<u32> = Vec::new();
        let mut next_slot = 0;
        for op in ops {
            let granted = match op {
                Op::Join(keys, shared) => {
                    let slot = free_slots.pop().unwrap_or_else(|| { next_slot += 1; next_slot - 1 });
                    let mode = if shared { Mode::Shared } else { Mode::Exclusive };
                    prop_assert!(lines.reserve(slot, &keys));
                    let now = lines.join(slot, &keys, mode);
                    calls.push(Call { slot, keys: keys.into_iter().collect(), shared, granted: false, finished: false });
                    if now { vec![slot] } else { vec![] }
                }
                Op::Release(pick) | Op::Cancel(pick) => {
                    let release = matches!(op, Op::Release(_));
                    let candidates: Vec<usize> = (0..calls.len())
                        .filter(|&i| !calls[i].finished && calls[i].granted == release)
                        .collect();
                    if candidates.is_empty() {
                        continue;
                    }
                    let at = candidates[pick % candidates.len()];
                    calls[at].finished = true;
                    free_slots.push(calls[at].slot);
                    leave(&mut lines, calls[at].slot)
                }
            };
            for slot in granted {
                let at = calls.iter().position(|c| !c.finished && c.slot == slot).unwrap();
                prop_assert!(!calls[at].granted, "granted once");
                calls[at].granted = true;
            }
            for at in 0..calls.len() {
                if !calls[at].finished {
                    prop_assert_eq!(calls[at].granted, should_run(&calls, at), "call {} of {:?}", at, calls);
                }
            }
        }
    }
}

// Through a keyed `WaitQueue`: the same lines, with the slots, deadlines,
// bound and counts every queue keeps.

/// Every slot a release, cancel or expiry handed out: `first` and the rest.
fn handed(queue: &mut WaitQueue, first: Option<u32>) -> Vec<u32> {
    first
        .into_iter()
        .chain(std::iter::from_fn(|| queue.next_granted()))
        .collect()
}

#[test]
fn a_keyed_queue_grants_keys_apart_and_keeps_the_holders_slots() {
    let mut queue = WaitQueue::keyed(u32::MAX);
    let a = Request::EXCLUSIVE;
    assert_eq!(queue.join_keys(a, &[1]), Join::Holds(0));
    assert_eq!(queue.join_keys(a, &[2]), Join::Holds(1));
    assert_eq!(queue.join_keys(a, &[]), Join::Queued(2));
    assert_eq!((queue.holders(), queue.waiting()), (2, 1));
    assert_eq!(queue.release_slot(0), None);
    assert_eq!(queue.release_slot(0), None, "a slot is released once");
    let first = queue.release_slot(1);
    assert_eq!(handed(&mut queue, first), [2]);
    assert_eq!((queue.holders(), queue.waiting()), (1, 0));
    assert!(!queue.cancel(2), "a holder cannot give up");
    assert_eq!(queue.release_slot(2), None);
    assert!(!queue.is_locked());
    assert_eq!(
        queue.slots(),
        0,
        "slots start again from 0 once nobody waits or holds"
    );
}

#[test]
fn a_keyed_queue_refuses_only_calls_that_would_wait() {
    let mut queue = WaitQueue::keyed(1);
    let busy = Request::EXCLUSIVE.if_available();
    assert_eq!(queue.join_keys(busy, &[1]), Join::Holds(0));
    assert_eq!(queue.join_keys(busy, &[1]), Join::Busy);
    assert_eq!(
        queue.join_keys(busy, &[2]),
        Join::Holds(1),
        "a free key is available"
    );
    assert_eq!(queue.join_keys(Request::EXCLUSIVE, &[1]), Join::Queued(2));
    assert_eq!(
        queue.join_keys(Request::SHARED, &[2]),
        Join::Full,
        "maxPending counts every key"
    );
    assert_eq!(
        queue.join_keys(Request::SHARED, &[3]),
        Join::Holds(3),
        "a call that does not wait is not bounded"
    );
    assert_eq!(
        queue.join_keys(busy, &[3]),
        Join::Busy,
        "it conflicts with a running call"
    );
    assert_eq!(
        WaitQueue::new().join_keys(busy, &[1]),
        Join::Full,
        "only a keyed queue takes keys"
    );
}

#[test]
fn a_keyed_waiter_that_gives_up_frees_the_calls_that_waited_only_for_it() {
    let mut queue = WaitQueue::keyed(u32::MAX);
    assert_eq!(queue.join_keys(Request::SHARED, &[1]), Join::Holds(0));
    let writer = Request::EXCLUSIVE.deadline(10.0);
    assert_eq!(queue.join_keys(writer, &[1, 2]), Join::Queued(1));
    assert_eq!(queue.join_keys(Request::SHARED, &[1]), Join::Queued(2));
    assert_eq!(
        queue.join_keys(Request::SHARED.deadline(20.0), &[2]),
        Join::Queued(3)
    );
    assert_eq!(queue.next_deadline(), Some(10.0));
    assert_eq!(queue.expire(9.0), None);
    let first = queue.expire(10.0);
    assert_eq!(handed(&mut queue, first), [1, 2, 3]);
    assert_eq!(
        queue.next_deadline(),
        None,
        "a granted call has no deadline"
    );
    assert_eq!((queue.holders(), queue.waiting()), (3, 0));
}

proptest! {
    #[test]
    fn a_keyed_queue_grants_exactly_when_every_earlier_conflicting_call_has_finished(
        ops in prop::collection::vec(queue_op(), 1..120),
        max_pending in 1u32..6,
    ) {
        let mut queue = WaitQueue::keyed(max_pending);
        let mut calls: Vec<Call> = Vec::new();
        let mut deadlines: Vec<Option<u32>> = Vec::new();
        for op in ops {
            let waiting = |calls: &[Call]| (0..calls.len()).filter(|&i| !calls[i].finished && !calls[i].granted).collect::<Vec<_>>();
            let handed_out = match op {
                QueueOp::Join(keys, shared, if_available, deadline) => {
                    let mut request = if shared { Request::SHARED } else { Request::EXCLUSIVE };
                    if if_available { request = request.if_available() }
                    if let Some(deadline) = deadline { request = request.deadline(deadline.into()) }
                    let call = Call { slot: u32::MAX, keys: keys.iter().copied().collect(), shared, granted: false, finished: false };
                    let waits = calls.iter().any(|c| !c.finished && conflict(c, &call));
                    let joined = queue.join_keys(request, &keys);
                    let slot = match joined {
                        Join::Holds(slot) if !waits => slot,
                        Join::Queued(slot) if waits && !if_available && waiting(&calls).len() < max_pending as usize => slot,
                        Join::Busy if waits && if_available => continue,
                        Join::Full if waits && waiting(&calls).len() >= max_pending as usize => continue,
                        other => panic!("{other:?} for a call that waits: {waits}"),
                    };
                    calls.push(Call { slot, granted: !waits, ..call });
                    deadlines.push(deadline.filter(|_| waits));
                    vec![]
                }
                QueueOp::Release(pick) => {
                    let running: Vec<usize> = (0..calls.len()).filter(|&i| !calls[i].finished && calls[i].granted).collect();
                    if running.is_empty() { continue }
                    let at = running[pick % running.len()];
                    calls[at].finished = true;
                    let first = queue.release_slot(calls[at].slot);
                    handed(&mut queue, first)
                }
                QueueOp::Cancel(pick) => {
                    let waiting = waiting(&calls);
                    if waiting.is_empty() { continue }
                    let at = waiting[pick % waiting.len()];
                    calls[at].finished = true;
                    prop_assert!(queue.cancel(calls[at].slot));
                    handed(&mut queue, None)
                }
                QueueOp::Expire(now) => {
                    let earliest = waiting(&calls).into_iter().filter_map(|i| deadlines[i]).min();
                    match queue.expire(now.into()) {
                        None => prop_assert!(earliest.is_none_or(|d| d > now)),
                        Some(slot) => {
                            let at = calls.iter().position(|c| !c.finished && c.slot == slot).unwrap();
                            prop_assert_eq!(deadlines[at], earliest, "the earliest deadline expires first");
                            prop_assert!(!calls[at].granted);
                            calls[at].finished = true;
                        }
                    }
                    handed(&mut queue, None)
                }
            };
            for slot in handed_out {
                let at = calls.iter().position(|c| !c.finished && c.slot == slot).unwrap();
                prop_assert!(!calls[at].granted, "handed out once");
                calls[at].granted = true;
            }
            for at in 0..calls.len() {
                if !calls[at].finished {
                    prop_assert_eq!(calls[at].granted, should_run(&calls, at), "call {} of {:?}", at, calls);
                }
            }
            let live = waiting(&calls);
            prop_assert_eq!(queue.waiting() as usize, live.len());
            prop_assert_eq!(queue.holders() as usize, calls.iter().filter(|c| !c.finished && c.granted).count());
            let earliest = live.iter().filter_map(|&i| deadlines[i]).min().map(f64::from);
            prop_assert_eq!(queue.next_deadline(), earliest);
        }
    }
}

/// What the keyed queue's property test does next.
#[derive(Debug, Clone)]
enum QueueOp {
    /// A call on these keys (none: the whole store), shared, `if_available`, with a deadline.
    Join(Vec<u32>, bool, bool, Option<u32>),
    Release(usize),
    Cancel(usize),
    Expire(u32),
}

fn queue_op() -> impl Strategy<Value = QueueOp> {
    prop_oneof![
        4 => (prop::collection::vec(0u32..5, 0..3), any::<bool>(), prop::bool::weighted(0.15), prop::option::of(0u32..20))
            .prop_map(|(k, s, i, d)| QueueOp::Join(k, s, i, d)),
        3 => any::<usize>().prop_map(QueueOp::Release),
        1 => any::<usize>().prop_map(QueueOp::Cancel),
        1 => (0u32..20).prop_map(QueueOp::Expire),
    ]
}
