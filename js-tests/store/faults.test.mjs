// Faults: whatever a callback does wrong (throws a non-Error, returns a broken
// thenable, fails half-way through an append, never settles), the operation
// settles as the serial semantics say, the lock is handed on, and the same
// store keeps working. A callback that never settles holds its store's lock for
// good; other stores are unaffected.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { failOnUnhandledRejections, settlement, sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore, AsyncMap } = require('../../pkg/node.cjs')
const upstream = require('async-atomic-store-upstream')

failOnUnhandledRejections()


/** Resolves to whether `promise` is still pending after `ms` milliseconds. */
async function stillPending(promise, ms = 30) {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  await sleep(ms)
  return !settled
}

/**
 * A Map store whose `read`, `write` and `data` can each be given one faulty
 * call: `faults.read = fn` makes the next read call `fn` instead.
 */
function faultyStore() {
  const map = new Map([['k', 1]])
  const faults = {}
  const position = (name, normal) => (...args) => {
    const fault = faults[name]
    if (fault === undefined) return normal(...args)
    delete faults[name]
    return fault(...args)
  }
  const store = AsyncAtomicStore({
    read: position('read', (key) => map.get(key)),
    write: position('write', (key, value) => { map.set(key, value) }),
    data: position('data', () => map),
  })
  return { store, map, faults }
}

/** Checks that every method of the store still works, queued together, in order. */
async function assertStillWorks({ store, map }) {
  const before = map.get('k')
  const [written, appended, read, locked, source] = await Promise.all([
    store.write('k', 10),
    store.append('k', async (v) => v + 1),
    store.read('k'),
    store.lock(async (m) => m.get('k') * 2),
    store.data(),
  ])
  assert.deepEqual([written, appended, read, locked], [undefined, 11, 11, 22], `the store works after a fault (k was ${before})`)
  assert.equal(source, map)
}

/** Every place a user callback runs, and how to make that one call `fault`. */
const positions = {
  'read': ({ store, faults }, fault) => { faults.read = fault; return store.read('k') },
  'write': ({ store, faults }, fault) => { faults.write = fault; return store.write('k', 2) },
  'data': ({ store, faults }, fault) => { faults.data = fault; return store.data() },
  'append: read': ({ store, faults }, fault) => { faults.read = fault; return store.append('k', (v) => v + 1) },
  'append: transform': ({ store }, fault) => store.append('k', fault),
  'append: write': ({ store, faults }, fault) => { faults.write = fault; return store.append('k', (v) => v + 1) },
  'lock: data': ({ store, faults }, fault) => { faults.data = fault; return store.lock(async () => 'unreached') },
  'lock: callback': ({ store }, fault) => store.lock(fault),
}

const revoked = Proxy.revocable({}, {})
revoked.revoke()
/** Values thrown as they are, none of them an Error. */
const thrownValues = {
  'undefined': undefined,
  'null': null,
  'false': false,
  '0': 0,
  'NaN': NaN,
  '-0': -0,
  'a bigint': 10n,
  'an empty string': '',
  'a string': 'boom',
  'a symbol': Symbol('boom'),
  'a frozen object': Object.freeze({ reason: 'boom' }),
  'a frozen array': Object.freeze(['boom']),
  'a function': () => 'boom',
  'a frozen thenable': Object.freeze({ then() {} }),
  'a revoked proxy': revoked.proxy,
  'an Error subclass with extra fields': Object.assign(new RangeError('boom'), { code: 'E_BOOM' }),
}

