// PgLock in one process, against a real PostgreSQL: the cases every network
// lock passes (network-lock-cases.mjs: options, the QueueLock protocol,
// leases, through a store), and what is PgLock's own: the subpath export, a
// dead entry reaped, connections (one pooled statement at a time, one LISTEN
// connection, which may be killed), tables made safely by many processes at
// once, and close(). The many-process tests are in pg-machines.test.mjs.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { hold, networkLockCases } from '../support/network-lock-cases.mjs'
import { lockCall } from '../support/queue-lock-call.mjs'
import { startPostgres } from '../support/postgres-server.mjs'
import { eventually, sleep } from '../support/promises.mjs'

const require = createRequire(import.meta.url)
const main = { require: require('../../pkg/node.cjs'), import: await import('../../pkg/node.mjs') }
const subpath = { require: require('../../pkg/postgres.cjs'), import: await import('../../pkg/postgres.mjs') }
const { PgLock } = subpath.import

const lease = 1000

let server
let pool
const locks = []
const pools = []
let nameCount = 0
/** A pool on the test server, ended after the tests. */
function newPool(options = {}) {
  const created = new pg.Pool({ ...server.connection, ...options })
  created.on('error', () => {})
  pools.push(created)
  return created
}
/** A lock on the current name, closed after the tests. */
function newLock(options = {}) {
  const lock = new PgLock({ pool, name: `t${nameCount}`, lease, ...options })
  locks.push(lock)
  return lock
}
const freshName = () => `t${++nameCount}`
const lineOf = async (name) =>
  (await pool.query('SELECT id, held FROM async_atomic_store_places WHERE name = $1 ORDER BY ticket', [name])).rows
/** Sessions whose application_name is `application`. */
const sessionsOf = async (application) =>
  (await pool.query('SELECT pid, query FROM pg_stat_activity WHERE application_name = $1', [application])).rows

before(async () => {
  server = await startPostgres()
  pool = newPool()
})

after(async () => {
  await Promise.all(locks.map((lock) => lock.close()))
  await Promise.all(pools.map((each) => each.end()))
  await server?.remove()
})

networkLockCases({
  kind: 'PgLock',
  server: 'PostgreSQL',
  Lock: PgLock,
  main,
  lease,
  validOptions: () => ({ pool, name: 'n', lease: 100 }),
  badClients: { option: 'pool', values: [undefined, {}, { query() {} }, 'postgres://localhost'] },
  freshName,
  newLock,
  lineOf,
  removeLine: (name) =>
    pool.query(`DELETE FROM async_atomic_store_places WHERE name = '${name}'; UPDATE async_atomic_store_lines SET waiting = 0, held = 0 WHERE name = '${name}'`),
})

describe('the async-atomic-store/postgres export', () => {
  test('is one class whether required or imported', () => {
    assert.equal(subpath.require.PgLock, subpath.import.PgLock)
  })

  test('listenConnection, if given, is client settings (an object)', () => {
    for (const listenConnection of [null, 'postgres://localhost', 5]) {
      assert.throws(() => new PgLock({ pool, name: 'n', lease: 100, listenConnection }), (error) => error instanceof TypeError && /listenConnection/.test(error.message))
    }
  })
})

describe('leases', () => {
  test('an entry nobody renews is reaped after its lease, and the next in line gets the lock', async () => {
    const name = freshName()
    const lock = newLock()
    await lockCall(lock, {}, () => {}) // makes the tables and the name's row
    // A holder entry as a process that died would leave it: nobody renews its lease.
    const started = Date.now()
    await pool.query(
      "INSERT INTO async_atomic_store_participants VALUES ($1, 'dead', clock_timestamp() + $2 * interval '1 millisecond')",
      [name, lease],
    )
    await pool.query("INSERT INTO async_atomic_store_places VALUES ($1, 'x|dead|0', 1, 'dead', false, true)", [name])
    await pool.query('UPDATE async_atomic_store_lines SET held = held + 1 WHERE name = $1', [name])
    await lockCall(lock, {}, () => {})
    const waited = Date.now() - started
    assert.ok(waited >= lease - 50 && waited < lease + 400, `granted after the dead entry's lease (${waited} ms)`)
    assert.deepEqual(await eventually(() => lineOf(name), []), [], "the release's statement empties the line")
  })
})

