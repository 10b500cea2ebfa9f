// A lock machine's PgLock and its data in tables of its own on a second
// PostgreSQL, so the data stays in reach while the lock's server restarts
// (see lock-machine.mjs). The parent makes the tables first, with
// createDataTables.

import { createRequire } from 'node:module'
import pg from 'pg'

const require = createRequire(import.meta.url)
const { PgLock } = require('../../pkg/postgres.cjs')

/** Makes (or empties) the machines' tables: the counter, the holder counts, the grant logs, the fenced row. */
export async function createDataTables(pool) {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS machine_values (key text PRIMARY KEY, value text);
    CREATE TABLE IF NOT EXISTS machine_holders (one integer PRIMARY KEY, exclusive integer, shared integer, violations integer);
    CREATE TABLE IF NOT EXISTS machine_log (seq bigserial PRIMARY KEY, list text, id text);
    CREATE TABLE IF NOT EXISTS machine_fenced (one integer PRIMARY KEY, value text, token bigint);
    TRUNCATE machine_values, machine_holders, machine_log, machine_fenced;
    INSERT INTO machine_holders VALUES (1, 0, 0, 0);
    INSERT INTO machine_fenced VALUES (1, NULL, 0);
  `)
}

export async function open({ lockConnection, dataConnection, name, lease, maxPending }) {
  const lockPool = new pg.Pool(lockConnection)
  // One connection, so the data sees this machine's statements in the order
  // it sends them, as with Redis (two shared holders log in grant order).
  const pool = new pg.Pool({ ...dataConnection, max: 1 })
  for (const each of [lockPool, pool]) each.on('error', () => {}) // an idle connection the server ended: the next query opens another
  const lock = new PgLock({ pool: lockPool, name, lease, maxPending })
  const data = {
    get: async (key) => (await pool.query('SELECT value FROM machine_values WHERE key = $1', [key])).rows[0]?.value,
    set: (key, value) =>
      pool.query('INSERT INTO machine_values VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2', [key, String(value)]),
    // One statement, so the check is atomic: an exclusive holder must be
    // alone, a shared one must have no exclusive holder beside it.
    enterHold: (mode) =>
      pool.query(
        mode === 'exclusive'
          ? 'UPDATE machine_holders SET exclusive = exclusive + 1, violations = violations + (exclusive > 0 OR shared > 0)::integer'
          : 'UPDATE machine_holders SET shared = shared + 1, violations = violations + (exclusive > 0)::integer',
      ),
    leaveHold: (mode) => pool.query(`UPDATE machine_holders SET ${mode === 'exclusive' ? 'exclusive = exclusive - 1' : 'shared = shared - 1'}`),
    log: (list, id) => pool.query('INSERT INTO machine_log (list, id) VALUES ($1, $2)', [list, id]),
    // The token-checking write of a storage that fences.
    async fencedWrite(value, token) {
      const { rowCount } = await pool.query('UPDATE machine_fenced SET value = $1, token = $2 WHERE token < $2', [value, token])
      if (rowCount === 0) throw new Error(`STALE token ${token}`)
    },
    close: () => Promise.all([lockPool.end(), pool.end()]),
  }
  return { lock, data }
}
