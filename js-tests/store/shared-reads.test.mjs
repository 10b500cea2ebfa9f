// Shared reads (issue 13): with `sharedReads`, reads and data() calls that are
// next to each other in the queue run together, in strict FIFO batches
// between the exclusive calls, as in the Web Locks API; `lock(cb, { mode:
// 'shared' })` does the same with or without it. Most tests here run on a
// store whose every callback waits at a gate the test opens, so which calls
// run together is observed exactly, with no timing involved.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { failOnUnhandledRejections, settlement, sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore, LockBusyError, QueueFullError } = require('../../pkg/node.cjs')

failOnUnhandledRejections()

/** Lets every hand-off that can happen now happen (callbacks only move on when their gate opens). */
const settle = () => sleep(0)

/**
 * A Map store whose callbacks each wait at a gate named after the call:
 * `read(name)`, `write(name, value)` and `lock(() => gated(name))` run until
 * `open(name)`. `running` is what runs right now.
 */
function gatedStore(options = {}) {
  const map = new Map()
  const running = new Set()
  const gates = new Map()
  const log = []
  const gated = async (name, result) => {
    running.add(name)
    log.push(name)
    await new Promise((resolve) => gates.set(name, resolve))
    running.delete(name)
    return result()
  }
  const store = AsyncAtomicStore({
    read: (key) => gated(key, () => map.get(key)),
    write: (key, value) => gated(key, () => { map.set(key, value) }),
    data: () => map,
    ...options,
  })
  const open = async (...names) => {
    for (const name of names) {
      assert.ok(gates.has(name), `${name} is running`)
      gates.get(name)()
      gates.delete(name)
    }
    await settle()
  }
  /** Opens every running call's gate, round after round, and returns what ran together each round. */
  const rounds = async () => {
    const seen = []
    await settle()
    while (running.size > 0) {
      const together = [...running].sort()
      seen.push(together)
      await open(...together)
    }
    return seen
  }
  return { store, map, running, log, gated, open, rounds }
}

/** Makes the calls named: `r…` a read, `w…` a write, `d…` a data(), `L…`/`S…` an exclusive/shared lock. */
function issue({ store, gated }, names, options) {
  return names.map((name) => {
    switch (name[0]) {
      case 'r': return store.read(name, options)
      case 'w': return store.write(name, name, options)
      case 'd': return store.data(options)
      case 'L': return store.lock(() => gated(name, () => name), options)
      case 'S': return store.lock(() => gated(name, () => name), { ...options, mode: 'shared' })
    }
  })
}

test('batching: shared calls next to each other in the queue run together', async () => {
  const gated = gatedStore({ sharedReads: true })
  const calls = issue(gated, ['r1', 'r2', 'r3', 'r4'])
  await settle()
  assert.deepEqual([...gated.running].sort(), ['r1', 'r2', 'r3', 'r4'])
  assert.equal(gated.store.pending, 0, 'nobody waits: all four hold the lock')
  assert.equal(gated.store.locked, true)
  assert.deepEqual(await gated.rounds(), [['r1', 'r2', 'r3', 'r4']])
  await Promise.all(calls)
  assert.equal(gated.store.locked, false)
})

test('without sharedReads nothing changes: reads run one at a time', async () => {
  const gated = gatedStore()
  const calls = issue(gated, ['r1', 'r2', 'r3'])
  assert.deepEqual(await gated.rounds(), [['r1'], ['r2'], ['r3']])
  await Promise.all(calls)
})

test('an exclusive call waits for every shared call ahead of it to finish, and runs alone', async () => {
  const gated = gatedStore({ sharedReads: true })
  const calls = issue(gated, ['r1', 'r2', 'w1', 'r3'])
  await settle()
  assert.deepEqual([...gated.running].sort(), ['r1', 'r2'])
  assert.equal(gated.store.pending, 2)
  await gated.open('r1')
  assert.deepEqual([...gated.running], ['r2'], 'the write still waits for r2')
  await gated.open('r2')
  assert.deepEqual([...gated.running], ['w1'], 'the write runs alone: r3 waits for it')
  await gated.open('w1')
  assert.deepEqual([...gated.running], ['r3'])
  await gated.open('r3')
  await Promise.all(calls)
})

test('a shared call made while an exclusive call waits queues behind it: it never joins the running batch', async () => {
  const gated = gatedStore({ sharedReads: true })
  const first = issue(gated, ['r1', 'w1'])
  await settle()
  const late = issue(gated, ['r2', 'd1'])
  await settle()
  assert.deepEqual([...gated.running], ['r1'], 'r2 did not join the batch of r1 while w1 waits')
  assert.equal(gated.store.pending, 3)
  assert.deepEqual(await gated.rounds(), [['r1'], ['w1'], ['r2']])
  await Promise.all([...first, ...late])
})

test('a shared call made while an exclusive call runs queues behind it', async () => {
  const gated = gatedStore({ sharedReads: true })
  const calls = issue(gated, ['w1', 'r1', 'r2'])
  assert.deepEqual(await gated.rounds(), [['w1'], ['r1', 'r2']])
  await Promise.all(calls)
})

