// Ordering, by property-based testing: whatever the store is asked to do, in
// whatever interleaving, the observed history equals running the operations
// one at a time in the order the methods were called.
//
// A generated case is a list of operations (read / write / append / lock /
// data on a few keys), each issued at a random point in time: at once, on a
// microtask, from a timer, or from inside a running callback without awaiting.
// Every callback the store runs (read, write, data, transform, lock callback)
// takes the next behaviour from a generated list: return synchronously, after
// a microtask, after a timer, through a hand-made thenable, throw, or reject.
// The order of the calls is recorded when each call is actually made; the
// serial model then replays the operations in that order and must produce the
// same callback log and the same settlement (value, or the very same error)
// for every promise. fast-check shrinks a failing case to a minimal one.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import fc from 'fast-check'

const require = createRequire(import.meta.url)
const ours = require('../pkg/node.cjs')
const upstream = require('async-atomic-store-upstream')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// Successes weigh twice as much as failures, so that most appends and locks run to the end.
const behaviourArb = fc.oneof(
  { arbitrary: fc.constant({ kind: 'sync' }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'microtask' }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('timer'), ms: fc.integer({ min: 0, max: 2 }) }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'thenable' }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'throw' }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reject' }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reject-later'), ms: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
)
const fails = (behaviour) => ['throw', 'reject', 'reject-later'].includes(behaviour.kind)

const whenArb = fc.oneof(
  fc.constant({ at: 'now' }),
  fc.constant({ at: 'microtask' }),
  fc.record({ at: fc.constant('timer'), ms: fc.integer({ min: 0, max: 3 }) }),
  // Issued at the start of the n-th callback the store runs, without awaiting.
  fc.record({ at: fc.constant('inside'), invocation: fc.integer({ min: 0, max: 30 }) }),
)

const operationArb = fc.record({
  method: fc.constantFrom('read', 'write', 'append', 'lock', 'data'),
  key: fc.constantFrom('a', 'b'),
  value: fc.integer({ min: 0, max: 9 }),
  when: whenArb,
})

const caseArb = fc.record({
  operations: fc.array(operationArb, { minLength: 1, maxLength: 16 }),
  behaviours: fc.array(behaviourArb, { minLength: 1, maxLength: 12 }),
})

/** The value a failing callback throws or rejects with: a different kind of value each time. */
function failure(invocation) {
  switch (invocation % 5) {
    case 0: return new Error(`failure ${invocation}`)
    case 1: return Object.freeze({ failure: invocation })
    case 2: return `failure ${invocation}`
    case 3: return Symbol(`failure ${invocation}`)
    default: return undefined
  }
}

// Keys and written values carry the operation's number, so the callback log
// says which operation each callback ran for: `a#3` is key `a` of operation 3.
const keyOf = (index, op) => `${op.key}#${index}`
const nameOf = (key) => key.split('#')[0]

