// A SharedLock participant in its own thread (worker_threads in Node, a
// module Web Worker in Chromium), for the SharedLock tests and bench. It runs
// one job per message and posts its result back.
//
// Jobs:
//   count    `appends` appends of + 1 to a shared counter through a store on the lock; posts the values each saw
//   hold     takes the lock (exclusive) and never lets go; posts { held } once it has it
//   wait     asks for the lock; posts { requested }, then { granted } when it gets it, and releases
//   script   the property test's random operations (see runScript)
//   idle     waits for the lock for `ms` milliseconds; posts its event-loop utilisation meanwhile
//   handoff  `turns` exclusive turns on the lock, each asking for the next before it ends; counts hand-offs in `words`
//   withoutWaitAsync  removes Atomics.waitAsync from this thread, as in Firefox ESR 140, so the lock falls back
//   environment  posts { waitAsync, crossOriginIsolated }: typeof Atomics.waitAsync and crossOriginIsolated here
import { loadPackage, parentChannel } from '../../www/threads.js'

const { post, next } = await parentChannel()
const lib = await loadPackage()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Takes the lock once, through the QueueLock protocol; resolves with the place once granted. */
const turn = (lock, mode = 'exclusive') =>
  new Promise((resolve, reject) => {
    const place = lock.request(mode, false, () => resolve(place), reject)
  })

const jobs = {
  async count({ handle, buffer, appends }) {
    const counter = new Int32Array(buffer)
    const store = lib.AsyncAtomicStore({
      read: async (index) => Atomics.load(counter, index),
      write: async (index, value) => Atomics.store(counter, index, value),
      data: async () => counter,
      lock: lib.SharedLock.from(handle),
    })
    const seen = new Int32Array(appends)
    const calls = []
    for (let i = 0; i < appends; i++) calls.push(store.append(0, (value) => (seen[i] = value + 1)))
    await Promise.all(calls)
    return { seen }
  },

  async hold({ handle }) {
    await turn(lib.SharedLock.from(handle))
    return { held: true }
  },

  async wait({ handle }) {
    const lock = lib.SharedLock.from(handle)
    const granted = turn(lock)
    post({ requested: true })
    lock.release(await granted)
    return { granted: true }
  },

  script: runScript,

  async environment() {
    return { waitAsync: typeof Atomics.waitAsync, crossOriginIsolated: globalThis.crossOriginIsolated }
  },

  async withoutWaitAsync() {
    delete Atomics.waitAsync
    return { waitAsync: typeof Atomics.waitAsync }
  },

  async idle({ handle, ms }) {
    const lock = lib.SharedLock.from(handle)
    const granted = turn(lock)
    post({ requested: true })
    const { eventLoopUtilization } = performance
    const before = eventLoopUtilization()
    await sleep(ms)
    const utilisation = eventLoopUtilization(before).utilization
    lock.release(await granted)
    return { utilisation }
  },

  async handoff({ handle, turns, words: buffer }) {
    const lock = lib.SharedLock.from(handle)
    const words = new Int32Array(buffer)
    const me = Atomics.add(words, 0, 1) + 1
    Atomics.wait(words, 1, 0)
    // Each turn asks for the next before it ends, so once both workers are
    // in line, every release hands the lock to the other worker.
    let place = await turn(lock)
    for (let i = 1; i <= turns; i++) {
      if (Atomics.exchange(words, 2, me) !== me) Atomics.add(words, 3, 1)
      const next = i < turns ? turn(lock) : undefined
      lock.release(place)
      place = await next
    }
    return {}
  },
}

/**
 * The property test's operations, each started `at` ms after the job starts:
 * a request in `mode` (with `ifAvailable`), held `hold` ms once granted, and
 * cancelled at `cancelAt` ms if that is not -1. `clock` ticks at every event
 * of every thread; `holders` counts exclusive (word 2w) and shared (2w + 1)
 * holders per worker w, so each grant can check that it may run.
 */
async function runScript({ handle, clock: clockBuffer, holders: holdersBuffer, worker, ops }) {
  const lock = lib.SharedLock.from(handle)
  const clock = new Int32Array(clockBuffer)
  const holders = new Int32Array(holdersBuffer)
  const tick = () => Atomics.add(clock, 0, 1)
  const held = () => {
    let exclusive = 0
    let shared = 0
    for (let w = 0; w < holders.length / 2; w++) {
      exclusive += Atomics.load(holders, 2 * w)
      shared += Atomics.load(holders, 2 * w + 1)
    }
    return { exclusive, shared }
  }
  const violations = []
  const run = async ({ at, mode, ifAvailable, hold, cancelAt }) => {
    await sleep(at)
    const record = { mode, requestStart: tick() }
    let cancelled = false
    let granted
    const outcome = new Promise((resolve) => {
      const place = lock.request(mode, ifAvailable, () => {
        if (cancelled) violations.push('granted after cancel returned true')
        record.grantAt = tick()
        const { exclusive, shared } = held()
        if (exclusive > 0 || (mode === 'exclusive' && shared > 0)) violations.push(`${mode} granted with ${exclusive} exclusive and ${shared} shared holders`)
        const slot = 2 * worker + (mode === 'shared' ? 1 : 0)
        Atomics.add(holders, slot, 1)
        sleep(hold).then(() => {
          Atomics.sub(holders, slot, 1)
          record.releaseAt = tick()
          lock.release(place)
          resolve('granted')
        })
      }, (error) => resolve(error.name))
      granted = place
    })
    record.requestEnd = tick()
    if (cancelAt >= 0) {
      sleep(cancelAt).then(() => {
        cancelled = lock.cancel(granted)
        if (cancelled) record.cancelledAt = tick()
      })
    }
    const settled = await Promise.race([outcome, new Promise((resolve) => {
      const check = () => (cancelled ? resolve('cancelled') : record.grantAt === undefined && setTimeout(check, 1))
      if (cancelAt >= 0) setTimeout(check, cancelAt)
    })])
    record.outcome = settled
    return record
  }
  const records = await Promise.all(ops.map(run))
  return { records, violations, pending: lock.pending }
}

for (;;) {
  const message = await next()
  try {
    post(await jobs[message.job](message))
  } catch (error) {
    post({ error: `${error.name}: ${error.message}` })
  }
}
