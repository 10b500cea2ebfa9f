// The per-key guarantee, by property-based testing, through the package:
// "each call waits for exactly the earlier calls it conflicts with, and never
// for a later call". fast-check makes calls on a few keys or on the whole
// store, shared or exclusive, finishes running ones and aborts waiting ones in
// any order; after every step, the calls that have started must be exactly
// those whose every earlier conflicting call has finished (the same plain
// model tests/key_lines.rs holds the Rust core to). `ifAvailable` probes must
// be refused exactly when the model says they would wait. Without `perKey`,
// every call takes the whole store, and the same check holds with that model.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import fc from 'fast-check'
import { settlement } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore, LockBusyError } = require('../../pkg/node.cjs')

/** Resolves once every microtask and grant queued so far has run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

const keysArb = fc.option(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), { nil: undefined })
const opArb = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('call'), keys: keysArb, shared: fc.boolean(), abortable: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('finish'), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('abort'), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('probe'), keys: keysArb, shared: fc.boolean() }), weight: 1 },
)

/** Whether calls `a` and `b` conflict: they share a key, or one holds the whole store (no `keys`), unless both are shared. */
const conflict = (a, b) => !(a.shared && b.shared) && (a.keys === undefined || b.keys === undefined || a.keys.some((key) => b.keys.includes(key)))

/** The model: `call` runs exactly when every earlier call it conflicts with has finished. */
const mayRun = (calls, call) => calls.slice(0, calls.indexOf(call)).every((earlier) => earlier.finished || !conflict(earlier, call))

/** A call whose callback records that it started and holds the store until `finish()`. */
function makeCall(store, { keys, shared, abortable }) {
  const call = { keys, shared, started: false, finished: false, controller: abortable ? new AbortController() : undefined }
  const held = new Promise((resolve) => (call.finish = resolve))
  const options = { mode: shared ? 'shared' : 'exclusive', signal: call.controller?.signal }
  if (keys !== undefined) options.keys = keys
  call.done = settlement(store.lock(() => ((call.started = true), held), options))
  return call
}

async function check(perKey, ops) {
  const store = AsyncAtomicStore({ perKey, data: () => null, read: () => {}, write: () => {} })
  const calls = []
  const model = (keys) => (perKey ? keys : undefined)
  for (const op of ops) {
    const running = calls.filter((call) => call.started && !call.finished)
    const waiting = calls.filter((call) => !call.started && !call.finished && call.controller)
    if (op.kind === 'call') {
      calls.push(makeCall(store, op))
      calls.at(-1).keys = model(op.keys)
    } else if (op.kind === 'finish' && running.length > 0) {
      const call = running[op.pick % running.length]
      call.finished = true
      call.finish()
      assert.equal('value' in (await call.done), true)
    } else if (op.kind === 'abort' && waiting.length > 0) {
      const call = waiting[op.pick % waiting.length]
      call.finished = true
      call.controller.abort(new Error('aborted'))
      assert.equal((await call.done).error?.message, 'aborted')
    } else if (op.kind === 'probe') {
      const probe = { keys: model(op.keys), shared: op.shared }
      const busy = !mayRun([...calls, probe], probe)
      const options = { mode: op.shared ? 'shared' : 'exclusive', ifAvailable: true, ...(op.keys && { keys: op.keys }) }
      const outcome = await settlement(store.lock(() => 'ran', options))
      assert.deepEqual(outcome.error instanceof LockBusyError, busy, `probe ${JSON.stringify(op)}: busy ${busy}`)
    }
    await settled()
    for (const call of calls) {
      if (!call.finished) assert.equal(call.started, mayRun(calls, call), `call ${calls.indexOf(call)} after ${JSON.stringify(op)}`)
    }
    assert.equal(store.pending, calls.filter((call) => !call.started && !call.finished).length, 'pending counts the waiting calls')
  }
  for (const call of calls) {
    call.controller?.abort(new Error('aborted'))
    call.finish()
  }
  await Promise.all(calls.map((call) => call.done))
  await store.idle()
}

test('each call waits for exactly the earlier calls it conflicts with, and never for a later call (perKey, and one line without it)', async () => {
  await fc.assert(fc.asyncProperty(fc.boolean(), fc.array(opArb, { minLength: 1, maxLength: 40 }), check), { numRuns: 300 })
})
