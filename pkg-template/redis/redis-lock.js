// RedisLock: one strictly FIFO line shared by every process that uses the
// same Redis and lock name, spoken to through the QueueLock protocol a store's
// `lock` option takes.
//
// Implementation details. The process side (places, leases, renewals,
// cancel and release) is LeasedLine's (leased-line.js); this is its Redis
// transport. Each call takes its place with one script (a round trip) that
// hands it a ticket and appends it to a sorted set ordered by ticket, so the
// line is the order in which calls reached Redis. Every script that removes
// an entry then grants the front of the line and pushes each new grant onto
// the owning participant's wake list, which that participant waits on with
// BLPOP on a connection of its own: hand-off takes about one round trip, with
// no polling. The ticket is the grant's fencing token (see redis-scripts.js).

import { LeasedLine, readOptions } from '../leased-line/leased-line.js'
import { leaveScript, renewScript, requestScript } from './redis-scripts.js'

export class RedisLock extends LeasedLine {
  /**
   * @param {{ client: import('ioredis').Redis, name: string, lease: number, maxPending?: number }} options
   */
  constructor(options) {
    const { server: client, ...line } = readOptions('RedisLock', options, {
      key: 'client',
      valid: (value) => typeof value?.duplicate === 'function',
      wanted: 'an ioredis client',
    })
    super({ kind: 'RedisLock', server: 'Redis', ...line, connect: (settings) => new RedisTransport(client, settings) })
  }
}

/** Two connections of the lock's own, so the user's client is never blocked: one for the scripts, one that waits for grants. */
class RedisTransport {
  #commands
  #wakeups
  #keys
  #wakeKey
  #argv
  #line
  #listening = false

  constructor(client, line) {
    this.#line = line
    const prefix = `async-atomic-store:{${line.name}}:`
    this.#keys = ['seq', 'line', 'leases', 'holders'].map((key) => prefix + key)
    this.#wakeKey = `${prefix}wake:${line.participant}`
    this.#argv = [`${prefix}wake:`, line.participant, line.lease]
    // A command that cannot reach Redis fails at the first failed
    // reconnection instead of waiting for it, a script that gets no answer
    // within a lease (a hung server) fails too, and none is sent twice.
    // CLIENT LIST shows them by name.
    const own = { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false, enableOfflineQueue: true }
    const connectionName = `async-atomic-store:${line.name.replace(/[^!-~]/g, '_')}`
    this.#commands = client.duplicate({ ...own, commandTimeout: line.lease, connectionName: `${connectionName}:commands` })
    this.#wakeups = client.duplicate({ ...own, connectionName: `${connectionName}:wakeups` })
    this.#commands.defineCommand('aasRequest', { numberOfKeys: 4, lua: requestScript })
    this.#commands.defineCommand('aasRenew', { numberOfKeys: 4, lua: renewScript })
    this.#commands.defineCommand('aasLeave', { numberOfKeys: 4, lua: leaveScript })
    for (const connection of [this.#commands, this.#wakeups]) {
      connection.on('error', () => {}) // reported through the calls that fail, not as an unhandled event
      connection.on('close', () => line.lost())
    }
    this.#commands.on('ready', () => line.ready())
  }

  request(id, ifAvailable, maxPending) {
    return this.#commands.aasRequest(...this.#keys, ...this.#argv, id, ifAvailable ? '1' : '0', maxPending)
  }

  renew(ids) {
    return this.#commands.aasRenew(...this.#keys, ...this.#argv, ...ids)
  }

  leave(ids) {
    return this.#commands.aasLeave(...this.#keys, ...this.#argv, ...ids)
  }

  /** Waits on this participant's wake list for as long as it has calls waiting. */
  async waiting() {
    if (this.#listening) return
    this.#listening = true
    const timeoutSeconds = Math.max(this.#line.lease / 1000, 1)
    try {
      while (this.#line.hasWaiting()) {
        const popped = await this.#wakeups.blpop(this.#wakeKey, timeoutSeconds)
        if (popped !== null) this.#line.wake(popped[1])
      }
    } catch {
      // The connection dropped: the line has failed the waiting calls.
    } finally {
      this.#listening = false
    }
  }

  async close(ids) {
    if (ids.length > 0) await this.leave(ids).catch(() => {})
    this.#wakeups.disconnect()
    await this.#commands.quit().catch(() => this.#commands.disconnect())
  }
}
