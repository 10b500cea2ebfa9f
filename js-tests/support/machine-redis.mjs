// A lock machine's RedisLock and its data on a second redis-server (see lock-machine.mjs).

import Redis from 'ioredis'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
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
export const holdersKeys = ['holders:exclusive', 'holders:shared', 'violations']

/** The token-checking write of a storage that fences: a write with an older token than the last one is refused. */
const fencedWriteScript = `
local last = tonumber(redis.call('HGET', KEYS[1], 'token') or '0')
if tonumber(ARGV[2]) <= last then return redis.error_reply('STALE token ' .. ARGV[2] .. ' after ' .. last) end
redis.call('HSET', KEYS[1], 'value', ARGV[1], 'token', ARGV[2])
return 'OK'
`

export async function open({ lockUrl, dataUrl, name, lease, maxPending }) {
  const lockClient = new Redis(lockUrl, { maxRetriesPerRequest: 0 })
  lockClient.on('error', () => {})
  const redis = new Redis(dataUrl)
  redis.defineCommand('enterHold', { numberOfKeys: 3, lua: enterScript })
  redis.defineCommand('fencedWrite', { numberOfKeys: 1, lua: fencedWriteScript })
  const lock = new RedisLock({ client: lockClient, name, lease, maxPending })
  const data = {
    get: (key) => redis.get(key),
    set: (key, value) => redis.set(key, value),
    enterHold: (mode) => redis.enterHold(...holdersKeys, mode),
    leaveHold: (mode) => redis.decr(mode === 'exclusive' ? holdersKeys[0] : holdersKeys[1]),
    log: (list, id) => redis.rpush(list, id),
    fencedWrite: (value, token) => redis.fencedWrite('fenced', value, token),
    close: async () => {
      lockClient.disconnect()
      redis.disconnect()
    },
  }
  return { lock, data }
}
