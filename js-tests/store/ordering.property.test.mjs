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
import { sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const ours = require('../../pkg/node.cjs')
const upstream = require('async-atomic-store-upstream')


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
/**
 * What a store callback with `behaviour` returns: `result()` or `error`,
 * now, after a microtask or a timer, or through a hand-made thenable.
 * `finish()` runs as the callback's work ends, before it settles.
 */
function behave(behaviour, finish, result, error) {
  const succeed = () => { finish(); return result() }
  const fail = () => { finish(); throw error }
  switch (behaviour.kind) {
    case 'sync': return succeed()
    case 'throw': return fail()
    case 'microtask': return Promise.resolve().then(succeed)
    case 'timer': return sleep(behaviour.ms).then(succeed)
    case 'thenable':
      return { then(resolve, reject) { queueMicrotask(() => { try { resolve(succeed()) } catch (e) { reject(e) } }) } }
    case 'reject': finish(); return Promise.reject(error)
    case 'reject-later': return sleep(behaviour.ms).then(fail)
  }
}

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
    return behave(behaviour, () => { active-- }, result, error)
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

// ---------------------------------------------------------------------------
// Waiting under control and shared reads (issues 10 and 13).
//
// The same idea with every option a call or a store can take: signals that
// abort before the call, on a microtask, from a timer or from inside a
// running callback; timeouts per call and per store; ifAvailable; maxPending;
// sharedReads and lock(cb, { mode }); transactions. Real timers, a few ms.
//
// A call now either runs or is refused (its signal's reason, a TimeoutError,
// LockBusyError, QueueFullError), and which one depends on timing. So the
// calls that ran, replayed one at a time in call order, must give the same
// callbacks and results (reads see exactly the writes before them); and every
// refusal, every overlap and every start is checked against what the test
// saw happen, in one sequence of events:
//
// - a call never both runs a callback and is refused, and a refusal is one
//   the call asked for (its own signal, a timeout it had, ifAvailable, a
//   finite maxPending), never another call's;
// - a timeout refuses no earlier than the timeout; an already aborted signal
//   always refuses; a call whose signal fired while another call held the
//   lock exclusively was waiting, so it is refused;
// - QueueFullError only when at least maxPending calls may have been waiting
//   (calls refused by their abort left at the abort event itself);
// - ifAvailable: refused whenever the call was made while a conflicting call
//   ran;
// - an exclusive call's callbacks overlap no other call's; of two calls that
//   both ran, one of them exclusive, the earlier finished before the later
//   started; shared calls start in call order.
//
// Behaviours and failures are picked per operation and step (not by global
// invocation count), since shared calls interleave their callbacks.

const abortArb = fc.oneof(
  fc.constant({ at: 'already' }),
  fc.constant({ at: 'microtask' }),
  fc.record({ at: fc.constant('timer'), ms: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ at: fc.constant('inside'), invocation: fc.integer({ min: 0, max: 20 }) }),
)

const callOptionsArb = fc.option(
  fc.record(
    {
      abort: fc.option(abortArb, { nil: undefined }),
      timeout: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      ifAvailable: fc.boolean(),
      mode: fc.constantFrom('shared', 'exclusive'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined, freq: 3 },
)

const waitingOperationArb = fc.record({
  method: fc.constantFrom('read', 'read', 'write', 'append', 'lock', 'data', 'tx'),
  key: fc.constantFrom('a', 'b'),
  value: fc.integer({ min: 0, max: 9 }),
  when: whenArb,
  options: callOptionsArb,
})

const waitingCaseArb = fc.record({
  store: fc.record({
    sharedReads: fc.boolean(),
    maxPending: fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 3 })),
    timeout: fc.oneof({ arbitrary: fc.constant(Infinity), weight: 3 }, { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 1 }),
  }),
  operations: fc.array(waitingOperationArb, { minLength: 1, maxLength: 14 }),
  behaviours: fc.array(behaviourArb, { minLength: 1, maxLength: 12 }),
})

/** The behaviour and the failure value of step `step` (0 to 2) of operation `index`. */
const behaviourOf = (behaviours, index, step) => behaviours[(index * 3 + step) % behaviours.length]
const failureOf = (index, step) => failure(index * 3 + step)

/** Whether an operation is shared on a store made with `store`. */
const isShared = (op, store) =>
  op.method === 'lock' || op.method === 'tx' ? op.options?.mode === 'shared' : store.sharedReads && (op.method === 'read' || op.method === 'data')