describe('connections', () => {
  test('at most one pooled connection, only while a statement runs, and one LISTEN connection, however many calls wait', async () => {
    const name = freshName()
    const own = newPool({ max: 10, application_name: `pool-${name}` })
    const lock = new PgLock({ pool: own, name, lease })
    locks.push(lock)
    const holder = await hold(lock)
    const waiters = Array.from({ length: 30 }, () => lockCall(lock, {}, () => {}))
    while ((await lineOf(name)).length < 31) await sleep(5)
    assert.equal(own.totalCount, 1, 'the lock opened one pooled connection')
    assert.equal(own.idleCount, 1, 'and holds none while its calls wait')
    const listeners = await sessionsOf(`async-atomic-store:${name}:listen`)
    assert.equal(listeners.length, 1)
    assert.match(listeners[0].query, /^LISTEN /)
    assert.equal((await sessionsOf(`pool-${name}`)).length, 1)
    holder.release()
    await Promise.all([holder.done, ...waiters])
    assert.ok(own.totalCount <= 1)
  })

  test('the LISTEN connection killed from the server (pg_terminate_backend): the lock listens again and misses no grant', async () => {
    const name = freshName()
    const a = newLock()
    const b = newLock({ lease: 6000 }) // renews every 2 s: its grant below can only come from listening again
    const holder = await hold(a)
    const waiting = lockCall(b, {}, () => Date.now())
    while ((await lineOf(name)).length < 2) await sleep(5)
    const application = `async-atomic-store:${name}:listen`
    const before = (await sessionsOf(application)).map((session) => session.pid)
    assert.equal(before.length, 2)
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [application])
    holder.release() // its grant's NOTIFY goes nowhere: b is not listening
    const released = Date.now()
    await holder.done
    const grantedAt = await waiting
    assert.ok(grantedAt - released < 1500, `b was granted once it listened again (${grantedAt - released} ms), not at its next renewal`)
    let after = []
    while (after.length < 2) after = (await sessionsOf(application)).map((session) => session.pid)
    assert.equal(after.filter((pid) => before.includes(pid)).length, 0, 'both locks listen on new connections')
    // And wake-ups work again: a hand-off from a to b takes no renewal.
    const again = await hold(a)
    const next = lockCall(b, {}, () => Date.now())
    while ((await lineOf(name)).length < 2) await sleep(5)
    again.release()
    const handedOff = Date.now()
    await again.done
    assert.ok((await next) - handedOff < 500)
  })

  test('listenConnection: the LISTEN connection uses those settings, the statements the pool', async () => {
    const name = freshName()
    // Another role, so the test can tell the connections apart (behind PgBouncer: another host or port).
    await pool.query('CREATE ROLE listener LOGIN')
    const lock = newLock({ listenConnection: { ...server.connection, user: 'listener' } })
    const other = newLock()
    const holder = await hold(other)
    const waiting = lockCall(lock, {}, () => 'granted')
    while ((await lineOf(name)).length < 2) await sleep(5)
    const { rows } = await pool.query('SELECT usename FROM pg_stat_activity WHERE application_name = $1 ORDER BY usename', [
      `async-atomic-store:${name}:listen`,
    ])
    assert.deepEqual(rows.map((row) => row.usename), ['listener', 'postgres'])
    holder.release()
    assert.equal(await waiting, 'granted')
    await holder.done
  })

  test("a server that stops answering (its backend SIGSTOPped): within a lease the holder's signal aborts and waiting calls fail", async () => {
    const name = freshName()
    const own = newPool({ max: 1 })
    const lock = new PgLock({ pool: own, name, lease })
    locks.push(lock)
    const holder = await hold(lock)
    const waiting = lockCall(lock, {}, assert.fail).catch((error) => error)
    while ((await lineOf(name)).length < 2) await sleep(5)
    const { rows } = await own.query('SELECT pg_backend_pid() AS pid') // the pool's one connection, which the lock uses
    process.kill(rows[0].pid, 'SIGSTOP')
    try {
      const stopped = Date.now()
      const reason = await new Promise((resolve) => holder.grant.signal.addEventListener('abort', () => resolve(holder.grant.signal.reason)))
      const waited = Date.now() - stopped
      assert.match(reason.message, /could not renew its lease: PostgreSQL is out of reach/)
      assert.match(reason.cause.message, /no answer within a lease/)
      assert.ok(waited <= lease / 3 + lease + 500, `the holder was told within a renewal and a lease (${waited} ms)`)
      assert.match((await waiting).message, /could not renew its lease/)
    } finally {
      process.kill(rows[0].pid, 'SIGCONT')
    }
    holder.release()
    await holder.done
  })

  test('many processes making the tables at once: one creates them, none fails', async () => {
    await pool.query('CREATE DATABASE fresh')
    const fresh = Array.from({ length: 8 }, () => newPool({ database: 'fresh' }))
    const name = freshName()
    const lockList = fresh.map((each) => new PgLock({ pool: each, name, lease }))
    locks.push(...lockList)
    const tokens = await Promise.all(lockList.map((lock) => lockCall(lock, {}, ({ token }) => token)))
    assert.equal(new Set(tokens).size, 8)
    const { rows } = await fresh[0].query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'async_atomic_store_%'")
    assert.equal(rows[0].n, 3)
  })

  test('close() fails waiting calls, removes its entries and ends its LISTEN connection only', async () => {
    const name = freshName()
    const lock = new PgLock({ pool, name, lease })
    const other = newLock()
    const holder = await hold(other)
    const waiting = assert.rejects(lockCall(lock, {}, assert.fail), /PgLock "t\d+" is closed/)
    while ((await lineOf(name)).length < 2) await sleep(5)
    assert.equal((await sessionsOf(`async-atomic-store:${name}:listen`)).length, 2)
    await lock.close()
    await waiting
    assert.equal((await lineOf(name)).length, 1, "the closed lock's entry is gone")
    const listeners = async () => (await sessionsOf(`async-atomic-store:${name}:listen`)).length
    assert.equal(await eventually(listeners, 1), 1, "only the other lock's listener is left")
    await assert.rejects(lockCall(lock, {}, assert.fail), /closed/)
    assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the pool is left as it was')
    holder.release()
    await holder.done
  })
})
