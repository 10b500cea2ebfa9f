//! Behaviour of `KeyLines`: calls on different keys run together, whole-store
//! calls see the whole store, keys are taken all at once, and a property
//! test against the plain statement of the guarantee: a call is granted
//! exactly when every earlier call it conflicts with has finished.

use std::collections::BTreeSet;

use async_atomic_store::{KeyLines, Mode, MAX_KEYS};
use proptest::prelude::*;

const X: Mode = Mode::Exclusive;
const S: Mode = Mode::Shared;

/// Joins call `slot`; whether it was granted at once.
fn join(lines: &mut KeyLines, slot: u32, keys: &[u32], mode: Mode) -> bool {
    let would_wait = lines.would_wait(keys, mode);
    assert!(lines.reserve(slot, keys));
    let granted = lines.join(slot, keys, mode);
    assert_eq!(granted, !would_wait, "would_wait tells the outcome of join");
    granted
}

/// The calls granted by the leave of `slot`.
fn leave(lines: &mut KeyLines, slot: u32) -> Vec<u32> {
    lines.leave(slot);
    std::iter::from_fn(|| lines.next_granted()).collect()
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
            !lines.would_wait(&[], X),
            "round {round}: the store is free again"
        );
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
                    let would_wait = lines.would_wait(&keys, mode);
                    prop_assert!(lines.reserve(slot, &keys));
                    let now = lines.join(slot, &keys, mode);
                    prop_assert_eq!(now, !would_wait);
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
