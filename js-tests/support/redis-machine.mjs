// One "machine" of the RedisLock tests: a Node process of its own, with its
// own RedisLock and ioredis clients, driven by its parent over IPC. It keeps
// its data in a second Redis (the data server), as an app keeps a counter or
// a row elsewhere than in its lock.
//
// Messages in: { op: 'open' | 'counter' | 'call' | 'release' | 'close', ... }.
// Messages out: { event, ... }; see each op below.

import Redis from 'ioredis'
import { createRequire } from 'node:module'
import { lockCall } from './queue-lock-call.mjs'

const require = createRequire(import.meta.url)
const { AsyncAtomicStore } = require('../../pkg/node.cjs')
const { RedisLock } = require('../../pkg/redis.cjs')

/**
 * Counts holders on the data server, in one script so the check is atomic:
 * an exclusive holder must be alone, a shared one must have no exclusive
 * holder beside it. Any breach is counted in `violations`.
 */
const enterScript = `
if ARGV[1] == 'exclusive' then
  local exclusive = redis.call('INCR', KEYS[1])
  if exclusive ~= 1 or tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then redis.call('INCR', KEYS[3]) end
else
  redis.call('INCR', KEYS[2])
  if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('INCR', KEYS[3]) end
end
return 0
`
const holdersKeys = ['holders:exclusive', 'holders:shared', 'violations']

let lock
let lockClient
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
  open(message) {
    via = message.via
    lockClient = new Redis(message.lockUrl, { maxRetriesPerRequest: 0 })
    lockClient.on('error', () => {})
    data = new Redis(message.dataUrl)
    data.defineCommand('enterHold', { numberOfKeys: 3, lua: enterScript })
    lock = new RedisLock({ client: lockClient, name: message.name, lease: message.lease, maxPending: message.maxPending })
    store = AsyncAtomicStore({
      read: (key) => data.get(key),
      write: (key, value) => data.set(key, value),
      data: async () => data,
      lock,
    })
    send({ event: 'opened', pid: process.pid })
  },

  /** `n` read-modify-writes of the counter, each letting the process turn between its GET and its SET. */
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
   * for `hold` ms, or until told to `release` if `hold` is 'told'; `settled`
   * (ok, or the error) at the end. With `log`, its id is appended to that list
   * on the data server when granted; with `check`, holders are counted.
   */
  async call({ id, mode = 'exclusive', ifAvailable, timeout, abortAfter, hold = 0, log, check }) {
    const signal = abortAfter === undefined ? undefined : AbortSignal.timeout(abortAfter)
    try {
      await underLock({ mode, ifAvailable, timeout, signal }, async (grant) => {
        if (check) await data.enterHold(...holdersKeys, mode)
        if (log) await data.rpush(log, id)
        send({ event: 'granted', id, token: grant?.token })
        if (hold === 'told') await new Promise((resolve) => releases.set(id, resolve))
        else if (hold > 0) await sleep(hold)
        if (check) await data.decr(mode === 'exclusive' ? holdersKeys[0] : holdersKeys[1])
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

  async close() {
    await lock.close()
    lockClient.disconnect()
    data.disconnect()
    send({ event: 'closed' })
    process.disconnect()
  },
}

process.on('message', (message) => {
  Promise.resolve(ops[message.op](message)).catch((error) => send({ event: 'crashed', error: describe(error) }))
})
