//! Behaviour of `SlotLock`: call order, slot reuse, and a model check.

use std::collections::VecDeque;

use async_atomic_store::SlotLock;
use proptest::prelude::*;

#[test]
fn a_free_lock_is_taken_at_once_and_queued_calls_get_slots_in_order() {
    let mut lock = SlotLock::new();
    assert_eq!(lock.join(), None);
    assert!(lock.is_locked());
    let slots: Vec<_> = (0..5).map(|_| lock.join()).collect();
    assert_eq!(slots, [Some(0), Some(1), Some(2), Some(3), Some(4)]);
    assert_eq!(lock.waiting(), 5);
    let served: Vec<_> = std::iter::from_fn(|| lock.release()).collect();
    assert_eq!(served, [0, 1, 2, 3, 4]);
    assert!(!lock.is_locked());
}

#[test]
fn a_released_slot_is_reused_before_a_new_one_is_opened() {
    let mut lock = SlotLock::new();
    assert_eq!(lock.join(), None);
    for _ in 0..3 {
        lock.join();
    }
    assert_eq!(lock.release(), Some(0));
    assert_eq!(lock.release(), Some(1));
    // Slots 0 and 1 were read; the most recently freed is handed out first.
    assert_eq!(lock.join(), Some(1));
    assert_eq!(lock.join(), Some(0));
    assert_eq!(lock.join(), Some(3));
    assert_eq!(lock.slots_opened(), 4);
    // Call order still rules: slot 2 was queued first.
    let served: Vec<_> = std::iter::from_fn(|| lock.release()).collect();
    assert_eq!(served, [2, 1, 0, 3]);
}

#[test]
fn slots_start_again_from_zero_once_the_queue_empties() {
    let mut lock = SlotLock::new();
    assert_eq!(lock.join(), None);
    for _ in 0..1000 {
        lock.join();
    }
    for _ in 0..1000 {
        lock.release();
    }
    // The last waiter holds the lock; nobody waits, so every slot is free.
    assert!(lock.is_locked());
    assert_eq!(lock.slots_opened(), 0);
    assert_eq!(lock.join(), Some(0));
}

#[derive(Debug, Clone)]
enum Step {
    Join,
    Release,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![3 => Just(Step::Join), 2 => Just(Step::Release)]
}

proptest! {
    /// Calls are served in call order; no two queued calls ever share a slot;
    /// every slot in use is below the deepest the queue has been since it was
    /// last empty.
    #[test]
    fn serves_in_call_order_with_distinct_compact_slots(steps in prop::collection::vec(step(), 0..400)) {
        let mut lock = SlotLock::new();
        let mut model_locked = false;
        // Queued calls in call order, with the slot each was given.
        let mut model_queue: VecDeque<u32> = VecDeque::new();
        let mut deepest = 0;

        for step in steps {
            match step {
                Step::Join => match lock.join() {
                    None => {
                        prop_assert!(!model_locked);
                        model_locked = true;
                    }
                    Some(slot) => {
                        prop_assert!(model_locked);
                        prop_assert!(!model_queue.contains(&slot), "slot {} is in use", slot);
                        model_queue.push_back(slot);
                        deepest = deepest.max(model_queue.len());
                        prop_assert!((slot as usize) < deepest);
                    }
                },
                Step::Release => {
                    let expected = if model_locked { model_queue.pop_front() } else { None };
                    if expected.is_none() {
                        model_locked = false;
                    }
                    prop_assert_eq!(lock.release(), expected);
                    if model_queue.is_empty() {
                        deepest = 0;
                    }
                }
            }
            prop_assert_eq!(lock.is_locked(), model_locked);
            prop_assert_eq!(lock.waiting(), model_queue.len());
            prop_assert!(lock.slots_opened() as usize <= deepest);
        }
    }
}