/** Runs the operations against a real store; returns what was observed. */
async function observe(AsyncAtomicStore, { operations, behaviours }) {
  const source = new Map()
  const log = []
  const callOrder = []
  const outcomes = new Array(operations.length)
  const errors = []
  /** Operations to issue from inside the n-th callback, by n. */
  const waitingForInvocation = new Map()
  /** Operations waiting for a microtask or a timer. */
  let pendingElsewhere = 0
  let invocations = 0
  let active = 0
  let overlapped = false
  let settled = 0
  let allSettled
  const done = new Promise((resolve) => { allSettled = resolve })

  /** Runs one store callback with the next behaviour; `result` computes its value when it succeeds. */
  const callback = (entry, result) => {
    const invocation = invocations++
    for (const index of waitingForInvocation.get(invocation) ?? []) issue(index)
    waitingForInvocation.delete(invocation)
    log.push(entry)
    if (++active > 1) overlapped = true
    const behaviour = behaviours[invocation % behaviours.length]
    const error = failure(invocation)
    errors[invocation] = error
    const succeed = () => { active--; return result() }
    const fail = () => { active--; throw error }
    switch (behaviour.kind) {
      case 'sync': return succeed()
      case 'throw': return fail()
      case 'microtask': return Promise.resolve().then(succeed)
      case 'timer': return sleep(behaviour.ms).then(succeed)
      case 'thenable':
        return {
          then(resolve, reject) {
            queueMicrotask(() => {
              try { resolve(succeed()) } catch (e) { reject(e) }
            })
          },
        }
      case 'reject': active--; return Promise.reject(error)
      case 'reject-later': return sleep(behaviour.ms).then(fail)
    }
  }

  const store = AsyncAtomicStore({
    read: (key) => callback(`read ${key}`, () => source.get(nameOf(key))),
    write: (key, value) => callback(`write ${key}=${value}`, () => { source.set(nameOf(key), value) }),
    data: () => callback('data', () => source),
  })

  function issue(index) {
    const op = operations[index]
    const key = keyOf(index, op)
    callOrder.push(index)
    let promise
    switch (op.method) {
      case 'read': promise = store.read(key); break
      case 'write': promise = store.write(key, op.value); break
      case 'append': promise = store.append(key, (current) => callback(`transform ${index}`, () => `${current}>${index}`)); break
      case 'lock': promise = store.lock((map) => callback(`lock ${index}`, () => `${index}:${JSON.stringify([...map])}`)); break
      case 'data': promise = store.data(); break
    }
    const record = (outcome) => {
      outcomes[index] = outcome
      if (++settled === operations.length) allSettled()
      else if (settled === callOrder.length && pendingElsewhere === 0) issueLeftovers()
    }
    promise.then((value) => record({ value }), (error) => record({ error }))
  }

  // Operations waiting for an invocation that never came are issued once
  // everything else has settled.
  const issueLeftovers = () => {
    const leftovers = [...waitingForInvocation.entries()].sort(([a], [b]) => a - b).flatMap(([, indices]) => indices)
    waitingForInvocation.clear()
    for (const index of leftovers) issue(index)
  }

  const later = (index) => () => { pendingElsewhere--; issue(index) }
  operations.forEach((op, index) => {
    switch (op.when.at) {
      case 'now': issue(index); break
      case 'microtask': pendingElsewhere++; queueMicrotask(later(index)); break
      case 'timer': pendingElsewhere++; setTimeout(later(index), op.when.ms); break
      case 'inside': {
        const waiting = waitingForInvocation.get(op.when.invocation) ?? []
        waiting.push(index)
        waitingForInvocation.set(op.when.invocation, waiting)
      }
    }
  })
  if (pendingElsewhere === 0 && callOrder.length === 0) issueLeftovers()

  let timer
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timed out'), 5000) })
  const finished = await Promise.race([done.then(() => 'done'), timedOut])
  clearTimeout(timer)
  return { finished, log, callOrder, outcomes, errors, overlapped, source }
}

/** The serial model: the operations one at a time, in the recorded call order. */
function serialRun({ operations, behaviours }, callOrder) {
  const source = new Map()
  const log = []
  const outcomes = new Array(operations.length)
  let invocations = 0
  class Failed { constructor(invocation) { this.invocation = invocation } }
  const callback = (entry, result) => {
    const invocation = invocations++
    log.push(entry)
    if (fails(behaviours[invocation % behaviours.length])) throw new Failed(invocation)
    return result()
  }
  const read = (key) => callback(`read ${key}`, () => source.get(nameOf(key)))
  const write = (key, value) => callback(`write ${key}=${value}`, () => { source.set(nameOf(key), value) })
  const data = () => callback('data', () => source)
  for (const index of callOrder) {
    const op = operations[index]
    const key = keyOf(index, op)
    try {
      let value
      switch (op.method) {
        case 'read': value = read(key); break
        case 'write': write(key, op.value); value = undefined; break
        case 'append': {
          const current = read(key)
          value = callback(`transform ${index}`, () => `${current}>${index}`)
          write(key, value)
          break
        }
        case 'lock': {
          const map = data()
          value = callback(`lock ${index}`, () => `${index}:${JSON.stringify([...map])}`)
          break
        }
        case 'data': data(); value = 'the source'; break
      }
      outcomes[index] = { value }
    } catch (failed) {
      outcomes[index] = { failedAt: failed.invocation }
    }
  }
  return { log, outcomes }
}

