// Per-key locking (`perKey: true`), point by point as issue 19 states it:
// calls on different keys run at the same time, whole-store calls see one
// consistent store, each call waits for exactly the earlier calls it
// conflicts with, and every other option keeps its meaning per call.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { failOnUnhandledRejections, settlement, sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore, AsyncMap, AsyncArray, AsyncObject, LockBusyError, QueueFullError, SharedLock } = require('../../pkg/node.cjs')

failOnUnhandledRejections()

/** Resolves once every microtask and grant queued so far has run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

/**
 * A store over a Map whose `read` and `write` each take `ms`, and that
 * records how many of its callbacks run at once, in all and per key.
 */
function slowStore(options = {}, ms = 5) {
  const map = new Map()
  const seen = { running: 0, most: 0 }
  const work = async (result) => {
    seen.most = Math.max(seen.most, ++seen.running)
    await sleep(ms)
    seen.running--
    return result
  }
  const store = AsyncAtomicStore({
    data: () => map,
    read: (key) => work(map.get(key)),
    write: (key, value) => work(map.set(key, value)),
    ...options,
  })
  return { store, map, seen }
}

/** A promise with its resolve function outside: `gate.open()` lets whoever awaits `gate.promise` go on. */
function gate() {
  let open
  const promise = new Promise((resolve) => (open = resolve))
  return { promise, open }
}

/** Starts `lock(callback, options)` whose callback records its start in `log` and holds the store until `release` is called. */
function held(store, log, name, options) {
  const g = gate()
  const done = store.lock(async (source, tx) => {
    log.push(name)
    await g.promise
    return tx
  }, options)
  return { done, release: g.open }
}

test('appends on different keys run at the same time; without perKey, one at a time, with the same results', async () => {
  for (const perKey of [true, false]) {
    const { store, map, seen } = slowStore({ perKey }, 2)
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(i % 10, (n) => (n ?? 0) + 1)))
    assert.deepEqual([...map.values()], Array(10).fill(5), 'no update is lost')
    assert.equal(seen.most, perKey ? 10 : 1, 'one call per key at a time')
  }
})

test('a whole-store call waits for every earlier call, and every later call waits for it', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => 'source', read: () => {}, write: () => {} })
  const log = []
  const a = held(store, log, 'a', { keys: ['a'] })
  const b = held(store, log, 'b', { keys: ['b'] })
  const whole = held(store, log, 'whole')
  const c = held(store, log, 'c', { keys: ['c'] })
  await settled()
  assert.deepEqual(log, ['a', 'b'], 'a later call on a free key waits for the waiting whole-store call')
  a.release()
  await settled()
  assert.deepEqual(log, ['a', 'b'])
  b.release()
  await settled()
  assert.deepEqual(log, ['a', 'b', 'whole'])
  whole.release()
  await settled()
  assert.deepEqual(log, ['a', 'b', 'whole', 'c'])
  c.release()
  await Promise.all([a.done, b.done, whole.done, c.done])
})

test('lock with keys holds exactly those keys, taken together; keys in any order cannot deadlock', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => {}, write: () => {} })
  const log = []
  const ab = held(store, log, 'ab', { keys: ['a', 'b'] })
  const ba = held(store, log, 'ba', { keys: ['b', 'a'] })
  const c = held(store, log, 'c', { keys: ['c'] })
  const b = held(store, log, 'b', { keys: ['b'] })
  await settled()
  assert.deepEqual(log, ['ab', 'c'])
  ab.release()
  await settled()
  assert.deepEqual(log, ['ab', 'c', 'ba'], 'ba took both keys at once')
  ba.release()
  await settled()
  assert.deepEqual(log, ['ab', 'c', 'ba', 'b'])
  c.release()
  b.release()
  await Promise.all([ab.done, ba.done, c.done, b.done])
})

test('duplicate keys count once', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => 1, write: () => {} })
  assert.equal(await store.lock((source, tx) => tx.read('a'), { keys: ['a', 'a', 'a'] }), 1)
  assert.equal(await store.read('a'), 1)
})

test("the transaction reads and writes only the call's keys, with and without perKey; outside them it rejects and calls nothing", async () => {
  for (const perKey of [true, false]) {
    const calls = []
    const store = AsyncAtomicStore({
      perKey,
      data: () => 'source',
      read: (key) => (calls.push(['read', key]), key),
      write: (key, value) => calls.push(['write', key, value]),
    })
    const result = await store.lock(async (source, tx) => {
      assert.equal(source, 'source')
      assert.equal(await tx.read('a'), 'a')
      await tx.write('b', 2)
      for (const attempt of [() => tx.read('c'), () => tx.write('c', 3), () => tx.append('c', () => 4)]) {
        await assert.rejects(attempt(), /the key "c" is not held/)
      }
      return 'done'
    }, { keys: ['a', 'b'] })
    assert.equal(result, 'done')
    assert.deepEqual(calls, [['read', 'a'], ['write', 'b', 2]], `perKey ${perKey}: nothing was called for c`)
  }
})

