// The ordering conformance table (tests/conformance/ordering.json) against
// RedisLock, on a real redis-server.
import { after, before, describe } from 'node:test'
import Redis from 'ioredis'
import { conformanceTests } from './ordering-driver.mjs'
import { redisLine } from './redis-line.mjs'
import { startRedis } from '../support/redis-server.mjs'
import { sleep } from '../support/promises.mjs'

const { RedisLock } = await import('../../pkg/redis.mjs')
const lease = 400
const server = await startRedis()
const client = new Redis(server.url, { maxRetriesPerRequest: 0 })

describe('the ordering table on the redis line', () => {
  // A fresh server grants nothing until it has been up for a lease (it cannot know who held the lock before).
  before(() => sleep(2100))
  const tally = conformanceTests(redisLine({ RedisLock, client, lease }))
  after(async () => {
    client.disconnect()
    await server.stop()
    console.log(`redis: ${tally.cases} cases; a giveUp racing its grant: cancel won ${tally.cancelWon}, grant won ${tally.grantWon} (passed on)`)
  })
})
