//! Per-key locking: calls on different keys run at the same time, and
//! whole-store calls still see one consistent store.
//!
//! **Each call waits for exactly the earlier calls it conflicts with, and
//! never for a later call.** Two calls conflict when they share a key, or
//! one of them is a whole-store call, unless both are shared. A call takes
//! all of its keys at once or none, and no set of keys, in any order, can
//! deadlock: a call only ever waits for earlier calls, so the earliest
//! unfinished call waits for nobody, and runs.
//!
//! # Implementation details
//!
//! Every call stands in some *lines*, one entry in each, and is granted when
//! every one of its entries is. A line is the batch rule of the plain lock
//! (`wait_queue.rs`): its holders are a count and the kind they share, its
//! waiters a list in call order, and the front waiter is granted while its
//! kind fits the holders'. Two kinds fit when they are the same and not
//! exclusive. So an entry is granted exactly when no earlier, unfinished
//! entry of the same line fits it badly: the holders are always the longest
//! fitting run at the front of the line.
//!
//! The lines are the classic intention locks of databases, with the
//! whole-store line (IS and IX for keyed calls, S and X for whole-store
//! calls) split in two so that each half keeps the simple rule:
//!
//! | call             | line `STORE` | line `WRITES` | each of its keys |
//! |------------------|--------------|---------------|------------------|
//! | keyed, shared    | shared       | -             | shared           |
//! | keyed, exclusive | shared       | writer        | exclusive        |
//! | store, shared    | shared       | reader        | -                |
//! | store, exclusive | exclusive    | -             | -                |
//!
//! A pair of calls meets badly on some line exactly when they conflict (a
//! store-wide exclusive call on `STORE`, a keyed writer and a store-wide
//! reader on `WRITES`, two calls of which one is exclusive on a key), so a
//! call is granted exactly when every earlier call it conflicts with has
//! finished. Joining costs O(1) per line; leaving unlinks or releases each
//! entry in O(1) and grants every entry at most once, so a call on k keys
//! costs O(k), however many calls wait.
//!
//! Calls are numbered by their slot in the [`WaitQueue`](crate::WaitQueue)
//! and keys by small ids the caller picks (the package's JavaScript gives a
//! key in use the most recently freed id, so ids stay below the number of
//! keys in use at once). A key given twice counts once.
//! Joining reserves all its memory first, so running out of memory refuses
//! a call before anything changed.

use alloc::boxed::Box;
use core::alloc::Layout;

use crate::array::Array;
use crate::wait_queue::{some, Mode, NO_SLOT};

/// The line every call stands in.
const STORE: u32 = 0;
/// The line where keyed exclusive calls and store-wide shared calls meet.
const WRITES: u32 = 1;
/// The line of key id `key` is `FIRST_KEY + key`.
const FIRST_KEY: u32 = 2;
/// Key ids stay below this, so a line and its kind fit in a `u32`.
pub const MAX_KEYS: u32 = (1 << 30) - FIRST_KEY - 1;

/// A kind: fits the same kind, unless it is this one.
const EXCLUSIVE: u32 = 1;
/// A kind on [`WRITES`] that fits itself but not the shared kind (0).
const WRITER: u32 = 2;

/// No entry, call or line.
const NIL: u32 = u32::MAX;
/// `prev` of a granted entry: it counts among its line's holders, in no list.
const GRANTED: u32 = u32::MAX - 1;
/// Slots to keep memory for when nothing is left; more are given back.
const KEPT: usize = 256;

/// One line's state.
#[derive(Debug, Clone, Copy)]
struct Line {
    holders: u32,
    /// The kind the holders share.
    kind: u32,
    head: u32,
    tail: u32,
    /// The call that joined this line last, until it leaves: a key given
    /// twice counts once.
    stamp: u32,
}

const FREE_LINE: Line = Line {
    holders: 0,
    kind: 0,
    head: NIL,
    tail: NIL,
    stamp: NIL,
};