/** Runs the operations against a real store; returns the events seen, per operation. */
async function observeWaiting(AsyncAtomicStore, { store: storeOptions, operations, behaviours }) {
  const source = new Map()
  let clock = 0
  let invocations = 0
  const ops = operations.map(() => ({ entries: [], start: undefined, end: undefined }))
  const errors = []
  const callOrder = []
  const waitingForInvocation = new Map()
  let pendingElsewhere = 0
  let settled = 0
  let allSettled
  const done = new Promise((resolve) => { allSettled = resolve })

  /** Marks the start of a callback of operation `index`, at the start of the n-th callback overall. */
  const enter = (index) => {
    const invocation = invocations++
    for (const run of waitingForInvocation.get(invocation) ?? []) run()
    waitingForInvocation.delete(invocation)
    ops[index].start ??= clock++
  }
  const leave = (index) => {
    ops[index].end = clock++
  }

  /** Runs step `step` of operation `index` with its behaviour; `result` computes its value when it succeeds. */
  const callback = (index, step, entry, result) => {
    enter(index)
    ops[index].entries.push(entry)
    const behaviour = behaviourOf(behaviours, index, step)
    const error = (errors[index * 3 + step] = failureOf(index, step))
    return behave(behaviour, () => leave(index), result, error)
  }
  const indexOf = (key) => Number(key.split('#')[1])

  const store = AsyncAtomicStore({
    read: (key) => callback(indexOf(key), ops[indexOf(key)].entries.length, `read ${key}`, () => source.get(nameOf(key))),
    write: (key, value) => callback(indexOf(key), ops[indexOf(key)].entries.length, `write ${key}=${value}`, () => { source.set(nameOf(key), value) }),
    data: () => source,
    ...(storeOptions.sharedReads ? { sharedReads: true } : {}),
    ...(storeOptions.maxPending !== Infinity ? { maxPending: storeOptions.maxPending } : {}),
    ...(storeOptions.timeout !== Infinity ? { timeout: storeOptions.timeout } : {}),
  })

  /** Schedules `run` as `plan` says (a `when` or an abort plan). */
  const schedule = (plan, run) => {
    switch (plan.at) {
      case 'microtask': pendingElsewhere++; queueMicrotask(() => { pendingElsewhere--; run(); checkStuck() }); break
      case 'timer': pendingElsewhere++; setTimeout(() => { pendingElsewhere--; run(); checkStuck() }, plan.ms); break
      case 'inside': {
        const waiting = waitingForInvocation.get(plan.invocation) ?? []
        waiting.push(run)
        waitingForInvocation.set(plan.invocation, waiting)
      }
    }
  }

  function issue(index) {
    const op = operations[index]
    const record = ops[index]
    const key = keyOf(index, op)
    let options
    if (op.options !== undefined) {
      const { abort, timeout, ifAvailable, mode } = op.options
      options = {}
      if (abort !== undefined) {
        record.reason = { aborted: index }
        const controller = new AbortController()
        options.signal = controller.signal
        const fire = () => { record.abortAt = clock++; controller.abort(record.reason) }
        if (abort.at === 'already') fire()
        else schedule(abort, fire)
      }
      if (timeout !== undefined) options.timeout = timeout
      if (ifAvailable !== undefined) options.ifAvailable = ifAvailable
      if (mode !== undefined && (op.method === 'lock' || op.method === 'tx')) options.mode = mode
    }
    callOrder.push(index)
    record.callAt = clock++
    record.calledMs = performance.now()
    let promise
    switch (op.method) {
      case 'read': promise = store.read(key, options); break
      case 'write': promise = store.write(key, op.value, options); break
      case 'append': promise = store.append(key, (current) => callback(index, 1, `transform ${index}`, () => `${current}>${index}`), options); break
      case 'lock':
        promise = store.lock((map) => callback(index, 0, `lock ${index}`, () => `${index}:${JSON.stringify([...map])}`), options)
        break
      case 'tx':
        promise = store.lock(async (_, tx) => {
          const read = await tx.read(key)
          if (options?.mode !== 'shared') await tx.write(key, `${read}>${index}`)
          return `tx ${index}:${read}`
        }, options)
        break
      case 'data': promise = store.data(options); break
    }
    const settle = (outcome) => {
      record.outcome = outcome
      record.settledAt = clock++
      record.settledMs = performance.now()
      if (++settled === operations.length) allSettled()
      else checkStuck()
    }
    promise.then((value) => settle({ value }), (error) => settle({ error }))
  }

  // Whatever waits for an invocation that never came (calls, aborts) runs once
  // every call made has settled and nothing else is scheduled.
  const checkStuck = () => {
    if (settled === callOrder.length && pendingElsewhere === 0 && waitingForInvocation.size > 0) issueLeftovers()
  }
  const issueLeftovers = () => {
    const leftovers = [...waitingForInvocation.entries()].sort(([a], [b]) => a - b).flatMap(([, runs]) => runs)
    waitingForInvocation.clear()
    for (const run of leftovers) run()
  }

  operations.forEach((op, index) => {
    if (op.when.at === 'now') issue(index)
    else schedule(op.when, () => issue(index))
  })
  if (pendingElsewhere === 0 && callOrder.length === 0) issueLeftovers()

  let timer
  const timedOut = new Promise((resolve) => { timer = setTimeout(() => resolve('timed out'), 5000) })
  const finished = await Promise.race([done.then(() => 'done'), timedOut])
  clearTimeout(timer)
  return { finished, ops, callOrder, source, errors }
}

