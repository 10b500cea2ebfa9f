// The handle `lock(callback)` passes as the callback's second argument: the
// store's own callbacks, called under the lock the callback already holds,
// so several reads and writes are one atomic step without the self-deadlock
// of awaiting the store from inside its own lock. It closes when the
// callback settles.

import { requireFunction } from './options.js'

/** Closes a transaction (a symbol, so users of the handle don't see it). */
export const closeTransaction = Symbol('closeTransaction')

/** What a key looks like in an error message, whatever it is. */
const describeKey = (key) =>
  typeof key === 'string' ? JSON.stringify(key) : (typeof key === 'object' && key !== null) || typeof key === 'function' ? `an ${typeof key}` : String(key)

/**
 * A transaction handle; `token` and `signal` come from a shared lock's grant,
 * if it gave them. With `keys` (the call's `keys` option), it reads and
 * writes only those keys.
 */
export class Transaction {
  #read
  #write
  #shared
  #keys
  #open = true

  constructor(read, write, shared, grant, keys) {
    this.#read = read
    this.#write = write
    this.#shared = shared
    this.#keys = keys
    this.token = grant?.token
    this.signal = grant?.signal
  }

  /** Ends the transaction: every later use rejects. */
  [closeTransaction]() {
    this.#open = false
  }

  /** Throws unless the transaction is open, holds `key` and, for a `method` that writes, is exclusive. */
  #check(key, method) {
    if (!this.#open) throw new Error('lock(callback): the transaction was used after its callback settled')
    if (method && this.#shared) {
      throw new Error(`lock(callback, { mode: 'shared' }): the transaction can only read; ${method} needs an exclusive lock`)
    }
    if (this.#keys !== undefined && !this.#keys.includes(key)) {
      throw new Error(`lock(callback, { keys }): the key ${describeKey(key)} is not held; only the keys given in keys are`)
    }
  }

  /** Reads `key` with the store's `read` callback. */
  async read(key) {
    this.#check(key)
    return this.#read(key)
  }

  /** Writes `value` at `key` with the store's `write` callback; resolves with `undefined`. */
  async write(key, value) {
    this.#check(key, 'write')
    await this.#write(key, value)
  }

  /** Reads `key`, awaits `transform(current)` and writes the result; resolves with it. */
  async append(key, transform) {
    this.#check(key, 'append')
    requireFunction(transform, 'transaction.append(key, transform): transform')
    const next = await transform(await this.#read(key))
    await this.#write(key, next)
    return next
  }
}
