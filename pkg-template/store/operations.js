// The five operations a store runs under its lock, each the upstream's
// shape: call the user's callbacks, then release in `finally`. Each is a
// module-level function over the store's state, not a closure per store, so
// every store shares one function and its optimised code.
//
// Each starts with `await undefined`: no callback runs synchronously inside
// the method call, and a hand-off never recurses, since the next operation
// starts on a fresh microtask. `turn` is what the line gave the call (its
// slot in the core on the keyed line; a `Turn` on an outer line; on the own
// line, which needs none, its slot or undefined); the line takes it back on
// release.

import { requireFunction } from './options.js'
import { Transaction, closeTransaction } from './transaction.js'

/**
 * The promise `await value` would wait for, reading a thenable's `then`
 * exactly once; `undefined` for a plain value, which the operations use as
 * it is, without another tick.
 */
export function promiseOf(value) {
  if (value instanceof Promise) return value
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
  const then = value.then
  return typeof then === 'function' ? new Promise((resolve, reject) => then.call(value, resolve, reject)) : undefined
}

export async function runRead(store, turn, key) {
  await undefined
  try {
    const value = store.read(key)
    const pending = promiseOf(value)
    return pending === undefined ? value : await pending
  } finally {
    store.line.release(store, turn)
  }
}

export async function runWrite(store, turn, key, value) {
  await undefined
  try {
    const pending = promiseOf(store.write(key, value))
    if (pending !== undefined) await pending
  } finally {
    store.line.release(store, turn)
  }
}

export async function runAppend(store, turn, key, transform) {
  await undefined
  try {
    requireFunction(transform, 'append(key, transform): transform')
    let value = store.read(key)
    let pending = promiseOf(value)
    if (pending !== undefined) value = await pending
    let next = transform(value)
    pending = promiseOf(next)
    if (pending !== undefined) next = await pending
    pending = promiseOf(store.write(key, next))
    if (pending !== undefined) await pending
    return next
  } finally {
    store.line.release(store, turn)
  }
}

async function runLockIn(store, turn, callback, keys, shared) {
  await undefined
  const transaction = new Transaction(store.read, store.write, shared, turn?.grant, keys)
  try {
    requireFunction(callback, 'lock(callback): callback')
    let source = store.data()
    let pending = promiseOf(source)
    if (pending !== undefined) source = await pending
    const result = callback(source, transaction)
    pending = promiseOf(result)
    return pending === undefined ? result : await pending
  } finally {
    transaction[closeTransaction]()
    store.line.release(store, turn)
  }
}

/** `keys` is the `keys` option of the call, if it has one: its transaction holds only those. */
export const runLock = (store, turn, callback, keys) => runLockIn(store, turn, callback, keys, false)
export const runSharedLock = (store, turn, callback, keys) => runLockIn(store, turn, callback, keys, true)

export async function runData(store, turn) {
  await undefined
  try {
    const source = store.data()
    const pending = promiseOf(source)
    return pending === undefined ? source : await pending
  } finally {
    store.line.release(store, turn)
  }
}
