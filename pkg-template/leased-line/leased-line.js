// LeasedLine: the process side of a lock line kept on a server (RedisLock,
// PgLock), spoken to through the QueueLock protocol a store's `lock` option
// takes. It knows this participant's places, their states and leases; the
// server (a transport: Lua scripts in Redis, SQL functions in PostgreSQL)
// keeps the one line every process shares and decides every grant.
//
// Implementation details. Each call takes its place with one statement (a
// round trip) that hands it a ticket and appends it to the line; a store's own
// queue stays in its core, so only calls a store has let through reach here.
// Every statement the server runs reaps the entries whose lease has passed,
// grants the front of the line and answers with the same reply: this
// participant's new grants, the calls waiting and holding in the whole line,
// when to look next, and the statement's own result. Grants to other
// participants reach them through the transport's wake-up channel (BLPOP,
// LISTEN), with no polling. Every entry, waiting or held, has a lease that
// this participant renews while the call waits or runs, and a participant
// with calls waiting looks again when the first lease in the line runs out,
// so a dead process holds up the line for at most one lease. A renewal that
// finds a waiting entry granted grants it here too: a lost wake-up costs at
// most a third of a lease. Grants reach a participant by two connections
// (replies and wake-ups), so one can overtake another: a participant starts
// its granted calls in line order, a later one only once every earlier one
// of its own is granted or gone (#grantInOrder).
//
// A transport has `request(id, ifAvailable, maxPending)`, `renew(ids)` and
// `leave(ids)`, each resolving with the reply [mine, waiting, held,
// nextCheck, result]; `waiting()`, called when this participant has calls
// waiting for a grant; and `close(ids)`, which removes those entries and ends
// its connections. It tells the line of grants with `wake(id)`, of a lost
// connection with `lost()` and of one regained with `ready()`.

import { LockBusyError, QueueFullError } from '../store/errors.js'
import { expect, isObject } from '../store/options.js'

/** How often, as a share of the lease, a participant renews its entries. */
const renewalsPerLease = 3

/**
 * `new <kind>(options)`'s options, each read once and checked: the server
 * connection `connection.key` (valid if `connection.valid`, else a TypeError
 * saying it must be `connection.wanted`), `name`, `lease` and `maxPending`.
 */
export function readOptions(kind, options, connection) {
  const name = `new ${kind}(options): options`
  expect(isObject(options), options, name, `an object with ${connection.key}, name and lease`)
  const { [connection.key]: server, name: lineName, lease, maxPending } = options
  expect(connection.valid(server), server, `${name}.${connection.key}`, connection.wanted)
  expect(typeof lineName === 'string' && lineName !== '', lineName, `${name}.name`, 'a non-empty string')
  expect(typeof lease === 'number' && lease > 0 && Number.isFinite(lease), lease, `${name}.lease`, 'a positive number of milliseconds')
  expect(maxPending === undefined || (Number.isSafeInteger(maxPending) && maxPending >= 0), maxPending, `${name}.maxPending`, 'a non-negative integer')
  return { server, name: lineName, lease, maxPending }
}

export class LeasedLine {
  #transport
  #kind
  #server
  #name
  #lease
  #maxPending
  #participant = `${process.pid.toString(36)}.${Math.random().toString(36).slice(2, 10)}`
  /** Every place of this participant still known to the server, by entry id. */
  #places = new Map()
  /** Entry ids given up while the server was out of reach, removed once it is back. */
  #abandoned = new Set()
  #count = 0
  #waiting = 0
  #held = 0
  #checkTimer = undefined
  #checkAt = Infinity
  #closed = false

