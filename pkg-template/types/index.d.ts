/**
 * async-atomic-store: read, write and read-modify-write shared data from many
 * async sources without losing an update. Every method of a store takes the
 * store's lock for its whole duration; calls run one at a time, strictly in
 * the order they were made.
 *
 * @packageDocumentation
 */

/**
 * Options every method takes as its last argument. A call that is still
 * waiting when its signal aborts or its timeout passes leaves the queue at
 * once and rejects; once its operation has started, neither changes anything.
 */
export interface CallOptions {
  /** Aborting it while the call waits rejects the call with `signal.reason`. */
  signal?: AbortSignal
  /** Ms the call may wait for the lock before it rejects with a `TimeoutError` `DOMException`; `Infinity` for none. Overrides the store's `timeout`. */
  timeout?: number
  /** Reject with `LockBusyError` at once, queuing nothing, if the call would have to wait. */
  ifAvailable?: boolean
}

/** Options of `lock()`: also the mode, as in the Web Locks API, and the keys it holds. */
export interface LockOptions<KEY = unknown> extends CallOptions {
  /** `'shared'` runs the callback together with other shared calls next to it in the queue; its transaction can only read. */
  mode?: 'exclusive' | 'shared'
  /**
   * The keys the call holds, taken together (one or more; duplicates count
   * once). Its transaction reads and writes only these. On a `perKey` store
   * it waits only for earlier calls on these keys and whole-store calls;
   * on any other store it takes the whole store.
   */
  keys?: readonly KEY[]
}

/**
 * The second argument of a `lock()` callback: the store's own callbacks,
 * under the lock already held. With the call's `keys` option, a key outside
 * them rejects, saying it is not held, and calls nothing.
 */
export interface Transaction<KEY, VALUE> {
  /** Reads `key` with the store's `read` callback. */
  read(key: KEY): Promise<VALUE>
  /** Writes `value` at `key` with the store's `write` callback (rejects in a shared lock). */
  write(key: KEY, value: VALUE): Promise<void>
  /** Reads `key`, transforms it and writes the result back; resolves with it (rejects in a shared lock). */
  append(key: KEY, transform: (currentValue: VALUE) => PromiseLike<VALUE> | VALUE): Promise<VALUE>
  /** The grant's fencing token, when the store's `lock` option gives one (RedisLock). */
  readonly token?: number
  /** Aborts if the store's `lock` option can no longer vouch for this turn (RedisLock). */
  readonly signal?: AbortSignal
}

/** The locking methods of a store. Each returns a native `Promise`. */
export interface Methods<KEY, VALUE, SOURCE> {
  /** Reads `key` with the store's `read` callback, under the lock; resolves with that value. */
  read(key: KEY, options?: CallOptions): Promise<VALUE>
  /** Writes `value` at `key` with the store's `write` callback, under the lock; resolves with `undefined`. */
  write(key: KEY, value: VALUE, options?: CallOptions): Promise<void>
  /**
   * Reads `key`, passes the value to `transform`, and writes the result back,
   * all under one lock, so no other call can slip in between. Resolves with
   * the written value. If `transform` throws or rejects, nothing is written.
   */
  append(key: KEY, transform: (currentValue: VALUE) => VALUE | PromiseLike<VALUE>, options?: CallOptions): Promise<VALUE>
  /**
   * Takes the lock, hands the store's data source and a transaction handle
   * to `cb` and resolves with what `cb` returned.
   */
  lock<T = unknown>(cb: (source: SOURCE, transaction: Transaction<KEY, VALUE>) => T | PromiseLike<T>, options?: LockOptions<KEY>): Promise<T | void>
  /** Resolves with the store's data source (the live object, not a copy), under the lock. */
  data(options?: CallOptions): Promise<SOURCE>
}

/** What `AsyncAtomicStore` and the adapters return: the methods, and a look inside the queue. */
export interface Store<KEY, VALUE, SOURCE> extends Methods<KEY, VALUE, SOURCE> {
  /** How many calls wait, not counting the ones running (across every participant, with a `lock` option). */
  readonly pending: number
  /** Whether an operation runs or is being handed the lock. */
  readonly locked: boolean
  /** Resolves once nothing of this store runs and nothing waits. */
  idle(): Promise<void>
}

