//! The ordering conformance table, `tests/conformance/ordering.json`, run
//! against the Rust core's `WaitQueue` (the line named `core` in the table).
//! The same cases run against SharedLock and RedisLock from
//! `js-tests/conformance/`. A grant is seen at the end of the step that made
//! it, as a JS callback runs after the call that granted it. A keyed queue
//! (`WaitQueue::keyed`) runs the same cases with whole-store calls only,
//! which must follow the plain line exactly.

use std::collections::HashMap;

use async_atomic_store::{Join, Mode, Request, WaitQueue};
use serde_json::Value;

const LINE: &str = "core";

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Waiting(u32),
    /// Granted during this step, not yet seen by its caller; a keyed queue's
    /// holders keep their slot.
    Granted(Option<u32>),
    /// Gave up after the grant was made: released as soon as it is seen.
    GaveUp(Option<u32>),
    Held(Option<u32>),
    Done,
}

/// What one step did, in the table's terms.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    granted: Vec<String>,
    busy: Vec<String>,
    full: Vec<String>,
    cancelled: Vec<String>,
}

struct Run {
    queue: WaitQueue,
    /// Whether calls go through `join_keys`, as whole-store calls.
    keyed: bool,
    requests: HashMap<String, State>,
    by_slot: HashMap<u32, String>,
    unseen: Vec<String>,
    outcome: Outcome,
}

impl Run {
    fn new(queue: WaitQueue, keyed: bool) -> Self {
        Run {
            queue,
            keyed,
            requests: HashMap::new(),
            by_slot: HashMap::new(),
            unseen: Vec::new(),
            outcome: Outcome::default(),
        }
    }

    fn state(&self, id: &str) -> State {
        *self.requests.get(id).unwrap_or(&State::Done)
    }

    /// Ends the turn of a holder (in `slot`, for a keyed queue) and takes what that grants.
    fn release(&mut self, slot: Option<u32>) {
        let first = match slot {
            Some(slot) if self.keyed => self.queue.release_slot(slot),
            _ => self.queue.release(),
        };
        self.take_grants(first);
    }

    /// Marks `first` and every further slot the queue hands out as granted.
    fn take_grants(&mut self, first: Option<u32>) {
        let mut next = first;
        while let Some(slot) = next {
            let id = self
                .by_slot
                .remove(&slot)
                .unwrap_or_else(|| panic!("slot {slot} granted, but nobody waits in it"));
            self.requests.insert(id.clone(), State::Granted(Some(slot)));
            self.unseen.push(id);
            next = self.queue.next_granted();
        }
    }

    fn act(&mut self, action: &str) {
        let words: Vec<&str> = action.split_whitespace().collect();
        let id = words[1].to_string();
        match words[0] {
            "request" => {
                let mode = if words.contains(&"shared") { Mode::Shared } else { Mode::Exclusive };
                let request = Request { mode, if_available: words.contains(&"ifAvailable"), deadline: None };
                let joined = if self.keyed { self.queue.join_keys(request, &[]) } else { self.queue.join(request) };
                match joined {
                    Join::Granted => {
                        self.requests.insert(id.clone(), State::Granted(None));
                        self.unseen.push(id);
                    }
                    Join::Holds(slot) => {
                        self.requests.insert(id.clone(), State::Granted(Some(slot)));
                        self.unseen.push(id);
                    }
                    Join::Queued(slot) => {
                        self.requests.insert(id.clone(), State::Waiting(slot));
                        self.by_slot.insert(slot, id);
                    }
                    Join::Busy => self.outcome.busy.push(id),
                    Join::Full => self.outcome.full.push(id),
                }
            }
            "release" => {
                let State::Held(slot) = self.state(&id) else {
                    panic!("the table releases {id}, which does not hold the lock");
                };
                self.requests.insert(id, State::Done);
                self.release(slot);
            }
            "cancel" | "giveUp" => {
                let state = self.state(&id);
                if let State::Waiting(slot) = state {
                    assert!(self.queue.cancel(slot), "{id} waits in slot {slot}, but the queue would not cancel it");
                    self.by_slot.remove(&slot);
                    self.requests.insert(id.clone(), State::Done);
                    if words[0] == "cancel" {
                        self.outcome.cancelled.push(id);
                    }
                    let next = self.queue.next_granted();
                    self.take_grants(next);
                } else if let (State::Granted(slot), "giveUp") = (state, words[0]) {
                    self.requests.insert(id, State::GaveUp(slot));
                }
            }
            other => panic!("the {LINE} line cannot '{other}': the case should say it needs a feature the line lacks"),
        }
    }

