// RedisLock: one strictly FIFO line shared by every process that uses the
// same Redis and lock name, spoken to through the QueueLock protocol a store's
// `lock` option takes.
//
// Implementation details. Each call takes its place with one script (a round
// trip) that hands it a ticket and appends it to a sorted set ordered by
// ticket, so the line is the order in which calls reached Redis. Every
// script that removes an entry then grants the front of the line and pushes
// each new grant onto the owning participant's wake list, which that
// participant waits on with BLPOP on a connection of its own: hand-off takes
// about one round trip, with no polling. Every entry, waiting or held, has a
// lease that this participant renews while the call waits or runs; an entry
// whose lease has passed is removed by the next script to run, and a
// participant with calls waiting runs one when the first lease in the line
// runs out, so a dead process holds up the line for at most one lease. The
// ticket is the grant's fencing token (see redis-scripts.js).

import { LockBusyError, QueueFullError } from '../store/errors.js'
import { expect, isObject } from '../store/options.js'
import { leaveScript, renewScript, requestScript } from './redis-scripts.js'

/** How often, as a share of the lease, a participant renews its entries. */
const renewalsPerLease = 3

/** `new RedisLock(options)`'s options, each read once and checked. */
function readOptions(options) {
  const name = 'new RedisLock(options): options'
  expect(isObject(options), options, name, 'an object with client, name and lease')
  const { client, name: lineName, lease, maxPending } = options
  expect(typeof client?.duplicate === 'function', client, `${name}.client`, 'an ioredis client')
  expect(typeof lineName === 'string' && lineName !== '', lineName, `${name}.name`, 'a non-empty string')
  expect(typeof lease === 'number' && lease > 0 && Number.isFinite(lease), lease, `${name}.lease`, 'a positive number of milliseconds')
  expect(maxPending === undefined || (Number.isSafeInteger(maxPending) && maxPending >= 0), maxPending, `${name}.maxPending`, 'a non-negative integer')
  return { client, name: lineName, lease, maxPending }
}

export class RedisLock {
  #commands
  #wakeups
  #keys
  #wakeKey
  #wakePrefix
  #participant = `${process.pid.toString(36)}.${Math.random().toString(36).slice(2, 10)}`
  #name
  #lease
  #maxPending
  /** Every place of this participant still known to Redis, by entry id. */
  #places = new Map()
  /** Entry ids given up while Redis was out of reach, removed once it is back. */
  #abandoned = new Set()
  #count = 0
  #waiting = 0
  #held = 0
  #listening = false
  #checkTimer = undefined
  #checkAt = Infinity
  #closed = false