test('without perKey, a call with keys takes the whole store', async () => {
  const store = AsyncAtomicStore({ data: () => null, read: () => {}, write: () => {} })
  const log = []
  const a = held(store, log, 'a', { keys: ['a'] })
  const b = held(store, log, 'b', { keys: ['b'] })
  await settled()
  assert.deepEqual(log, ['a'])
  a.release()
  await settled()
  assert.deepEqual(log, ['a', 'b'])
  b.release()
  await Promise.all([a.done, b.done])
})

test('keys compare as Map keys do: NaN equals NaN, 0 equals -0, objects by identity', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => {}, write: () => {} })
  const [one, other] = [{}, {}]
  for (const [first, second, same] of [[NaN, NaN, true], [0, -0, true], [one, one, true], [one, other, false], ['1', 1, false]]) {
    const log = []
    const a = held(store, log, 'first', { keys: [first] })
    const b = held(store, log, 'second', { keys: [second] })
    await settled()
    assert.deepEqual(log, same ? ['first'] : ['first', 'second'], `${String(first)} and ${String(second)}`)
    a.release()
    b.release()
    await Promise.all([a.done, b.done])
  }
})

test('sharedReads: reads of one key run together, data() calls too, and a shared call behind a waiting write of its key waits for it', async () => {
  const { store, seen } = slowStore({ perKey: true, sharedReads: true })
  await Promise.all([store.read('a'), store.read('a'), store.read('a')])
  assert.equal(seen.most, 3, 'reads of one key ran together')
  const log = []
  const sharedA = held(store, log, 'shared a', { keys: ['a'], mode: 'shared' })
  const writeA = held(store, log, 'write a', { keys: ['a'] })
  const readA = store.read('a').then(() => log.push('read a'))
  const datas = Promise.all([store.data(), store.data()]).then(() => log.push('data'))
  await settled()
  assert.deepEqual(log, ['shared a'], 'the read waits for the waiting write, the data() calls too')
  sharedA.release()
  await settled()
  assert.deepEqual(log, ['shared a', 'write a'])
  writeA.release()
  await Promise.all([readA, datas])
  assert.deepEqual(log.slice(0, 2), ['shared a', 'write a'])
  assert.deepEqual(log.slice(2).sort(), ['data', 'read a'])
})

test('ifAvailable rejects exactly when the call would wait for a conflicting call, running or waiting', async () => {
  const store = AsyncAtomicStore({ perKey: true, sharedReads: true, data: () => null, read: () => 'value', write: () => {} })
  const log = []
  const a = held(store, log, 'a', { keys: ['a'], mode: 'shared' })
  const whole = held(store, log, 'whole')
  await settled()
  await assert.rejects(store.read('b', { ifAvailable: true }), LockBusyError, 'a call after a waiting whole-store call would wait')
  a.release()
  await settled()
  whole.release()
  await Promise.all([a.done, whole.done])
  const b = held(store, log, 'b', { keys: ['b'] })
  await settled()
  assert.equal(await store.read('c', { ifAvailable: true }), 'value', 'a free key is available while others are busy')
  assert.equal(await store.read('c', { ifAvailable: true }), 'value')
  await assert.rejects(store.write('b', 1, { ifAvailable: true }), LockBusyError)
  await assert.rejects(store.data({ ifAvailable: true }), LockBusyError)
  b.release()
  await b.done
})

test('signal and timeout work per call: a waiting keyed call leaves, and the calls behind it that waited only for it run', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => 'value', write: () => {} })
  const log = []
  const a = held(store, log, 'a', { keys: ['a'] })
  const controller = new AbortController()
  const ab = store.lock(() => log.push('ab'), { keys: ['a', 'b'], signal: controller.signal })
  const b = store.read('b').then(() => log.push('b'))
  const timedOut = settlement(store.read('a', { timeout: 5 }))
  await settled()
  assert.deepEqual(log, ['a'])
  controller.abort(new Error('gave up'))
  await assert.rejects(ab, /gave up/)
  await b
  assert.equal((await timedOut).error?.name, 'TimeoutError')
  assert.deepEqual(log, ['a', 'b'])
  a.release()
  await a.done
  assert.equal(store.pending, 0)
  assert.equal(store.locked, false)
})

