// `npm run bench:shared-lock`: the SharedLock's figures for BENCHMARKS.md.
//
// - Hand-off throughput: 2 and 4 threads each take exclusive turns back to
//   back on one lock (each turn adds 1 to a shared counter), against
//   metarhia's web-locks in Node and navigator.locks.request in Chromium;
//   in Chromium also through the fallback without Atomics.waitAsync.
// - A store on a SharedLock used from one thread, against a plain store:
//   100,000 sequential appends with sync callbacks.
// - A worker waiting for the lock: its event-loop utilisation over 500 ms.
//
// Each figure is the median of 5 runs.
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { root, step } from '../scripts/setup.mjs'
import { startServer } from '../scripts/serve.mjs'
import { launchChromium } from '../js-tests/support/chromium.mjs'
import { spawn } from '../www/threads.js'
import { handoffThroughput } from './shared-lock-handoff.mjs'

const runs = 5
const turns = 5000
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
const lib = await import('../pkg/node.mjs')
const { locks } = createRequire(import.meta.url)('web-locks')
const rows = []
const show = (n) => Math.round(n).toLocaleString('en-US')

step('Hand-off throughput in Node (worker_threads)')
let lockNames = 0
const contendersInNode = {
  SharedLock: { turns, lockFor: (lock) => () => ({ handle: lock.share() }) },
  'web-locks': { turns: 2000 },
}
for (const threads of [2, 4]) {
  const figures = {}
  for (const contender of Object.keys(contendersInNode)) {
    const samples = []
    for (let run = 0; run < runs; run++) {
      if (contender === 'SharedLock') {
        const lock = new lib.SharedLock()
        samples.push(await handoffThroughput({ contender, threads, turns, lockFor: () => ({ handle: lock.share() }) }))
      } else {
        const name = `bench-${lockNames++}`
        samples.push(await handoffThroughput({
          contender, threads, turns: 2000,
          lockFor: () => ({ name }),
          setUp: (worker) => locks.attach(worker),
          // web-locks makes a lock where it is first requested and posts its buffer to the others.
          beforeStart: async () => {
            await locks.request(name, async () => {})
            await new Promise((resolve) => setTimeout(resolve, 50))
          },
        }))
      }
    }
    figures[contender] = median(samples)
    console.log(`  ${threads} threads, ${contender}: ${show(figures[contender])} turns/s (runs: ${samples.map(show).join(', ')})`)
  }
  rows.push(['Node', `hand-off, ${threads} threads`, `${show(figures.SharedLock)} turns/s`, `web-locks ${show(figures['web-locks'])} turns/s`, `${(figures.SharedLock / figures['web-locks']).toFixed(2)}×`])
}

step('A store on a SharedLock in one thread vs a plain store (100,000 sequential appends)')
async function sequential(makeStore, callbacks) {
  const map = new Map()
  const store = makeStore(callbacks === 'sync'
    ? { read: (key) => map.get(key), write: (key, value) => map.set(key, value), data: () => map }
    : { read: async (key) => map.get(key), write: async (key, value) => map.set(key, value), data: async () => map })
  const start = performance.now()
  for (let i = 0; i < 100_000; i++) await store.append('n', (n) => (n ?? 0) + 1)
  if (map.get('n') !== 100_000) throw new Error('lost appends')
  return ((performance.now() - start) * 1000) / 100_000
}
for (const callbacks of ['sync', 'async']) {
  const plain = []
  const shared = []
  for (let run = 0; run < runs; run++) {
    plain.push(await sequential((options) => lib.AsyncAtomicStore(options), callbacks))
    shared.push(await sequential((options) => lib.AsyncAtomicStore({ ...options, lock: new lib.SharedLock() }), callbacks))
  }
  console.log(`  ${callbacks} callbacks: plain ${median(plain).toFixed(3)} µs, on a SharedLock ${median(shared).toFixed(3)} µs per append`)
  rows.push(['Node', `store on a SharedLock, one thread, sequential, ${callbacks} callbacks`, `${median(shared).toFixed(2)} µs/append`, `plain store ${median(plain).toFixed(2)} µs/append`, `${(median(shared) / median(plain)).toFixed(2)}× the time`])
}
{
  const lock = new lib.SharedLock()
  const roundTrip = []
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    for (let i = 0; i < 100_000; i++) {
      await new Promise((resolve, reject) => {
        const place = lock.request('exclusive', false, () => {
          lock.release(place)
          resolve()
        }, reject)
      })
    }
    roundTrip.push((performance.now() - start) * 10)
  }
  console.log(`  the lock alone: request, granted, release: ${median(roundTrip).toFixed(0)} ns`)
  rows.push(['Node', 'the lock alone, one thread: request, granted, release', `${median(roundTrip).toFixed(0)} ns`, '', ''])
}

