// SharedLock: one strictly FIFO lock for many threads (Web Workers,
// worker_threads), kept in a SharedArrayBuffer that every thread maps.
//
// Implementation details. The line is a ring of places, one Int32 each,
// indexed by ticket (ticket mod capacity). A call takes the ticket at the
// tail by writing its place in one compare-and-swap, so it is in line the
// moment `request` returns, and tickets are taken strictly in order (the tail
// only moves past a place once it is taken). A place's word says whose it is
// (participant), which round of the ring (lap) and its state:
//
//   waiting (shared | exclusive) -> held (shared | exclusive) -> released
//   waiting                      -> cancelled
//
// Every change of a place is one compare-and-swap, so a cancel racing the
// grant of the same place has exactly one winner. Whoever changes a place
// then runs `advance`: from the head of the line it skips finished places and
// grants what the Web Locks order allows: the first waiting place if nothing
// ahead of it is held, and, while nothing exclusive is ahead, every waiting
// shared place. Any thread may advance at once; each grant is a
// compare-and-swap, so concurrent advances grant each place once. A grant
// bumps the owner's signal word and notifies it: each participant waits on its
// own word (Atomics.waitAsync), so a release wakes exactly the owners of the
// places it granted. See the README's "How it works" for why nothing is lost.

import { LockBusyError, QueueFullError } from '../store/errors.js'
import { describe, expect, isObject } from '../store/options.js'

/** The buffer's first word, so `SharedLock.from` can tell a handle's buffer from any other. */
const MAGIC = 0x534c4f43

// Header words.
const H_MAGIC = 0
const H_ID = 1
const H_LOG_CAPACITY = 2
const H_MAX_PENDING = 3
const H_HEAD = 4
const H_TAIL = 5
const H_WAITING = 6
/** Participant p has words PARTICIPANTS + 2p (generation << 2 | status) and + 2p + 1 (its signal). */
const PARTICIPANTS = 8
/** Participant ids are 1 to 255: a place keeps its owner in 8 bits. */
const MAX_PARTICIPANTS = 255
const RING = PARTICIPANTS + 2 * (MAX_PARTICIPANTS + 1)

// Participant statuses.
const FREE = 0
const SHARED = 1
const ATTACHED = 2
const ABANDONING = 3

// A place's word: lap << 11 | owner << 3 | state.
const WAIT_SHARED = 1
const WAIT_EXCLUSIVE = 2
const HELD_SHARED = 3
const HELD_EXCLUSIVE = 4
const RELEASED = 5
const CANCELLED = 6
/** waiting + GRANT = held, for both modes. */
const GRANT = HELD_SHARED - WAIT_SHARED
const STATE = 7
const OWNER_SHIFT = 3
const LAP_SHIFT = 11

// A place as its requester keeps it.
const PLACE_WAITING = 1
const PLACE_HELD = 2
const PLACE_DONE = 3
/** Its `failed` call is scheduled; a cancel still stops it. */
const PLACE_FAILING = 4

const DEFAULT_CAPACITY = 16384
const MAX_LOG_CAPACITY = 20
const NO_LIMIT = 0x7fffffff


function requireSharedMemory(where) {
  if (typeof SharedArrayBuffer !== 'function' || globalThis.crossOriginIsolated === false) {
    throw new Error(
      `${where}: SharedArrayBuffer is not available, so no lock can be shared between threads. ` +
        'A browser gives it only to cross-origin isolated pages and their workers: serve them with the headers ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
    )
  }
}

function readOptions(options) {
  const name = 'new SharedLock(options): options'
  if (options === undefined) return { capacity: DEFAULT_CAPACITY, maxPending: Infinity }
  expect(isObject(options), options, name, 'an object')
  const { capacity = DEFAULT_CAPACITY, maxPending = Infinity } = options
  expect(
    Number.isInteger(capacity) && capacity >= 2 && capacity <= 2 ** MAX_LOG_CAPACITY,
    capacity,
    `${name}.capacity`,
    `an integer from 2 to ${2 ** MAX_LOG_CAPACITY}`,
  )
  expect(maxPending === Infinity || (Number.isInteger(maxPending) && maxPending >= 0), maxPending, `${name}.maxPending`, 'a non-negative integer or Infinity')
  return { capacity, maxPending }
}

/**
 * A promise that settles once `i32[index]` is no longer `value` or is
 * notified. Atomics.waitAsync where the engine has it; elsewhere (Firefox
 * before 145) a small worker blocks in Atomics.wait for this thread and posts
 * back when it wakes.
 */