test('FIFO: exclusive calls keep their order and each batch of shared calls keeps its place', async () => {
  const gated = gatedStore({ sharedReads: true })
  const calls = issue(gated, ['r1', 'd1', 'w1', 'r2', 'S1', 'r3', 'w2', 'L1', 'w3', 'r4', 'r5', 'L2', 'S2'])
  assert.deepEqual(await gated.rounds(), [['r1'], ['w1'], ['S1', 'r2', 'r3'], ['w2'], ['L1'], ['w3'], ['r4', 'r5'], ['L2'], ['S2']])
  // d1 calls no gated callback (its data() is plain) but ran in the first batch.
  const results = await Promise.all(calls)
  assert.equal(results[1], gated.map)
})

test('reads see exactly the writes made before them, as if every call ran alone in call order', async () => {
  // A seeded random schedule of reads, data(), shared locks, writes and
  // appends, each callback taking 0 to 2 ms, issued in bursts.
  let seed = 7
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const map = new Map([['x', 0]])
  let active = { shared: 0, exclusive: 0 }
  let violation
  let mostShared = 0
  const delay = () => sleep(Math.floor(random() * 3))
  const enter = async (kind) => {
    active[kind]++
    if (active.exclusive > 1 || (active.exclusive && active.shared)) violation ??= { ...active }
    mostShared = Math.max(mostShared, active.shared)
    await delay()
    active[kind]--
  }
  const store = AsyncAtomicStore({
    sharedReads: true,
    // Reads read key 'read' (shared), appends key 'append' (exclusive): both mean x.
    read: async (key) => { await enter(key === 'read' ? 'shared' : 'exclusive'); return map.get('x') },
    write: async (key, value) => { await enter('exclusive'); map.set('x', value) },
    data: async () => map,
  })
  const calls = []
  const expected = []
  let value = 0
  for (let burst = 0; burst < 20; burst++) {
    for (let i = 0; i < 10; i++) {
      const pick = random()
      if (pick < 0.6) {
        calls.push(store.read('read'))
        expected.push(value)
      } else if (pick < 0.7) {
        calls.push(store.lock((source) => source.get('x'), { mode: 'shared' }))
        expected.push(value)
      } else if (pick < 0.85) {
        value = burst * 100 + i
        calls.push(store.write('write', value))
        expected.push(undefined)
      } else {
        const next = value + 1
        value = next
        calls.push(store.append('append', (v) => v + 1))
        expected.push(next)
      }
    }
    await delay()
  }
  assert.deepEqual(await Promise.all(calls), expected)
  assert.equal(violation, undefined, 'an exclusive call never overlapped another call')
  assert.ok(mostShared > 1, `reads did run together (up to ${mostShared})`)
})

test('ifAvailable on a shared call succeeds while only shared calls run and nobody waits', async () => {
  const gated = gatedStore({ sharedReads: true })
  const calls = issue(gated, ['r1'])
  await settle()
  const joined = issue(gated, ['r2', 'S1'], { ifAvailable: true })
  await settle()
  assert.deepEqual([...gated.running].sort(), ['S1', 'r1', 'r2'])
  // An exclusive call with ifAvailable is busy while shared calls run.
  assert.ok((await settlement(gated.store.write('w0', 0, { ifAvailable: true }))).error instanceof LockBusyError)
  // Once an exclusive call waits, a shared call with ifAvailable would wait: busy.
  const waiting = issue(gated, ['w1'])
  const busy = settlement(gated.store.read('r3', { ifAvailable: true }))
  assert.equal(gated.store.pending, 1)
  assert.ok((await busy).error instanceof LockBusyError)
  assert.deepEqual(await gated.rounds(), [['S1', 'r1', 'r2'], ['w1']])
  // And while an exclusive call runs.
  const holding = issue(gated, ['w2'])
  await settle()
  assert.ok((await settlement(gated.store.read('r4', { ifAvailable: true }))).error instanceof LockBusyError)
  await gated.rounds()
  await Promise.all([...calls, ...joined, ...waiting, ...holding])
})

test('aborting a waiting shared call removes only it; the rest of its batch still runs together', async () => {
  const gated = gatedStore({ sharedReads: true })
  const controller = new AbortController()
  const before = issue(gated, ['w1'])
  const [r1] = issue(gated, ['r1'], { signal: controller.signal })
  const rest = issue(gated, ['r2', 'r3', 'w2'])
  await settle()
  assert.equal(gated.store.pending, 4)
  controller.abort('gone')
  assert.equal(gated.store.pending, 3, 'only the aborted call left')
  assert.equal((await settlement(r1)).error, 'gone')
  assert.deepEqual(await gated.rounds(), [['w1'], ['r2', 'r3'], ['w2']])
  await Promise.all([...before, ...rest])
  assert.ok(!gated.log.includes('r1'))
})

