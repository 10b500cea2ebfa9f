// One contending process of `npm run bench:postgres`: takes the lock named in
// its argument with one of the designs compared, runs a one-statement
// critical section (an UPDATE of a counter row), releases, again and again
// until the parent's deadline (see contention.mjs).

import pg from 'pg'
import { createRequire } from 'node:module'
import { lockCall } from '../js-tests/support/queue-lock-call.mjs'
import { contend } from './contention.mjs'

const require = createRequire(import.meta.url)
const { PgLock } = require('../pkg/postgres.cjs')

const { connection, design, name, lease } = JSON.parse(process.argv[2])
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const pool = new pg.Pool({ ...connection, max: 4 })
pool.on('error', (error) => console.error(`${design}: an idle connection failed: ${error.message}`))
const key = Number.parseInt(name.replace(/\D/g, ''), 10) + 1
await pool.query('INSERT INTO bench_counter VALUES ($1) ON CONFLICT DO NOTHING', [name])

/** A session advisory lock on a connection of the pool, taken by `acquire(client)`, as advisory-lock libraries do. */
function advisory(acquire) {
  return {
    async turn(work) {
      const client = await pool.connect()
      try {
        await acquire(client)
        try {
          await work()
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key])
        }
      } finally {
        client.release()
      }
    },
    close: async () => {},
  }
}

/** `turn(work)`: runs `work` under the lock, in each design's own way. */
function designs() {
  if (design === 'PgLock') {
    const lock = new PgLock({ pool, name, lease })
    return { turn: (work) => lockCall(lock, {}, work), close: () => lock.close() }
  }
  // Blocking: the waiter's pooled connection waits in PostgreSQL's lock queue.
  if (design.startsWith('pg_advisory_lock')) return advisory((client) => client.query('SELECT pg_advisory_lock($1)', [key]))
  if (design.startsWith('pg_try_advisory_lock')) {
    return advisory(async (client) => {
      while (!(await client.query('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows[0].ok) await sleep(5)
    })
  }
  // A row lock: the counter's row, locked in a transaction around the turn.
  return {
    async turn(work) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        await client.query('SELECT 1 FROM bench_counter WHERE name = $1 FOR UPDATE', [`${name}:row`])
        await work()
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK')
        throw error
      } finally {
        client.release()
      }
    },
    close: async () => {},
  }
}

if (design.startsWith('SELECT')) await pool.query('INSERT INTO bench_counter VALUES ($1) ON CONFLICT DO NOTHING', [`${name}:row`])
const { turn, close } = designs()
contend({
  turn,
  write: () => pool.query('UPDATE bench_counter SET n = n + 1 WHERE name = $1', [name]),
  close: async () => {
    await close()
    await pool.end()
  },
})
