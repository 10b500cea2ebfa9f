// SharedLock: one strictly FIFO lock across threads, through its QueueLock
// protocol in one thread (the ordering rule itself is the conformance
// table's: js-tests/conformance/), then across real worker_threads: the upstream's
// Atomics example in 8 threads, a linearizable count, terminated workers and
// abandon, and a property test with random operations, aborts, timeouts and
// terminations. The same checks run in Chromium (shared-lock.browser.test.mjs).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { atomicsAcrossThreads } from '../../www/atomics-threads.js'
import { spawn } from '../../www/threads.js'
import { checkRun, runScript, scriptArbitrary } from '../support/lock-script.mjs'
import { sleep } from '../support/promises.mjs'

const { SharedLock, AsyncAtomicStore } = await import('../../pkg/node.mjs')
const participantUrl = new URL('../support/lock-participant.mjs', import.meta.url)

/** Requests a place and records what happens to it in `log` under `name`. */
function ask(lock, log, name, mode = 'exclusive', ifAvailable = false) {
  const entry = {}
  entry.settled = new Promise((resolve) => {
    entry.place = lock.request(mode, ifAvailable, () => {
      log.push(name)
      resolve('granted')
    }, (error) => {
      log.push(`${name}: ${error.name}`)
      resolve(error)
    })
  })
  return entry
}

describe('SharedLock in one thread, through the QueueLock protocol', () => {
  test('granted is never called inside request; pending and locked describe the whole line; release of a place not held throws', async () => {
    const lock = new SharedLock()
    const other = SharedLock.from(lock.share())
    const log = []
    const a = ask(lock, log, 'a')
    const b = ask(other, log, 'b', 'shared')
    const c = ask(lock, log, 'c', 'shared')
    assert.deepEqual(log, [], 'granted is never called inside request')
    assert.equal(lock.pending, 2)
    assert.equal(other.pending, 2, "another participant's view is the same line")
    assert.equal(other.locked, true)
    await a.settled
    lock.release(a.place)
    await Promise.all([b.settled, c.settled])
    assert.equal(lock.pending, 0)
    other.release(b.place)
    lock.release(c.place)
    assert.equal(other.locked, false)
    assert.throws(() => lock.release(c.place), /does not hold the lock/)
  })

  test('a refusal is never reported inside request, and a refusal cancelled before it is reported is never reported', async () => {
    const lock = new SharedLock()
    const log = []
    const a = ask(lock, log, 'a', 'shared')
    const busy = ask(lock, log, 'x', 'exclusive', true)
    assert.deepEqual(log, [], 'failed is never called inside request')
    const cancelledFailure = ask(lock, log, 'y', 'exclusive', true)
    assert.equal(lock.cancel(cancelledFailure.place), true, 'a scheduled failure can still be cancelled')
    assert.equal((await busy.settled).name, 'LockBusyError')
    await a.settled
    lock.release(a.place)
    await sleep(1)
    assert.deepEqual(log, ['a', 'x: LockBusyError'])
  })

  test('acquireNow takes the lock only when nothing holds or waits ahead, and never queues', async () => {
    const lock = new SharedLock()
    const log = []
    const first = lock.acquireNow('exclusive')
    assert.notEqual(first, undefined)
    assert.equal(lock.locked, true)
    assert.equal(lock.acquireNow('exclusive'), undefined, 'held exclusively: would wait')
    assert.equal(lock.acquireNow('shared'), undefined)
    assert.equal(lock.pending, 0, 'a refused acquireNow takes no place')
    const waiting = ask(lock, log, 'waiting')
    lock.release(first)
    assert.equal(lock.acquireNow('exclusive'), undefined, 'a waiting request is ahead')
    await waiting.settled
    lock.release(waiting.place)
    const readers = [lock.acquireNow('shared'), lock.acquireNow('shared')]
    assert.ok(readers.every((place) => place !== undefined), 'shared holders let a shared call in')
    assert.equal(lock.acquireNow('exclusive'), undefined)
    const writer = ask(lock, log, 'writer')
    assert.equal(lock.acquireNow('shared'), undefined, 'not past a waiting exclusive request')
    lock.release(readers[0])
    lock.release(readers[1])
    await writer.settled
    lock.release(writer.place)
    assert.equal(lock.locked, false)
    assert.deepEqual(log, ['waiting', 'writer'])
    // Released with nothing waiting, a place only moves the head: the ring's
    // places are still reused, lap after lap.
    const small = new SharedLock({ capacity: 2 })
    for (let i = 0; i < 10; i++) small.release(small.acquireNow('exclusive'))
    assert.equal(small.locked, false)
  })

  test('a full ring fails with QueueFullError, not corruption, and its places are reused lap after lap', async () => {
    const log = []
    const small = new SharedLock({ capacity: 4 })
    const entries = Array.from({ length: 6 }, (_, i) => ask(small, log, `s${i}`))
    assert.equal((await entries[4].settled).name, 'QueueFullError')
    assert.equal((await entries[5].settled).name, 'QueueFullError')
    for (const entry of entries.slice(0, 4)) {
      await entry.settled
      small.release(entry.place)
    }
    for (let lap = 0; lap < 50; lap++) {
      const entry = ask(small, log, 'lap', lap % 2 ? 'shared' : 'exclusive')
      await entry.settled
      small.release(entry.place)
    }
    assert.equal(small.pending, 0)
    assert.equal(small.locked, false)
  })

  test('bad input throws errors that name the cause', () => {
    for (const bad of [undefined, null, 1, 'handle', {}, { sharedLock: new ArrayBuffer(8), participant: 1, generation: 1 }, { sharedLock: new SharedArrayBuffer(4096), participant: 1, generation: 1 }]) {
      assert.throws(() => SharedLock.from(bad), { name: 'TypeError', message: /^SharedLock\.from\(handle\): handle must be what lock\.share\(\) returned/ })
    }
    const lock = new SharedLock()
    const handle = lock.share()
    SharedLock.from(structuredClone(handle))
    assert.throws(() => SharedLock.from(handle), /already attached or abandoned/)
    assert.throws(() => new SharedLock({ capacity: 1 }), { name: 'TypeError', message: /options\.capacity/ })
    assert.throws(() => new SharedLock({ maxPending: -1 }), { name: 'TypeError', message: /options\.maxPending/ })
    assert.throws(() => new SharedLock(5), { name: 'TypeError', message: /options must be an object/ })
    assert.throws(() => lock.request('read', false, () => {}, () => {}), { name: 'TypeError', message: /mode must be 'exclusive' or 'shared', got 'read'/ })
    assert.throws(() => lock.abandon(new SharedLock().share()), { name: 'TypeError', message: /another SharedLock/ })
    assert.equal(lock.abandon(handle), 0)
    assert.equal(lock.abandon(handle), 0, 'abandoning twice')

    const original = globalThis.SharedArrayBuffer
    globalThis.SharedArrayBuffer = undefined
    try {
      assert.throws(() => new SharedLock(), { name: 'Error', message: /Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/ })
    } finally {
      globalThis.SharedArrayBuffer = original
    }
  })
})

