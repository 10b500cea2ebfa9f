// What the network-lock benches share (bench/redis.mjs, bench/postgres.mjs):
// for each process count, each design in turn (`count` processes running
// `contender`, each looping *take the lock, one write, release* until a
// common deadline), then one Markdown table: turns per second, how the turns
// were shared out among the processes, the hand-off (from one turn's end to
// the next turn's start, while someone was waiting), and the waits. Times are
// on the machine's monotonic clock, which every process shares.

import { fork } from 'node:child_process'

const now = () => Number(process.hrtime.bigint()) / 1e6
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]

async function run({ contender, settings, seconds }, design, count, name) {
  const children = Array.from({ length: count }, () =>
    fork(contender, [JSON.stringify({ ...settings, design, name })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
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

/**
 * Runs every design at every process count and prints the table, headed by
 * `heading`. `settings` go to each contender with the design and a lock name
 * of the run's own.
 */
export async function benchContention({ contender, settings, designs, processCounts = [2, 4, 8], seconds, heading }) {
  const rows = []
  let n = 0
  for (const count of processCounts) {
    for (const design of designs) {
      const row = await run({ contender, settings, seconds }, design, count, `bench${n++}`)
      rows.push(row)
      console.error(`${count} processes, ${design}: ${row.perSecond} turns/s`)
    }
  }
  const ms = (value) => (value < 10 ? value.toFixed(2) : value.toFixed(0))
  console.log(`\n${heading}\n`)
  console.log('| processes | design | turns/s | turns of a process, fewest–most | hand-off median | hand-off p99 | wait median | longest wait |')
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    console.log(`| ${r.count} | ${r.design} | ${r.perSecond} | ${r.fewest}–${r.most} | ${ms(r.handoffMedian)} | ${ms(r.handoffP99)} | ${ms(r.waitMedian)} | ${ms(r.waitMax)} |`)
  }
}

/**
 * A contender's side: once told the deadline, runs `turn(work)` again and
 * again, `work` being one `write()`, then `close()`s and sends back the times
 * of each turn ([asked, started, ended]).
 */
export function contend({ turn, write, close }) {
  const turns = []
  process.once('message', async ({ until }) => {
    while (now() < until) {
      const requested = now()
      let started
      let ended
      await turn(async () => {
        started = now()
        await write()
        ended = now()
      })
      turns.push([requested, started, ended])
    }
    await close()
    process.send(turns, () => process.disconnect())
  })
  process.send('ready')
}