step('Event-loop utilisation of a worker waiting for the lock (Node, 500 ms)')
{
  const lock = new lib.SharedLock()
  let held
  await new Promise((resolve) => { held = lock.request('exclusive', false, resolve, resolve) })
  const thread = await spawn(new URL('../js-tests/support/lock-participant.mjs', import.meta.url))
  thread.post({ job: 'idle', handle: lock.share(), ms: 500 })
  await thread.next()
  await new Promise((resolve) => setTimeout(resolve, 550))
  lock.release(held)
  const { utilisation } = await thread.next()
  await thread.terminate()
  console.log(`  ${(utilisation * 100).toFixed(3)} %`)
  rows.push(['Node', 'event-loop utilisation of a waiting worker', `${(utilisation * 100).toFixed(3)} %`, '', ''])
}

step('Hand-off throughput in Chromium (Web Workers)')
const server = await startServer({ mounts: { '/pkg': join(root, 'pkg'), '/www': join(root, 'www'), '/bench': join(root, 'bench'), '/': join(root, 'js-tests/browser') } })
const browser = await launchChromium()
try {
  const page = await browser.newPage()
  await page.goto(`${server.url}shared-lock.html`)
  const chromium = await page.evaluate(async ({ runs, turns }) => {
    const { SharedLock } = await import('/pkg/web.js')
    const { handoffThroughput } = await import('/bench/shared-lock-handoff.mjs')
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]
    const out = []
    for (const threads of [2, 4]) {
      const figures = {}
      for (const [label, contender, fallback] of [['SharedLock', 'SharedLock', false], ['fallback', 'SharedLock', true], ['navigator.locks', 'navigator.locks', false]]) {
        const samples = []
        for (let run = 0; run < runs; run++) {
          const lock = new SharedLock()
          samples.push(await handoffThroughput({ contender, threads, turns, fallback, lockFor: () => ({ handle: lock.share() }) }))
        }
        figures[label] = { median: median(samples), samples }
      }
      out.push({ threads, figures })
    }
    return out
  }, { runs, turns })
  for (const { threads, figures } of chromium) {
    for (const [label, { median, samples }] of Object.entries(figures)) {
      console.log(`  ${threads} workers, ${label}: ${show(median)} turns/s (runs: ${samples.map(show).join(', ')})`)
    }
    const ours = figures.SharedLock.median
    const theirs = figures['navigator.locks'].median
    rows.push(['Chromium', `hand-off, ${threads} workers`, `${show(ours)} turns/s`, `navigator.locks ${show(theirs)} turns/s`, `${(ours / theirs).toFixed(2)}×`])
    rows.push(['Chromium', `hand-off, ${threads} workers, fallback (no Atomics.waitAsync)`, `${show(figures.fallback.median)} turns/s`, `navigator.locks ${show(theirs)} turns/s`, `${(figures.fallback.median / theirs).toFixed(2)}×`])
  }
  console.log(`  Chromium ${browser.version()}`)
} finally {
  await browser.close()
  await server.close()
}

console.log(`\n${os.cpus()[0].model}, ${os.cpus().length} cores; Node ${process.version}\n`)
console.log('| where | what | SharedLock | against | ratio |\n| --- | --- | --- | --- | --- |')
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
