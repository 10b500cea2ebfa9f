// RedisLock across processes: each "machine" is a Node process of its own
// (support/redis-machine.mjs) with its own RedisLock on one lock server; the
// data they update lives on a second redis-server, which also counts holders
// so any double grant is caught where it happens.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import Redis from 'ioredis'
import { startMachines } from '../support/redis-machines.mjs'
import { startRedis } from '../support/redis-server.mjs'
import { sleep } from '../support/promises.mjs'

// Long enough that renewals keep up on a busy two-core machine running 8 of these processes.
const lease = 1500

let lockServer
let dataServer
let data
let lockRedis
let nameCount = 0
const running = []

/** Starts machines on a lock name of their own; they are closed after the test. */
async function machines(count, options = {}) {
  const started = await startMachines(count, { lockServer, dataServer, name: `m${++nameCount}`, lease, ...options })
  running.push(...started)
  return started
}
const closeAll = () => Promise.all(running.splice(0).map((machine) => machine.close()))
const lineOf = (name) => lockRedis.zrange(`async-atomic-store:{${name}}:line`, 0, -1)

/** The token-checking write of a storage that fences: a write with an older token than the last one is refused. */
const fencedWriteScript = `
local last = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
if tonumber(ARGV[2]) <= last then return redis.error_reply('STALE token ' .. ARGV[2] .. ' after ' .. last) end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'token', ARGV[2])
return 'OK'
`

