// What the throwaway servers of the tests and benches share (redis-server.mjs,
// postgres-server.mjs): a free loopback port, a wait until the server
// answers, and the guarantee that nothing is left behind. Every server still
// running when the process exits, or is ended by SIGINT, SIGTERM or SIGHUP (a
// test runner's timeout), is stopped and its directory removed.

import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { constants } from 'node:os'

/** Each running server, with what stops it at once (synchronously, so that its directory can go next). */
const running = new Map()
const directories = new Set()
process.on('exit', () => {
  for (const stopNow of running.values()) stopNow()
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(128 + constants.signals[signal]))
}

/** Removes `dir` when the process exits, unless `forget` is called first. */
export function removeOnExit(dir) {
  directories.add(dir)
  return {
    forget() {
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
    },
  }
}

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Spawns a server (with spawn's `options`, e.g. `uid`) and resolves with the
 * child once `answers()` is true. On exit `stopNow(child)` is called (by
 * default a SIGKILL); it must return once the server has stopped writing to
 * its directory. The child has `exited`, a promise of its exit.
 */
export async function startServer(command, args, { answers, stopNow = (server) => server.kill('SIGKILL'), ...options }) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  running.set(child, () => stopNow(child))
  child.exited = new Promise((resolve) => child.once('exit', resolve))
  child.exited.then(() => running.delete(child))
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const deadline = Date.now() + 15_000
  while (!(await answers())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${command} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return child
}

/** Sends `signal` to a server child unless it has exited; resolves once it has. */
export async function stopServer(child, signal) {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  await child.exited
}