/**
 * The callbacks a store is built from: how to read a key, write a key, and get
 * the whole data source. Each may return a plain value (the fastest), a
 * promise or any thenable.
 */
export interface Options<KEY, VALUE, SOURCE> {
  /** Returns the value at `key`. */
  read: (key: KEY) => VALUE | PromiseLike<VALUE>
  /** Stores `value` at `key`. Its result is ignored. */
  write: (key: KEY, value: VALUE) => unknown
  /** Returns the underlying data source. */
  data: () => SOURCE | PromiseLike<SOURCE>
  /** Default `timeout` of every call, in ms (`Infinity`, the default, for none). */
  timeout?: number
  /** The most calls that may wait; one more rejects with `QueueFullError`. A positive integer or `Infinity` (the default). */
  maxPending?: number
  /** `read` and `data` calls are shared: next to each other in the queue, they run together. */
  sharedReads?: boolean
  /**
   * Lock per key: calls on different keys run at the same time; `lock()`
   * without `keys` and `data()` still take the whole store. Each call waits
   * for exactly the earlier calls it conflicts with, and never for a later
   * call. Not with the `lock` option (yet).
   */
  perKey?: boolean
  /** Queue on a lock shared beyond this store: a `SharedLock` (threads), a `RedisLock` (processes). */
  lock?: QueueLock
}

/** {@link AsyncAtomicStore}: callable plainly, as upstream code does, or with `new`. */
export interface AsyncAtomicStoreFactory {
  <KEY, VALUE, SOURCE>(creationOptions: Options<KEY, VALUE, SOURCE>): Store<KEY, VALUE, SOURCE>
  new <KEY, VALUE, SOURCE>(creationOptions: Options<KEY, VALUE, SOURCE>): Store<KEY, VALUE, SOURCE>
}

/**
 * Creates a store from your `read`, `write` and `data` callbacks. Its methods
 * run one at a time, strictly in call order (FIFO). Throws a `TypeError` if an
 * option is missing or not a function.
 *
 * @example
 * const map = new Map<string, number>()
 * const store = AsyncAtomicStore<string, number | undefined, typeof map>({
 *   data: async () => map,
 *   read: async (key) => map.get(key),
 *   write: async (key, value) => map.set(key, value!),
 * })
 * await Promise.all([1, 2, 3].map((n) => store.append('sum', (sum) => (sum ?? 0) + n)))
 * // map.get('sum') === 6
 */
export declare const AsyncAtomicStore: AsyncAtomicStoreFactory

/** The store options an adapter passes on: all but the callbacks, which the adapter gives. */
export type AdapterOptions = Omit<Options<unknown, unknown, unknown>, 'read' | 'write' | 'data'>

/** Wraps an existing array, or a new one if none is passed, in a store keyed by index. */
export declare const AsyncArray: <T = unknown>(array?: T[] | undefined, options?: AdapterOptions) => Store<number, T, T[]>

/** Wraps an existing object, or a new prototype-less one if none is passed, in a store keyed by property. */
export declare const AsyncObject: <T extends any = unknown>(
  obj?: T | undefined,
  options?: AdapterOptions,
) => Store<keyof T, T extends { [index in keyof T]: infer V } ? V : any, T>

/** Wraps an existing Map, or a new one if none is passed, in a store keyed by the map's keys. */
export declare const AsyncMap: <K = string, V = unknown, T extends Map<any, any> = Map<K, V>>(
  map?: T | undefined,
  options?: AdapterOptions,
) => Store<
  T extends Map<infer KEY, any> ? KEY : any,
  (T extends Map<any, infer VALUE> ? VALUE : any) | undefined,
  Map<T extends Map<infer KEY, any> ? KEY : any, T extends Map<any, infer VALUE> ? VALUE : any>
>

/**
 * Every export in one object, for `import asyncAtomicStore from
 * 'async-atomic-store'` (and TypeScript's `esModuleInterop` default import):
 * `asyncAtomicStore.AsyncAtomicStore(options)`.
 */
declare const asyncAtomicStore: {
  readonly AsyncAtomicStore: typeof AsyncAtomicStore
  readonly AsyncArray: typeof AsyncArray
  readonly AsyncObject: typeof AsyncObject
  readonly AsyncMap: typeof AsyncMap
  readonly LockBusyError: typeof LockBusyError
  readonly QueueFullError: typeof QueueFullError
  readonly SharedLock: typeof SharedLock
}
export default asyncAtomicStore