/// A call's entry in one line.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The line, shifted left 2, and the kind.
    line_kind: u32,
    /// The previous waiter of the line, or [`GRANTED`].
    prev: u32,
    /// The next waiter of the line; for a free entry, the next free one.
    next: u32,
    call: u32,
    /// The call's next entry.
    sibling: u32,
}

/// A call's entries, and how many of them wait.
#[derive(Debug, Clone, Copy)]
struct Call {
    first: u32,
    waiting: u32,
    /// The next call granted and not yet taken (see [`KeyLines::next_granted`]).
    next: u32,
}

const NO_CALL: Call = Call {
    first: NIL,
    waiting: 0,
    next: NIL,
};

/// The lines of a store locked per key, and the calls in them.
///
/// ```
/// use async_atomic_store::{KeyLines, Mode};
///
/// let mut lines = KeyLines::new();
/// assert!(lines.reserve(0, &[7]) && lines.join(0, &[7], Mode::Exclusive)); // key 7
/// assert!(lines.reserve(1, &[8]) && lines.join(1, &[8], Mode::Exclusive)); // key 8 too
/// assert!(lines.reserve(2, &[]) && !lines.join(2, &[], Mode::Exclusive)); // the whole store waits
/// assert!(lines.reserve(3, &[9]) && !lines.join(3, &[9], Mode::Shared)); // and so does a later call on key 9
/// lines.leave(0, |_| {});
/// assert_eq!(lines.next_granted(), None);
/// lines.leave(1, |granted| assert_eq!(granted, 2));
/// assert_eq!(lines.next_granted(), Some(2));
/// lines.leave(2, |granted| assert_eq!(granted, 3));
/// assert_eq!(lines.next_granted(), Some(3));
/// ```
#[derive(Debug)]
pub struct KeyLines {
    lines: Array<Line>,
    entries: Array<Entry>,
    /// Entries below this have been used; those not in a line are on the free list.
    used: usize,
    free: u32,
    live: usize,
    calls: Array<Call>,
    granted: u32,
    granted_tail: u32,
}

impl Default for KeyLines {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyLines {
    /// Lines with nobody in them.
    pub fn new() -> Self {
        KeyLines {
            lines: Array::new(),
            entries: Array::new(),
            used: 0,
            free: NIL,
            live: 0,
            calls: Array::new(),
            granted: NIL,
            granted_tail: NIL,
        }
    }

    /// New lines on the heap, or `None` if there is no memory for them
    /// (`Box::new` would link its panic message).
    pub(crate) fn boxed() -> Option<Box<KeyLines>> {
        // SAFETY: `KeyLines` is not zero-sized; the block is written before
        // it becomes a `Box`, laid out as `Box::new` lays it out.
        unsafe {
            let block = alloc::alloc::alloc(Layout::new::<KeyLines>()).cast::<KeyLines>();
            if block.is_null() {
                // The wasm binding tells a keyed queue by its lines: with no
                // memory for them, it stops the instance, as for the queue.
                #[cfg(target_arch = "wasm32")]
                core::arch::wasm32::unreachable();
                #[cfg(not(target_arch = "wasm32"))]
                return None;
            }
            block.write(KeyLines::new());
            Some(Box::from_raw(block))
        }
    }

    /// Makes room for call `slot` on `keys` (none: the whole store), so that
    /// [`join`](Self::join) cannot fail; `false`, and nothing changed, if
    /// there is no memory for it or a key id is [`MAX_KEYS`] or more.
    pub fn reserve(&mut self, slot: u32, keys: &[u32]) -> bool {
        let top = keys.iter().copied().max().unwrap_or(0);
        let entries = self.live + keys.len() + 2;
        top < MAX_KEYS
            && self.lines.room((top + FIRST_KEY) as usize + 1, &FREE_LINE)
            && self.calls.room(slot as usize + 1, &NO_CALL)
            && self.entries.room(entries, &FREE_ENTRY)
    }

