// The benchmarks of waiting under control (issue 10) and shared reads (issue
// 13), shared by the Node runner (run.mjs) and the Chromium page (page.mjs).
// The caller passes the libraries, a clock, and in Node a `gc` for memory.
//
// - options: 100,000 appends queued with no options, each with its own
//   signal, and under a store timeout (ours only);
// - give-up: 100,000 appends queued behind a held lock, every other one then
//   gives up (aborted, or timed out where a lock has no abort), then the lock
//   is released and the rest drain; against async-mutex, async-lock, p-queue
//   and Web Locks;
// - slow reads: 1,000 reads of a store whose read takes 5 ms, with and
//   without sharedReads, and Web Locks' shared mode;
// - mixed: 90% reads and 10% appends queued behind a held lock, 1,000 and
//   100,000 deep, with and without sharedReads: time per call and the
//   longest wait of a writer.

import { KEY, increment, mapCallbacks, median } from './workloads.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const settled = (promise) => promise.then(() => {}, () => {})

/** A promise to hold a lock with (`held`), and the function that settles it. */
function gate() {
  let release
  const held = new Promise((resolve) => { release = resolve })
  return { held, release }
}

/** `n` appends queued at once on a fresh store, each made by `call(store, i)`; resolves with ns per append. */
async function timeQueued(makeStore, call, n, now) {
  const { map, callbacks } = mapCallbacks('async')
  const store = makeStore(callbacks)
  const start = now()
  let last
  for (let i = 0; i < n; i++) last = call(store, i)
  await last
  const elapsed = now() - start
  if (map.get(KEY) !== n) throw new Error(`lost updates: ${map.get(KEY)} after ${n}`)
  return (elapsed * 1e6) / n
}

