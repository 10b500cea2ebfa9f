// One "machine" of the RedisLock and PgLock tests: a Node process of its own,
// with its own lock and connections, driven by its parent over IPC. It keeps
// its data apart from its lock (a second redis-server, or tables of its own
// in PostgreSQL), as an app keeps a counter or a row elsewhere than in its
// lock. The backend (machine-redis.mjs, machine-postgres.mjs) makes the lock
// and the data.
//
// Messages in: { op: 'open' | 'counter' | 'call' | 'release' | 'fencedWrite' | 'close', ... }.
// Messages out: { event, ... }; see each op below.

import { createRequire } from 'node:module'
import { lockCall } from './queue-lock-call.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore } = require('../../pkg/node.cjs')

let lock
let data
let store
let via
const releases = new Map()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Lets other work in this process run between a read and its write, as real I/O would. */
const turn = () => new Promise((resolve) => setImmediate(resolve))
const send = (message) => process.send(message)
const describe = (error) => ({ name: error?.name, message: String(error?.message ?? error), cause: String(error?.cause?.message ?? '') })

/** Runs `work` under the lock, through the store (`via: 'store'`) or the protocol directly. */
function underLock(options, work) {
  if (via === 'store') return store.lock((source, tx) => work(tx), options)
  return lockCall(lock, options, work)
}

const ops = {
  async open(message) {
    via = message.via
    const backend = await import(`./machine-${message.backend}.mjs`)
    ;({ lock, data } = await backend.open(message))
    store = AsyncAtomicStore({
      read: (key) => data.get(key),
      write: (key, value) => data.set(key, value),
      data: async () => data,
      lock,
    })
    send({ event: 'opened', pid: process.pid })
  },

  /** `n` read-modify-writes of the counter, each letting the process turn between its read and its write. */
  async counter({ n, locked }) {
    const increment = async () => {
      const value = Number((await data.get('counter')) ?? 0)
      await turn()
      await data.set('counter', value + 1)
    }
    const calls = []
    for (let i = 0; i < n; i++) {
      if (!locked) calls.push(increment())
      else if (via === 'store') calls.push(store.append('counter', async (value) => (await turn(), Number(value ?? 0) + 1)))
      else calls.push(lockCall(lock, {}, increment))
    }
    await Promise.all(calls)
    send({ event: 'counted' })
  },

  /**
   * One call: `granted` (with the token) when it gets the lock, then it holds
   * for `hold` ms, or until told to `release` if `hold` is 'told'; `aborted`
   * if its signal aborts meanwhile; `settled` (ok, or the error) at the end.
   * With `log`, its id is appended to that list on the data server when
   * granted; with `check`, holders are counted.
   */
  async call({ id, mode = 'exclusive', ifAvailable, timeout, abortAfter, hold = 0, log, check }) {
    const signal = abortAfter === undefined ? undefined : AbortSignal.timeout(abortAfter)
    try {
      await underLock({ mode, ifAvailable, timeout, signal }, async (grant) => {
        grant?.signal?.addEventListener('abort', () => send({ event: 'aborted', id, error: describe(grant.signal.reason) }))
        if (check) await data.enterHold(mode)
        if (log) await data.log(log, id)
        send({ event: 'granted', id, token: grant?.token })
        if (hold === 'told') await new Promise((resolve) => releases.set(id, resolve))
        else if (hold > 0) await sleep(hold)
        if (check) await data.leaveHold(mode)
      })
      send({ event: 'settled', id, ok: true })
    } catch (error) {
      send({ event: 'settled', id, ok: false, error: describe(error) })
    }
  },

  release({ id }) {
    releases.get(id)?.()
    releases.delete(id)
  },

  /** A write to storage that checks tokens: refused if a write with a greater or equal token came first. */
  async fencedWrite({ value, token }) {
    try {
      await data.fencedWrite(value, token)
      send({ event: 'written', ok: true })
    } catch (error) {
      send({ event: 'written', ok: false, error: describe(error) })
    }
  },

  async close() {
    await lock.close()
    await data.close()
    send({ event: 'closed' })
    process.disconnect()
  },
}

process.on('message', (message) => {
  Promise.resolve(ops[message.op](message)).catch((error) => send({ event: 'crashed', error: describe(error) }))
})