function signalWaiter(i32, index) {
  if (typeof Atomics.waitAsync === 'function') {
    return (value) => {
      const wait = Atomics.waitAsync(i32, index, value)
      return wait.async ? wait.value : Promise.resolve()
    }
  }
  const source =
    'let i32, index\n' +
    'onmessage = ({ data }) => {\n' +
    "  if (typeof data !== 'number') return void ({ i32, index } = data)\n" +
    '  Atomics.wait(i32, index, data)\n' +
    '  postMessage(0)\n' +
    '}\n'
  const watcher = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })))
  watcher.postMessage({ i32, index })
  let wake
  watcher.onmessage = () => wake()
  return (value) =>
    new Promise((resolve) => {
      wake = resolve
      watcher.postMessage(value)
    })
}

/** Set while `SharedLock.from` constructs the instance for a handle. */
let attaching

/**
 * A strictly FIFO lock shared by threads. Implements the `QueueLock`
 * protocol a store's `lock` option speaks; see index.d.ts.
 */
export class SharedLock {
  #i32
  #mask
  #log
  #lapMask
  #id
  #signal
  /** This participant's places that wait, in ticket order (grants come in that order too). */
  #line = []
  #lineStart = 0
  #waitingHere = 0
  #delivering = false
  #watching = false
  #wait
  #keepAlive

  /**
   * A new lock in a new SharedArrayBuffer. `capacity` (default 16384, rounded
   * up to a power of two) is how many places the line has: holders and
   * waiting calls of every thread together. `maxPending` bounds the waiting
   * calls across threads.
   */
  constructor(options) {
    if (attaching !== undefined) {
      const { i32, id } = attaching
      attaching = undefined
      this.#attach(i32, id)
      return
    }
    requireSharedMemory('new SharedLock()')
    const { capacity, maxPending } = readOptions(options)
    const log = Math.ceil(Math.log2(capacity))
    const i32 = new Int32Array(new SharedArrayBuffer((RING + 2 ** log) * 4))
    i32[H_MAGIC] = MAGIC
    i32[H_ID] = (Math.random() * 2 ** 32) | 0
    i32[H_LOG_CAPACITY] = log
    i32[H_MAX_PENDING] = maxPending === Infinity ? NO_LIMIT : maxPending
    // Every place starts as the finished place of the lap before the first.
    const lapMask = lapMaskFor(log)
    for (let slot = 0; slot < 2 ** log; slot++) i32[RING + slot] = (lapMask << LAP_SHIFT) | CANCELLED
    const id = claimParticipant(i32, ATTACHED)
    this.#attach(i32, id)
  }

  /**
   * The lock as seen by another thread: `handle` is what `share()` returned
   * (posted to this thread). Each handle attaches once.
   */
  static from(handle) {
    const i32 = handleBuffer(handle, 'SharedLock.from(handle)')
    const word = Atomics.compareExchange(i32, participantWord(handle.participant), (handle.generation << 2) | SHARED, (handle.generation << 2) | ATTACHED)
    if (word !== ((handle.generation << 2) | SHARED)) {
      throw new Error(
        'SharedLock.from(handle): this handle was already attached or abandoned; give each thread its own handle from lock.share()',
      )
    }
    attaching = { i32, id: handle.participant }
    return new SharedLock()
  }