for (const [where, call] of Object.entries(positions)) {
  test(`${where}: a callback that throws or rejects any value rejects with that very value, and the store keeps working`, async () => {
    const ctx = faultyStore()
    for (const [name, thrown] of Object.entries(thrownValues)) {
      for (const [how, fault] of [
        ['throws', () => { throw thrown }],
        ['rejects', () => Promise.reject(thrown)],
        ['rejects later', () => sleep(1).then(() => { throw thrown })],
      ]) {
        const outcome = await settlement(call(ctx, fault))
        assert.ok('error' in outcome, `${where} ${how} ${name}: the operation rejects`)
        assert.ok(Object.is(outcome.error, thrown), `${where} ${how} ${name}: rejects with the very value`)
      }
    }
    await assertStillWorks(ctx)
  })
}

test('thenables that throw, call back twice, or resolve to thenables settle the way `await` settles them', async () => {
  const thrown = Symbol('then threw')
  const thenables = [
    ['`then` throws', { then() { throw thrown } }, { error: thrown }],
    ['`then` getter throws', { get then() { throw thrown } }, { error: thrown }],
    ['resolves twice', { then(resolve) { resolve(5); resolve(6) } }, { value: 5 }],
    ['resolves, then rejects', { then(resolve, reject) { resolve(5); reject(thrown) } }, { value: 5 }],
    ['rejects, then resolves', { then(resolve, reject) { reject(thrown); resolve(5) } }, { error: thrown }],
    ['resolves, then throws', { then(resolve) { resolve(5); throw thrown } }, { value: 5 }],
    ['resolves later, twice', { then(resolve) { setTimeout(() => { resolve(5); resolve(6) }, 1) } }, { value: 5 }],
    ['resolves with a thenable', { then(resolve) { resolve({ then(inner) { inner(5) } }) } }, { value: 5 }],
    ['resolves with a rejected promise', { then(resolve) { resolve(Promise.reject(thrown)) } }, { error: thrown }],
  ]
  for (const [where, call] of Object.entries(positions)) {
    const ctx = faultyStore()
    for (const [name, thenable, expected] of thenables) {
      const outcome = await settlement(call(ctx, () => thenable))
      // A thenable that settles to a value acts as if the callback had returned that value.
      const plain = 'error' in expected ? expected : await settlement(call(faultyStore(), () => expected.value))
      assert.deepEqual(outcome, plain, `${where}: a thenable that ${name}`)
      ctx.map.set('k', 1)
    }
    await assertStillWorks(ctx)
  }
})

test('a write that fails in the middle of an append: the append rejects with its error and the store goes on from the old value', async () => {
  const ctx = faultyStore()
  const { store, map, faults } = ctx
  const failure = new Error('disk full')
  let transformed = 0
  faults.write = async () => { await sleep(1); throw failure }
  const queued = [
    store.append('k', (v) => { transformed++; return v + 100 }),
    store.append('k', (v) => { transformed++; return v + 1 }),
    store.read('k'),
  ]
  const [failed, next, read] = await Promise.all(queued.map(settlement))
  assert.equal(failed.error, failure)
  assert.equal(transformed, 2, 'each transform ran once')
  assert.deepEqual([next, read], [{ value: 2 }, { value: 2 }], 'the next append read the value the failed write left')
  assert.equal(map.get('k'), 2)
  await assertStillWorks(ctx)
})

test('the store does not roll back: a write that changed the source and then failed leaves its change', async () => {
  const ctx = faultyStore()
  const { store, map, faults } = ctx
  faults.write = (key, value) => { map.set(key, value); throw new Error('failed after writing') }
  await assert.rejects(store.append('k', (v) => v + 1), /failed after writing/)
  assert.equal(await store.read('k'), 2)
  await assertStillWorks(ctx)
})

test('a transform that fails writes nothing', async () => {
  const ctx = faultyStore()
  let written = false
  ctx.faults.write = () => { written = true }
  await assert.rejects(ctx.store.append('k', async () => { throw new Error('no') }), /no/)
  assert.equal(written, false)
  assert.equal(ctx.map.get('k'), 1)
  delete ctx.faults.write
  await assertStillWorks(ctx)
})

