// RedisLock across processes: the cases every network lock passes
// (machine-cases.mjs: counting, ordering, SIGKILL, SIGSTOP, a property test),
// with its data on a second redis-server, and a lock server killed and
// restarted mid-run.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Redis from 'ioredis'
import { fleet } from '../support/lock-machines.mjs'
import { machineCases } from '../support/machine-cases.mjs'
import { holdersKeys } from '../support/machine-redis.mjs'
import { startRedis } from '../support/redis-server.mjs'
import { sleep } from '../support/promises.mjs'

// Long enough that renewals keep up on a busy two-core machine running 8 of these processes.
const lease = 1500

let lockServer
let dataServer
let data
let lockRedis
const machinesOf = fleet(() => ({ backend: 'redis', lockUrl: lockServer.url, dataUrl: dataServer.url }), lease)
const { machines, closeAll } = machinesOf
const lineOf = (name) => lockRedis.zrange(`async-atomic-store:{${name}}:line`, 0, -1)

before(async () => {
  ;[lockServer, dataServer] = await Promise.all([startRedis(), startRedis()])
  data = new Redis(dataServer.url)
  lockRedis = new Redis(lockServer.url, { maxRetriesPerRequest: 0 })
  lockRedis.on('error', () => {})
  // A fresh lock server grants nothing for one lease; wait it out once.
  await sleep(Math.ceil(lease / 1000) * 1000 + 1050)
})

after(async () => {
  await closeAll()
  data?.disconnect()
  lockRedis?.disconnect()
  await Promise.all([lockServer?.stop(), dataServer?.stop()])
})

machineCases({
  kind: 'RedisLock',
  server: 'Redis',
  lease,
  appends: 1000,
  ...machinesOf,
  lineOf,
  setCounter: (n) => data.set('counter', n),
  counter: async () => Number(await data.get('counter')),
  logOf: (list) => data.lrange(list, 0, -1),
  resetChecks: () => data.del(...holdersKeys, 'fenced'),
  violations: async () => Number((await data.get('violations')) ?? 0),
})

describe('RedisLock: the lock server lost', () => {
  test('kill and restart redis-server mid-run: clear errors, then recovery, and never two holders at once', async () => {
    const fleet = await machines(3)
    await data.del(...holdersKeys, 'fenced')
    const outcomes = []
    let stop = false
    // Each holds longer than Redis is away, and goes on holding even when its
    // signal aborts: a restarted server must not grant meanwhile.
    const run = async (machine) => {
      while (!stop) {
        const call = machine.call({ check: true, hold: 600, timeout: 4000 })
        const { ok, error } = await call.settled
        outcomes.push({ ok, error, at: Date.now() })
        if (!ok) await sleep(50)
      }
    }
    const loops = fleet.map(run)
    await sleep(700)
    // Kill it just after a grant, so the holder holds on through the outage.
    await Promise.race(fleet.map((machine) => machine.next((m) => m.event === 'granted')))
    await sleep(50)
    const killedAt = Date.now()
    await lockServer.kill()
    await sleep(150)
    await lockServer.start()
    const restartedAt = Date.now()
    await sleep(lease + 2500) // a restarted server grants nothing until it has been up for a lease (whole seconds of uptime)
    stop = true
    await Promise.all(loops)

    const failures = outcomes.filter((outcome) => !outcome.ok)
    assert.ok(failures.length > 0, 'calls failed while Redis was down')
    for (const { error } of failures) {
      assert.match(`${error.message}`, /RedisLock "m\d+" (lost its connection to Redis|could not take a place in line: Redis is out of reach)/)
    }
    assert.ok(outcomes.some((o) => o.ok && o.at < killedAt), 'calls succeeded before')
    assert.ok(outcomes.some((o) => o.ok && o.at > restartedAt), 'and succeeded again after the restart')
    assert.equal(Number(await data.get('violations') ?? 0), 0, 'never two holders at once')
    await closeAll()
  })
})