  #attach(i32, id) {
    this.#i32 = i32
    this.#log = i32[H_LOG_CAPACITY]
    this.#mask = 2 ** this.#log - 1
    this.#lapMask = lapMaskFor(this.#log)
    this.#id = id
    this.#signal = participantWord(id) + 1
  }

  /**
   * A structured-cloneable handle for one more participant: post it to a
   * worker, which calls `SharedLock.from(handle)`.
   */
  share() {
    const id = claimParticipant(this.#i32, SHARED)
    return { sharedLock: this.#i32.buffer, participant: id, generation: Atomics.load(this.#i32, participantWord(id)) >>> 2 }
  }

  /**
   * For a participant that will not run again (its worker was terminated):
   * cancels its waiting places and releases the places it holds, so the
   * calls behind them proceed, and frees its participant slot. Returns how
   * many places it freed; abandoning a handle twice frees nothing.
   */
  abandon(handle) {
    const i32 = this.#i32
    const other = handleBuffer(handle, 'lock.abandon(handle)')
    if (other[H_ID] !== i32[H_ID]) throw new TypeError('lock.abandon(handle): the handle belongs to another SharedLock')
    const at = participantWord(handle.participant)
    const generation = handle.generation << 2
    if (
      Atomics.compareExchange(i32, at, generation | ATTACHED, generation | ABANDONING) !== (generation | ATTACHED) &&
      Atomics.compareExchange(i32, at, generation | SHARED, generation | ABANDONING) !== (generation | SHARED)
    ) {
      return 0
    }
    let freed = 0
    for (let ticket = Atomics.load(i32, H_HEAD); ; ticket = (ticket + 1) | 0) {
      const slot = RING + (ticket & this.#mask)
      const word = Atomics.load(i32, slot)
      const age = this.#age(word, ticket)
      if (age === this.#lapMask) break
      const state = word & STATE
      if (age !== 0 || state >= RELEASED || ((word >>> OWNER_SHIFT) & 255) !== handle.participant) continue
      const done = (word & ~STATE) | (state >= HELD_SHARED ? RELEASED : CANCELLED)
      if (Atomics.compareExchange(i32, slot, word, done) !== word) {
        ticket = (ticket - 1) | 0 // changed meanwhile (granted): look again
        continue
      }
      if (state < HELD_SHARED) Atomics.sub(i32, H_WAITING, 1)
      freed++
    }
    this.#advance()
    // The thread that ended may have been stopped between a grant and its
    // wake-up call: wake every participant, so each checks its own places.
    for (let id = 1; id <= MAX_PARTICIPANTS; id++) {
      if ((Atomics.load(i32, participantWord(id)) & 3) === ATTACHED) {
        Atomics.add(i32, participantWord(id) + 1, 1)
        Atomics.notify(i32, participantWord(id) + 1)
      }
    }
    Atomics.store(i32, at, generation | FREE)
    return freed
  }

  /** Calls waiting in the whole line, across every participant, not counting holders. */
  get pending() {
    return Atomics.load(this.#i32, H_WAITING)
  }

  /**
   * Whether any participant holds the lock: a held place between the head
   * and the tail. (Not a counter, which every take and release would pay for.)
   */
  get locked() {
    const i32 = this.#i32
    for (let ticket = Atomics.load(i32, H_HEAD); ; ticket = (ticket + 1) | 0) {
      const word = Atomics.load(i32, RING + (ticket & this.#mask))
      const age = this.#age(word, ticket)
      if (age === this.#lapMask) return false
      const state = word & STATE
      if (age === 0 && (state === HELD_SHARED || state === HELD_EXCLUSIVE)) return true
    }
  }

  /**
   * Takes a place in the line at once; calls `granted()` when it reaches the
   * head (never inside this call), or `failed(error)` if the place cannot be
   * taken: `LockBusyError` for `ifAvailable` when it would wait,
   * `QueueFullError` when the line is full or `maxPending` calls wait.
   */
  request(mode, ifAvailable, granted, failed) {
    expect(mode === 'exclusive' || mode === 'shared', mode, 'SharedLock request: mode', "'exclusive' or 'shared'")
    const place = { ticket: 0, word: 0, state: PLACE_DONE, granted, failed }
    // Read before the place is taken: a grant made after this changes it.
    const signal = Atomics.load(this.#i32, this.#signal)
    let held
    try {
      held = this.#take(place, mode === 'shared', ifAvailable)
      if (held === undefined) throw new LockBusyError()
    } catch (error) {
      place.state = PLACE_FAILING
      queueMicrotask(() => {
        if (place.state === PLACE_FAILING) failed(error)
      })
      return place
    }
    if (held) {
      queueMicrotask(() => granted())
      return place
    }
    this.#line.push(place)
    if (this.#waitingHere++ === 0) this.#keepAlive = setInterval(() => {}, 2 ** 31 - 1)
    this.#advance()
    if (!this.#watching) this.#watch(signal)
    return place
  }

  /**
   * Takes the lock at once if nothing in the line, of any thread, holds or
   * waits for it ahead of this call (for a shared call: nothing but shared
   * holders); returns the held place, to `release`, or `undefined` if the
   * call would have to wait. Never queues and never calls back: a store's
   * uncontended calls take this path instead of `request`.
   */
  acquireNow(mode) {
    const place = { ticket: 0, word: 0, state: PLACE_DONE, granted: undefined, failed: undefined }
    try {
      return this.#take(place, mode === 'shared', true) ? place : undefined
    } catch {
      return undefined // the line is full: `request` reports it
    }
  }

  /**
   * Leaves the line before the grant: `true` if the place is gone (neither
   * callback will run), `false` if the grant was made first.
   */
  cancel(place) {
    if (place.state === PLACE_FAILING) {
      place.state = PLACE_DONE
      return true
    }
    if (place.state !== PLACE_WAITING) return false
    const i32 = this.#i32
    if (Atomics.compareExchange(i32, RING + (place.ticket & this.#mask), place.word, (place.word & ~STATE) | CANCELLED) !== place.word) {
      return false
    }
    Atomics.sub(i32, H_WAITING, 1)
    place.state = PLACE_DONE
    this.#leftLine()
    this.#advance()
    return true
  }

  /** Ends a granted turn; the line moves on. */
  release(place) {
    if (place.state !== PLACE_HELD) throw new Error('SharedLock release(place): this place does not hold the lock')
    place.state = PLACE_DONE
    const i32 = this.#i32
    Atomics.compareExchange(i32, RING + (place.ticket & this.#mask), place.word, (place.word & ~STATE) | RELEASED)
    // With nothing waiting, moving the head past this place is all there is
    // to do. A call that starts to wait after this look counted itself
    // first, saw this place held, and runs `advance` itself once it is in line.
    if (Atomics.load(i32, H_WAITING) !== 0 || Atomics.compareExchange(i32, H_HEAD, place.ticket, (place.ticket + 1) | 0) !== place.ticket) {
      this.#advance()
    }
  }

  /** How many laps a place's word is ahead of `ticket`'s lap: 0 is this ticket's, lapMask the lap before (not taken yet). */
  #age(word, ticket) {
    return ((word >>> LAP_SHIFT) - ((ticket >>> this.#log) & this.#lapMask)) & this.#lapMask
  }

  /**
   * Takes the tail's ticket for `place`: `true` if it is held at once,
   * `false` if it waits, `undefined` if it would wait but `ifAvailable` says
   * not to. Throws `QueueFullError` if it cannot be taken.
   */
  #take(place, shared, ifAvailable) {
    const i32 = this.#i32
    for (;;) {
      const ticket = Atomics.load(i32, H_TAIL)
      const slot = RING + (ticket & this.#mask)
      const word = Atomics.load(i32, slot)
      if (this.#age(word, ticket) !== this.#lapMask) {
        // Taken, and the taker has not moved the tail yet: move it for them.
        Atomics.compareExchange(i32, H_TAIL, ticket, (ticket + 1) | 0)
        continue
      }
      if ((word & STATE) < RELEASED) throw new QueueFullError(`the SharedLock's ${this.#mask + 1} places are all taken`)
      const own = (((ticket >>> this.#log) & this.#lapMask) << LAP_SHIFT) | (this.#id << OWNER_SHIFT)
      place.ticket = ticket
      const head = Atomics.load(i32, H_HEAD)
      // The head moved past this ticket since the tail was read: that tail is stale.
      if (((ticket - head) | 0) < 0) continue
      if (this.#clearAhead(head, ticket, shared)) {
        place.word = own | (shared ? HELD_SHARED : HELD_EXCLUSIVE)
        if (Atomics.compareExchange(i32, slot, word, place.word) !== word) continue
        Atomics.compareExchange(i32, H_TAIL, ticket, (ticket + 1) | 0)
        place.state = PLACE_HELD
        return true
      }
      if (ifAvailable) return undefined
      place.word = own | (shared ? WAIT_SHARED : WAIT_EXCLUSIVE)
      // Counted before the place is written, so `maxPending` holds across
      // threads; count and place change with no call in between.
      if (Atomics.add(i32, H_WAITING, 1) >= Atomics.load(i32, H_MAX_PENDING)) {
        Atomics.sub(i32, H_WAITING, 1)
        throw new QueueFullError(`${Atomics.load(i32, H_MAX_PENDING)} calls already wait for the SharedLock (maxPending)`)
      }
      if (Atomics.compareExchange(i32, slot, word, place.word) === word) {
        Atomics.compareExchange(i32, H_TAIL, ticket, (ticket + 1) | 0)
        place.state = PLACE_WAITING
        return false
      }
      Atomics.sub(i32, H_WAITING, 1)
    }
  }

  /** Whether every place from `head` up to `ticket` is finished (or, for a shared call, held shared). */
  #clearAhead(head, ticket, shared) {
    for (let at = head; at !== ticket; at = (at + 1) | 0) {
      const word = Atomics.load(this.#i32, RING + (at & this.#mask))
      const state = word & STATE
      if (this.#age(word, at) === 0 && state < RELEASED && !(shared && state === HELD_SHARED)) return false
    }
    return true
  }

  /**
   * From the head of the line: moves the head past finished places and
   * grants what may run now. Stops at the first place that must still wait,
   * at an exclusive holder, or at the tail.
   */
  #advance() {
    const i32 = this.#i32
    let ticket = Atomics.load(i32, H_HEAD)
    /** Whether every place from where this scan started up to `ticket` is finished. */
    let allFinished = true
    let grantedHere = false
    for (;;) {
      const slot = RING + (ticket & this.#mask)
      const word = Atomics.load(i32, slot)
      const age = this.#age(word, ticket)
      if (age === this.#lapMask) break
      const state = word & STATE
      // A later lap in the place means this ticket finished and the place was reused.
      if (age !== 0 || state >= RELEASED) {
        if (allFinished) Atomics.compareExchange(i32, H_HEAD, ticket, (ticket + 1) | 0)
        ticket = (ticket + 1) | 0
        continue
      }
      if (state === HELD_EXCLUSIVE || (state === WAIT_EXCLUSIVE && !allFinished)) break
      if (state === WAIT_SHARED || state === WAIT_EXCLUSIVE) {
        // The grant, its counts and the owner's wake-up follow one another
        // with no call in between.
        if (Atomics.compareExchange(i32, slot, word, word + GRANT) !== word) continue
        Atomics.sub(i32, H_WAITING, 1)
        const owner = (word >>> OWNER_SHIFT) & 255
        if (owner === this.#id) {
          grantedHere = true
        } else {
          Atomics.add(i32, participantWord(owner) + 1, 1)
          Atomics.notify(i32, participantWord(owner) + 1)
        }
        if (state === WAIT_EXCLUSIVE) break
      }
      allFinished = false
      ticket = (ticket + 1) | 0
    }
    if (grantedHere && !this.#delivering) {
      this.#delivering = true
      queueMicrotask(() => this.#deliver())
    }
  }

  /** Calls `granted` for this participant's places that the line has reached, in order. */
  #deliver() {
    this.#delivering = false
    const i32 = this.#i32
    while (this.#lineStart < this.#line.length) {
      const place = this.#line[this.#lineStart]
      if (place.state === PLACE_WAITING) {
        if (Atomics.load(i32, RING + (place.ticket & this.#mask)) !== place.word + GRANT) break
        place.word += GRANT
        place.state = PLACE_HELD
        this.#line[this.#lineStart++] = undefined
        this.#leftLine()
        place.granted()
      } else {
        this.#line[this.#lineStart++] = undefined
      }
    }
  }

  /** Bookkeeping when one of this participant's waiting places is granted or cancelled. */
  #leftLine() {
    if (--this.#waitingHere > 0) return
    clearInterval(this.#keepAlive)
    this.#line = []
    this.#lineStart = 0
  }

  /**
   * Waits until this participant's signal is no longer `signal`, then
   * delivers what was granted and, while places still wait, waits again. The
   * signal is always read before the places are looked at, so a grant made
   * after the look has changed it and the wait returns at once.
   */
  #watch(signal) {
    this.#watching = true
    this.#wait ??= signalWaiter(this.#i32, this.#signal)
    this.#wait(signal).then(() => {
      this.#watching = false
      const next = Atomics.load(this.#i32, this.#signal)
      this.#deliver()
      if (!this.#watching && this.#waitingHere > 0) this.#watch(next)
    })
  }
}

function lapMaskFor(log) {
  return 2 ** Math.min(21, 32 - log) - 1
}

function participantWord(id) {
  return PARTICIPANTS + 2 * id
}

/** Takes a free participant slot, with a new generation, in `status`. */
function claimParticipant(i32, status) {
  for (let id = 1; id <= MAX_PARTICIPANTS; id++) {
    const word = Atomics.load(i32, participantWord(id))
    if ((word & 3) !== FREE) continue
    const next = ((((word >>> 2) + 1) & 0x3fffffff) << 2) | status
    if (Atomics.compareExchange(i32, participantWord(id), word, next) === word) return id
    id--
  }
  throw new Error(
    `SharedLock: all ${MAX_PARTICIPANTS} participants are in use; call lock.abandon(handle) for each thread that has ended`,
  )
}

/** The Int32Array over a handle's buffer, or a TypeError naming `where`. */
function handleBuffer(handle, where) {
  const buffer = handle !== null && typeof handle === 'object' ? handle.sharedLock : undefined
  if (
    typeof SharedArrayBuffer === 'function' &&
    buffer instanceof SharedArrayBuffer &&
    buffer.byteLength > RING * 4 &&
    Number.isInteger(handle.participant) &&
    handle.participant >= 1 &&
    handle.participant <= MAX_PARTICIPANTS &&
    Number.isInteger(handle.generation)
  ) {
    const i32 = new Int32Array(buffer)
    if (i32[H_MAGIC] === MAGIC) return i32
  }
  throw new TypeError(`${where}: handle must be what lock.share() returned, got ${describe(handle)}`)
}
