// The small integer ids a per-key store gives its keys, for the core's key
// lines (src/key_lines.rs): a key compares as a `Map` key does
// (SameValueZero: NaN equals NaN, 0 equals -0, objects by identity). An id
// lives while some call uses its key, and is then freed for the next new
// key, so ids stay below the number of keys in use at once, and the core's
// lines with them. Functions over the store's state (store.js), which keeps
// `idOf` (each key in use, to its id), and by id `keyOf` (the key) and
// `uses` (how many calls made and not finished use it), and `freeIds`
// (the ids free for reuse, the most recently freed last).

/** The id of `key`, for one more call that uses it. */
export function takeId(s, key) {
  let id = s.idOf.get(key)
  if (id === undefined) {
    id = s.freeIds.length > 0 ? s.freeIds.pop() : s.keyOf.length
    s.idOf.set(key, id)
    s.keyOf[id] = key
    s.uses[id] = 0
  }
  s.uses[id]++
  return id
}

/** A call that used the key of `id` is done with it; the last frees the id. */
export function dropId(s, id) {
  if (--s.uses[id] > 0) return
  s.idOf.delete(s.keyOf[id])
  s.keyOf[id] = undefined
  s.freeIds.push(id)
}
