// `npm run bench:postgres`: PgLock against the locks Node apps build on
// PostgreSQL today, with 2, 4 and 8 processes contending for one lock on a
// local throwaway cluster, once with PostgreSQL's default settings (fsync and
// synchronous_commit on: every commit waits for the disk) and once with
// synchronous_commit off. Each process loops: take the lock, one UPDATE of a
// counter row, release. Prints the tables bench/contention.mjs describes. See
// "PgLock" in BENCHMARKS.md.

import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startPostgres } from '../js-tests/support/postgres-server.mjs'
import { benchContention } from './contention.mjs'

const contender = fileURLToPath(new URL('./postgres-contender.mjs', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const lease = 2000
const designs = [
  'PgLock',
  'pg_advisory_lock (blocking, a connection per waiter)',
  'pg_try_advisory_lock loop (retry 5 ms)',
  'SELECT … FOR UPDATE (a transaction per turn)',
]

for (const settings of [{}, { synchronous_commit: 'off' }]) {
  const server = await startPostgres({ settings })
  try {
    const pool = new pg.Pool(server.connection)
    await pool.query('CREATE TABLE bench_counter (name text PRIMARY KEY, n bigint NOT NULL DEFAULT 0)')
    await pool.end()
    const described = Object.keys(settings).length === 0 ? 'default settings' : 'synchronous_commit off'
    await benchContention({
      contender,
      settings: { connection: server.connection, lease },
      designs,
      seconds,
      heading: `PostgreSQL 15, ${described}; ${seconds} s per run, one UPDATE per turn, PgLock lease ${lease} ms; times in ms`,
    })
  } finally {
    await server.remove()
  }
}
