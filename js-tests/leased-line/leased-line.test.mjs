// LeasedLine, the process side RedisLock and PgLock share, against a
// transport of the test's own: the cases whose timing a real server cannot
// be made to show on demand.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LeasedLine } from '../../pkg-template/leased-line/leased-line.js'
import { eventually, sleep } from '../support/promises.mjs'

/**
 * A line whose transport answers each statement when the test says:
 * `requests` and `renewals` hold each statement's ids and its `answer(reply)`.
 */
function lineWithHandTransport() {
  const requests = []
  const renewals = []
  let hooks
  const statement = (list, ids) => new Promise((answer) => list.push({ ids, answer }))
  const line = new LeasedLine({
    kind: 'HandLock',
    server: 'the hand server',
    name: 'line',
    lease: 60_000,
    connect: (settings) => {
      hooks = settings
      return {
        request: (id) => statement(requests, [id]),
        renew: (ids) => statement(renewals, ids),
        leave: () => Promise.resolve([[], 0, 0, -1, 0]),
        waiting() {},
        close: async () => {},
      }
    },
  })
  const events = []
  const call = (name, mode) =>
    line.request(
      mode,
      false,
      () => events.push(`${name} granted`),
      (error) => events.push(`${name} failed: ${error.message}`),
    )
  // A reply: [mine, waiting, held, nextCheck, result].
  const reply = (mine, result) => [mine, 0, 0, -1, result]
  return { line, requests, renewals, events, call, reply, wake: (id) => hooks.wake(id) }
}

/** A test of a hand-driven line, closed at its end whatever happens. */
function lineTest(name, body) {
  test(name, { timeout: 10_000 }, async (t) => {
    const line = lineWithHandTransport()
    t.after(() => line.line.close())
    await body(line)
  })
}

lineTest("a later place granted in its own request's reply, before the earlier place's wake-up arrives by the other connection, starts after it", async ({ requests, events, call, reply, wake }) => {
  call('first', 'shared')
  call('second', 'shared')
  const [first, second] = requests
  first.answer(reply([], 1)) // waits behind another process's holder
  await sleep(0)
  // That holder leaves: the server grants both; the second learns it in its reply.
  second.answer(reply(second.ids, 2))
  await sleep(0)
  assert.deepEqual(events, [], 'the second waits for the first')
  wake(first.ids[0])
  assert.deepEqual(events, ['first granted', 'second granted'])
})

lineTest('a place held back behind one the server has dropped starts once a renewal, sent at once, says so', async ({ requests, renewals, events, call, reply }) => {
  call('first', 'exclusive')
  call('second', 'exclusive')
  const [first, second] = requests
  first.answer(reply([], 1))
  await sleep(0)
  // This process stalled past its lease: the server dropped the first place, then granted the second.
  second.answer(reply(second.ids, 2))
  // Asked for at once, not a third of a lease (20 s) later.
  assert.equal(await eventually(() => renewals.length, 1, 1000), 1, 'a renewal was sent within a second')
  assert.deepEqual(renewals[0].ids, [first.ids[0], second.ids[0]])
  renewals[0].answer(reply([], [0, 2]))
  await sleep(0)
  assert.deepEqual(events, ['first failed: HandLock "line" lost its place: its lease ran out in the hand server', 'second granted'])
})

lineTest('a place held back behind one its caller cancels starts once the cancel is done', async ({ line, requests, events, call, reply }) => {
  const first = call('first', 'shared')
  call('second', 'shared')
  requests[0].answer(reply([], 1))
  await sleep(0)
  requests[1].answer(reply(requests[1].ids, 2))
  await sleep(0)
  assert.equal(line.cancel(first), true)
  assert.deepEqual(events, [], 'not inside the cancel')
  await sleep(0)
  assert.deepEqual(events, ['second granted'])
})
