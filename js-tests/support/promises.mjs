// Small promise helpers the Node test files share.
import assert from 'node:assert/strict'
import { after } from 'node:test'
import { isDeepStrictEqual } from 'node:util'

/** The timer as it was when this module loaded, before any test wraps the global one. */
const realSetTimeout = globalThis.setTimeout

/** Resolves after `ms` milliseconds (of the real timer). */
export const sleep = (ms) => new Promise((resolve) => realSetTimeout(resolve, ms))

/**
 * What `read()` gives once it is `expected`, or after `ms`, whatever it is
 * then: for a state that a statement or reply on another connection brings,
 * which a loaded machine can delay. The caller asserts on it.
 */
export async function eventually(read, expected, ms = 2000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) {
    if (isDeepStrictEqual(await read(), expected)) return expected
  }
  return read()
}

/** `{ value }` or `{ error }`, once `promise` settles: never rejects. */
export const settlement = (promise) => promise.then((value) => ({ value }), (error) => ({ error }))

/** Makes the test file fail if any promise rejection went unhandled while it ran. */
export function failOnUnhandledRejections() {
  const unhandled = []
  process.on('unhandledRejection', (reason) => unhandled.push(reason))
  after(() => assert.deepEqual(unhandled, [], 'the store leaves no promise rejection unhandled'))
}
