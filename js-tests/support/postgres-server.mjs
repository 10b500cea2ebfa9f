// A real PostgreSQL for the PgLock tests and bench: a throwaway cluster
// (initdb in a temporary directory) on 127.0.0.1, on a free port, with trust
// authentication for the `postgres` user. PostgreSQL refuses to run as root,
// so under root the cluster belongs to, and runs as, the `postgres` user
// Debian's package makes (or `nobody`). It can be stopped (a fast shutdown)
// and started again on the same port with its data, to play a restart.
// servers.mjs stops it even if the tests fail or are ended by a signal.

import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort, removeOnExit, startServer, stopServer } from './servers.mjs'

export const postgresBin = '/usr/lib/postgresql/15/bin'

/** The uid and gid to run as: our own, or under root an unprivileged user's. */
function runAs() {
  if (process.getuid() !== 0) return {}
  for (const user of ['postgres', 'nobody']) {
    try {
      const id = (flag) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim())
      return { uid: id('-u'), gid: id('-g') }
    } catch {
      // No such user: try the next.
    }
  }
  throw new Error('no unprivileged user (postgres, nobody) to run PostgreSQL as')
}

/** Whether the server accepts a connection and answers a query. */
async function answers(port) {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** Makes a cluster and starts it, with `settings` ({ name: value }) on top of the defaults; resolves once it answers queries. */
export async function startPostgres({ settings = {} } = {}) {
  if (!existsSync(`${postgresBin}/postgres`)) {
    throw new Error(`${postgresBin}/postgres is missing: run \`node scripts/setup.mjs\` (npm test installs it)`)
  }
  const user = runAs()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'aas-postgres-'))
  const directory = removeOnExit(dir)
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  execFileSync(`${postgresBin}/initdb`, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], {
    ...user,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let child

  async function start() {
    child = await startServer(
      `${postgresBin}/postgres`,
      ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=200', ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`])],
      {
        ...user,
        answers: () => answers(port),
        // An immediate shutdown, waited for, so the directory can be removed after it.
        stopNow: () => execFileSync(`${postgresBin}/pg_ctl`, ['stop', '-D', data, '-m', 'immediate', '-w'], { ...user, stdio: 'ignore' }),
      },
    )
  }

  await start()
  return {
    port,
    /** Settings for a pg.Pool or pg.Client on this server. */
    connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
    /** A fast shutdown (SIGINT): sessions are ended, everything committed is kept. */
    stop: () => stopServer(child, 'SIGINT'),
    /** Starts it again on the same port, with its data. */
    start,
    /** Stops it for good and removes its directory. */
    async remove() {
      await stopServer(child, 'SIGINT')
      directory.forget()
    },
  }
}
