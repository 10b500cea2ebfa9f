// A real redis-server for the RedisLock tests and bench: on 127.0.0.1, on a
// free port, with no persistence (nothing is written to disk but a temporary
// directory removed when it stops). It can be killed and started again on
// the same port to play a crash. Every server still running when the process
// exits, or is ended by SIGINT, SIGTERM or SIGHUP (a test runner's timeout),
// is killed and its directory removed, so a failing test leaves none behind.

import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { constants, tmpdir } from 'node:os'
import { join } from 'node:path'

const redisServer = '/usr/bin/redis-server'
const running = new Set()
const directories = new Set()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(128 + constants.signals[signal]))
}

/** A port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** Starts redis-server; resolves once it accepts connections. */
export async function startRedis() {
  if (!existsSync(redisServer)) {
    throw new Error(`${redisServer} is missing: run \`node scripts/setup.mjs\` (npm test installs it)`)
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'aas-redis-'))
  directories.add(dir)
  let child

  async function start() {
    child = spawn(
      redisServer,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    running.add(child)
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.exited = exited
    exited.then(() => running.delete(child))
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.stderr.on('data', (chunk) => { output += chunk })
    const deadline = Date.now() + 10_000
    while (!(await accepts(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server did not start on port ${port}:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  async function kill(signal = 'SIGKILL') {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    await child.exited
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Kills the server at once (SIGKILL), as a crash would: it loses everything. */
    kill,
    /** Starts it again on the same port, empty. */
    start,
    /** Stops it for good and removes its directory. */
    async stop() {
      await kill('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
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