    /// Puts call `slot` (which has no call in it) on `keys` (none: the
    /// whole store) in `mode`, after [`reserve`](Self::reserve). Returns
    /// whether it is granted at once; if not, it is granted later, by a
    /// [`leave`](Self::leave), and taken with [`next_granted`](Self::next_granted).
    /// A call that would wait can leave at once, and that grants nothing:
    /// it was the last in each of its lines.
    pub fn join(&mut self, slot: u32, keys: &[u32], mode: Mode) -> bool {
        let mut call = NO_CALL;
        let mut last = NIL;
        each_line(keys, mode, |at, kind| {
            let Some(line) = self.lines.get_mut(at as usize) else {
                return;
            };
            if line.stamp == slot {
                return;
            }
            line.stamp = slot;
            let mut entry = Entry {
                line_kind: at << 2 | kind,
                prev: GRANTED,
                next: NIL,
                call: slot,
                sibling: NIL,
            };
            if line.head == NIL && (line.holders == 0 || fits(line.kind, kind)) {
                line.holders += 1;
                line.kind = kind;
            } else {
                entry.prev = line.tail;
                call.waiting += 1;
            }
            let id = self.take_entry(entry);
            match self.entries.get_mut(last as usize) {
                Some(previous) => previous.sibling = id,
                None => call.first = id,
            }
            last = id;
            if entry.prev != GRANTED {
                self.link(at, entry.prev, id);
                self.link(at, id, NIL);
            }
        });
        if let Some(place) = self.calls.get_mut(slot as usize) {
            *place = call;
        }
        call.waiting == 0
    }

    /// Whether call `slot` waits.
    pub fn is_waiting(&self, slot: u32) -> bool {
        self.calls
            .get(slot as usize)
            .is_some_and(|call| call.waiting > 0)
    }

    /// Whether call `slot` is granted (and has not left).
    pub fn is_granted(&self, slot: u32) -> bool {
        self.calls
            .get(slot as usize)
            .is_some_and(|call| call.first != NIL && call.waiting == 0)
    }

    /// Whether a call is granted and not yet taken with [`next_granted`](Self::next_granted).
    pub fn has_granted(&self) -> bool {
        self.granted != NIL
    }

    /// Takes call `slot` out of every line, whether it runs or waits, and
    /// grants what that frees: `granted` hears of each call granted, and
    /// [`next_granted`](Self::next_granted) then hands them out (a granted
    /// call leaves only once it has been handed out).
    pub fn leave(&mut self, slot: u32, mut granted: impl FnMut(u32)) {
        let Some(call) = self.calls.get_mut(slot as usize) else {
            return;
        };
        let mut id = call.first;
        call.first = NIL;
        call.waiting = 0;
        while let Some(entry) = self.entries.get(id as usize).copied() {
            let at = entry.line_kind >> 2;
            if let Some(line) = self.lines.get_mut(at as usize) {
                if line.stamp == slot {
                    line.stamp = NIL;
                }
                if entry.prev == GRANTED {
                    line.holders -= 1;
                }
            }
            if entry.prev != GRANTED {
                self.link(at, entry.prev, entry.next);
            }
            self.grant_front(at, &mut granted);
            self.free_entry(id);
            id = entry.sibling;
        }
    }

    /// The next call that a [`leave`](Self::leave) granted, in the order granted.
    pub fn next_granted(&mut self) -> Option<u32> {
        some(self.next_granted_or_none())
    }

    /// [`next_granted`](Self::next_granted), with [`NO_SLOT`] for `None`.
    pub(crate) fn next_granted_or_none(&mut self) -> u32 {
        let slot = self.granted;
        let Some(call) = self.calls.get_mut(slot as usize) else {
            return NO_SLOT;
        };
        self.granted = call.next;
        call.next = NIL;
        slot
    }

