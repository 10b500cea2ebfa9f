// Measures what the store leaves behind, in a plain `node --expose-gc`
// process (no test runner, whose async tracking slows promise-heavy loops).
//
//   node --expose-gc js-tests/support/memory-probe.mjs <scenario> [count]
//
// Prints one line of JSON. pkg/store/store.js is wired to its own instance of the
// core, as the Node entry does, so that the probe can watch that instance's
// linear memory and its externref table (JS values held by wasm; queued calls must take none).
// Used by js-tests/leaks.test.mjs and, with larger counts, scripts/soak.mjs.
import { AsyncAtomicStore, AsyncArray, collect, wasm } from './own-core.mjs'

if (typeof gc !== 'function') throw new Error('run with node --expose-gc')

/** The heap, the wasm linear memory and the externref table, after a full collection. */
async function footprint() {
  await collect()
  return {
    heapUsed: process.memoryUsage().heapUsed,
    wasmMemory: wasm.memory.buffer.byteLength,
    tableSlots: wasm.__wbindgen_externrefs.length,
  }
}

/**
 * Counts tracked values the collector has reclaimed. Kept at module level and
 * used from a function, so that the registry itself stays reachable: a
 * registry that is collected calls none of its callbacks.
 */
const reclaimed = { count: 0 }
const registry = new FinalizationRegistry(() => { reclaimed.count++ })
const track = (value) => { registry.register(value, undefined); return value }

const options = () => {
  const map = new Map()
  return { data: () => map, read: (key) => map.get(key) ?? 0, write: (key, value) => { map.set(key, value) } }
}

/**
 * Makes `count` stores stuck on a callback that never settles, with calls
 * queued behind, and drops them. A plain function, not inline in an async
 * one: a suspended async function keeps its whole register file, so the last
 * store made in its loop would stay reachable from the suspended frame.
 */
function makeStuckStores(count) {
  for (let i = 0; i < count; i++) {
    const opts = options()
    const store = AsyncAtomicStore(opts)
    store.lock(() => new Promise(() => {}))
    for (let j = 0; j < 10; j++) store.append(j, (v) => v + 1)
    // The options' callbacks live exactly as long as the store's insides.
    track(opts.read)
  }
}

