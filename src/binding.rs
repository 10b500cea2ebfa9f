//! The binding: a [`WaitQueue`] for the package's JavaScript.
//!
//! The JavaScript keeps one queue per store and parks each queued call in a
//! plain array at the slot the queue picks; the queue holds only slot
//! numbers. Plain numbers cross into wasm and back with no externref table
//! slot (a slot would be a garbage-collector root and would keep a dropped
//! store alive), so the binding never holds a JS value and never calls into
//! JS: a callback that re-enters the store can never find it borrowed.
//!
//! The binding is plain exported functions over a queue's address, not a
//! wasm-bindgen class: a class method pays for a null check and a borrow
//! flag, whose error messages also bring a `TextDecoder` into the glue (as
//! a class, these functions made the core 2,888 bytes larger, about 240 per
//! method, and a join+release pair 2.1 to 2.3 times as slow), and even
//! wasm-bindgen's free functions pay for a wrapper each (985 bytes, about 80
//! per function, and 1.3 to 1.6 times the time), which the one caller never
//! needs (`npm run bench:wasm-costs`, see BENCHMARKS.md). That caller,
//! `pkg-template/core/core-lock.js` (functions over a store's state), calls them
//! on the instance's exports: it takes an address from [`lock_new`], passes
//! it to every other function, and hands it to [`lock_free`] once, from a
//! `FinalizationRegistry`, when nothing can call with it any more. Booleans
//! cross as `u32`s (JS passes `true` as 1), so no argument can be an invalid
//! `bool`. None goes through wasm-bindgen, whose generated glue only
//! instantiates the module.
//!
//! Results are small integers so that each call is one crossing: a negative
//! number is an outcome ([`GRANTED`], [`BUSY`], [`FULL`], [`NONE`]), anything
//! else a slot. A handed-out slot comes doubled, plus 1 if more of its batch
//! is waiting for [`lock_next_granted`].
//!
//! A keyed lock's calls pass their key ids through one buffer in wasm
//! memory ([`lock_keys`]), which the JavaScript fills just before
//! [`lock_join`]: no array crosses, and one call is one crossing.

use alloc::boxed::Box;
use core::alloc::Layout;

use crate::array::Array;
use crate::wait_queue::NO_SLOT;
use crate::{Join, Kind, WaitQueue};

// Linked for wasm-pack's wasm-bindgen run, which fails on a module without
// its intrinsics, though no export here goes through it.
use wasm_bindgen as _;

/// [`lock_join`]: the caller holds the lock now.
const GRANTED: i32 = -1;
/// [`lock_join`]: `ifAvailable` was asked and the call would wait.
const BUSY: i32 = -2;
/// [`lock_join`]: the queue already holds `maxPending` calls.
const FULL: i32 = -3;
/// No slot to hand out.
const NONE: i32 = -1;

/// One store's queue, at an address the JavaScript holds.
type Lock = *mut WaitQueue;

/// [`lock_new`]: the queue grants calls itself.
const OWN_LINE: u32 = 0;
/// [`lock_new`]: an outer line decides the order.
const OUTER_LINE: u32 = 1;

/// Creates a free lock whose queue holds at most `max_pending` calls, and
/// returns its address. `kind` is 0 for a queue that grants calls itself,
/// 1 for one whose order an outer line decides ([`WaitQueue::outer`]), 2
/// for one locked per key ([`WaitQueue::keyed`]). With no memory left, stops the instance (a trap,
/// which the constructor throws as a `WebAssembly.RuntimeError`), as
/// `Box::new` would, but without linking its panic message.
#[no_mangle]
pub extern "C" fn lock_new(max_pending: u32, kind: u32) -> Lock {
    // SAFETY: a `WaitQueue` is not zero-sized; the block is written before
    // its address leaves, and is laid out as a `Box` is, for `lock_free`.
    unsafe {
        let lock = alloc::alloc::alloc(Layout::new::<WaitQueue>()) as Lock;
        let kind = match kind {
            OWN_LINE => Kind::Own,
            OUTER_LINE => Kind::Outer,
            _ => Kind::Keyed,
        };
        if lock.is_null() {
            core::arch::wasm32::unreachable();
        }
        lock.write(WaitQueue::with_kind(max_pending, kind));
        lock
    }
}

/// Frees the lock at `lock`.
///
/// # Safety
/// `lock` came from [`lock_new`], is freed once, and is never used after.
#[no_mangle]
pub unsafe extern "C" fn lock_free(lock: Lock) {
    drop(Box::from_raw(lock));
}