    /// Grants the front waiters of line `at` while they fit its holders.
    fn grant_front(&mut self, at: u32, granted: &mut impl FnMut(u32)) {
        loop {
            let Some(line) = self.lines.get_mut(at as usize) else {
                return;
            };
            let id = line.head;
            let Some(entry) = self.entries.get_mut(id as usize) else {
                return;
            };
            let kind = entry.line_kind & 3;
            if line.holders > 0 && !fits(line.kind, kind) {
                return;
            }
            entry.prev = GRANTED;
            let (next, slot) = (entry.next, entry.call);
            line.holders += 1;
            line.kind = kind;
            self.link(at, NIL, next);
            if self.grant_entry_of(slot) {
                granted(slot);
            }
        }
    }

    /// One more of call `slot`'s entries is granted; the last grants the
    /// call (then returns `true`).
    fn grant_entry_of(&mut self, slot: u32) -> bool {
        let Some(call) = self.calls.get_mut(slot as usize) else {
            return false;
        };
        call.waiting -= 1;
        if call.waiting > 0 {
            return false;
        }
        match self.calls.get_mut(self.granted_tail as usize) {
            Some(last) if self.granted != NIL => last.next = slot,
            _ => self.granted = slot,
        }
        self.granted_tail = slot;
        true
    }

    /// Makes `next` follow `prev` among the waiters of line `at`; [`NIL`]
    /// stands for the line's ends (`prev` [`NIL`]: `next` is the head).
    fn link(&mut self, at: u32, prev: u32, next: u32) {
        let Some(line) = self.lines.get_mut(at as usize) else {
            return;
        };
        match self.entries.get_mut(prev as usize) {
            Some(entry) => entry.next = next,
            None => line.head = next,
        }
        match self.entries.get_mut(next as usize) {
            Some(entry) => entry.prev = prev,
            None => line.tail = prev,
        }
    }

    /// Stores `entry` in a free place, which [`reserve`](Self::reserve) made.
    fn take_entry(&mut self, entry: Entry) -> u32 {
        let id = match self.entries.get(self.free as usize) {
            Some(free) => core::mem::replace(&mut self.free, free.next),
            None => {
                self.used += 1;
                self.used as u32 - 1
            }
        };
        if let Some(place) = self.entries.get_mut(id as usize) {
            *place = entry;
        }
        self.live += 1;
        id
    }

    /// Puts entry `id` on the free list; once no entry is left, gives back
    /// the memory of large arrays.
    fn free_entry(&mut self, id: u32) {
        if let Some(entry) = self.entries.get_mut(id as usize) {
            entry.next = self.free;
            self.free = id;
        }
        self.live -= 1;
        if self.live == 0 && self.granted == NIL {
            self.used = 0;
            self.free = NIL;
            self.entries.shrink(KEPT);
            self.lines.shrink(KEPT);
            self.calls.shrink(KEPT);
        }
    }
}

const FREE_ENTRY: Entry = Entry {
    line_kind: 0,
    prev: NIL,
    next: NIL,
    call: NIL,
    sibling: NIL,
};

/// Whether an entry of kind `kind` can hold a line together with holders of kind `held`.
fn fits(held: u32, kind: u32) -> bool {
    held == kind && kind != EXCLUSIVE
}

/// Calls `visit` with each line a call on `keys` in `mode` stands in, and its kind there.
fn each_line(keys: &[u32], mode: Mode, mut visit: impl FnMut(u32, u32)) {
    let exclusive = mode == Mode::Exclusive;
    let store_wide = keys.is_empty();
    // One call of `visit`, so that it is inlined once.
    for at in 0..keys.len() + 2 {
        let (line, kind) = match keys.get(at.wrapping_sub(2)) {
            Some(&key) => (key.saturating_add(FIRST_KEY), exclusive as u32 * EXCLUSIVE),
            None if at == 0 => (STORE, (exclusive && store_wide) as u32 * EXCLUSIVE),
            None if exclusive != store_wide => (WRITES, exclusive as u32 * WRITER),
            None => continue,
        };
        visit(line, kind);
    }
}
