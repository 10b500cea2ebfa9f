// The parent's side of the RedisLock and PgLock multi-process tests: forks
// machines (js-tests/support/lock-machine.mjs) and turns their messages into
// promises.

import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const machineScript = fileURLToPath(new URL('./lock-machine.mjs', import.meta.url))

export class Machine {
  #child
  #listeners = new Set()
  #nextCall = 0
  /** Every message this machine sent, in order. */
  events = []

  constructor(label) {
    this.label = label
    this.#child = fork(machineScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.exited = new Promise((resolve) => this.#child.once('exit', (code, signal) => resolve({ code, signal })))
    this.#child.on('message', (message) => {
      this.events.push(message)
      for (const listener of [...this.#listeners]) listener(message)
    })
  }

  get pid() {
    return this.#child.pid
  }

  /** Resolves with the first message from now on that `matches`. */
  next(matches) {
    return new Promise((resolve, reject) => {
      const listener = (message) => {
        if (message.event === 'crashed') {
          this.#listeners.delete(listener)
          reject(new Error(`machine ${this.label} crashed: ${message.error.message}`))
        } else if (matches(message)) {
          this.#listeners.delete(listener)
          resolve(message)
        }
      }
      this.#listeners.add(listener)
      this.exited.then(({ code, signal }) => {
        if (!this.#listeners.delete(listener)) return
        reject(new Error(`machine ${this.label} exited (${code ?? signal}) while awaited`))
      })
    })
  }

  /** Sends `message` and resolves with the reply `event`. */
  ask(message, event) {
    const reply = this.next((m) => m.event === event)
    this.#child.send(message)
    return reply
  }

  tell(message) {
    this.#child.send(message)
  }

  /**
   * Makes one call; returns its id and promises for its grant ({ token }),
   * its signal's abort ({ error }) and its end ({ ok, error }). The grant and
   * abort promises never settle for a call that is not granted or aborted.
   */
  call(options = {}) {
    const id = options.id ?? `${this.label}.${this.#nextCall++}`
    const granted = this.next((m) => m.event === 'granted' && m.id === id)
    const aborted = this.next((m) => m.event === 'aborted' && m.id === id)
    const settled = this.next((m) => m.event === 'settled' && m.id === id)
    granted.catch(() => {})
    aborted.catch(() => {})
    this.#child.send({ op: 'call', ...options, id })
    return { id, granted, aborted, settled }
  }

  release(id) {
    this.#child.send({ op: 'release', id })
  }

  kill() {
    this.#child.kill('SIGKILL')
    return this.exited
  }

  /** Pauses the process (SIGSTOP), as a long GC pause or a frozen VM would. */
  pause() {
    this.#child.kill('SIGSTOP')
  }

  /** Resumes a paused process (SIGCONT). */
  resume() {
    this.#child.kill('SIGCONT')
  }

  /** Closes the machine's lock and connections and waits for it to exit. */
  async close() {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    await this.ask({ op: 'close' }, 'closed').catch(() => this.#child.kill('SIGKILL'))
    await this.exited
  }
}

/**
 * Forks `count` machines and opens a lock in each: `backend` 'redis' (with
 * `lockUrl` and `dataUrl`) or 'postgres' (with `connection`), and the lock's
 * `name`, `lease` and `maxPending`; `via` 'store' or 'protocol'.
 */
export async function startMachines(count, { via = 'protocol', ...options }) {
  const machines = Array.from({ length: count }, (_, i) => new Machine(String.fromCharCode(65 + i)))
  await Promise.all(machines.map((machine) => machine.ask({ op: 'open', via, ...options }, 'opened')))
  return machines
}

/**
 * Machines on a lock name of their own per `machines()` call, opened with
 * `options()` (the backend's; read when called, once servers run) and the
 * `lease`; `closeAll()` closes every machine started so far, and `name()` is
 * the latest name.
 */
export function fleet(options, lease) {
  let nameCount = 0
  const running = []
  return {
    async machines(count, overrides = {}) {
      const started = await startMachines(count, { ...options(), name: `m${++nameCount}`, lease, ...overrides })
      running.push(...started)
      return started
    },
    closeAll: () => Promise.all(running.splice(0).map((machine) => machine.close())),
    name: () => `m${nameCount}`,
  }
}