  /**
   * @param {{ client: import('ioredis').Redis, name: string, lease: number, maxPending?: number }} options
   */
  constructor(options) {
    const { client, name, lease, maxPending } = readOptions(options)
    this.#name = name
    this.#lease = Math.ceil(lease)
    this.#maxPending = maxPending ?? -1
    const prefix = `async-atomic-store:{${name}}:`
    this.#keys = ['seq', 'line', 'leases', 'holders'].map((key) => prefix + key)
    this.#wakePrefix = `${prefix}wake:`
    this.#wakeKey = this.#wakePrefix + this.#participant
    // Two connections of the lock's own, so the user's client is never
    // blocked: one for the scripts, one that waits for grants. A command
    // that cannot reach Redis fails at the first failed reconnection
    // instead of waiting for it, a script that gets no answer within a lease
    // (a hung server) fails too, and none is sent twice. CLIENT LIST shows
    // them by name.
    const own = { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, enableOfflineQueue: true }
    const connectionName = `async-atomic-store:${name.replace(/[^!-~]/g, '_')}`
    this.#commands = client.duplicate({ ...own, commandTimeout: this.#lease, connectionName: `${connectionName}:commands` })
    this.#wakeups = client.duplicate({ ...own, connectionName: `${connectionName}:wakeups` })
    this.#commands.defineCommand('aasRequest', { numberOfKeys: 4, lua: requestScript })
    this.#commands.defineCommand('aasRenew', { numberOfKeys: 4, lua: renewScript })
    this.#commands.defineCommand('aasLeave', { numberOfKeys: 4, lua: leaveScript })
    for (const connection of [this.#commands, this.#wakeups]) {
      connection.on('error', () => {}) // reported through the calls that fail, not as an unhandled event
      connection.on('close', () => this.#connectionLost())
    }
    this.#commands.on('ready', () => this.#forgetAbandoned())
  }

  /** Calls waiting in the whole line, across every process, as of this lock's last word with Redis. */
  get pending() {
    return this.#waiting
  }

  /** Whether any process held the lock, as of this lock's last word with Redis. */
  get locked() {
    return this.#held > 0
  }

  /** Takes a place in the line for one call (one script, one round trip). */
  request(mode, ifAvailable, granted, failed) {
    expect(mode === 'exclusive' || mode === 'shared', mode, 'RedisLock request: mode', "'exclusive' or 'shared'")
    const id = `${mode === 'shared' ? 's' : 'x'}|${this.#participant}|${(this.#count++).toString(36)}`
    const place = { id, state: 'requesting', granted, failed, token: undefined, controller: undefined, grantSeen: false }
    if (this.#closed) {
      place.state = 'done'
      queueMicrotask(() => failed(this.#error('is closed')))
      return place
    }
    this.#places.set(id, place)
    const args = [...this.#argv(), id, ifAvailable ? '1' : '0', this.#maxPending]
    this.#commands.aasRequest(...this.#keys, ...args).then(
      (reply) => {
        const result = this.#settle(reply)
        if (result === 'busy' || result === 'full') {
          this.#places.delete(id)
          if (place.state !== 'requesting') return
          place.state = 'done'
          failed(result === 'busy' ? new LockBusyError() : new QueueFullError())
        } else if (place.state === 'requesting') {
          place.token = result
          place.state = 'waiting'
          if (place.grantSeen) this.#grant(place)
          else this.#listen()
        } else {
          // Cancelled, or given up on a lost connection, while the script ran.
          this.#places.delete(id)
          this.#leave([id])
        }
      },
      (error) => {
        this.#places.delete(id)
        this.#abandoned.add(id) // in case the script ran and only its reply was lost
        if (place.state !== 'requesting') return
        place.state = 'done'
        failed(this.#error('could not take a place in line: Redis is out of reach', error))
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
   * every entry of this lock is removed from Redis and both of its own
   * connections are closed. The user's client is left as it was.
   */
  async close() {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#checkTimer)
    const ids = [...this.#places.keys(), ...this.#abandoned]
    this.#dropAll(this.#error('is closed'))
    if (ids.length > 0) {
      await this.#commands.aasLeave(...this.#keys, ...this.#argv(), ...ids).catch(() => {})
    }
    this.#wakeups.disconnect()
    await this.#commands.quit().catch(() => this.#commands.disconnect())
  }

  #argv() {
    return [this.#wakePrefix, this.#participant, this.#lease]
  }

  #error(what, cause) {
    return new Error(`RedisLock "${this.#name}" ${what}`, cause === undefined ? undefined : { cause })
  }

  /** Takes in the state every script reports; returns the script's own result. */
  #settle([mine, waiting, held, nextCheck, result]) {
    this.#waiting = waiting
    this.#held = held
    for (const id of mine) this.#wake(id)
    const renewal = this.#lease / renewalsPerLease
    this.#scheduleCheck(nextCheck >= 0 ? Math.min(nextCheck, renewal) : renewal)
    return result
  }

  #wake(id) {
    const place = this.#places.get(id)
    if (place === undefined) return // cancelled or released meanwhile: its leave script hands the grant on
    if (place.state === 'waiting') this.#grant(place)
    else if (place.state === 'requesting') place.grantSeen = true
  }

  #grant(place) {
    place.state = 'held'
    place.controller = new AbortController()
    place.granted({ token: place.token, signal: place.controller.signal })
  }

  #leave(ids) {
    if (this.#closed) return
    this.#commands.aasLeave(...this.#keys, ...this.#argv(), ...ids).then(
      (reply) => this.#settle(reply),
      () => ids.forEach((id) => this.#abandoned.add(id)),
    )
  }

  /** Waits on this participant's wake list for as long as it has calls waiting. */
  async #listen() {
    if (this.#listening) return
    this.#listening = true
    const timeoutSeconds = Math.max(this.#lease / 1000, 1)
    try {
      while (!this.#closed && [...this.#places.values()].some((place) => place.state !== 'held')) {
        const popped = await this.#wakeups.blpop(this.#wakeKey, timeoutSeconds)
        if (popped !== null) this.#wake(popped[1])
      }
    } catch {
      // The connection dropped: #connectionLost has failed the waiting calls.
    } finally {
      this.#listening = false
    }
  }

  /** Runs the renewal script in `ms` milliseconds, unless one is due sooner. */
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
   * lost wake-up did not bring, and (in the script) reaps expired entries.
   */
  #check() {
    this.#checkAt = Infinity
    const places = [...this.#places.values()].filter((place) => place.state === 'waiting' || place.state === 'held')
    if (places.length === 0) return
    this.#scheduleCheck(this.#lease / renewalsPerLease)
    this.#commands.aasRenew(...this.#keys, ...this.#argv(), ...places.map((place) => place.id)).then(
      (reply) => {
        const states = this.#settle(reply)
        places.forEach((place, i) => {
          if (states[i] === 0) this.#lose(place, this.#error('lost its place: its lease ran out in Redis'))
          else if (states[i] === 2 && place.state === 'waiting') this.#grant(place)
        })
      },
      (error) => {
        const lost = this.#error('could not renew its lease: Redis is out of reach', error)
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
    this.#dropAll(this.#error('lost its connection to Redis'))
  }

  /** Once Redis is back, removes the entries given up while it was away, so they wait for no lease. */
  #forgetAbandoned() {
    if (this.#abandoned.size === 0 || this.#closed) return
    const ids = [...this.#abandoned]
    this.#abandoned.clear()
    this.#leave(ids)
  }
}