/** Options on every call: none, a signal each (made beforehand, or in the loop), a store timeout. */
export async function optionsCost({ ours }, { n, reps }, now, log) {
  const plain = (callbacks) => ours.AsyncAtomicStore(callbacks)
  let signals
  const variants = {
    'no options': [plain, (store) => store.append(KEY, increment)],
    'a signal each (made beforehand)': [plain, (store, i) => store.append(KEY, increment, { signal: signals[i] })],
    'a signal each (made in the loop)': [plain, (store) => store.append(KEY, increment, { signal: new AbortController().signal })],
    'store timeout (60 s)': [(callbacks) => ours.AsyncAtomicStore({ ...callbacks, timeout: 60_000 }), (store) => store.append(KEY, increment)],
    'timeout: 60 s on each call': [plain, (store) => store.append(KEY, increment, { timeout: 60_000 })],
  }
  const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]))
  for (let rep = 0; rep < reps; rep++) {
    log(`options: repetition ${rep + 1} of ${reps}`)
    for (const [name, [makeStore, call]] of Object.entries(variants)) {
      signals = Array.from({ length: n }, () => new AbortController().signal)
      samples[name].push(await timeQueued(makeStore, call, n, now))
      signals = undefined
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
}

/**
 * The contenders of "every other call gives up": each makes a lock with
 * `hold`, `append(callbacks, i, giveUp)` and says how a call gives up. A
 * `giveUp` of `{ signal }` is aborted by the runner; `{ timeout }` times out.
 */
export function givingUpContenders({ ours, Mutex, withTimeout, AsyncLock, PQueue }) {
  const body = ({ read, write }) => async () => {
    const next = increment(await read(KEY))
    await write(KEY, next)
    return next
  }
  const contenders = {
    ours: {
      how: 'signal',
      make(callbacks) {
        const store = ours.AsyncAtomicStore(callbacks)
        return {
          hold: (held) => store.lock(() => held),
          call: (signal) => store.append(KEY, increment, signal && { signal }),
        }
      },
    },
  }
  if (Mutex) {
    contenders['async-mutex'] = {
      how: 'timeout',
      make(callbacks) {
        // No per-call cancel: `cancel()` rejects every waiter. A call gives up through `withTimeout`.
        const mutex = new Mutex()
        const timed = withTimeout(mutex, 1)
        const run = body(callbacks)
        return {
          hold: (held) => mutex.runExclusive(() => held),
          call: (giveUp) => (giveUp ? timed : mutex).runExclusive(run),
        }
      },
    }
  }
  if (AsyncLock) {
    contenders['async-lock'] = {
      how: 'timeout',
      make(callbacks) {
        const lock = new AsyncLock({ maxPending: Infinity })
        const run = body(callbacks)
        return {
          hold: (held) => lock.acquire(KEY, () => held),
          call: (giveUp) => lock.acquire(KEY, run, giveUp ? { timeout: 1 } : undefined),
        }
      },
    }
  }
  if (PQueue) {
    contenders['p-queue'] = {
      how: 'signal',
      make(callbacks) {
        const queue = new PQueue({ concurrency: 1 })
        const run = body(callbacks)
        return {
          hold: (held) => queue.add(() => held),
          call: (signal) => queue.add(run, signal && { signal }),
        }
      },
    }
  }
  if (globalThis.navigator?.locks) {
    let names = 0
    contenders['Web Locks'] = {
      how: 'signal',
      make(callbacks) {
        const name = `bench-${names++}`
        const run = body(callbacks)
        return {
          hold: (held) => navigator.locks.request(name, () => held),
          call: (signal) => navigator.locks.request(name, signal ? { signal } : {}, run),
        }
      },
    }
  }
  return contenders
}

/**
 * One run of "every other call gives up": a held lock, `n` appends queued,
 * the odd ones give up (aborted at once, or a 1 ms timeout waited out),
 * memory taken (with `gc`), the lock released, everything drained. Returns ns
 * per call (all `n`, leaving out the wait for timeouts), bytes per call held
 * after the giving up, and the share of the calls that gave up whose promise
 * had settled before the lock was released (a lock that only skips a
 * cancelled waiter when its turn comes settles it then).
 */
async function givingUpRun(contender, n, now, gc) {
  const { map, callbacks } = mapCallbacks('async')
  const lock = contender.make(callbacks)
  const { held, release } = gate()
  const holding = lock.hold(held)
  await sleep(0)
  gc?.()
  const before = gc ? memoryNow() : 0
  const start = now()
  const controllers = contender.how === 'signal' ? [] : undefined
  const gaveUp = []
  let settledEarly = 0
  let last
  for (let i = 0; i < n; i++) {
    if (i % 2 === 1) {
      const controller = controllers && new AbortController()
      controllers?.push(controller)
      gaveUp.push(settled(lock.call(controller ? controller.signal : true)).then(() => { settledEarly++ }))
    } else {
      last = lock.call(undefined)
    }
  }
  if (controllers) for (const controller of controllers) controller.abort()
  let giveUpDone = now()
  // A timeout gives up only once its timer fires: wait for all of them, and leave that wait out.
  if (!controllers) {
    await Promise.all(gaveUp)
    giveUpDone = now()
  }
  await sleep(0)
  const early = settledEarly / gaveUp.length
  let bytes
  if (gc) {
    gc()
    bytes = (memoryNow() - before) / n
  }
  const drainStart = now()
  release()
  await holding
  await last
  await Promise.all(gaveUp)
  const end = now()
  if (map.get(KEY) !== n / 2) throw new Error(`${n / 2} appends should have run, ${map.get(KEY)} did`)
  return { nsPerCall: ((giveUpDone - start + end - drainStart) * 1e6) / n, bytes, early }
}

function memoryNow() {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external + usage.arrayBuffers
}

/**
 * The floor of giving up by signal: `n / 2` controllers made, each signal
 * given a listener, all aborted; ns per call of the `n`.
 */
function controllersAlone(n, now) {
  const start = now()
  const controllers = []
  for (let i = 0; i < n / 2; i++) {
    const controller = new AbortController()
    controller.signal.addEventListener('abort', () => {})
    controllers.push(controller)
  }
  for (const controller of controllers) controller.abort()
  return ((now() - start) * 1e6) / n
}

/** "Every other call gives up", each contender `reps` times; medians. */
export async function givingUp(libraries, { n, reps }, now, gc, log) {
  const results = {}
  const floor = []
  for (let rep = 0; rep < reps; rep++) floor.push(controllersAlone(n, now))
  results['signals alone'] = { how: 'signal', nsPerCall: median(floor), settledEarly: 1 }
  for (const [name, contender] of Object.entries(givingUpContenders(libraries))) {
    const times = []
    const bytes = []
    const early = []
    // The slow queues take seconds a run: one run each.
    const runs = name === 'ours' || name === 'p-queue' ? reps : 1
    for (let rep = 0; rep < runs; rep++) {
      log(`every other call gives up: ${name}, run ${rep + 1} of ${runs}`)
      const run = await givingUpRun(contender, n, now, gc)
      times.push(run.nsPerCall)
      if (run.bytes !== undefined) bytes.push(run.bytes)
      early.push(run.early)
    }
    results[name] = { how: contender.how, nsPerCall: median(times), bytesPerCall: bytes.length ? median(bytes) : undefined, settledEarly: median(early) }
  }
  return results
}

/** 1,000 reads of a store whose read takes `ms`: with and without sharedReads, and Web Locks shared. Total ms. */
export async function slowReads({ ours }, { reads, ms }, now, log) {
  const slowRead = async () => {
    await sleep(ms)
    return 1
  }
  const time = async (run) => {
    const start = now()
    await run()
    return now() - start
  }
  const results = {}
  for (const sharedReads of [true, false]) {
    log(`slow reads: ${reads} reads of ${ms} ms, sharedReads ${sharedReads}`)
    const store = ours.AsyncAtomicStore({ read: slowRead, write: () => {}, data: () => null, sharedReads })
    results[sharedReads ? 'ours, sharedReads' : 'ours, exclusive reads'] = await time(() => Promise.all(Array.from({ length: reads }, () => store.read(KEY))))
  }
  if (globalThis.navigator?.locks) {
    for (const mode of ['shared', 'exclusive']) {
      log(`slow reads: Web Locks, mode ${mode}`)
      results[`Web Locks, ${mode}`] = await time(() =>
        Promise.all(Array.from({ length: reads }, () => navigator.locks.request('slow-reads', { mode }, slowRead))),
      )
    }
  }
  return results
}

/**
 * Mixed calls, 90% reads and 10% appends, `n` queued behind a held lock, with
 * and without sharedReads. Per depth and mode: ns per call, the longest wait
 * of any writer, the longest wait of the writers among the first 1,000
 * calls, and how many writers a later call overtook (started before them;
 * strict FIFO batches make it 0). A wait runs from the lock's release to the
 * writer's transform.
 */
export async function mixed({ ours }, { depths, reps }, now, log) {
  const results = {}
  for (const n of depths) {
    for (const sharedReads of [false, true]) {
      const name = `${n.toLocaleString('en-US')} queued, ${sharedReads ? 'sharedReads' : 'exclusive only'}`
      const samples = { nsPerCall: [], longestWait: [], longestWaitFirst1000: [], overtaken: [] }
      for (let rep = 0; rep < reps; rep++) {
        log(`mixed: ${name}, repetition ${rep + 1} of ${reps}`)
        const map = new Map([[KEY, 0]])
        let released = 0
        const waits = []
        // The highest call number started so far; a writer started after a later call was overtaken.
        let highest = -1
        let overtaken = 0
        const store = ours.AsyncAtomicStore({
          data: async () => map,
          read: async (i) => {
            if (i > highest) highest = i
            return map.get(KEY)
          },
          write: async (_, value) => { map.set(KEY, value) },
          sharedReads,
        })
        const { held, release } = gate()
        const holding = store.lock(() => held)
        const calls = new Array(n)
        for (let i = 0; i < n; i++) {
          calls[i] = i % 10 === 9
            ? store.append(-1, (value) => {
                waits.push([i, now() - released])
                if (highest > i) overtaken++
                highest = i
                return value + 1
              })
            : store.read(i)
        }
        // Made before the release: Promise.all walks every call, which would stall the drain.
        const all = Promise.all(calls)
        released = now()
        release()
        await holding
        await all
        const elapsed = now() - released
        if (map.get(KEY) !== Math.floor(n / 10)) throw new Error(`lost updates in ${name}`)
        samples.nsPerCall.push((elapsed * 1e6) / n)
        samples.longestWait.push(Math.max(...waits.map(([, wait]) => wait)))
        samples.longestWaitFirst1000.push(Math.max(...waits.filter(([i]) => i < 1000).map(([, wait]) => wait)))
        samples.overtaken.push(overtaken)
      }
      results[name] = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]))
    }
  }
  return results
}

/** Every workload of this module; `config.waiting` says how much. */
export async function runWaiting(libraries, config, now, gc, log = () => {}) {
  const { waiting } = config
  return {
    options: await optionsCost(libraries, waiting.options, now, log),
    givingUp: await givingUp(libraries, waiting.givingUp, now, gc, log),
    slowReads: await slowReads(libraries, waiting.slowReads, now, log),
    mixed: await mixed(libraries, waiting.mixed, now, log),
  }
}