describe('SharedLock across worker_threads', () => {
  test("the upstream's Atomics example in 8 threads on one buffer: exact with a SharedLock, updates lost with a store per thread", { timeout: 60_000 }, async () => {
    const locked = await atomicsAcrossThreads({ SharedLock, threads: 8, rounds: 100 })
    assert.equal(locked.value, locked.expected)
    const unlocked = await atomicsAcrossThreads({ threads: 8, rounds: 1000 })
    assert.ok(unlocked.value < unlocked.expected, `no update was lost: ${unlocked.value}`)
    console.log(`8 threads × 100 rounds: ${locked.value} with a SharedLock (${locked.ms.toFixed(0)} ms), ${unlocked.value} of ${unlocked.expected} with a store per thread`)
  })

  test('a linearizable count: 8 threads × 10,000 appends see every value from 1 to 80,000 exactly once', { timeout: 120_000 }, async () => {
    const lock = new SharedLock({ capacity: 2 ** 17 })
    const buffer = new SharedArrayBuffer(4)
    const threads = await Promise.all(Array.from({ length: 8 }, () => spawn(participantUrl)))
    try {
      for (const thread of threads) thread.post({ job: 'count', handle: lock.share(), buffer, appends: 10_000 })
      const seen = new Uint8Array(80_001)
      for (const thread of threads) {
        const result = await thread.next()
        assert.equal(result.error, undefined)
        for (const value of result.seen) seen[value]++
      }
      assert.equal(new Int32Array(buffer)[0], 80_000)
      assert.equal(seen.slice(1).every((times) => times === 1), true, 'each value seen once')
      assert.equal(lock.pending, 0)
      assert.equal(lock.locked, false)
    } finally {
      await Promise.all(threads.map((thread) => thread.terminate()))
    }
  })

  test('a worker terminated while it holds the lock, and one terminated while it waits: abandon frees their places and the others proceed', { timeout: 30_000 }, async () => {
    const lock = new SharedLock()
    const [holder, doomedWaiter, waiter] = await Promise.all([spawn(participantUrl), spawn(participantUrl), spawn(participantUrl)])
    const handles = [lock.share(), lock.share(), lock.share()]
    try {
      holder.post({ job: 'hold', handle: handles[0] })
      assert.deepEqual(await holder.next(), { held: true })
      doomedWaiter.post({ job: 'wait', handle: handles[1] })
      assert.deepEqual(await doomedWaiter.next(), { requested: true })
      waiter.post({ job: 'wait', handle: handles[2] })
      assert.deepEqual(await waiter.next(), { requested: true })
      assert.equal(lock.pending, 2)

      await doomedWaiter.terminate()
      assert.equal(lock.abandon(handles[1]), 1, 'the waiting place')
      assert.equal(lock.pending, 1)
      await holder.terminate()
      await sleep(20)
      assert.equal(lock.locked, true, 'without abandon, a terminated holder keeps the lock')
      assert.equal(lock.abandon(handles[0]), 1, 'the held place')
      assert.deepEqual(await waiter.next(), { granted: true })
      assert.equal(lock.pending, 0)
      assert.equal(lock.locked, false)
      assert.throws(() => SharedLock.from(handles[0]), /already attached or abandoned/)
    } finally {
      await Promise.all([holder, doomedWaiter, waiter].map((thread) => thread.terminate()))
    }
  })

  test('a worker waiting for the lock uses almost no CPU (event-loop utilisation)', { timeout: 30_000 }, async () => {
    const lock = new SharedLock()
    const local = ask(lock, [], 'holder')
    await local.settled
    const thread = await spawn(participantUrl)
    try {
      thread.post({ job: 'idle', handle: lock.share(), ms: 300 })
      assert.deepEqual(await thread.next(), { requested: true })
      await sleep(350)
      lock.release(local.place)
      const { utilisation } = await thread.next()
      assert.ok(utilisation < 0.05, `event-loop utilisation while waiting: ${utilisation}`)
    } finally {
      await thread.terminate()
    }
  })

  test('property: random requests, cancels (aborts, timeouts) and terminations across 2-4 workers keep FIFO order and mutual exclusion, and every survivor finishes', { timeout: 300_000 }, async () => {
    const pool = []
    try {
      await fc.assert(
        fc.asyncProperty(scriptArbitrary(fc), async (script) => {
          while (pool.length < script.workers.length) pool.push(await spawn(participantUrl))
          const run = await runScript({ SharedLock, script, threads: pool })
          for (const index of run.terminated) pool[index] = await spawn(participantUrl)
          checkRun(run)
        }),
        { numRuns: 30 },
      )
    } finally {
      await Promise.all(pool.map((thread) => thread.terminate()))
    }
  })
})

