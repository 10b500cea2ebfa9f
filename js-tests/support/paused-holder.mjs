// Kleppmann's scenario, for every network lock (RedisLock, PgLock): a holder
// that is paused, not killed (a long GC pause, a frozen VM: SIGSTOP here),
// past its lease.
import assert from 'node:assert/strict'
import { sleep } from './promises.mjs'

/**
 * `victim`, `live` (two or more machines) are lock machines on one lock name
 * with `lease`; `violations()` reads the holders' check (see lock-machine.mjs)
 * after `resetChecks()`. Asserts that while the victim is paused the next
 * caller gets the lock within lease + 1 s with a greater token; that once it
 * resumes, its signal aborts at its next renewal at the latest; that its late
 * write with its old token is refused by a storage callback that checks
 * tokens; and that the live holders never overlap.
 */
export async function pausedHolder({ victim, live, lease, resetChecks, violations }) {
  await resetChecks()
  const doomed = victim.call({ hold: 'told' })
  const { token: oldToken } = await doomed.granted
  assert.equal((await victim.ask({ op: 'fencedWrite', value: 'victim, on time', token: oldToken }, 'written')).ok, true)

  // The live machines take turns for as long as the test runs, counting holders.
  const tokens = []
  let stop = false
  let firstGrant
  const firstGranted = new Promise((resolve) => { firstGrant = resolve })
  const loops = live.map(async (machine) => {
    while (!stop) {
      const call = machine.call({ check: true, hold: 20 })
      call.granted.then(({ token }) => {
        tokens.push(token)
        firstGrant(Date.now())
      })
      await call.settled
    }
  })
  await sleep(50)
  const pausedAt = Date.now()
  victim.pause()
  const waited = (await firstGranted) - pausedAt
  assert.ok(waited <= lease + 1000, `the next caller got the lock within lease + 1 s of the pause (${waited} ms)`)
  assert.ok(tokens[0] > oldToken, 'with a greater token')
  assert.equal((await live[0].ask({ op: 'fencedWrite', value: 'next holder', token: tokens[0] }, 'written')).ok, true)

  await sleep(lease / 2) // still paused: the line goes on meanwhile
  const resumedAt = Date.now()
  victim.resume()
  const { error } = await doomed.aborted
  const toAbort = Date.now() - resumedAt
  assert.match(error.message, /lost its place: its lease ran out/)
  assert.ok(toAbort <= lease / 3 + 500, `its signal aborted at its next renewal at the latest (${toAbort} ms after resuming)`)
  const late = await victim.ask({ op: 'fencedWrite', value: 'victim, late', token: oldToken }, 'written')
  assert.equal(late.ok, false, 'its late write with the old token is refused')
  assert.match(late.error.message, /STALE/)

  victim.release(doomed.id)
  assert.equal((await doomed.settled).ok, true)
  await sleep(lease / 2)
  stop = true
  await Promise.all(loops)
  for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i] > tokens[i - 1], 'tokens grew strictly')
  assert.equal(await violations(), 0, 'the live holders never overlapped')
}