test('an exclusive call at the front that gives up lets the shared calls behind it join the running batch at once', async () => {
  for (const giveUp of ['abort', 'timeout']) {
    const gated = gatedStore({ sharedReads: true })
    const controller = new AbortController()
    const first = issue(gated, ['r1'])
    await settle()
    const writer = settlement(gated.store.write('w1', 1, giveUp === 'abort' ? { signal: controller.signal } : { timeout: 5 }))
    const behind = issue(gated, ['r2', 'r3', 'w2'])
    await settle()
    assert.deepEqual([...gated.running], ['r1'])
    if (giveUp === 'abort') controller.abort()
    else await sleep(15)
    await settle()
    assert.deepEqual([...gated.running].sort(), ['r1', 'r2', 'r3'], `${giveUp}: nothing they waited for is ahead of them now`)
    assert.equal(gated.store.pending, 1)
    assert.ok((await writer).error, `${giveUp}: the writer rejected`)
    assert.deepEqual(await gated.rounds(), [['r1', 'r2', 'r3'], ['w2']])
    await Promise.all([...first, ...behind])
  }
})

test('timeout, maxPending, pending, locked and idle() work with shared calls', async () => {
  const gated = gatedStore({ sharedReads: true, maxPending: 3 })
  const batch = issue(gated, ['r1', 'r2'])
  const queued = issue(gated, ['w1', 'r3'])
  const timedOut = settlement(gated.store.read('r4', { timeout: 5 }))
  assert.equal(gated.store.pending, 3)
  assert.ok((await settlement(gated.store.read('r5'))).error instanceof QueueFullError, 'the bound counts shared calls too')
  let idle = false
  const idled = gated.store.idle().then(() => { idle = true })
  await sleep(15)
  assert.equal((await timedOut).error.name, 'TimeoutError')
  assert.equal(gated.store.pending, 2)
  assert.equal(gated.store.locked, true)
  assert.deepEqual(await gated.rounds(), [['r1', 'r2'], ['w1'], ['r3']])
  await Promise.all([...batch, ...queued])
  await idled
  assert.ok(idle)
  assert.equal(gated.store.locked, false)
  assert.ok(!gated.log.includes('r4'))
})

test("lock(cb, { mode: 'shared' }) runs shared with or without sharedReads; without it, reads stay exclusive", async () => {
  const without = gatedStore()
  const calls = issue(without, ['S1', 'S2', 'r1', 'S3', 'L1', 'S4'])
  assert.deepEqual(await without.rounds(), [['S1', 'S2'], ['r1'], ['S3'], ['L1'], ['S4']])
  await Promise.all(calls)

  const withReads = gatedStore({ sharedReads: true })
  const mixed = issue(withReads, ['S1', 'r1', 'd1', 'S2', 'w1', 'S3'])
  assert.deepEqual(await withReads.rounds(), [['S1', 'S2', 'r1'], ['w1'], ['S3']])
  assert.deepEqual((await Promise.all(mixed)).filter((v) => typeof v === 'string'), ['S1', 'S2', 'S3'])
  // mode: 'exclusive' is the default, said out loud.
  const explicit = gatedStore({ sharedReads: true })
  const both = [...issue(explicit, ['r1']), explicit.store.lock(() => explicit.gated('E1', () => 1), { mode: 'exclusive' })]
  assert.deepEqual(await explicit.rounds(), [['r1'], ['E1']])
  await Promise.all(both)
})

test('a shared lock is read-only: its transaction reads, and write or append reject with a clear error and change nothing', async () => {
  const map = new Map([['k', 1]])
  const log = []
  const store = AsyncAtomicStore({
    sharedReads: true,
    read: (key) => { log.push(`read ${key}`); return map.get(key) },
    write: (key, value) => { log.push(`write ${key}`); map.set(key, value) },
    data: () => map,
  })
  const result = await store.lock(async (source, tx) => {
    const read = await tx.read('k')
    const write = await settlement(tx.write('k', 2))
    const append = await settlement(tx.append('k', (v) => v + 1))
    return { read, write, append }
  }, { mode: 'shared' })
  assert.equal(result.read, 1)
  for (const method of ['write', 'append']) {
    const { error } = result[method]
    assert.ok(error instanceof Error, `${method}: ${error}`)
    assert.match(error.message, new RegExp(`shared.*${method} needs an exclusive lock`))
  }
  assert.deepEqual(log, ['read k'], 'no write callback ran')
  assert.equal(map.get('k'), 1)
  // An exclusive lock on the same store may write through its transaction.
  assert.equal(await store.lock((_, tx) => tx.append('k', (v) => v + 1)), 2)
})

test('mode is checked: only lock() takes it, and only as exclusive or shared; sharedReads is a boolean', async () => {
  const gated = gatedStore({ sharedReads: true })
  for (const mode of ['Shared', 'read', 'write', 0, true, null]) {
    const { error } = await settlement(gated.store.lock(() => {}, { mode }))
    assert.ok(error instanceof TypeError && /options\.mode/.test(error.message), `mode ${String(mode)}: ${error}`)
  }
  const { error } = await settlement(gated.store.read('r1', { mode: 'exclusive' }))
  assert.ok(error instanceof TypeError && /mode is an option of lock\(\) only/.test(error.message), String(error))
  assert.throws(() => AsyncAtomicStore({ read() {}, write() {}, data() {}, sharedReads: 'yes' }), /options\.sharedReads/)
  assert.equal(gated.store.locked, false)
})