describe('a store on a SharedLock', () => {
  const mapStore = (lock, options = {}) => {
    const map = new Map()
    return { map, store: AsyncAtomicStore({ read: (k) => map.get(k), write: (k, v) => map.set(k, v), data: () => map, lock, ...options }) }
  }

  test('its calls queue on the lock; timeouts, aborts and ifAvailable reach the lock as cancel or ifAvailable', async () => {
    const lock = new SharedLock()
    const { map, store } = mapStore(lock)
    const outside = ask(lock, [], 'outside the store')
    await outside.settled
    const append = store.append('n', (n) => (n ?? 0) + 1)
    assert.equal(lock.pending, 1, 'the call took its place in the shared line when it was made')
    const timedOut = store.read('n', { timeout: 10 })
    const controller = new AbortController()
    const aborted = store.read('n', { signal: controller.signal })
    await assert.rejects(store.read('n', { ifAvailable: true }), { name: 'LockBusyError' })
    assert.equal(lock.pending, 3)
    await assert.rejects(timedOut, { name: 'TimeoutError' })
    controller.abort(new Error('stop'))
    await assert.rejects(aborted, /stop/)
    assert.equal(lock.pending, 1, 'the calls that gave up left the shared line')
    lock.release(outside.place)
    assert.equal(await append, 1)
    assert.equal(map.get('n'), 1)
    await store.idle()
    assert.equal(lock.locked, false)
  })

  test('an uncontended call takes the lock with acquireNow and runs as on a plain store; a contended one requests its place', async () => {
    const lock = new SharedLock()
    const requests = []
    const request = lock.request.bind(lock)
    lock.request = (...args) => {
      requests.push(args[0])
      return request(...args)
    }
    const { map, store } = mapStore(lock)
    assert.equal(await store.append('n', (n) => (n ?? 0) + 1), 1)
    assert.deepEqual(requests, [], 'taken at once: no request, no callback')
    const results = await Promise.all([1, 2, 3].map(() => store.append('n', (n) => n + 1)))
    assert.deepEqual(results, [2, 3, 4])
    assert.deepEqual(requests, ['exclusive', 'exclusive'], 'the first took it at once; the two behind it waited in line')
    assert.equal(map.get('n'), 4)
    await store.idle()
    assert.equal(lock.locked, false)
  })

  test('shared calls of two stores run together; an exclusive one waits for them', async () => {
    const lock = new SharedLock()
    const a = mapStore(lock, { sharedReads: true }).store
    const b = mapStore(lock, { sharedReads: true }).store
    let running = 0
    let most = 0
    const log = []
    const slow = (name) => async () => {
      running++
      most = Math.max(most, running)
      await sleep(10)
      running--
      log.push(name)
    }
    await Promise.all([
      a.lock(slow('a shared'), { mode: 'shared' }),
      b.lock(slow('b shared'), { mode: 'shared' }),
      a.lock(() => log.push(`exclusive with ${running} running`)),
    ])
    assert.equal(most, 2)
    assert.deepEqual(log, ['a shared', 'b shared', 'exclusive with 0 running'])
  })

  test('maxPending of the lock bounds the calls of every store on it', async () => {
    const lock = new SharedLock({ maxPending: 1 })
    const { store } = mapStore(lock)
    const first = store.write('k', 1)
    const second = store.write('k', 2)
    await assert.rejects(store.write('k', 3), { name: 'QueueFullError' })
    await Promise.all([first, second])
  })
})