test('maxPending bounds the waiting calls over all keys; pending, locked and idle() count every key', async () => {
  const store = AsyncAtomicStore({ perKey: true, maxPending: 2, data: () => null, read: () => {}, write: () => {} })
  const log = []
  const a = held(store, log, 'a', { keys: ['a'] })
  const b = held(store, log, 'b', { keys: ['b'] })
  assert.equal(store.locked, true)
  const waiting = [store.write('a', 1), store.write('b', 1)]
  assert.equal(store.pending, 2)
  await assert.rejects(store.write('a', 2), QueueFullError)
  await assert.rejects(store.write('b', 2), QueueFullError)
  const free = store.write('c', 1)
  assert.equal(store.pending, 2, 'a call that does not wait is not counted')
  await free
  let idle = false
  const idled = store.idle().then(() => (idle = true))
  a.release()
  await settled()
  assert.equal(idle, false)
  b.release()
  await Promise.all([...waiting, idled, a.done, b.done])
  assert.deepEqual([store.pending, store.locked, idle], [0, false, true])
})

test('a callback that fails releases only what its call held; the calls behind it, on that key and others, go on', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => 'value', write: () => {} })
  const log = []
  const b = held(store, log, 'b', { keys: ['b'] })
  const failing = store.lock(async () => {
    await sleep(1)
    throw new Error('boom')
  }, { keys: ['a'] })
  const afterA = store.read('a')
  const afterAB = store.lock(() => 'ab', { keys: ['a', 'b'] })
  await assert.rejects(failing, /boom/)
  assert.equal(await afterA, 'value')
  assert.deepEqual(await Promise.race([afterAB, sleep(5).then(() => 'still waiting for b')]), 'still waiting for b')
  b.release()
  assert.equal(await afterAB, 'ab')
})

test('bad input: keys that are not a non-empty array, keys outside lock(), perKey that is not a boolean, perKey with a lock option', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => {}, write: () => {} })
  for (const keys of [[], 'a', new Set(['a']), null, 1, { 0: 'a', length: 1 }]) {
    await assert.rejects(store.lock(() => {}, { keys }), (error) => error instanceof TypeError && /options\.keys must be an array of one or more keys/.test(error.message))
    assert.equal(store.pending + Number(store.locked), 0, 'the call queued nothing')
  }
  await assert.rejects(store.read('a', { keys: ['a'] }), { name: 'TypeError', message: /keys is an option of lock\(\) only/ })
  for (const perKey of [1, 'yes', null, {}]) {
    assert.throws(() => AsyncAtomicStore({ perKey, data: () => null, read: () => {}, write: () => {} }), { name: 'TypeError', message: /options\.perKey must be true or false/ })
  }
  const lock = new SharedLock()
  assert.throws(
    () => AsyncAtomicStore({ perKey: true, lock, data: () => null, read: () => {}, write: () => {} }),
    { name: 'TypeError', message: /per-key locking is not yet available across threads or processes/ },
  )
  assert.throws(() => AsyncMap(new Map(), 'perKey'), { name: 'TypeError', message: /AsyncMap\(\.\.\., options\): options must be an object/ })
})

test('the adapters pass their options on', async () => {
  for (const [make, key] of [[(o) => AsyncMap(undefined, o), 'k'], [(o) => AsyncArray(undefined, o), 0], [(o) => AsyncObject(undefined, o), 'k']]) {
    const store = make({ perKey: true })
    const log = []
    const first = held(store, log, 'first', { keys: [key] })
    const other = held(store, log, 'other', { keys: [typeof key === 'number' ? 1 : 'other'] })
    await settled()
    assert.deepEqual(log, ['first', 'other'], 'calls on different keys ran together')
    first.release()
    other.release()
    await Promise.all([first.done, other.done])
    await store.write(key, 5)
    assert.equal(await store.read(key), 5)
  }
})

test('a settled call gives its key back: nothing keeps a key or its id once no call uses it', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => {}, write: () => {} })
  const state = store[Object.getOwnPropertySymbols(store).find((symbol) => symbol.description === 'AsyncAtomicStore state')]
  const key = {}
  await store.write(key, 1)
  const outcome = await settlement(store.lock((source, tx) => tx.read(key), { keys: [key, 'b'] }))
  assert.deepEqual(outcome, { value: undefined })
  assert.equal(state.idOf.size, 0)
  assert.ok(state.keyOf.every((kept) => kept === undefined), 'no key is kept')
})
