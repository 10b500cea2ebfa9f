// One contending process of `npm run bench:redis`: takes the lock named in its
// argument with one of the designs compared, runs a one-round-trip critical
// section (INCR), releases, again and again until the parent's deadline, and
// sends back the times of each turn on the machine's monotonic clock, which
// every process shares.

import Redis from 'ioredis'
import Redlock from 'redlock'
import { createRequire } from 'node:module'
import { lockCall } from '../js-tests/support/queue-lock-call.mjs'
import { contend } from './contention.mjs'

const require = createRequire(import.meta.url)
const { RedisLock } = require('../pkg/redis.cjs')

const { url, design, name, lease } = JSON.parse(process.argv[2])
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const client = new Redis(url)

/** `turn(work)`: runs `work` under the lock, in each design's own way. */
function designs() {
  if (design === 'RedisLock') {
    const lock = new RedisLock({ client, name, lease })
    return { turn: (work) => lockCall(lock, {}, work), close: () => lock.close() }
  }
  if (design.startsWith('redlock')) {
    // retryCount -1: retry until granted (the default, 10, fails calls under contention).
    const tuned = design === 'redlock (retry 10±10 ms)'
    const redlock = new Redlock([client], { retryCount: -1, ...(tuned ? { retryDelay: 10, retryJitter: 10 } : {}) })
    return {
      async turn(work) {
        const lock = await redlock.acquire([name], lease)
        try {
          await work()
        } finally {
          await lock.release()
        }
      },
      close: async () => {},
    }
  }
  // A hand-rolled SET NX PX loop: try, and retry every 5 ms until it is free.
  const token = `${process.pid}`
  return {
    async turn(work) {
      while ((await client.set(name, token, 'PX', lease, 'NX')) !== 'OK') await sleep(5)
      try {
        await work()
      } finally {
        await client.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, name, token)
      }
    },
    close: async () => {},
  }
}

const { turn, close } = designs()
contend({
  turn,
  write: () => client.incr(`${name}:count`),
  close: async () => {
    await close()
    client.disconnect()
  },
})