/// A call (`deadline` is `Infinity` for none). On a lock that is not
/// keyed, `n` is ignored and the result is `GRANTED`, `BUSY`, `FULL` or the
/// call's slot. On a keyed lock, the call is on the first `n` key ids of
/// the buffer (none: the whole store; `n` is at most what [`lock_keys`]
/// was last given), and the result is its slot doubled, plus 1 if it holds
/// the lock now (release it with [`lock_release`]), or `BUSY` or `FULL`.
/// One function for every kind of call: each export costs its wrapper.
///
/// # Safety
/// `lock` came from [`lock_new`] and is not freed (so for every function below).
#[no_mangle]
pub unsafe extern "C" fn lock_join(
    lock: Lock,
    n: u32,
    shared: u32,
    if_available: u32,
    deadline: f64,
) -> i32 {
    let queue = &mut *lock;
    let (shared, if_available) = (shared != 0, if_available != 0);
    let keyed = queue.is_keyed();
    let joined = if keyed {
        let keys = &*core::ptr::addr_of!(KEYS);
        let keys = keys.as_slice().get(..n as usize).unwrap_or_default();
        queue.join_keys_with(keys, shared, if_available, deadline)
    } else {
        queue.join_with(shared, if_available, deadline)
    };
    match joined {
        Join::Granted => GRANTED,
        // A keyed queue's slots come doubled, plus 1 for a holder.
        Join::Queued(slot) => (slot as i32) << keyed as u32,
        Join::Holds(slot) => slot as i32 * 2 + 1,
        Join::Busy => BUSY,
        Join::Full => FULL,
    }
}

/// The buffer of key ids for [`lock_join`], one for every lock: the
/// JavaScript is single-threaded and fills it just before each call.
static mut KEYS: Array<u32> = Array::new();

/// The address of room for `n` key ids, for [`lock_join`]. With no
/// memory left, stops the instance, as [`lock_new`] does.
///
/// # Safety
/// Not called while [`lock_join`] reads the buffer (it never is: wasm
/// here is single-threaded and calls no JavaScript).
#[no_mangle]
pub unsafe extern "C" fn lock_keys(n: u32) -> *mut u32 {
    let keys = &mut *core::ptr::addr_of_mut!(KEYS);
    if !keys.room(n as usize, &0) {
        core::arch::wasm32::unreachable();
    }
    keys.as_slice().as_ptr().cast_mut()
}

/// Ends one holder's turn (on a keyed lock, the turn of the holder in
/// `slot`; elsewhere `slot` is ignored): the first slot that granted
/// (encoded), or `NONE`.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_release(lock: Lock, slot: u32) -> i32 {
    let queue = &mut *lock;
    let granted = if queue.is_keyed() {
        queue.release_slot_or_none(slot)
    } else {
        queue.release_or_none()
    };
    handed(queue, granted)
}

/// The next slot of a granted batch (encoded), or `NONE`.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_next_granted(lock: Lock) -> i32 {
    let slot = (*lock).next_granted_or_none();
    handed(&*lock, slot)
}

/// Removes the waiter in `slot`; `false` if it holds none. May grant
/// shared waiters behind it: take them with `lock_next_granted`.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_cancel(lock: Lock, slot: u32) -> bool {
    (*lock).cancel(slot)
}

/// An outer line's turn for the waiter in `slot`: `true` if it now holds
/// the lock, `false` if it gave up first.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_grant(lock: Lock, slot: u32) -> bool {
    (*lock).grant(slot)
}

/// Counts a call an outer line granted at once as a holder.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_hold(lock: Lock) {
    (*lock).hold()
}

/// Removes a waiter whose deadline is at or before `now` and returns its
/// slot (plain, not encoded), or `NONE`. Take any grants with `lock_next_granted`.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_expire(lock: Lock, now: f64) -> i32 {
    (*lock).expire(now).map_or(NONE, |slot| slot as i32)
}

/// The earliest deadline of a waiting call, or `Infinity`.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_next_deadline(lock: Lock) -> f64 {
    (*lock).next_deadline().unwrap_or(f64::INFINITY)
}

/// Gives back the free slots above the highest one in use; returns how
/// many slots are left (every slot in use is below it).
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_trim(lock: Lock) -> u32 {
    (*lock).trim()
}

/// How many calls wait, not counting the holders.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_pending(lock: Lock) -> u32 {
    (*lock).waiting()
}

/// Whether a call holds the lock or is being handed it.
///
/// # Safety
/// As for [`lock_join`].
#[no_mangle]
pub unsafe extern "C" fn lock_locked(lock: Lock) -> bool {
    (*lock).is_locked()
}

fn handed(queue: &WaitQueue, slot: u32) -> i32 {
    if slot == NO_SLOT {
        return NONE;
    }
    (slot as i32) * 2 + queue.has_granted() as i32
}
