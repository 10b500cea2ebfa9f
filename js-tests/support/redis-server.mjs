// A real redis-server for the RedisLock tests and bench: on 127.0.0.1, on a
// free port, with no persistence (nothing is written to disk but a temporary
// directory removed when it stops). It can be killed and started again on
// the same port to play a crash. servers.mjs stops it even if the tests fail
// or are ended by a signal.

import { existsSync, mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, removeOnExit, startServer, stopServer } from './servers.mjs'

const redisServer = '/usr/bin/redis-server'

/** Starts redis-server; resolves once it accepts connections. */
export async function startRedis() {
  if (!existsSync(redisServer)) {
    throw new Error(`${redisServer} is missing: run \`node scripts/setup.mjs\` (npm test installs it)`)
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'aas-redis-'))
  const directory = removeOnExit(dir)
  let child

  async function start() {
    child = await startServer(
      redisServer,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
      { answers: () => accepts(port) },
    )
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Kills the server at once (SIGKILL), as a crash would: it loses everything. */
    kill: (signal = 'SIGKILL') => stopServer(child, signal),
    /** Starts it again on the same port, empty. */
    start,
    /** Stops it for good and removes its directory. */
    async stop() {
      await stopServer(child, 'SIGTERM')
      directory.forget()
    },
  }
}

/** Whether something accepts a TCP connection on the port and answers PING. */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