/** Rejects a call made with `ifAvailable: true` that would have had to wait. */
export declare class LockBusyError extends Error {
  constructor(message?: string)
  readonly name: 'LockBusyError'
}

/** Rejects a call that would have made more calls wait than `maxPending` allows. */
export declare class QueueFullError extends Error {
  constructor(message?: string)
  readonly name: 'QueueFullError'
}

/** What a granted turn of a {@link QueueLock} carries to the operation. */
export interface Grant {
  /** A fencing token that grows strictly with every grant of the lock (RedisLock). */
  readonly token?: number
  /** Aborts if the lock can no longer vouch for the turn, e.g. a lease that could not be renewed (RedisLock). */
  readonly signal?: AbortSignal
}

/**
 * A lock shared beyond one store, passed as a store's `lock` option:
 * `SharedLock` (threads) and `RedisLock` (processes) implement it. A store
 * keeps its own calls' waiting policy (timeouts, aborts, `maxPending`) and
 * asks the lock for each call's place in the common line.
 */
export interface QueueLock {
  /**
   * Takes a place in the line for one call, at once where it can. Calls
   * `granted` exactly once when the place reaches the head (never inside
   * `request` itself), or `failed` exactly once if the place cannot be taken
   * or kept (`LockBusyError` for `ifAvailable` when it would wait,
   * `QueueFullError`, a lost connection). Returns the place.
   */
  request(
    mode: 'exclusive' | 'shared',
    ifAvailable: boolean,
    granted: (grant?: Grant) => void,
    failed: (error: unknown) => void,
  ): unknown
  /**
   * Optional. Takes a place that is held at once, if nothing holds or waits
   * for the lock ahead of it; otherwise `undefined`, and nothing changes.
   * Never calls back. A store tries it before `request`, so an uncontended
   * call runs with no callback round trip; `release` ends the turn as usual.
   */
  acquireNow?(mode: 'exclusive' | 'shared'): unknown
  /**
   * Leaves the line before the grant. `true`: the place is gone and neither
   * callback will be called. `false`: too late, the grant is made or on its
   * way; `granted` will run (or has) and the caller must `release`.
   */
  cancel(place: unknown): boolean
  /** Ends a granted turn; the lock passes to the next place in line. */
  release(place: unknown): void
  /** Calls waiting in the whole line, across every participant, not counting holders. */
  readonly pending: number
  /** Whether any participant holds the lock. */
  readonly locked: boolean
}

/** What `lock.share()` returns: post it to one thread, which calls `SharedLock.from(handle)`. */
export interface SharedLockHandle {
  readonly sharedLock: SharedArrayBuffer
  readonly participant: number
  readonly generation: number
}

/** Options of `new SharedLock(options)`. */
export interface SharedLockOptions {
  /** Places in the line, holders and waiting calls of every thread together; rounded up to a power of two. Default 16384, at most 1048576. */
  capacity?: number
  /** The most calls that may wait at once, across every thread; one more fails with `QueueFullError`. Default `Infinity`. */
  maxPending?: number
}

/**
 * One strictly FIFO lock for many threads (Web Workers, worker_threads),
 * kept in a SharedArrayBuffer: calls from every thread are served one at a
 * time in the order they were made (shared calls next to each other at the
 * head together, as in Web Locks). Pass it as a store's `lock` option.
 *
 * @example
 * const lock = new SharedLock()
 * worker.postMessage(lock.share())
 * // in the worker:
 * const store = AsyncAtomicStore({ read, write, data, lock: SharedLock.from(handle) })
 */
export declare class SharedLock implements QueueLock {
  /** Throws an `Error` naming the COOP/COEP headers where SharedArrayBuffer is unavailable. */
  constructor(options?: SharedLockOptions)
  /** The lock in this thread, from a handle `share()` made; each handle attaches once. */
  static from(handle: SharedLockHandle): SharedLock
  /** A structured-cloneable handle for one more participant (thread). */
  share(): SharedLockHandle
  /**
   * For a participant that will not run again (e.g. after `worker.terminate()`):
   * releases what it held and cancels what it waited for. Returns how many places it freed.
   */
  abandon(handle: SharedLockHandle): number
}
/** A SharedLock speaks the {@link QueueLock} protocol (merged into the class). */
export interface SharedLock extends QueueLock {}
