// `npm run bench:redis`: RedisLock against redlock and a hand-rolled SET NX PX
// retry loop, with 2, 4 and 8 processes contending for one lock on a local
// redis-server. Each process loops: take the lock, one INCR, release. Prints,
// per design and process count: turns per second, how the turns were shared
// out among the processes, the hand-off (from one
// turn's end to the next turn's start, while someone was waiting), and the
// longest wait any turn saw. See "RedisLock" in BENCHMARKS.md.

import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startRedis } from '../js-tests/support/redis-server.mjs'

const contender = fileURLToPath(new URL('./redis-contender.mjs', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const lease = 2000
const designs = ['RedisLock', 'redlock (retry 10±10 ms)', 'redlock (defaults, retry 200±200 ms)', 'SET NX PX loop (retry 5 ms)']
const processCounts = [2, 4, 8]
const now = () => Number(process.hrtime.bigint()) / 1e6
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

async function run(server, design, count, name) {
  const children = Array.from({ length: count }, () =>
    fork(contender, [JSON.stringify({ url: server.url, design, name, lease })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
  await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))))
  const started = now() + 200
  const until = started + seconds * 1000
  const results = children.map((child) => new Promise((resolve) => child.once('message', resolve)))
  for (const child of children) child.send({ until })
  const perProcess = await Promise.all(results)
  const counts = perProcess.map((turns) => turns.length)
  const turns = perProcess.flat().sort((a, b) => a[1] - b[1])
  // Hand-offs: consecutive turns where the next one had asked before the previous one ended.
  const handoffs = []
  for (let i = 1; i < turns.length; i++) {
    if (turns[i][0] < turns[i - 1][2]) handoffs.push(turns[i][1] - turns[i - 1][2])
  }
  handoffs.sort((a, b) => a - b)
  const waits = turns.map(([requested, start]) => start - requested).sort((a, b) => a - b)
  const span = turns.at(-1)[2] - turns[0][1]
  return {
    design,
    count,
    perSecond: Math.round(turns.length / (span / 1000)),
    handoffMedian: percentile(handoffs, 0.5),
    handoffP99: percentile(handoffs, 0.99),
    waitMedian: percentile(waits, 0.5),
    waitMax: waits.at(-1),
    fewest: Math.min(...counts),
    most: Math.max(...counts),
  }
}

const server = await startRedis()
try {
  await sleep(lease + 1100) // a fresh server makes RedisLock wait one lease (and a second) before its first grant
  const rows = []
  let n = 0
  for (const count of processCounts) {
    for (const design of designs) {
      const row = await run(server, design, count, `bench${n++}`)
      rows.push(row)
      console.error(`${count} processes, ${design}: ${row.perSecond} turns/s`)
    }
  }
  const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(0))
  console.log(`\n${seconds} s per run, one INCR per turn, lease ${lease} ms; times in ms\n`)
  console.log('| processes | design | turns/s | turns of a process, fewest–most | hand-off median | hand-off p99 | wait median | longest wait |')
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(`| ${r.count} | ${r.design} | ${r.perSecond} | ${r.fewest}–${r.most} | ${ms(r.handoffMedian)} | ${ms(r.handoffP99)} | ${ms(r.waitMedian)} | ${ms(r.waitMax)} |`)
  }
} finally {
  await server.stop()
}