  /**
   * @param {{ kind: string, server: string, name: string, lease: number, maxPending?: number,
   *   connect: (line: object) => object }} settings `kind` names the class in
   *   errors, `server` the server; the options are readOptions'; `connect`
   *   makes the transport.
   */
  constructor({ kind, server, name, lease, maxPending, connect }) {
    this.#kind = kind
    this.#server = server
    this.#name = name
    this.#lease = Math.ceil(lease)
    this.#maxPending = maxPending ?? -1
    this.#transport = connect({
      name,
      lease: this.#lease,
      participant: this.#participant,
      wake: (id) => this.#wakeAll([id]),
      lost: () => this.#connectionLost(),
      ready: () => this.#ready(),
      hasWaiting: () => !this.#closed && [...this.#places.values()].some((place) => place.state !== 'held'),
    })
  }

  /** Calls waiting in the whole line, across every process, as of this lock's last word with the server. */
  get pending() {
    return this.#waiting
  }

  /** Whether any process held the lock, as of this lock's last word with the server. */
  get locked() {
    return this.#held > 0
  }

  /** Takes a place in the line for one call (one statement, one round trip). */
  request(mode, ifAvailable, granted, failed) {
    expect(mode === 'exclusive' || mode === 'shared', mode, `${this.#kind} request: mode`, "'exclusive' or 'shared'")
    const id = `${mode === 'shared' ? 's' : 'x'}|${this.#participant}|${(this.#count++).toString(36)}`
    const place = { id, state: 'requesting', granted, failed, token: undefined, controller: undefined, grantSeen: false }
    if (this.#closed) {
      place.state = 'done'
      queueMicrotask(() => failed(this.#error('is closed')))
      return place
    }
    this.#places.set(id, place)
    this.#transport.request(id, ifAvailable, this.#maxPending).then(
      (reply) => this.#placeTaken(place, this.#settle(reply)),
      (error) => {
        this.#places.delete(id)
        this.#abandoned.add(id) // in case the statement ran and only its reply was lost
        if (place.state !== 'requesting') return
        place.state = 'done'
        failed(this.#error(`could not take a place in line: ${this.#server} is out of reach`, error))
      },
    )
    return place
  }

  /** Leaves the line before the grant; `false` once the grant has been given. */
  cancel(place) {
    if (place.state === 'requesting') {
      place.state = 'cancelled'
      return true
    }
    if (place.state !== 'waiting') return false
    place.state = 'cancelled'
    this.#places.delete(place.id)
    this.#leave([place.id])
    // Later places it held back go on, once the caller is done with its own state.
    queueMicrotask(() => this.#grantInOrder())
    return true
  }

  /** Ends a granted turn: the entry leaves the line and the next in line is granted. */
  release(place) {
    if (place.state !== 'held') return
    place.state = 'done'
    this.#places.delete(place.id)
    this.#leave([place.id])
  }

  /**
   * Leaves the line for good: waiting calls fail, holders' signals abort,
   * every entry of this lock is removed from the server and the lock's own
   * connections are closed. The user's client or pool is left as it was.
   */
  async close() {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#checkTimer)
    const ids = [...this.#places.keys(), ...this.#abandoned]
    this.#dropAll(this.#error('is closed'))
    await this.#transport.close(ids)
  }

  #error(what, cause) {
    return new Error(`${this.#kind} "${this.#name}" ${what}`, cause === undefined ? undefined : { cause })
  }

  /** The reply to a request: refused, taken (and perhaps granted already), or taken by a call given up meanwhile. */
  #placeTaken(place, result) {
    if (result === 'busy' || result === 'full') {
      this.#places.delete(place.id)
      if (place.state !== 'requesting') return
      place.state = 'done'
      place.failed(result === 'busy' ? new LockBusyError() : new QueueFullError())
    } else if (place.state === 'requesting') {
      place.token = result
      place.state = 'waiting'
      if (place.grantSeen) this.#wakeAll([place.id])
      else this.#transport.waiting()
    } else {
      // Cancelled, or given up on a lost connection, while the statement ran.
      this.#places.delete(place.id)
      this.#leave([place.id])
    }
  }

  /** Takes in the state every reply reports; returns the statement's own result. */
  #settle([mine, waiting, held, nextCheck, result]) {
    this.#waiting = waiting
    this.#held = held
    this.#wakeAll(mine)
    const renewal = this.#lease / renewalsPerLease
    this.#scheduleCheck(nextCheck >= 0 ? Math.min(nextCheck, renewal) : renewal)
    return result
  }

  /** The server granted the entries `ids`: starts them, in line order. */
  #wakeAll(ids) {
    for (const id of ids) {
      const place = this.#places.get(id)
      // Cancelled or released meanwhile: its leave statement hands the grant on.
      if (place !== undefined) place.grantSeen = true
    }
    this.#grantInOrder()
    // One is held back behind an earlier place: renew now to learn that place's state.
    if (ids.some((id) => this.#places.get(id)?.state === 'waiting')) this.#scheduleCheck(0)
  }

  /**
   * Starts, in line order, the places the server has granted, up to the
   * first it has not (as far as this process knows). Holders are a prefix of
   * the line, so a later grant means every earlier place of this participant
   * is granted or gone: one whose grant comes by the other connection, or
   * that the server dropped with an expired lease, holds the later ones back
   * until its wake-up or the renewal that #wakeAll asks for.
   */
  #grantInOrder() {
    for (const place of this.#places.values()) {
      if (place.state === 'held' || place.state === 'cancelled') continue
      if (place.state !== 'waiting' || !place.grantSeen) return
      this.#grant(place)
    }
  }

  #grant(place) {
    place.state = 'held'
    place.controller = new AbortController()
    place.granted({ token: place.token, signal: place.controller.signal })
  }

  #leave(ids) {
    if (this.#closed) return
    this.#transport.leave(ids).then(
      (reply) => this.#settle(reply),
      () => ids.forEach((id) => this.#abandoned.add(id)),
    )
  }

  /** Runs the renewal in `ms` milliseconds, unless one is due sooner. */
  #scheduleCheck(ms) {
    if (this.#closed || this.#places.size === 0) return
    const at = Date.now() + ms
    if (at >= this.#checkAt) return
    clearTimeout(this.#checkTimer)
    this.#checkAt = at
    this.#checkTimer = setTimeout(() => this.#check(), ms + 1)
  }

  /**
   * Renews the lease of every entry of this participant, learns of grants a
   * lost wake-up did not bring, and (on the server) reaps expired entries.
   */
  #check() {
    this.#checkAt = Infinity
    clearTimeout(this.#checkTimer)
    const places = [...this.#places.values()].filter((place) => place.state === 'waiting' || place.state === 'held')
    if (places.length === 0) return
    this.#scheduleCheck(this.#lease / renewalsPerLease)
    this.#transport.renew(places.map((place) => place.id)).then(
      (reply) => {
        const states = this.#settle(reply)
        places.forEach((place, i) => {
          if (states[i] === 0) this.#lose(place, this.#error(`lost its place: its lease ran out in ${this.#server}`))
          else if (states[i] === 2) place.grantSeen = true
        })
        this.#grantInOrder()
      },
      (error) => {
        const lost = this.#error(`could not renew its lease: ${this.#server} is out of reach`, error)
        for (const place of places) this.#lose(place, lost)
      },
    )
  }

  /** A place this participant can no longer vouch for: a waiting call fails, a holder's signal aborts. */
  #lose(place, error) {
    if (place.state === 'waiting') {
      place.state = 'done'
      this.#places.delete(place.id)
      this.#abandoned.add(place.id)
      place.failed(error)
    } else if (place.state === 'held') {
      place.controller.abort(error)
    }
  }

  #dropAll(error) {
    for (const place of [...this.#places.values()]) {
      if (place.state === 'requesting') {
        place.state = 'done'
        place.failed(error)
      } else {
        this.#lose(place, error)
      }
    }
  }

  #connectionLost() {
    if (this.#closed) return
    this.#dropAll(this.#error(`lost its connection to ${this.#server}`))
  }

  /**
   * The server is back in reach: removes the entries given up while it was
   * away, so they hold up no one for a lease, and looks again at once for
   * grants a lost wake-up may not have brought.
   */
  #ready() {
    if (this.#closed) return
    if (this.#abandoned.size > 0) {
      const ids = [...this.#abandoned]
      this.#abandoned.clear()
      this.#leave(ids)
    }
    this.#check()
  }
}
