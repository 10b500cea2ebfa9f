// RedisLock in one process, against a real redis-server: the cases every
// network lock passes (network-lock-cases.mjs: options, the QueueLock
// protocol, leases, through a store), and what is RedisLock's own: the
// subpath export, a dead entry reaped, the user's client left unblocked,
// Redis out of reach and back, close(). The many-process tests are in
// redis-machines.test.mjs.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import Redis from 'ioredis'
import { hold, networkLockCases } from '../support/network-lock-cases.mjs'
import { lockCall } from '../support/queue-lock-call.mjs'
import { startRedis } from '../support/redis-server.mjs'
import { eventually, sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const main = { require: require('../../pkg/node.cjs'), import: await import('../../pkg/node.mjs') }
const subpath = { require: require('../../pkg/redis.cjs'), import: await import('../../pkg/redis.mjs') }
const { RedisLock } = subpath.import

const lease = 1000

let server
let client
const locks = []
let nameCount = 0
/** A lock on the current name, closed after the tests. */
function newLock(options = {}) {
  const lock = new RedisLock({ client, name: `t${nameCount}`, lease, ...options })
  locks.push(lock)
  return lock
}
const freshName = () => `t${++nameCount}`
/** Redis's clock, in ms: the one the scripts judge leases by. */
const serverMs = async () => {
  const [seconds, micros] = await client.time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}
const lineOf = (name) => client.zrange(`async-atomic-store:{${name}}:line`, 0, -1)
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

networkLockCases({
  kind: 'RedisLock',
  server: 'Redis',
  Lock: RedisLock,
  main,
  lease,
  validOptions: () => ({ client, name: 'n', lease: 100 }),
  badClients: { option: 'client', values: [undefined, {}] },
  freshName,
  newLock,
  lineOf,
  removeLine: (name) => client.del(`async-atomic-store:{${name}}:line`, `async-atomic-store:{${name}}:holders`),
})

describe('the async-atomic-store/redis export', () => {
  test('is one class whether required or imported', () => {
    assert.equal(subpath.require.RedisLock, subpath.import.RedisLock)
  })
})

describe('leases', () => {
  test('an entry nobody renews is reaped after its lease, and the next in line gets the lock', async () => {
    freshName()
    const name = `t${nameCount}`
    const lock = newLock()
    // A holder entry as a process that died would leave it: nobody renews it.
    const prefix = `async-atomic-store:{${name}}:`
    const nowMs = await serverMs()
    await client.multi()
      .zadd(`${prefix}line`, 1, 'x|dead|0')
      .zadd(`${prefix}leases`, nowMs + lease, 'x|dead|0')
      .hset(`${prefix}holders`, 'x|dead|0', 1)
      .exec()
    const started = Date.now()
    await lockCall(lock, {}, () => {})
    const waited = Date.now() - started
    assert.ok(waited >= lease - 50 && waited < lease + 300, `granted after the dead entry's lease (${waited} ms)`)
    assert.deepEqual(await eventually(() => lineOf(name), []), [], "the release's statement empties the line")
  })

  test("a waiting entry granted by another process's script keeps the lease its own process gave it", async () => {
    const name = freshName()
    const prefix = `async-atomic-store:{${name}}:`
    const holder = await hold(newLock({ lease: 100 }))
    // Behind it, a waiting entry of a process whose lease is 10 s, as its request script leaves it.
    const id = 'x|patient|0'
    const leaseUntil = (await serverMs()) + 10_000
    await client.multi().zadd(`${prefix}line`, holder.grant.token + 1, id).zadd(`${prefix}leases`, leaseUntil, id).exec()
    holder.release() // the short-lease process's leave script grants the entry
    await holder.done
    while ((await client.hget(`${prefix}holders`, id)) === null) await sleep(5)
    assert.equal(Number(await client.zscore(`${prefix}leases`, id)), leaseUntil, "not cut to the granting process's 100 ms")
    await client.multi().zrem(`${prefix}line`, id).zrem(`${prefix}leases`, id).hdel(`${prefix}holders`, id).exec()
  })
})

describe('connections', () => {
  test("the user's client is never blocked while calls wait", async () => {
    freshName()
    const lock = newLock()
    const holder = await hold(lock)
    let settled = 0
    const waiters = Array.from({ length: 5 }, () => lockCall(lock, {}, () => {}).finally(() => settled++))
    const name = `t${nameCount}`
    const blocked = async () =>
      (await client.client('LIST')).split('\n').some((line) => line.includes(` name=async-atomic-store:${name}:wakeups `) && / cmd=blpop /.test(line))
    assert.equal(await eventually(blocked, true), true, "the wait is a BLPOP on the lock's own connection")
    // Answered while every call still waits: nothing of the lock's is queued on the user's connection.
    assert.equal(await client.ping(), 'PONG')
    assert.equal(settled, 0)
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
    assert.equal(await eventually(async () => (await lineOf(name)).length, 2), 2)
    assert.equal(await connectionsOf(name), 4)
    await lock.close()
    await waiting
    assert.equal((await lineOf(name)).length, 1, "the closed lock's entry is gone")
    assert.equal(await eventually(() => connectionsOf(name), 2), 2, "only the other lock's two connections are left")
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
