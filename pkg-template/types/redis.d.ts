/**
 * async-atomic-store/redis: a lock shared by every process that uses the same
 * Redis and lock name, for stores whose data lives beyond one process.
 *
 * @packageDocumentation
 */
import type { Redis } from 'ioredis'
import type { NetworkLock } from 'async-atomic-store'

/** The options of {@link RedisLock}. */
export interface RedisLockOptions {
  /**
   * Your ioredis client. The lock never blocks it: it opens two connections
   * of its own with `client.duplicate()`, which `close()` ends.
   */
  client: Redis
  /** The lock's name: every `RedisLock` with this name on this Redis shares one line. */
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
}

/**
 * A strictly FIFO lock over Redis, with leases and fencing tokens, passed to a
 * store as its `lock` option. Calls from every process are served in the order
 * they reached Redis; each grant carries a fencing token that grows strictly
 * with every grant of the lock name, and a signal that aborts if the lease
 * could not be renewed. Supports `'shared'` mode (consecutive shared calls
 * hold together).
 *
 * @example
 * const lock = new RedisLock({ client: new Redis(url), name: 'orders', lease: 10_000 })
 * const store = AsyncAtomicStore({ read, write, data, lock })
 * await store.lock(async (source, tx) => { await save(source, tx.token) })
 * await lock.close()
 */
export interface RedisLock extends NetworkLock {}

export declare const RedisLock: {
  /** Throws a `TypeError` naming the option if an option is missing or invalid. */
  new (options: RedisLockOptions): RedisLock
  readonly prototype: RedisLock
}
