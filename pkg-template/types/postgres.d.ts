/**
 * async-atomic-store/postgres: a lock shared by every process that uses the
 * same PostgreSQL database and lock name, for stores whose data lives beyond
 * one process.
 *
 * @packageDocumentation
 */
import type { ClientConfig, Pool } from 'pg'
import type { NetworkLock } from 'async-atomic-store'

/** The options of {@link PgLock}. */
export interface PgLockOptions {
  /**
   * Your node-postgres pool. The lock runs one short statement at a time
   * through it (so it uses at most one of its connections, and only while a
   * statement runs), and opens one connection of its own, with the pool's
   * settings (or `listenConnection`), for `LISTEN`, which `close()` ends. The lock creates its tables
   * and functions on first use.
   */
  pool: Pool
  /** The lock's name: every `PgLock` with this name on this database shares one line. */
  name: string
  /**
   * How long, in milliseconds, an entry (a waiting call or a holder) stays in
   * the line without being renewed. A live process renews its entries every
   * third of it; a dead one holds up the line for at most one lease. Use the
   * same lease in every process.
   */
  lease: number
  /** How many calls may wait in the whole line; more reject with `QueueFullError`. Unbounded if absent. */
  maxPending?: number
  /**
   * Settings for the lock's `LISTEN` connection, if the pool's will not do:
   * `LISTEN` needs a session, so behind PgBouncer in transaction mode point
   * this at PostgreSQL itself or at a session-mode pool. The pool's settings
   * if absent.
   */
  listenConnection?: ClientConfig
}

/**
 * A strictly FIFO lock over PostgreSQL, with leases and fencing tokens,
 * passed to a store as its `lock` option. Calls from every process are served
 * in the order they reached PostgreSQL; each grant carries a fencing token
 * that grows strictly with every grant of the lock name, and a signal that
 * aborts if the lease could not be renewed. Supports `'shared'` mode
 * (consecutive shared calls hold together).
 *
 * @example
 * const lock = new PgLock({ pool: new pg.Pool({ connectionString }), name: 'orders', lease: 10_000 })
 * const store = AsyncAtomicStore({ read, write, data, lock })
 * await store.lock(async (source, tx) => { await save(source, tx.token) })
 * await lock.close()
 */
export interface PgLock extends NetworkLock {}

export declare const PgLock: {
  /** Throws a `TypeError` naming the option if an option is missing or invalid. */
  new (options: PgLockOptions): PgLock
  readonly prototype: PgLock
}