before(async () => {
  ;[lockServer, dataServer] = await Promise.all([startRedis(), startRedis()])
  data = new Redis(dataServer.url)
  data.defineCommand('fencedWrite', { numberOfKeys: 1, lua: fencedWriteScript })
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

describe('many processes, one lock', () => {
  test('8 processes x 1,000 appends through stores on a counter in Redis: exact with the lock, lossy without', async () => {
    const fleet = await machines(8, { via: 'store' })
    await data.set('counter', 0)
    await Promise.all(fleet.map((machine) => machine.ask({ op: 'counter', n: 250, locked: false }, 'counted')))
    const unlocked = Number(await data.get('counter'))
    assert.ok(unlocked < 2000, `without the lock updates are lost (${unlocked} of 2000)`)

    await data.set('counter', 0)
    const started = Date.now()
    await Promise.all(fleet.map((machine) => machine.ask({ op: 'counter', n: 1000, locked: true }, 'counted')))
    assert.equal(Number(await data.get('counter')), 8000)
    console.log(`# 8,000 locked appends across 8 processes in ${Date.now() - started} ms`)
    assert.deepEqual(await lineOf(`m${nameCount}`), [])
    await closeAll()
  })

  test("each process's calls are granted in its call order, and calls made one after another across processes in that order", async () => {
    const fleet = await machines(4)
    const name = `m${nameCount}`
    // Per process: 4 processes each make 50 calls at once, contending.
    const calls = fleet.flatMap((machine) => Array.from({ length: 50 }, (_, i) => machine.call({ id: `${machine.label}${i}`, log: 'order:burst' })))
    await Promise.all(calls.map((call) => call.settled))
    const burst = await data.lrange('order:burst', 0, -1)
    assert.equal(burst.length, 200)
    for (const machine of fleet) {
      const own = burst.filter((id) => id.startsWith(machine.label)).map((id) => Number(id.slice(1)))
      assert.deepEqual(own, [...Array(50).keys()], `machine ${machine.label} was served in its call order`)
    }

    // Across processes: while one holds, 24 calls are made one after another
    // (each once the previous one is in line), from machines picked at random.
    const holder = fleet[0].call({ id: 'holder', hold: 'told' })
    await holder.granted
    const sequence = []
    for (let i = 0; i < 24; i++) {
      const machine = fleet[Math.floor(Math.random() * fleet.length)]
      sequence.push(machine.call({ id: `s${i}`, log: 'order:sequence' }))
      while ((await lineOf(name)).length < i + 2) await sleep(1)
    }
    fleet[0].release('holder')
    await Promise.all(sequence.map((call) => call.settled))
    assert.deepEqual(await data.lrange('order:sequence', 0, -1), sequence.map((call) => call.id))
    await closeAll()
  })

  test("SIGKILL the holder: the others go on after its lease, and its late write with the old token is refused", async () => {
    const [victim, ...others] = await machines(3)
    const doomed = victim.call({ hold: 'told' })
    const victimGone = assert.rejects(doomed.settled, /exited \(SIGKILL\)/)
    const { token: oldToken } = await doomed.granted
    await data.fencedWrite('fenced', 'from the victim', oldToken)
    const next = others.map((machine) => machine.call({}))
    await sleep(50)
    const killedAt = Date.now()
    await victim.kill()
    await victimGone
    const { token: newToken } = await next[0].granted
    const waited = Date.now() - killedAt
    assert.ok(waited <= lease + 300, `granted within about a lease of the kill (${waited} ms)`)
    assert.ok(newToken > oldToken)
    await data.fencedWrite('fenced', 'from the next holder', newToken)
    // The dead holder's write, delayed in the network, arrives now with its old token.
    await assert.rejects(data.fencedWrite('fenced', 'late write from the dead holder', oldToken), /STALE/)
    assert.equal(await data.hget('fenced', 'value'), 'from the next holder')
    await Promise.all(next.map((call) => call.settled))
    await closeAll()
  })

  test('kill and restart redis-server mid-run: clear errors, then recovery, and never two holders at once', async () => {
    const fleet = await machines(3)
    await data.del('holders:exclusive', 'holders:shared', 'violations')
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

describe('a property test across processes', () => {
  const call = fc.record({
    machine: fc.nat(2),
    mode: fc.constantFrom('exclusive', 'exclusive', 'shared'),
    ifAvailable: fc.boolean().map((b) => b && Math.random() < 0.3),
    timeout: fc.option(fc.integer({ min: 1, max: 30 }), { freq: 3 }),
    abortAfter: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 3 }),
    hold: fc.integer({ min: 0, max: 5 }),
    delay: fc.integer({ min: 0, max: 10 }),
  })

  test('random store.lock calls, timeouts and aborts from 3 processes: holders never overlap, each process is served in its order, the line empties', async () => {
    const fleet = await machines(3, { maxPending: 12, via: 'store' })
    const name = `m${nameCount}`
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 25 }), async (schedule) => {
        run++
        await data.del('holders:exclusive', 'holders:shared', 'violations')
        const log = `order:${run}`
        const calls = []
        for (const [i, { machine, delay, abortAfter, timeout, ...options }] of schedule.entries()) {
          calls.push({
            machine,
            ...fleet[machine].call({
              ...options,
              id: `${machine}:${i}`,
              timeout: timeout ?? undefined,
              abortAfter: abortAfter ?? undefined,
              check: true,
              log,
            }),
          })
          if (delay > 5) await sleep(delay - 5)
        }
        const settled = await Promise.all(calls.map((c) => c.settled))
        for (const { ok, error } of settled) {
          if (!ok) assert.ok(['LockBusyError', 'QueueFullError', 'TimeoutError', 'Error'].includes(error.name) && !/Redis/.test(error.message), JSON.stringify(error))
        }
        assert.equal(Number(await data.get('violations') ?? 0), 0, 'holders never overlapped')
        // Within a machine, granted calls were granted in call order.
        const granted = await data.lrange(log, 0, -1)
        for (let m = 0; m < fleet.length; m++) {
          const own = granted.filter((id) => id.startsWith(`${m}:`)).map((id) => Number(id.split(':')[1]))
          assert.deepEqual(own, [...own].sort((a, b) => a - b))
        }
        await sleep(30)
        assert.deepEqual(await lineOf(name), [], 'no entry is left in line')
      }),
      { numRuns: 25 },
    )
    await closeAll()
  })
})
