// The many-process cases every network lock (RedisLock, PgLock) passes,
// written once: each "machine" is a Node process of its own
// (lock-machine.mjs) with its own lock; the data they update, which also
// counts holders so any double grant is caught where it happens, lives apart
// from the lock. Each lock's test file adds its server's restart.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { pausedHolder } from './paused-holder.mjs'
import { eventually, sleep } from './promises.mjs'

/**
 * `lock` describes the lock under test:
 * - `kind` and `server`, as its errors name them; `lease`;
 * - `machines(count, options)`: machines on a new lock name (`name()` is
 *   its name), closed by `closeAll()`;
 * - `appends`: how many appends each of 8 machines makes on the counter;
 * - `lineOf(name)`: the entries in that line on the server;
 * - the data: `setCounter(n)`, `counter()`, `logOf(list)` (the ids logged in
 *   order), `resetChecks()` (empties the holders' check and the fenced row)
 *   and `violations()` (the holders' check).
 */
export function machineCases(lock) {
  const { kind, lease, machines, closeAll, lineOf } = lock

  describe(`${kind}: many processes, one lock`, () => {
    test(`8 processes x ${lock.appends} appends through stores on a counter: exact with the lock, lossy without`, async () => {
      const fleet = await machines(8, { via: 'store' })
      const unlockedAppends = Math.min(lock.appends, 250)
      await lock.setCounter(0)
      await Promise.all(fleet.map((machine) => machine.ask({ op: 'counter', n: unlockedAppends, locked: false }, 'counted')))
      const unlocked = await lock.counter()
      assert.ok(unlocked < 8 * unlockedAppends, `without the lock updates are lost (${unlocked} of ${8 * unlockedAppends})`)

      await lock.setCounter(0)
      const started = Date.now()
      await Promise.all(fleet.map((machine) => machine.ask({ op: 'counter', n: lock.appends, locked: true }, 'counted')))
      assert.equal(await lock.counter(), 8 * lock.appends)
      console.log(`# ${kind}: ${8 * lock.appends} locked appends across 8 processes in ${Date.now() - started} ms`)
      assert.deepEqual(await lineOf(lock.name()), [])
      await closeAll()
    })

    test("each process's calls are granted in its call order, and calls made one after another across processes in that order", async () => {
      const fleet = await machines(4)
      const name = lock.name()
      // Per process: 4 processes each make 50 calls at once, contending.
      const calls = fleet.flatMap((machine) => Array.from({ length: 50 }, (_, i) => machine.call({ id: `${machine.label}${i}`, log: 'order:burst' })))
      await Promise.all(calls.map((call) => call.settled))
      const burst = await lock.logOf('order:burst')
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
      assert.deepEqual(await lock.logOf('order:sequence'), sequence.map((call) => call.id))
      await closeAll()
    })

    test('SIGKILL the holder: the others go on within its lease, and its late write with the old token is refused', async () => {
      const [victim, ...others] = await machines(3)
      await lock.resetChecks()
      const doomed = victim.call({ hold: 'told' })
      const victimGone = assert.rejects(doomed.settled, /exited \(SIGKILL\)/)
      const { token: oldToken } = await doomed.granted
      assert.equal((await others[0].ask({ op: 'fencedWrite', value: 'from the victim', token: oldToken }, 'written')).ok, true)
      const next = others.map((machine) => machine.call({}))
      while ((await lineOf(lock.name())).length < 3) await sleep(5)
      const killedAt = Date.now()
      await victim.kill()
      await victimGone
      const { token: newToken } = await next[0].granted
      const waited = Date.now() - killedAt
      assert.ok(waited <= lease + 1000, `granted within lease + 1 s of the kill (${waited} ms)`)
      assert.ok(newToken > oldToken)
      assert.equal((await others[0].ask({ op: 'fencedWrite', value: 'from the next holder', token: newToken }, 'written')).ok, true)
      // The dead holder's write, delayed in the network, arrives now with its old token.
      const late = await others[1].ask({ op: 'fencedWrite', value: 'late write from the dead holder', token: oldToken }, 'written')
      assert.match(late.error.message, /STALE/)
      await Promise.all(next.map((call) => call.settled))
      await closeAll()
    })

    test('SIGKILL a waiter: the line goes on within lease + 1 s of the kill', async () => {
      const [holder, victim, last] = await machines(3)
      const held = holder.call({ hold: 'told' })
      await held.granted
      const victimGone = assert.rejects(victim.call({}).settled, /exited \(SIGKILL\)/)
      while ((await lineOf(lock.name())).length < 2) await sleep(5)
      const after = last.call({})
      while ((await lineOf(lock.name())).length < 3) await sleep(5)
      const killedAt = Date.now()
      await victim.kill()
      await victimGone
      holder.release(held.id)
      await after.granted
      const waited = Date.now() - killedAt
      assert.ok(waited <= lease + 1000, `the call behind the dead waiter was granted within lease + 1 s (${waited} ms)`)
      assert.equal((await after.settled).ok, true)
      await closeAll()
    })

    test('a paused holder (SIGSTOP) past its lease: the line goes on, it learns on resuming, its late write is refused', async () => {
      const [victim, ...live] = await machines(3)
      await pausedHolder({ victim, live, lease, resetChecks: lock.resetChecks, violations: lock.violations })
      await closeAll()
    })
  })

  describe(`${kind}: a property test across processes`, () => {
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
      // Leases play no part here: a long one keeps a stall of the loaded machine from ending one.
      const fleet = await machines(3, { maxPending: 12, via: 'store', lease: 4 * lease })
      const name = lock.name()
      // One call each first, so no case meets a lock's first statement (which makes the tables).
      await Promise.all(fleet.map((machine) => machine.call({}).settled))
      let run = 0
      await fc.assert(
        fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 25 }), async (schedule) => {
          run++
          await lock.resetChecks()
          const log = `order:${run}`
          const calls = []
          for (const [i, { machine, delay, abortAfter, timeout, ...options }] of schedule.entries()) {
            calls.push(
              fleet[machine].call({
                ...options,
                id: `${machine}:${i}`,
                timeout: timeout ?? undefined,
                abortAfter: abortAfter ?? undefined,
                check: true,
                log,
              }),
            )
            if (delay > 5) await sleep(delay - 5)
          }
          const settled = await Promise.all(calls.map((c) => c.settled))
          for (const { ok, error } of settled) {
            if (!ok) {
              assert.ok(
                ['LockBusyError', 'QueueFullError', 'TimeoutError', 'Error'].includes(error.name) && !error.message.includes(lock.server),
                JSON.stringify(error),
              )
            }
          }
          assert.equal(await lock.violations(), 0, 'holders never overlapped')
          // Within a machine, granted calls were granted in call order.
          const granted = await lock.logOf(log)
          for (let m = 0; m < fleet.length; m++) {
            const own = granted.filter((id) => id.startsWith(`${m}:`)).map((id) => Number(id.split(':')[1]))
            assert.deepEqual(own, [...own].sort((a, b) => a - b))
          }
          // Each call's leave statement follows its settling, and a request sent before its
          // call gave up can land after a first look shows the line empty: look again 100 ms on.
          await eventually(() => lineOf(name), [], 3000)
          await sleep(100)
          assert.deepEqual(await eventually(() => lineOf(name), [], 3000), [], 'no entry is left in line')
        }),
        // The failed assertion in the report: a run that failed once on a loaded machine may not replay.
        { numRuns: 25, includeErrorInReport: true },
      )
      await closeAll()
    })
  })
}