/** What refused a call, if something did: 'abort', 'timeout', 'busy', 'full'; undefined for a call that ran. */
function refusal(record) {
  const { error } = record.outcome
  if (error === undefined) return undefined
  if (record.reason !== undefined && error === record.reason) return 'abort'
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'timeout'
  if (error instanceof ours.LockBusyError) return 'busy'
  if (error instanceof ours.QueueFullError) return 'full'
  return undefined
}

/** The serial model for the calls that ran, in call order: per operation, its callbacks and its outcome. */
function serialWaitingRun({ operations, behaviours }, ran) {
  const source = new Map()
  const entries = operations.map(() => [])
  const outcomes = new Array(operations.length)
  class Failed { constructor(index, step) { this.index = index; this.step = step } }
  const callback = (index, entry, result) => {
    const step = entries[index].length
    entries[index].push(entry)
    if (fails(behaviourOf(behaviours, index, step))) throw new Failed(index, step)
    return result()
  }
  for (const index of ran) {
    const op = operations[index]
    const key = keyOf(index, op)
    const read = () => callback(index, `read ${key}`, () => source.get(op.key))
    const write = (value) => callback(index, `write ${key}=${value}`, () => { source.set(op.key, value) })
    try {
      let value
      switch (op.method) {
        case 'read': value = read(); break
        case 'write': write(op.value); break
        case 'append': {
          const current = read()
          value = callback(index, `transform ${index}`, () => `${current}>${index}`)
          write(value)
          break
        }
        case 'lock': value = callback(index, `lock ${index}`, () => `${index}:${JSON.stringify([...source])}`); break
        case 'tx': {
          const current = read()
          if (op.options?.mode !== 'shared') write(`${current}>${index}`)
          value = `tx ${index}:${current}`
          break
        }
        case 'data': value = 'the source'; break
      }
      outcomes[index] = { value }
    } catch (failed) {
      outcomes[index] = { failed }
    }
  }
  return { entries, outcomes }
}

/** How often the generated cases reached each situation, so the test can check it reaches them all. */
const reached = { abort: 0, timeout: 0, busy: 0, full: 0, ran: 0, sharedTogether: 0, abortAfterStart: 0, transactions: 0 }

