// `npm run bench:redis`: RedisLock against redlock and a hand-rolled SET NX PX
// retry loop, with 2, 4 and 8 processes contending for one lock on a local
// redis-server. Each process loops: take the lock, one INCR, release. Prints,
// per design and process count: turns per second, how the turns were shared
// out among the processes, the hand-off (from one
// turn's end to the next turn's start, while someone was waiting), and the
// longest wait any turn saw. See "RedisLock" in BENCHMARKS.md.

import { fileURLToPath } from 'node:url'
import { startRedis } from '../js-tests/support/redis-server.mjs'
import { benchContention } from './contention.mjs'

const contender = fileURLToPath(new URL('./redis-contender.mjs', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const lease = 2000
const designs = ['RedisLock', 'redlock (retry 10±10 ms)', 'redlock (defaults, retry 200±200 ms)', 'SET NX PX loop (retry 5 ms)']

const server = await startRedis()
try {
  await new Promise((resolve) => setTimeout(resolve, lease + 1100)) // a fresh server makes RedisLock wait one lease (and a second) before its first grant
  await benchContention({
    contender,
    settings: { url: server.url, lease },
    designs,
    seconds,
    heading: `${seconds} s per run, one INCR per turn, lease ${lease} ms; times in ms`,
  })
} finally {
  await server.stop()
}
