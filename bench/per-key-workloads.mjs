// The workloads of `npm run bench:per-key` (issue 19), run by bench/per-key.mjs
// in Node and, through the benchmark page, in Chromium. The caller passes the
// libraries: `{ AsyncAtomicStore, AsyncLock, Mutex }`.
//
// - many keys: 1,000 appends on 1,000 different keys, each writing to a
//   source that takes 5 ms: a perKey store against a plain one (one lock, as
//   today and as the upstream), async-lock with a key per call, the `Map`
//   of async-mutex mutexes that users build by hand, and the bare callbacks
//   with no lock at all (the floor: 1,000 timers of 5 ms).
// - one key: the overhead of perKey where it cannot help, every call on one
//   key: sequential appends (await each) and 10,000 queued at once, on a
//   source with no delay, against a plain store.
//
// Rounds interleave the contenders and report medians, after warm-up rounds.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]
const increment = (value) => (value ?? 0) + 1
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

function manyKeysContenders({ AsyncAtomicStore, AsyncLock, Mutex }) {
  // One store, lock or Map of mutexes per run, made on its first call.
  const made = new WeakMap()
  const once = (map, make) => (made.has(map) ? made.get(map) : (made.set(map, make()), made.get(map)))
  const storeOf = (map, perKey) =>
    once(map, () => AsyncAtomicStore({ perKey, data: () => map, read: (key) => map.get(key), write: slowWrite(map) }))
  return {
    'bare callbacks, no lock': (map, key) => slowWrite(map)(key, increment(map.get(key))),
    'ours, perKey': (map, key) => storeOf(map, true).append(key, increment),
    'async-lock, a key per call': (map, key) =>
      once(map, () => new AsyncLock({ maxPending: Infinity })).acquire(String(key), () => slowWrite(map)(key, increment(map.get(key)))),
    'async-mutex, a Map of mutexes': async (map, key) => {
      const mutexes = once(map, () => new Map())
      if (!mutexes.has(key)) mutexes.set(key, new Mutex())
      const mutex = mutexes.get(key)
      await mutex.runExclusive(() => slowWrite(map)(key, increment(map.get(key))))
      if (!mutex.isLocked()) mutexes.delete(key) // the eviction users add by hand
    },
    'ours, plain': (map, key) => storeOf(map, false).append(key, increment),
  }
}

/** One key, no delay: `n` appends awaited one by one, or queued at once; resolves with ns per append. */
async function oneKey(AsyncAtomicStore, perKey, n, queued) {
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

/** Medians of `count` interleaved rounds of each of `contenders` (name to a function resolving with a time). */
async function rounds(count, contenders) {
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
  for (let round = 0; round < count; round++) {
    for (const [name, run] of Object.entries(contenders)) times[name].push(await run())
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]))
}

/** Runs both workloads; resolves with `{ manyKeys: { name: ms }, oneKey: { label: { name: ns } } }`. */
export async function runPerKey(libraries) {
  const many = {}
  for (const [name, append] of Object.entries(manyKeysContenders(libraries))) many[name] = () => manyKeys(append)
  // The plain store takes 5 s a run: it runs 3 rounds, the others 15.
  const { 'ours, plain': plain, ...fast } = many
  await rounds(5, fast) // warm up
  const results = { manyKeys: { ...(await rounds(15, fast)), 'ours, plain': (await rounds(3, { plain })).plain }, oneKey: {} }
  const { AsyncAtomicStore } = libraries
  for (const [label, n, queued] of [['sequential (await each)', 20_000, false], ['10,000 queued at once', 10_000, true]]) {
    const perKey = () => oneKey(AsyncAtomicStore, true, n, queued)
    const plainStore = () => oneKey(AsyncAtomicStore, false, n, queued)
    await rounds(2, { perKey, plainStore }) // warm up
    results.oneKey[label] = await rounds(11, { 'ours, perKey': perKey, 'ours, plain': plainStore })
  }
  return results
}

/** The results as text lines. */
export function perKeyReport(results) {
  const lines = ['1,000 appends on 1,000 keys, each write 5 ms (median ms; the floor is the bare callbacks):']
  for (const [name, ms] of Object.entries(results.manyKeys)) lines.push(`  ${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms`)
  for (const [label, byName] of Object.entries(results.oneKey)) {
    lines.push(`One key, ${label} (median ns per append):`)
    for (const [name, ns] of Object.entries(byName)) lines.push(`  ${name.padEnd(32)} ${ns.toFixed(0).padStart(8)} ns`)
    lines.push(`  perKey / plain                   ${(byName['ours, perKey'] / byName['ours, plain']).toFixed(2).padStart(8)}x`)
  }
  return lines
}