/** The property for one generated case. */
async function waitingMatchesSerialRun(AsyncAtomicStore, generated) {
  const { store: storeOptions, operations } = generated
  const seen = await observeWaiting(AsyncAtomicStore, generated)
  assert.equal(seen.finished, 'done', 'every promise settles')
  assert.deepEqual([...seen.callOrder].sort((a, b) => a - b), operations.map((_, i) => i))
  const { ops } = seen
  const callOrder = seen.callOrder
  const shared = operations.map((op) => isShared(op, storeOptions))
  const refused = ops.map(refusal)
  const ran = callOrder.filter((index) => refused[index] === undefined)
  for (const why of refused) if (why !== undefined) reached[why]++
  reached.ran += ran.length
  reached.transactions += ran.filter((index) => operations[index].method === 'tx').length
  reached.abortAfterStart += ran.filter((index) => ops[index].abortAt > ops[index].start).length

  // Refusals: never after running, only the ones the call asked for.
  ops.forEach((record, index) => {
    const op = operations[index]
    const why = refused[index]
    const timeout = op.options?.timeout ?? storeOptions.timeout
    if (why !== undefined) assert.deepEqual(record.entries, [], `operation ${index} was refused (${why}) and ran no callback`)
    const stray = record.outcome.error?.aborted
    if (stray !== undefined) assert.equal(stray, index, `operation ${index} rejects with the abort reason of operation ${stray}`)
    if (op.options?.abort?.at === 'already') assert.equal(why, 'abort', `operation ${index} with an aborted signal is refused with its reason`)
    if (why === 'abort') assert.ok(record.abortAt !== undefined, `operation ${index} is refused by its own abort`)
    if (why === 'timeout') {
      assert.ok(timeout !== Infinity, `operation ${index} times out only with a timeout`)
      assert.ok(record.settledMs - record.calledMs >= timeout - 0.5, `operation ${index} timed out after ${record.settledMs - record.calledMs} ms, not before its ${timeout} ms`)
    }
    if (why === 'busy') assert.ok(op.options?.ifAvailable, `operation ${index} is busy only with ifAvailable`)
    if (why === 'full') assert.ok(storeOptions.maxPending !== Infinity, `operation ${index} is refused as full only under maxPending`)
  })

  // What the calls that ran did equals the serial run of them in call order.
  const model = serialWaitingRun(generated, ran)
  for (const index of ran) {
    assert.deepEqual(ops[index].entries, model.entries[index], `operation ${index}: its callbacks`)
    const expected = model.outcomes[index]
    const actual = ops[index].outcome
    if ('failed' in expected) {
      assert.equal(actual.error, seen.errors[expected.failed.index * 3 + expected.failed.step], `operation ${index} rejects with the very value thrown`)
    } else if (expected.value === 'the source') {
      assert.equal(actual.value, seen.source, `operation ${index} resolves with the live source`)
    } else {
      assert.deepEqual(actual, expected, `operation ${index} resolves with the serial result`)
    }
  }

  // Overlaps and starts, for the calls whose callbacks were seen.
  const spanned = ran.filter((index) => ops[index].start !== undefined)
  const within = (at, record) => record.start !== undefined && record.start < at && at < record.end
  for (const [position, i] of spanned.entries()) {
    for (const j of spanned.slice(position + 1)) {
      const [first, later] = [ops[i], ops[j]]
      if (!shared[i] || !shared[j]) {
        assert.ok(first.end < later.start, `operation ${i} (${shared[i] ? 'shared' : 'exclusive'}) finished before ${j} (${shared[j] ? 'shared' : 'exclusive'}), called after it, started`)
      } else {
        assert.ok(first.start < later.start, `shared operation ${i} started before ${j}, called after it`)
        if (later.start < first.end) reached.sharedTogether++
      }
    }
  }
  ops.forEach((record, index) => {
    const op = operations[index]
    // Made while a conflicting call ran: ifAvailable must refuse it.
    if (op.options?.ifAvailable && op.options?.abort?.at !== 'already') {
      const conflicting = spanned.find((k) => k !== index && (!shared[k] || !shared[index]) && within(record.callAt, ops[k]))
      if (conflicting !== undefined) assert.ok(refused[index] !== undefined, `operation ${index} with ifAvailable, made while ${conflicting} ran, does not run`)
    }
    // Aborted while another call held the lock alone, before it started: it was waiting, so it is refused.
    if (record.abortAt !== undefined && refused[index] === undefined && record.start !== undefined && record.abortAt < record.start) {
      const holder = spanned.find((k) => k !== index && !shared[k] && within(record.abortAt, ops[k]))
      assert.equal(holder, undefined, `operation ${index}, aborted while ${holder} held the lock, still ran`)
    }
    // QueueFullError: at least maxPending calls may have been waiting when it was made.
    if (refused[index] === 'full') {
      const mayWait = callOrder.filter((k) => {
        const other = ops[k]
        if (other.callAt > record.callAt || k === index) return false
        if (['busy', 'full'].includes(refused[k]) || operations[k].options?.abort?.at === 'already') return false
        if (other.start !== undefined && other.start < record.callAt) return false
        if (refused[k] === 'abort' && other.abortAt < record.callAt) return false
        return other.settledAt > record.callAt
      })
      assert.ok(mayWait.length >= storeOptions.maxPending, `operation ${index} refused as full with at most ${mayWait.length} calls waiting (maxPending ${storeOptions.maxPending})`)
    }
  })
}

test('with signals, timeouts, ifAvailable, maxPending, shared calls and transactions: what ran equals the serial run, and every refusal is one the call asked for', async () => {
  await fc.assert(fc.asyncProperty(waitingCaseArb, (generated) => waitingMatchesSerialRun(ours.AsyncAtomicStore, generated)), {
    numRuns: 400,
    includeErrorInReport: true,
  })
  for (const [situation, count] of Object.entries(reached)) assert.ok(count >= 5, `the cases reached '${situation}' ${count} times: ${JSON.stringify(reached)}`)
})
