//! Growing a `Vec` in the two steps the queue needs: reserve (which may
//! fail, and then changes nothing), then push (which cannot fail). Written so
//! that the wasm links no panic and one growth routine only.

use alloc::vec::Vec;

/// Appends `value` if `vec` has room for it without growing; `false` if not.
/// Code that reserved first uses it, so that no growth (and no panic on a
/// failed one) is compiled in.
pub(crate) fn push_reserved<T>(vec: &mut Vec<T>, value: T) -> bool {
    let room = vec.len() < vec.capacity();
    if room {
        vec.push(value);
    }
    room
}

/// Makes room in `vec` for `additional` more elements, at least doubling its
/// capacity when it grows, as `Vec::try_reserve` does; `false` if there is
/// no memory for them. Every growth goes through `try_reserve_exact`, so the
/// wasm links one growth routine, not two.
pub(crate) fn reserve<T>(vec: &mut Vec<T>, additional: usize) -> bool {
    let needed = vec.len().saturating_add(additional);
    needed <= vec.capacity()
        || vec
            .try_reserve_exact(needed.max(vec.capacity().saturating_mul(2)) - vec.len())
            .is_ok()
}