/** The property: the observed run equals the serial run in call order. */
async function matchesSerialRun(AsyncAtomicStore, generated) {
  const seen = await observe(AsyncAtomicStore, generated)
  assert.equal(seen.finished, 'done', 'every promise settles')
  assert.deepEqual([...seen.callOrder].sort((a, b) => a - b), generated.operations.map((_, i) => i))
  assert.equal(seen.overlapped, false, 'no two callbacks ran at once')
  const model = serialRun(generated, seen.callOrder)
  assert.deepEqual(seen.log, model.log, 'callback history')
  model.outcomes.forEach((expected, index) => {
    const actual = seen.outcomes[index]
    if ('failedAt' in expected) {
      assert.ok('error' in actual, `operation ${index} rejects`)
      assert.equal(actual.error, seen.errors[expected.failedAt], `operation ${index} rejects with the very value thrown`)
    } else if (expected.value === 'the source') {
      assert.equal(actual.value, seen.source, `operation ${index} resolves with the live source`)
    } else {
      assert.deepEqual(actual, expected, `operation ${index} resolves with the serial result`)
    }
  })
}

test('every interleaving of operations and callback behaviours equals the serial run in call order', async () => {
  await fc.assert(fc.asyncProperty(caseArb, (generated) => matchesSerialRun(ours.AsyncAtomicStore, generated)), {
    numRuns: 300,
  })
})

test('the serial model is the upstream semantics: upstream 1.2.2 satisfies the same property', async () => {
  await fc.assert(fc.asyncProperty(caseArb, (generated) => matchesSerialRun(upstream.AsyncAtomicStore, generated)), {
    numRuns: 60,
  })
})

// Two broken stores the property must catch, each with a minimal counterexample.

/** Every method runs its callbacks at once, as if the lock were missing. */
const unlocked = ({ read, write, data }) => ({
  read: async (key) => read(key),
  write: async (key, value) => { await write(key, value) },
  append: async (key, transform) => {
    const next = await transform(await read(key))
    await write(key, next)
    return next
  },
  lock: async (cb) => cb(await data()),
  data: async () => data(),
})

/** A lock without direct hand-off: a release frees it and wakes the next waiter, who may find it taken. */
function withoutHandoff(options) {
  let locked = false
  const queue = []
  const guarded = (run) => async (...args) => {
    while (locked) await new Promise((wake) => queue.push(wake))
    locked = true
    try {
      return await run(...args)
    } finally {
      locked = false
      queue.shift()?.()
    }
  }
  const inner = unlocked(options)
  return Object.fromEntries(Object.entries(inner).map(([name, method]) => [name, guarded(method)]))
}

for (const [name, broken] of [['without a lock', unlocked], ['whose lock lets newcomers cut in', withoutHandoff]]) {
  test(`the property catches a store ${name}, and shrinks the failure to a minimal case`, async () => {
    const result = await fc.check(fc.asyncProperty(caseArb, (generated) => matchesSerialRun(broken, generated)), {
      numRuns: 300,
      seed: 42,
    })
    assert.equal(result.failed, true, `a store ${name} is caught`)
    const [minimal] = result.counterexample
    assert.ok(minimal.operations.length <= 4, `shrunk to ${minimal.operations.length} operations: ${JSON.stringify(minimal)}`)
  })
}
