// A store's `lock` option: the store speaks the QueueLock protocol (index.d.ts)
// to a lock shared beyond it. Checked here against a small in-memory lock
// that records what it is asked, so each promise of the protocol is seen:
// every call takes its place when it is made, runs only when granted,
// releases once, and leaves the line when it gives up.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore, LockBusyError } = require('../../pkg/node.cjs')


/** A FIFO QueueLock whose grants are delivered when the test says so (`grantNext`), or at once with `auto`. */
function recordingLock({ auto = false } = {}) {
  const line = []
  const log = []
  let holder
  let tokens = 0
  const lock = {
    log,
    line,
    get pending() { return line.length },
    get locked() { return holder !== undefined },
    request(mode, ifAvailable, granted, failed) {
      const place = { id: log.length, mode, granted, failed }
      log.push(['request', place.id, mode, ifAvailable])
      if (ifAvailable && (holder || line.length)) {
        queueMicrotask(() => failed(new LockBusyError()))
        return place
      }
      line.push(place)
      if (auto) queueMicrotask(() => lock.grantNext())
      return place
    },
    cancel(place) {
      const at = line.indexOf(place)
      log.push(['cancel', place.id, at >= 0])
      if (at < 0) return false
      line.splice(at, 1)
      return true
    },
    release(place) {
      log.push(['release', place.id])
      assert.equal(holder, place, 'only the holder releases')
      holder = undefined
      if (auto) lock.grantNext()
    },
    /** Grants the front of the line, if the lock is free. */
    grantNext() {
      if (holder || !line.length) return false
      holder = line.shift()
      holder.granted({ token: ++tokens, signal: new AbortController().signal })
      return true
    },
  }
  return lock
}

const counterStore = (lock, extra = {}) => {
  let count = 0
  return AsyncAtomicStore({
    read: async () => { await sleep(1); return count },
    write: async (_key, value) => { await sleep(1); count = value },
    data: () => count,
    lock,
    ...extra,
  })
}

test('every call takes its place when made, runs only when granted, and releases once', async () => {
  const lock = recordingLock({ auto: true })
  const store = counterStore(lock)
  const results = await Promise.all(Array.from({ length: 20 }, () => store.append('n', (n) => n + 1)))
  assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i + 1))
  assert.equal(lock.log.filter(([kind]) => kind === 'request').length, 20)
  assert.equal(lock.log.filter(([kind]) => kind === 'release').length, 20)
  assert.deepEqual(lock.log.slice(0, 20).map(([kind]) => kind), Array(20).fill('request'), 'all requested at call time')
})

test('the order is the shared line\'s, and the grant carries its token and signal to the transaction', async () => {
  const lock = recordingLock()
  const store = counterStore(lock)
  const seen = []
  const calls = [1, 2, 3].map((n) => store.lock((_source, tx) => { seen.push([n, tx.token, tx.signal instanceof AbortSignal]) }))
  assert.equal(store.pending, 3)
  assert.equal(store.locked, false)
  for (let i = 0; i < 3; i++) {
    await sleep(0)
    lock.grantNext()
    await calls[i]
  }
  assert.deepEqual(seen, [[1, 1, true], [2, 2, true], [3, 3, true]])
})

test('a call that times out or is aborted leaves the line and never runs; a late grant is passed straight on', async () => {
  const lock = recordingLock()
  const store = counterStore(lock)
  const controller = new AbortController()
  let ran = 0
  const aborted = store.lock(() => { ran++ }, { signal: controller.signal })
  const timedOut = store.lock(() => { ran++ }, { timeout: 5 })
  controller.abort()
  await assert.rejects(aborted, { name: 'AbortError' })
  await assert.rejects(timedOut, { name: 'TimeoutError' })
  assert.deepEqual(lock.log.filter(([kind]) => kind === 'cancel'), [['cancel', 0, true], ['cancel', 1, true]])
  assert.equal(lock.line.length, 0)

  // The line says "too late" (it granted already): the call still rejects, and the grant is released unused.
  const late = store.lock(() => { ran++ }, { timeout: 5 })
  const place = lock.line[0]
  lock.cancel = (p) => { lock.log.push(['cancel', p.id, false]); return false }
  await assert.rejects(late, { name: 'TimeoutError' })
  assert.equal(lock.line[0], place)
  lock.grantNext()
  assert.deepEqual(lock.log.at(-1), ['release', place.id])
  assert.equal(lock.locked, false)
  assert.equal(ran, 0)
})

test('a call whose signal takes no listener gives up as if aborted: it leaves the line, which goes on', async () => {
  const lock = recordingLock({ auto: true })
  const store = counterStore(lock)
  const first = store.append('n', (n) => n + 1)
  const signal = new AbortController().signal
  signal.addEventListener = () => { throw new RangeError('no listeners here') }
  const refused = store.append('n', (n) => n + 10, { signal })
  const last = store.append('n', (n) => n + 100)
  await assert.rejects(refused, /no listeners here/)
  assert.deepEqual(lock.log.filter(([kind]) => kind === 'cancel'), [['cancel', 1, true]])
  assert.deepEqual([await first, await last], [1, 101])
  assert.equal(store.pending + lock.line.length, 0)
  assert.equal(lock.locked, false)
})

test('a failed place rejects its call with the line\'s error; ifAvailable is the line\'s to decide', async () => {
  const lock = recordingLock()
  const store = counterStore(lock)
  const first = store.read('n')
  await assert.rejects(store.read('n', { ifAvailable: true }), LockBusyError)
  const failing = store.read('n')
  const error = new Error('connection lost')
  lock.line.at(-1).failed(error)
  await assert.rejects(failing, (e) => e === error)
  lock.grantNext()
  assert.equal(await first, 0)
})

test('maxPending is the store\'s own bound; pending and locked count this store\'s own calls, the lock\'s the whole line; idle() waits for the store\'s calls', async () => {
  const lock = recordingLock()
  const store = counterStore(lock, { maxPending: 2 })
  const other = counterStore(lock)
  const a = store.append('n', (n) => n + 1)
  const b = store.append('n', (n) => n + 1)
  await assert.rejects(store.append('n', (n) => n + 1), { name: 'QueueFullError' })
  const c = other.append('n', (n) => n + 1)
  assert.deepEqual([store.pending, other.pending, lock.pending], [2, 1, 3], 'synchronously, with no round trip')
  let idle = false
  const idling = store.idle().then(() => { idle = true })
  lock.grantNext()
  assert.deepEqual([store.locked, store.pending, other.locked, other.pending], [true, 1, false, 1])
  await a
  assert.equal(store.locked, false)
  assert.equal(idle, false)
  lock.grantNext()
  await b
  await idling
  assert.equal(idle, true)
  lock.grantNext()
  assert.deepEqual([store.locked, other.locked, lock.locked], [false, true, true])
  await c
})

test('a lock option without the protocol\'s methods is a TypeError naming it', () => {
  assert.throws(() => AsyncAtomicStore({ read() {}, write() {}, data() {}, lock: {} }), /options\.lock/)
})
