// `npm run bench:per-key`: what per-key locking (issue 19) buys and costs, in Node.
//
// - many keys: 1,000 appends on 1,000 different keys, each writing to a
//   source that takes 5 ms: a perKey store against a plain one (one lock, as
//   today and as the upstream), async-lock with a key per call, and the
//   `Map` of async-mutex mutexes that users build by hand, and the bare
//   callbacks with no lock at all (the floor: 1,000 timers of 5 ms).
// - one key: the overhead of perKey where it cannot help, every call on one
//   key: sequential appends (await each) and 10,000 queued at once, on a
//   source with no delay, against a plain store.
//
// Rounds interleave the contenders and report medians; the machine has 2
// cores and is noisy, so read the ratios, not the last digit.

import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { root } from '../scripts/setup.mjs'

if (!existsSync(`${root}/pkg/node.mjs`)) {
  const { build } = await import('../scripts/build.mjs')
  await build()
}
const require = createRequire(import.meta.url)
const { AsyncAtomicStore } = await import('../pkg/node.mjs')
const AsyncLock = require('async-lock')
const { Mutex } = require('async-mutex')

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const KEYS = 1000

/** Appends 1 at each of `KEYS` keys at once through `append(map, key)`; resolves with ms taken. */
async function manyKeys(append) {
  const map = new Map()
  const start = performance.now()
  await Promise.all(Array.from({ length: KEYS }, (_, key) => append(map, key)))
  const elapsed = performance.now() - start
  if (map.size !== KEYS || [...map.values()].some((value) => value !== 1)) throw new Error('lost updates')
  return elapsed
}

const slowWrite = (map) => async (key, value) => {
  await sleep(5)
  map.set(key, value)
}
const increment = (value) => (value ?? 0) + 1

const manyKeysContenders = {
  'bare callbacks, no lock': (map, key) => slowWrite(map)(key, increment(map.get(key))),
  'ours, perKey': (map, key) => storeOf(map, true).append(key, increment),
  'ours, plain': (map, key) => storeOf(map, false).append(key, increment),
  'async-lock, a key per call': (map, key) =>
    lockOf(map).acquire(String(key), async () => slowWrite(map)(key, increment(map.get(key)))),
  'async-mutex, a Map of mutexes': async (map, key) => {
    const mutexes = mutexesOf(map)
    if (!mutexes.has(key)) mutexes.set(key, new Mutex())
    const mutex = mutexes.get(key)
    await mutex.runExclusive(() => slowWrite(map)(key, increment(map.get(key))))
    if (!mutex.isLocked()) mutexes.delete(key) // the eviction users add by hand
  },
}

// One store, lock or Map of mutexes per run, made on its first call.
const made = new WeakMap()
const once = (map, make) => (made.has(map) ? made.get(map) : (made.set(map, make()), made.get(map)))
const storeOf = (map, perKey) => once(map, () => AsyncAtomicStore({ perKey, data: () => map, read: (key) => map.get(key), write: slowWrite(map) }))
const lockOf = (map) => once(map, () => new AsyncLock({ maxPending: Infinity }))
const mutexesOf = (map) => once(map, () => new Map())

/** One key, no delay: `n` appends awaited one by one, or queued at once; resolves with ns per append. */
async function oneKey(perKey, n, queued) {
  const map = new Map()
  const store = AsyncAtomicStore({ perKey, data: () => map, read: (key) => map.get(key), write: (key, value) => { map.set(key, value) } })
  const start = performance.now()
  if (queued) {
    let last
    for (let i = 0; i < n; i++) last = store.append('key', increment)
    await last
  } else {
    for (let i = 0; i < n; i++) await store.append('key', increment)
  }
  const elapsed = performance.now() - start
  if (map.get('key') !== n) throw new Error('lost updates')
  return (elapsed * 1e6) / n
}

async function rounds(count, contenders) {
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
  for (let round = 0; round < count; round++) {
    for (const [name, run] of Object.entries(contenders)) times[name].push(await run(round))
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
}

const many = {}
for (const [name, append] of Object.entries(manyKeysContenders)) many[name] = () => manyKeys(append)
// The plain store takes 5 s a run: it runs 3 rounds, the others 15.
const plain = many['ours, plain']
delete many['ours, plain']
await rounds(5, many) // warm up
const manyResults = { ...(await rounds(15, many)), ...(await rounds(3, { 'ours, plain': plain })) }
console.log(`\n1,000 appends on 1,000 keys, each write 5 ms (median ms; the limit is about 5):`)
for (const [name, ms] of Object.entries(manyResults)) console.log(`  ${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms`)

for (const [label, n, queued] of [['sequential (await each)', 20_000, false], ['10,000 queued at once', 10_000, true]]) {
  await oneKey(true, n, queued) // warm up
  await oneKey(false, n, queued)
  const results = await rounds(11, { 'ours, perKey': () => oneKey(true, n, queued), 'ours, plain': () => oneKey(false, n, queued) })
  const ratio = results['ours, perKey'] / results['ours, plain']
  console.log(`\nOne key, ${label} (median ns per append):`)
  for (const [name, ns] of Object.entries(results)) console.log(`  ${name.padEnd(32)} ${ns.toFixed(0).padStart(8)} ns`)
  console.log(`  perKey / plain                   ${ratio.toFixed(2).padStart(8)}x`)
}
