// The small integer ids a per-key store gives its keys, for the core's key
// lines (src/key_lines.rs): a key compares as a `Map` key does
// (SameValueZero: NaN equals NaN, 0 equals -0, objects by identity). An id
// lives while some call uses its key, and is then freed for the next new
// key, so ids stay below the number of keys in use at once, and the core's
// lines with them.

/** The ids of the keys a store's calls use. */
export class KeyIds {
  constructor() {
    /** Each key in use, to its id. */
    this.idOf = new Map()
    /** By id: the key, and how many of the calls made and not finished use it. */
    this.keyOf = []
    this.uses = []
    /** Ids free for reuse, the most recently freed last. */
    this.free = []
  }

  /** The id of `key`, for one more call that uses it. */
  take(key) {
    let id = this.idOf.get(key)
    if (id === undefined) {
      id = this.free.length > 0 ? this.free.pop() : this.keyOf.length
      this.idOf.set(key, id)
      this.keyOf[id] = key
      this.uses[id] = 0
    }
    this.uses[id]++
    return id
  }

  /** A call that used the key of `id` is done with it; the last frees the id. */
  drop(id) {
    if (--this.uses[id] > 0) return
    this.idOf.delete(this.keyOf[id])
    this.keyOf[id] = undefined
    this.free.push(id)
  }

  /** How many keys some call uses. */
  get size() {
    return this.idOf.size
  }
}