test('a data() that rejects: lock rejects without calling its callback, data rejects, the store keeps working', async () => {
  const ctx = faultyStore()
  const failure = Object.freeze({ offline: true })
  let called = false
  ctx.faults.data = () => Promise.reject(failure)
  assert.deepEqual(await settlement(ctx.store.lock(async () => { called = true })), { error: failure })
  assert.equal(called, false)
  ctx.faults.data = () => Promise.reject(failure)
  assert.deepEqual(await settlement(ctx.store.data()), { error: failure })
  await assertStillWorks(ctx)
})

test('a transform or lock callback that is not a function rejects with a TypeError and the lock is handed on', async () => {
  const ctx = faultyStore()
  const outcomes = await Promise.all([
    settlement(ctx.store.append('k', 42)),
    settlement(ctx.store.lock('not a function')),
    settlement(ctx.store.read('k')),
  ])
  assert.ok(outcomes[0].error instanceof TypeError)
  assert.ok(outcomes[1].error instanceof TypeError)
  assert.deepEqual(outcomes[2], { value: 1 })
  await assertStillWorks(ctx)
})

test('a callback that fails after queueing more calls: the queued calls still run, in order', async () => {
  const ctx = faultyStore()
  const { store } = ctx
  let inner
  const outer = store.lock(() => {
    inner = [store.write('k', 7), store.append('k', (v) => v * 2), store.read('k')]
    throw new Error('outer failed')
  })
  await assert.rejects(outer, /outer failed/)
  assert.deepEqual(await Promise.all(inner), [undefined, 14, 14])
  await assertStillWorks(ctx)
})

test('a callback that never settles holds its store: later calls wait, other stores are unaffected', async () => {
  const stuck = faultyStore()
  const other = faultyStore()
  let calledAfter = false
  const hung = stuck.store.lock(() => new Promise(() => {}))
  const waiting = [
    stuck.store.read('k'),
    stuck.store.append('k', (v) => { calledAfter = true; return v }),
  ]
  assert.ok(await stillPending(Promise.race([hung, ...waiting])), 'the stuck store serves nobody')
  assert.equal(calledAfter, false, 'no later callback ran')
  await assertStillWorks(other)
  assert.equal(await AsyncMap(new Map([[1, 'fresh']])).read(1), 'fresh')
  assert.ok(await stillPending(Promise.race([hung, ...waiting]), 5), 'and it is still stuck')
})

test('a callback that settles late releases the queue behind it, in order', async () => {
  const ctx = faultyStore()
  let finish
  const slow = ctx.store.lock(() => new Promise((resolve) => { finish = resolve }))
  const order = []
  const waiting = [1, 2, 3].map((n) => ctx.store.append('k', (v) => { order.push(n); return v + n }))
  assert.ok(await stillPending(Promise.race([slow, ...waiting])))
  finish('late')
  assert.deepEqual(await Promise.all([slow, ...waiting]), ['late', 2, 4, 7])
  assert.deepEqual(order, [1, 2, 3])
  await assertStillWorks(ctx)
})

for (const [name, lib] of [['ours', { AsyncAtomicStore }], ['upstream 1.2.2', upstream]]) {
  test(`re-entrancy (${name}): unawaited calls from a callback queue behind it; awaiting one waits forever`, async () => {
    const map = new Map([['k', 1]])
    const store = lib.AsyncAtomicStore({
      read: (key) => map.get(key),
      write: (key, value) => { map.set(key, value) },
      data: () => map,
    })
    let queued
    const outer = await store.lock(() => {
      queued = store.append('k', (v) => v + 1)
      return map.get('k')
    })
    assert.equal(outer, 1, 'the queued append had not run inside the callback')
    assert.equal(await queued, 2)
    const deadlocked = store.lock(async () => store.read('k').then(() => 'never'))
    const afterIt = store.read('k')
    // A lock callback that awaits a call to its own store waits for itself.
    assert.ok(await stillPending(Promise.race([deadlocked, afterIt])))
  })
}