    /// Lets every grant of the step reach its caller; a caller that gave up releases at once.
    fn settle(&mut self) {
        while !self.unseen.is_empty() {
            for id in std::mem::take(&mut self.unseen) {
                match self.state(&id) {
                    State::GaveUp(slot) => {
                        self.requests.insert(id, State::Done);
                        self.release(slot);
                    }
                    State::Granted(slot) => {
                        self.requests.insert(id.clone(), State::Held(slot));
                        self.outcome.granted.push(id);
                    }
                    other => panic!("{id} was seen granted, but is {other:?}"),
                }
            }
        }
    }
}

fn ids(step: &Value, key: &str) -> Vec<String> {
    let mut ids: Vec<String> = step[key].as_array().map_or(Vec::new(), |list| {
        list.iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    });
    ids.sort();
    ids
}

/// A misspelt key would make a case expect nothing: refuse it.
fn check_shape(case: &Value) {
    let keys = |object: &Value| {
        object
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    for key in keys(case) {
        assert!(
            ["name", "rule", "needs", "options", "steps"].contains(&key.as_str()),
            "{}: unknown key {key}",
            case["name"]
        );
    }
    for step in case["steps"].as_array().unwrap() {
        for key in keys(step) {
            assert!(
                ["do", "granted", "busy", "full", "cancelled"].contains(&key.as_str()),
                "{}: unknown step key {key}",
                case["name"]
            );
        }
    }
}

/// Runs one case, on a keyed queue if `keyed`; returns what went wrong, if anything.
fn run_case(case: &Value, keyed: bool) -> Result<(), String> {
    let max_pending = case["options"]["maxPending"]
        .as_u64()
        .map_or(u32::MAX, |n| n as u32);
    let queue = if keyed {
        WaitQueue::keyed(max_pending)
    } else {
        WaitQueue::with_max_pending(max_pending)
    };
    let mut run = Run::new(queue, keyed);
    for (index, step) in case["steps"].as_array().unwrap().iter().enumerate() {
        let actions = match &step["do"] {
            Value::String(action) => vec![action.as_str()],
            list => list
                .as_array()
                .unwrap()
                .iter()
                .map(|action| action.as_str().unwrap())
                .collect(),
        };
        for action in &actions {
            run.act(action);
        }
        run.settle();
        let mut seen = std::mem::take(&mut run.outcome);
        for list in [
            &mut seen.granted,
            &mut seen.busy,
            &mut seen.full,
            &mut seen.cancelled,
        ] {
            list.sort();
        }
        let expected = Outcome {
            granted: ids(step, "granted"),
            busy: ids(step, "busy"),
            full: ids(step, "full"),
            cancelled: ids(step, "cancelled"),
        };
        if seen != expected {
            return Err(format!(
                "step {} ({actions:?}): expected {expected:?}, got {seen:?}",
                index + 1
            ));
        }
    }
    let free = if keyed {
        matches!(
            run.queue.join_keys(Request::EXCLUSIVE.if_available(), &[]),
            Join::Holds(_)
        )
    } else {
        run.queue.join(Request::EXCLUSIVE.if_available()) == Join::Granted
    };
    if !free {
        return Err("after the last step the lock is not free".into());
    }
    Ok(())
}

#[test]
fn the_core_passes_every_case_of_the_ordering_table_that_applies_to_it() {
    run_table(false);
}

#[test]
fn a_keyed_queue_passes_the_same_cases_with_whole_store_calls() {
    run_table(true);
}

fn run_table(keyed: bool) {
    let table: Value = serde_json::from_str(include_str!("conformance/ordering.json")).unwrap();
    let has = table["lines"][LINE]["has"].as_array().unwrap();
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in table["cases"].as_array().unwrap() {
        check_shape(case);
        let needs = case["needs"].as_array().map_or(&[][..], Vec::as_slice);
        if !needs.iter().all(|need| has.contains(need)) {
            continue;
        }
        ran += 1;
        if let Err(failure) = run_case(case, keyed) {
            failures.push(format!("{}: {failure}", case["name"].as_str().unwrap()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran >= 12, "only {ran} cases apply to the core");
}
