// RedisLock in one process, against a real redis-server: the subpath export
// and its error classes, bad options, the QueueLock protocol (fencing tokens,
// pending/locked), a lease that cannot be renewed, the user's client left
// unblocked, Redis out of reach and back, close(). The ordering rule itself
// (order, shared mode, ifAvailable, maxPending, cancel, leases) is the
// conformance table's (js-tests/conformance/redis.test.mjs); the
// many-process tests are in redis-machines.test.mjs.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import Redis from 'ioredis'
import { lockCall } from '../support/queue-lock-call.mjs'
import { startRedis } from '../support/redis-server.mjs'
import { sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const main = { require: require('../../pkg/node.cjs'), import: await import('../../pkg/node.mjs') }
const subpath = { require: require('../../pkg/redis.cjs'), import: await import('../../pkg/redis.mjs') }
const { RedisLock } = subpath.import
const { AsyncAtomicStore, LockBusyError, QueueFullError } = main.import

const lease = 1000

let server
let client
const locks = []
let nameCount = 0
/** A lock on a name of its own, closed after the tests. */
function newLock(options = {}) {
  const lock = new RedisLock({ client, name: `t${nameCount}`, lease, ...options })
  locks.push(lock)
  return lock
}
const freshName = () => `t${++nameCount}`
const lineOf = (name) => client.zrange(`async-atomic-store:{${name}}:line`, 0, -1)
/**
 * Takes the lock and holds it; resolves once granted with the grant, a
 * `release()` and the call's promise (`done`).
 */
async function hold(lock) {
  let release
  let granted
  const grantedPromise = new Promise((resolve) => { granted = resolve })
  const done = lockCall(lock, {}, (grant) => {
    granted(grant)
    return new Promise((resolve) => { release = resolve })
  })
  const grant = await grantedPromise
  return { grant, release, done }
}
/** How many connections named for the lock name are open. */
const connectionsOf = async (name) =>
  (await client.client('LIST')).split('\n').filter((line) => line.includes(` name=async-atomic-store:${name}:`)).length

before(async () => {
  server = await startRedis()
  client = new Redis(server.url, { maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  // A fresh server grants nothing for one lease (see the restart test), so the tests wait it out once here.
  await sleep(Math.ceil(lease / 1000) * 1000 + 1050)
})

after(async () => {
  await Promise.all(locks.map((lock) => lock.close()))
  client?.disconnect()
  await server?.stop()
})

describe('the async-atomic-store/redis export', () => {
  test('is one class whether required or imported, and its errors are the main entry\'s', async () => {
    assert.equal(subpath.require.RedisLock, subpath.import.RedisLock)
    for (const how of ['require', 'import']) {
      assert.equal(typeof main[how].LockBusyError, 'function', `${how}: main entry exports LockBusyError`)
      assert.equal(main[how].LockBusyError, main.import.LockBusyError)
      assert.equal(main[how].QueueFullError, main.import.QueueFullError)
    }
    freshName()
    const lock = newLock({ maxPending: 0 })
    const busy = await lockCall(lock, {}, () => lockCall(lock, { ifAvailable: true }, () => {})).catch((e) => e)
    const full = await lockCall(lock, {}, () => lockCall(lock, {}, () => {})).catch((e) => e)
    for (const how of ['require', 'import']) {
      assert.ok(busy instanceof main[how].LockBusyError, `${how}: LockBusyError is the main entry's class`)
      assert.ok(full instanceof main[how].QueueFullError, `${how}: QueueFullError is the main entry's class`)
    }
  })

  test('bad options are a TypeError naming the option', () => {
    const cases = [
      [undefined, /client/],
      [{ name: 'n', lease: 1 }, /client/],
      [{ client: {}, name: 'n', lease: 1 }, /client/],
      [{ client, lease: 1 }, /name/],
      [{ client, name: '', lease: 1 }, /name/],
      [{ client, name: 'n' }, /lease/],
      [{ client, name: 'n', lease: 0 }, /lease/],
      [{ client, name: 'n', lease: -5 }, /lease/],
      [{ client, name: 'n', lease: '100' }, /lease/],
      [{ client, name: 'n', lease: Infinity }, /lease/],
      [{ client, name: 'n', lease: 100, maxPending: -1 }, /maxPending/],
      [{ client, name: 'n', lease: 100, maxPending: 1.5 }, /maxPending/],
    ]
    for (const [options, names] of cases) {
      assert.throws(() => new RedisLock(options), (error) => error instanceof TypeError && names.test(error.message))
    }
  })

  test('a mode other than exclusive or shared is a TypeError', () => {
    freshName()
    const lock = newLock()
    assert.throws(() => lock.request('read', false, () => {}, () => {}), TypeError)
  })
})

describe('the protocol', () => {
  test('calls are granted one at a time in call order, with tokens that grow strictly', async () => {
    freshName()
    const lock = newLock()
    const grants = []
    let inside = 0
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        lockCall(lock, {}, async ({ token, signal }) => {
          assert.equal(++inside, 1)
          assert.ok(signal instanceof AbortSignal && !signal.aborted)
          grants.push({ i, token })
          await sleep(i % 3)
          inside--
        }),
      ),
    )
    assert.deepEqual(grants.map((g) => g.i), [...Array(50).keys()])
    for (let i = 1; i < grants.length; i++) assert.ok(grants[i].token > grants[i - 1].token, 'tokens grow strictly')
    assert.ok(grants.every((g) => Number.isSafeInteger(g.token)))
    await sleep(30) // the last release's script
    assert.deepEqual(await lineOf(`t${nameCount}`), [], 'the line is empty afterwards')
  })

  test('granted is never called inside request', async () => {
    freshName()
    const lock = newLock()
    let returned = false
    const granted = new Promise((resolve) => {
      const place = lock.request('exclusive', false, () => {
        assert.ok(returned)
        lock.release(place)
        resolve()
      }, assert.fail)
      returned = true
    })
    await granted
  })

  test('pending and locked report the whole line as last seen', async () => {
    freshName()
    const a = newLock()
    const b = newLock()
    assert.equal(a.locked, false)
    const holder = await hold(a)
    const waiting = [lockCall(b, {}, () => {}), lockCall(b, {}, () => {})]
    await sleep(20)
    assert.equal(b.locked, true)
    assert.equal(b.pending, 2)
    holder.release()
    await Promise.all([holder.done, ...waiting])
    await sleep(20) // the release's reply
    assert.equal(b.pending, 0)
    assert.equal(b.locked, false)
  })
})

describe('leases', () => {
  test("tx.signal aborts when the lease cannot be renewed (here: the entry was removed behind the lock's back)", async () => {
    freshName()
    const name = `t${nameCount}`
    const lock = newLock()
    const reason = await lockCall(lock, {}, async ({ signal }) => {
      await client.del(`async-atomic-store:{${name}}:line`, `async-atomic-store:{${name}}:holders`)
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      return signal.reason
    })
    assert.match(reason.message, /lost its place: its lease ran out/)
  })
})

describe('connections', () => {
  test("the user's client is never blocked while calls wait", async () => {
    freshName()
    const lock = newLock()
    const holder = await hold(lock)
    const waiters = Array.from({ length: 5 }, () => lockCall(lock, {}, () => {}))
    await sleep(50)
    const started = Date.now()
    assert.equal(await client.ping(), 'PONG')
    assert.ok(Date.now() - started < 50)
    const clients = await client.client('LIST')
    const name = `t${nameCount}`
    assert.ok(
      clients.split('\n').some((line) => line.includes(` name=async-atomic-store:${name}:wakeups `) && / cmd=blpop /.test(line)),
      "the wait is a BLPOP on the lock's own connection",
    )
    holder.release()
    await Promise.all([holder.done, ...waiters])
  })

  test('close() fails waiting calls, removes its entries and ends its own connections only', async () => {
    freshName()
    const name = `t${nameCount}`
    const lock = new RedisLock({ client, name, lease })
    const other = newLock()
    const holder = await hold(other)
    const waiting = assert.rejects(lockCall(lock, {}, assert.fail), /closed/)
    await sleep(20)
    assert.equal((await lineOf(name)).length, 2)
    assert.equal(await connectionsOf(name), 4)
    await lock.close()
    await waiting
    assert.equal((await lineOf(name)).length, 1, "the closed lock's entry is gone")
    await sleep(20)
    assert.equal(await connectionsOf(name), 2, "only the other lock's two connections are left")
    await assert.rejects(lockCall(lock, {}, assert.fail), /closed/)
    assert.equal(await client.ping(), 'PONG')
    holder.release()
    await holder.done
  })

  test('Redis out of reach: calls fail with a clear error, holders are told, and the lock works again once it is back', async () => {
    freshName()
    const lock = newLock()
    const holder = await hold(lock)
    const { signal } = holder.grant
    const waiting = assert.rejects(lockCall(lock, {}, assert.fail), /RedisLock "t\d+" lost its connection to Redis/)
    while ((await lineOf(`t${nameCount}`)).length < 2) await sleep(5)
    await server.kill()
    await waiting
    assert.equal(signal.aborted, true)
    assert.match(signal.reason.message, /Redis/)
    holder.release()
    await holder.done
    const started = Date.now()
    const refused = await lockCall(lock, {}, assert.fail).catch((error) => error)
    assert.match(refused.message, /RedisLock "t\d+" (lost its connection to Redis|could not take a place in line: Redis is out of reach)/)
    assert.ok(Date.now() - started < 3000, 'it fails within a reconnection attempt, it does not hang')
    await server.start()
    const restarted = Date.now()
    let granted
    while (granted === undefined) {
      granted = await lockCall(lock, { timeout: 3000 }, ({ token }) => token).catch(() => sleep(100))
    }
    // The restarted server grants nothing for one lease (a fresh server cannot know who held the lock).
    assert.ok(Date.now() - restarted >= lease - 100, `no grant within a lease of the restart (${Date.now() - restarted} ms)`)
    assert.ok(Number.isSafeInteger(granted))
  })
})

describe('through a store (the lock option)', () => {
  test('store.lock gets tx.token and tx.signal from the grant; append is exact across two stores', async () => {
    freshName()
    const map = new Map()
    const stores = [newLock(), newLock()].map((lock) =>
      AsyncAtomicStore({ read: async (k) => map.get(k), write: async (k, v) => map.set(k, v), data: async () => map, lock }),
    )
    const tokens = []
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stores[i % 2].lock(async (source, tx) => {
          tokens.push(tx.token)
          assert.ok(tx.signal instanceof AbortSignal)
          const value = (await tx.read('n')) ?? 0
          await sleep(0)
          await tx.write('n', value + 1)
        }),
      ),
    )
    assert.equal(map.get('n'), 40)
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i] > tokens[i - 1])
  })

  test('timeout, signal and ifAvailable of a store call reach the lock as cancel and ifAvailable', async () => {
    freshName()
    const name = `t${nameCount}`
    const lock = newLock()
    const map = new Map()
    const store = AsyncAtomicStore({ read: async (k) => map.get(k), write: async (k, v) => map.set(k, v), data: async () => map, lock })
    let release
    const holder = store.lock(() => new Promise((resolve) => { release = resolve }))
    await sleep(20)
    await assert.rejects(store.read('k', { ifAvailable: true }), LockBusyError)
    await assert.rejects(store.read('k', { timeout: 20 }), { name: 'TimeoutError' })
    const controller = new AbortController()
    const aborted = store.read('k', { signal: controller.signal })
    await sleep(20)
    controller.abort(new Error('stop'))
    await assert.rejects(aborted, /stop/)
    await sleep(20)
    assert.equal((await lineOf(name)).length, 1, 'only the holder is left in line')
    release()
    await holder
  })
})
