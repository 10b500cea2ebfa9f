// PgLock: one strictly FIFO line shared by every process that uses the same
// PostgreSQL database and lock name, spoken to through the QueueLock protocol
// a store's `lock` option takes.
//
// Implementation details. The process side (places, leases, renewals,
// cancel and release) is LeasedLine's (leased-line.js), as for RedisLock;
// this is its PostgreSQL transport. Each call takes its place with one
// statement through the user's pool (a function call: see pg-sql.js), which
// hands it a ticket from a per-name counter, so the line is the order in
// which calls reached PostgreSQL. A statement that grants another
// participant's entry sends a NOTIFY on that participant's channel, which it
// LISTENs to on a connection of its own: hand-off takes about one round trip,
// with no polling. The lock's statements run one at a time, so it uses at most
// one pooled connection at a time, and only for the length of a statement: a
// waiting call holds none. What the lock has to say while a statement runs
// (requests, renewals, leaves) goes in the next one, as one batch, in order.
// The ticket is the grant's fencing token.

import { LeasedLine, readOptions } from '../leased-line/leased-line.js'
import { expect, isObject } from '../store/options.js'
import { batchSql, channelOf, setupSql } from './pg-sql.js'

/** The most operations one statement carries, so that no statement locks a name's row for long. */
const maxBatch = 200

/** Pools whose database has the tables and functions (as of this process's last look). */
const setUp = new WeakSet()

export class PgLock extends LeasedLine {
  /**
   * @param {{ pool: import('pg').Pool, name: string, lease: number, maxPending?: number,
   *   listenConnection?: import('pg').ClientConfig }} options
   */
  constructor(options) {
    const { server: pool, ...line } = readOptions('PgLock', options, {
      key: 'pool',
      valid: (value) => typeof value?.query === 'function' && typeof value.Client === 'function' && isObject(value.options),
      wanted: 'a pg.Pool',
    })
    const { listenConnection } = options
    expect(
      listenConnection === undefined || isObject(listenConnection),
      listenConnection,
      'new PgLock(options): options.listenConnection',
      'node-postgres client settings (an object)',
    )
    const listen = listenConnection ?? pool.options
    super({ kind: 'PgLock', server: 'PostgreSQL', ...line, connect: (settings) => new PgTransport(pool, listen, settings) })
  }
}

/** Short statements through the pool, one at a time, and a connection of the lock's own for LISTEN. */
class PgTransport {
  #pool
  /** The settings of the LISTEN connection: the pool's, or the listenConnection option. */
  #listenSettings
  #line
  /** The LISTEN connection, once it listens; undefined while it (re)connects. */
  #listener
  /** Resolves once the tables exist and this lock listens; reset if that failed, to try again. */
  #started
  /** Operations waiting for the next statement: { op, resolve, reject }. */
  #pending = []
  /** The statement running, if one is. */
  #running
  #closed = false

  constructor(pool, listen, line) {
    this.#pool = pool
    this.#listenSettings = listen
    this.#line = line
  }

  request(id, ifAvailable, maxPending) {
    return this.#send({ op: 'request', id, ifAvailable, maxPending })
  }

  renew(ids) {
    return this.#send({ op: 'renew', ids })
  }

  leave(ids) {
    return this.#send({ op: 'leave', ids })
  }

  /** Nothing to do: the LISTEN connection stays open while the lock is. */
  waiting() {}

  /** Removes `ids` once the operations already sent have run (a release's among them), then stops listening. */
  async close(ids) {
    this.#closed = true
    if (ids.length > 0 && this.#started !== undefined) this.leave(ids).catch(() => {})
    while (this.#running !== undefined || this.#pending.length > 0) await (this.#running ?? Promise.resolve())
    const listener = this.#listener
    this.#listener = undefined
    await listener?.end().catch(() => {})
  }

  /** Queues an operation for the next statement; resolves with its reply. */
  #send(op) {
    return new Promise((resolve, reject) => {
      this.#pending.push({ op, resolve, reject })
      // The calls made in this tick go in the same statement.
      if (this.#pending.length === 1 && this.#running === undefined) queueMicrotask(() => this.#flush())
    })
  }

  /**
   * Sends every queued operation in one statement. Each gets the line's
   * state and its own result; this participant's grants come with the first.
   */
  async #flush() {
    if (this.#running !== undefined || this.#pending.length === 0) return
    const batch = this.#pending.splice(0, maxBatch)
    this.#running = this.#run(batch.map(({ op }) => op)).then(
      ([mine, waiting, held, nextCheck, results]) =>
        batch.forEach(({ resolve }, i) => resolve([i === 0 ? mine : [], waiting, held, nextCheck, results[i]])),
      (error) => batch.forEach(({ reject }) => reject(error)),
    )
    await this.#running
    this.#running = undefined
    this.#flush()
  }

  async #run(ops) {
    this.#started ??= this.#start()
    await this.#started.catch((error) => {
      this.#started = undefined
      throw error
    })
    const query = this.#pool.query(batchSql, [this.#line.name, this.#line.participant, this.#line.lease, JSON.stringify(ops)])
    const { rows } = await this.#withinLease(query)
    return rows[0].reply
  }

  /**
   * `statement`, or a failure if it gets no answer within a lease: a server
   * that hangs fails the lock's calls and aborts its holders' signals, as one
   * out of reach does, instead of leaving them waiting. (The statement may
   * still run; its entries then end with this participant's lease.)
   */
  #withinLease(statement) {
    let timer
    const deadline = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`PostgreSQL gave no answer within a lease (${this.#line.lease} ms)`)), this.#line.lease)
    })
    statement.catch(() => {}) // a late failure, once the deadline has passed, is no one's to handle
    return Promise.race([statement, deadline]).finally(() => clearTimeout(timer))
  }

  async #start() {
    if (!setUp.has(this.#pool)) {
      await this.#pool.query(setupSql)
      setUp.add(this.#pool)
    }
    await this.#listen()
  }

  /** Opens the LISTEN connection; when the server drops it, opens it again (#reconnect). */
  async #listen() {
    const config = { ...this.#listenSettings, application_name: `async-atomic-store:${this.#line.name}:listen` }
    if ('password' in this.#listenSettings) config.password = this.#listenSettings.password // not enumerable in a pg.Pool's options
    const client = new this.#pool.Client(config)
    client.on('error', () => {}) // a dropped connection ends it: see 'end'
    client.on('notification', ({ payload }) => this.#line.wake(payload))
    client.once('end', () => this.#reconnect(client))
    await client.connect()
    await client.query(`LISTEN ${channelOf(this.#line.participant)}`)
    if (this.#closed) await client.end()
    else this.#listener = client
  }

  /**
   * Opens the LISTEN connection again, trying every tenth of a lease until
   * the server is back. Grants notified meanwhile were lost: once it
   * listens again, the line renews at once and so learns of them.
   */
  async #reconnect(client) {
    if (this.#closed || this.#listener !== client) return
    this.#listener = undefined
    while (!this.#closed) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.#line.lease / 10, 1000)))
      try {
        await this.#listen()
        this.#line.ready()
        return
      } catch {
        // Not back yet: try again.
      }
    }
  }
}
