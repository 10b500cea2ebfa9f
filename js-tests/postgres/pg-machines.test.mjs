// PgLock across processes: the cases every network lock passes
// (machine-cases.mjs: counting, ordering, SIGKILL, SIGSTOP, a property test),
// with the machines' data in tables of their own on a second server, and the
// lock's PostgreSQL restarted mid-run.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import pg from 'pg'
import { fleet } from '../support/lock-machines.mjs'
import { machineCases } from '../support/machine-cases.mjs'
import { createDataTables } from '../support/machine-postgres.mjs'
import { startPostgres } from '../support/postgres-server.mjs'
import { sleep } from '../support/promises.mjs'

// Long enough that renewals keep up on a busy two-core machine running 8 of these processes.
const lease = 1500

let server
let dataServer
let pool
let data
const machinesOf = fleet(
  () => ({ backend: 'postgres', lockConnection: server.connection, dataConnection: dataServer.connection }),
  lease,
)
const { machines, closeAll } = machinesOf
const lineOf = async (name) =>
  (await pool.query('SELECT id FROM async_atomic_store_places WHERE name = $1 ORDER BY ticket', [name])).rows.map((row) => row.id)
const violations = async () => (await data.query('SELECT violations FROM machine_holders')).rows[0].violations

before(async () => {
  // Commits are not waited for on disk (synchronous_commit off): the suite runs
  // in a third of the time, and a fast shutdown writes everything anyway.
  const settings = { synchronous_commit: 'off' }
  ;[server, dataServer] = await Promise.all([startPostgres({ settings }), startPostgres({ settings })])
  pool = new pg.Pool(server.connection)
  data = new pg.Pool(dataServer.connection)
  for (const each of [pool, data]) each.on('error', () => {}) // an idle connection the server ended: the next query opens another
  await createDataTables(data)
})

after(async () => {
  await closeAll()
  await Promise.all([pool?.end(), data?.end()])
  await Promise.all([server?.remove(), dataServer?.remove()])
})

machineCases({
  kind: 'PgLock',
  server: 'PostgreSQL',
  lease,
  appends: 1000,
  ...machinesOf,
  lineOf,
  setCounter: (n) => data.query("INSERT INTO machine_values VALUES ('counter', $1) ON CONFLICT (key) DO UPDATE SET value = $1", [String(n)]),
  counter: async () => Number((await data.query("SELECT value FROM machine_values WHERE key = 'counter'")).rows[0].value),
  logOf: async (list) => (await data.query('SELECT id FROM machine_log WHERE list = $1 ORDER BY seq', [list])).rows.map((row) => row.id),
  resetChecks: () => data.query('UPDATE machine_holders SET exclusive = 0, shared = 0, violations = 0; UPDATE machine_fenced SET value = NULL, token = 0'),
  violations,
})

describe('PgLock: PostgreSQL restarted', () => {
  test('a fast shutdown and start mid-run: clear errors or waits within the timeout, no double grant, tokens keep growing, and the lock works again', async () => {
    const fleet = await machines(3)
    await data.query('UPDATE machine_holders SET exclusive = 0, shared = 0, violations = 0')
    const outcomes = []
    let stop = false
    const run = async (machine) => {
      while (!stop) {
        const call = machine.call({ check: true, hold: 100, timeout: 4000 })
        const { ok, error } = await call.settled
        outcomes.push({ ok, error, at: Date.now(), token: ok ? (await call.granted).token : undefined })
        if (!ok) await sleep(50)
      }
    }
    const loops = fleet.map(run)
    await sleep(700)
    const stoppedAt = Date.now()
    await server.stop()
    await sleep(300)
    await server.start()
    const restartedAt = Date.now()
    await sleep(lease + 1500)
    stop = true
    await Promise.all(loops)

    const failures = outcomes.filter((outcome) => !outcome.ok)
    assert.ok(failures.length > 0, 'calls failed while PostgreSQL was down')
    for (const { error } of failures) {
      assert.match(`${error.message} ${error.cause}`, /PgLock "m\d+" (could not take a place in line|could not renew its lease): PostgreSQL is out of reach|terminat|connect/)
    }
    assert.ok(outcomes.some((o) => o.ok && o.at < stoppedAt), 'calls succeeded before')
    const after = outcomes.filter((o) => o.ok && o.at > restartedAt)
    assert.ok(after.length > 0, 'and succeeded again after the restart')
    const tokens = outcomes.filter((o) => o.ok).map((o) => o.token)
    assert.equal(new Set(tokens).size, tokens.length, 'no token was handed out twice')
    const before = outcomes.filter((o) => o.ok && o.at < stoppedAt).map((o) => o.token)
    assert.ok(Math.min(...after.map((o) => o.token)) > Math.max(...before), 'tokens kept growing across the restart')
    // Holders who held through the outage kept holding: no one else was granted meanwhile.
    assert.equal(await violations(), 0, 'never two holders at once')
    await closeAll()
  })
})