const scenarios = {
  /** Wasm memory per waiting call: `count` reads queued on one store, the memory's growth over `count`. */
  async waiting(count) {
    const store = AsyncAtomicStore(options())
    const before = wasm.memory.buffer.byteLength
    const calls = []
    for (let i = 0; i < count; i++) calls.push(store.read(i))
    const perCall = (wasm.memory.buffer.byteLength - before) / count
    await Promise.all(calls)
    return { perCall }
  },

  /**
   * `count` stores created, used (a queued append each) and dropped, in rounds
   * of 10,000, with one turn of the event loop between rounds, as in any
   * server: finalizers (which free a store's wasm side) only run on such turns.
   */
  async stores(count) {
    const perRound = 10_000
    let warm
    for (let round = 0; round * perRound < count; round++) {
      const stores = []
      for (let i = 0; i < perRound; i++) {
        const store = AsyncAtomicStore(options())
        store.write(i, i)
        store.append(i, (v) => v + 1)
        stores.push(track(store))
      }
      const reads = await Promise.all(stores.map((store, i) => store.read(i)))
      if (reads.some((value, i) => value !== i + 1)) throw new Error(`round ${round}: wrong reads`)
      stores.length = 0
      await new Promise((resolve) => setImmediate(resolve))
      if (round === 1) warm = await footprint()
    }
    const end = await footprint()
    // A finalizer runs on a task after the collection that found its object
    // dead; give stragglers a few more turns (a leaked store never comes).
    for (let turn = 0; turn < 20 && reclaimed.count < count; turn++) await collect()
    return { warm, end, created: count, reclaimed: reclaimed.count }
  },

  /** `count` operations on one store: batches of 10,000 mixed calls queued at once, then awaited ones. */
  async operations(count) {
    const store = AsyncArray([0])
    const batch = 10_000
    let appends = 0
    let warm
    const started = performance.now()
    for (let done = 0, round = 0; done < count; round++) {
      const calls = []
      for (let i = 0; i < batch; i++) {
        switch (i % 5) {
          case 0: calls.push(store.append(0, (v) => v + 1)); appends++; break
          case 1: calls.push(store.read(0)); break
          case 2: calls.push(store.write(1, i)); break
          case 3: calls.push(store.lock(async (array) => array[0])); break
          case 4: calls.push(store.data()); break
        }
      }
      await Promise.all(calls)
      // The same again one call at a time: the lock is free each time.
      for (let i = 0; i < batch / 10; i++) { await store.append(0, (v) => v + 1); appends++ }
      done += batch + batch / 10
      if (round === 10) warm = await footprint()
    }
    const seconds = (performance.now() - started) / 1000
    const counter = await store.read(0)
    if (counter !== appends) throw new Error(`lost updates: ${counter} after ${appends} appends`)
    return { warm, end: await footprint(), operations: count, appends, counter, seconds }
  },

  /** `count` appends queued at once on one store, drained, twice: the second round reuses the first's table slots. */
  async queue(count) {
    const store = AsyncArray([0])
    await store.append(0, (v) => v)
    const before = await footprint()
    const rounds = []
    for (let round = 0; round < 2; round++) {
      const idleSlots = wasm.__wbindgen_externrefs.length
      const started = performance.now()
      const calls = new Array(count)
      for (let i = 0; i < count; i++) calls[i] = store.append(0, (v) => v + 1)
      const queuedSlots = wasm.__wbindgen_externrefs.length
      const results = await Promise.all(calls)
      const seconds = (performance.now() - started) / 1000
      const base = round * count
      for (let i = 0; i < count; i++) {
        if (results[i] !== base + i + 1) throw new Error(`round ${round}: call ${i} resolved with ${results[i]}`)
      }
      calls.length = 0
      results.length = 0
      rounds.push({ seconds, idleSlots, queuedSlots, after: await footprint() })
    }
    return { queued: count, final: await store.read(0), before, rounds }
  },

  /** Per-operation values (keys, values, callbacks, promises) outlive nothing: all collectable once settled. */
  async perOperation(count) {
    const store = AsyncAtomicStore(options())
    let tracked = 0
    const counted = (value) => { tracked++; return track(value) }
    await (async () => {
      const calls = []
      for (let i = 0; i < count; i++) {
        const key = counted({ key: i })
        calls.push(counted(store.write(key, counted({ value: i }))))
        calls.push(counted(store.append(key, counted((v) => ({ value: v.value + 1 })))))
        calls.push(counted(store.lock(counted(async (map) => map.delete(key)))))
      }
      await Promise.all(calls)
    })()
    await collect()
    return { tracked, reclaimed: reclaimed.count, storeAlive: typeof store.read === 'function', end: await footprint() }
  },

  /**
   * `count` calls queued behind a held lock, each with its own signal, all
   * aborted, three times (the first not counted); then the holder finishes,
   * with one more call queued, and the store goes idle.
   */
  async aborted(count) {
    const store = AsyncArray([0])
    let release
    const holding = store.lock(() => new Promise((resolve) => { release = resolve }))
    const reason = new Error('aborted')
    // A first round, not counted, warms up what aborting costs once: the code,
    // and the tables of Node's own abort and rejection machinery, which keep
    // their grown size (Node 24 keeps about 2 MB after 50,000 aborts).
    let before
    const rounds = []
    for (let round = -1; round < 2; round++) {
      if (round === 0) before = await footprint()
      let controllers = []
      let calls = []
      for (let i = 0; i < count; i++) {
        const controller = new AbortController()
        controllers.push(controller)
        calls.push(store.append(0, (v) => v + 1, { signal: controller.signal }))
      }
      const queued = await footprint()
      for (const controller of controllers) controller.abort(reason)
      const pendingAfterAbort = store.pending
      if ((await Promise.allSettled(calls)).some((outcome) => outcome.reason !== reason)) throw new Error('an aborted call ran')
      controllers = calls = undefined
      if (round >= 0) rounds.push({ queued, pendingAfterAbort, aborted: await footprint() })
    }
    const last = store.append(0, (v) => v + 1)
    release()
    await holding
    await last
    return { count, before, rounds, end: await footprint(), final: await store.read(0) }
  },

  /**
   * `count` calls wait behind a holder; all but the oldest 1% are aborted,
   * the holder still running. What the store holds then, and after as many
   * calls again queue and are aborted (they must reuse low slots).
   */
  async mostlyAborted(count) {
    const store = AsyncArray([0])
    let release
    const holding = store.lock(() => new Promise((resolve) => { release = resolve }))
    const kept = []
    const queueAndAbort = async () => {
      const controller = new AbortController()
      const calls = []
      for (let i = 0; i < count - kept.length; i++) calls.push(store.append(0, (v) => v + 1, { signal: controller.signal }).catch(() => {}))
      controller.abort()
      await Promise.all(calls)
    }
    const before = await footprint()
    for (let i = 0; i < count / 100; i++) kept.push(store.append(0, (v) => v + 1))
    await queueAndAbort()
    const first = await footprint()
    await queueAndAbort()
    const second = await footprint()
    const pending = store.pending
    release()
    await holding
    await Promise.all(kept)
    return { count, kept: kept.length, pending, before, first, second, final: await store.read(0) }
  },

  /** `count` stores each stuck on a callback that never settles, with calls queued behind it, dropped; twice. */
  async stuck(count) {
    const rounds = []
    for (let round = 0; round < 2; round++) {
      makeStuckStores(count)
      rounds.push(await footprint())
    }
    // Finalizers run on later turns, and on a loaded machine some run late;
    // give stragglers a few more turns (a leaked store never comes).
    for (let turn = 0; turn < 20 && reclaimed.count < 2 * count; turn++) await collect()
    return { stores: 2 * count, reclaimed: reclaimed.count, rounds }
  },
}

const [scenario, count] = process.argv.slice(2)
if (!(scenario in scenarios)) throw new Error(`scenario must be one of ${Object.keys(scenarios).join(', ')}`)
console.log(JSON.stringify(await scenarios[scenario](Number(count ?? 1000))))
