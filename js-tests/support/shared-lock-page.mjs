// The SharedLock scenarios the browser tests run in a page (Chromium through
// playwright-core, Firefox ESR through puppeteer-core): each is run with
// `page.evaluate(scenario, options)`, which both tools accept, and so is
// serialized to its source: it may use only its argument and the page's
// globals that `setUpPage` makes (`lib`, `threads`, `participantUrl`,
// `spawnParticipants`), never this module's bindings. With `fallback`, a
// scenario's workers delete their Atomics.waitAsync first, so the SharedLock
// waits through its fallback as in an engine without it (Firefox before 145). The page is js-tests/browser/shared-lock.html
// served with `mounts`.
import { join } from 'node:path'
import { root } from '../../scripts/setup.mjs'

/** What startServer must serve for the page and its workers. */
export const mounts = { '/pkg': join(root, 'pkg'), '/js-tests': join(root, 'js-tests'), '/www': join(root, 'www') }
export const pagePath = 'js-tests/browser/shared-lock.html'

/** Loads the package and the thread helpers into the page's globals. */
export async function setUpPage() {
  window.lib = await import('/pkg/web.js')
  window.threads = await import('/www/threads.js')
  window.participantUrl = '/js-tests/support/lock-participant.mjs'
  /** `count` lock-participant.mjs workers; with `fallback`, without Atomics.waitAsync (checked). */
  window.spawnParticipants = async (count, fallback) => {
    const workers = await Promise.all(Array.from({ length: count }, () => threads.spawn(participantUrl)))
    if (fallback) {
      for (const worker of workers) worker.post({ job: 'withoutWaitAsync' })
      for (const worker of workers) {
        const { waitAsync, error } = await worker.next()
        if (waitAsync !== 'undefined') throw new Error(`Atomics.waitAsync still there: ${error ?? waitAsync}`)
      }
    }
    return workers
  }
}

/** `typeof Atomics.waitAsync` and `crossOriginIsolated` in the page and in a worker. */
export async function environment() {
  const worker = await threads.spawn(participantUrl)
  try {
    worker.post({ job: 'environment' })
    return { page: { waitAsync: typeof Atomics.waitAsync, crossOriginIsolated }, worker: await worker.next() }
  } finally {
    worker.terminate()
  }
}

/** The upstream's Atomics example in `threads` workers: `locked` with a SharedLock, `unlocked` with a store per worker. */
export async function atomicsExample({ threads: count, lockedRounds, unlockedRounds, fallback = false }) {
  const { atomicsAcrossThreads } = await import('/www/atomics-threads.js')
  return {
    locked: await atomicsAcrossThreads({ SharedLock: lib.SharedLock, threads: count, rounds: lockedRounds, withoutWaitAsync: fallback }),
    unlocked: await atomicsAcrossThreads({ threads: count, rounds: unlockedRounds }),
  }
}

/**
 * `workers` workers each append + 1 `appends` times to one counter through
 * stores on one SharedLock. Resolves with the count, whether each value 1..total
 * was seen exactly once, and the lock's state after.
 */
export async function linearizableCount({ workers: count, appends, fallback }) {
  const lock = new lib.SharedLock({ capacity: 2 ** Math.ceil(Math.log2(count * appends + 1)) })
  const buffer = new SharedArrayBuffer(4)
  const workers = await spawnParticipants(count, fallback)
  try {
    const start = performance.now()
    for (const worker of workers) worker.post({ job: 'count', handle: lock.share(), buffer, appends })
    const seen = new Uint8Array(count * appends + 1)
    for (const worker of workers) {
      const result = await worker.next()
      if (result.error) throw new Error(result.error)
      for (const value of result.seen) seen[value]++
    }
    return {
      count: new Int32Array(buffer)[0],
      eachOnce: seen.slice(1).every((times) => times === 1),
      pending: lock.pending,
      locked: lock.locked,
      ms: performance.now() - start,
    }
  } finally {
    for (const worker of workers) worker.terminate()
  }
}

/**
 * A worker holds the lock, a second waits, a third waits behind them; the
 * first two are terminated. Resolves with the line before, whether the lock
 * stays held without `abandon`, what `abandon` freed, and the third's grant.
 */
export async function terminatedHolderAndWaiter({ fallback = false } = {}) {
  const lock = new lib.SharedLock()
  const [holder, doomed, waiter] = await spawnParticipants(3, fallback)
  const handles = [lock.share(), lock.share(), lock.share()]
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
  holder.post({ job: 'hold', handle: handles[0] })
  await holder.next()
  doomed.post({ job: 'wait', handle: handles[1] })
  await doomed.next()
  waiter.post({ job: 'wait', handle: handles[2] })
  await waiter.next()
  const pendingBefore = lock.pending
  doomed.terminate()
  holder.terminate()
  await sleep(50)
  const lockedWithoutAbandon = lock.locked
  const freed = [lock.abandon(handles[1]), lock.abandon(handles[0])]
  const granted = await waiter.next()
  waiter.terminate()
  return { pendingBefore, lockedWithoutAbandon, freed, granted, pending: lock.pending, locked: lock.locked }
}

/**
 * Two workers take `turns` exclusive turns each on one SharedLock, each
 * asking for its next turn before it ends this one, so the lock passes from
 * one to the other at every turn. Resolves with the hand-offs counted (a turn
 * after one of the other worker's) and the µs per hand-off.
 */
export async function handoff({ turns, fallback }) {
  const lock = new lib.SharedLock()
  // Words: workers ready, start, the last holder, hand-offs.
  const words = new Int32Array(new SharedArrayBuffer(16))
  const workers = await spawnParticipants(2, fallback)
  try {
    for (const worker of workers) worker.post({ job: 'handoff', handle: lock.share(), turns, words: words.buffer })
    while (Atomics.load(words, 0) < 2) await new Promise((resolve) => setTimeout(resolve, 1))
    const start = performance.now()
    Atomics.store(words, 1, 1)
    Atomics.notify(words, 1)
    const results = await Promise.all(workers.map((worker) => worker.next()))
    const ms = performance.now() - start
    for (const result of results) if (result.error) throw new Error(result.error)
    const handoffs = Atomics.load(words, 3) - 1
    return { handoffs, us: (ms * 1000) / handoffs }
  } finally {
    for (const worker of workers) worker.terminate()
  }
}

/**
 * Plays one script of the property test (support/lock-script.mjs) across
 * participant workers kept in a pool, replacing those it terminated; `done`
 * ends the pool's workers instead.
 */
export async function lockScriptRun({ script, fallback = false, done = false }) {
  window.pool ??= []
  if (done) return void pool.splice(0).forEach((worker) => worker.terminate())
  window.lockScript ??= await import('/js-tests/support/lock-script.mjs')
  while (pool.length < script.workers.length) pool.push(...(await spawnParticipants(1, fallback)))
  const run = await lockScript.runScript({ SharedLock: lib.SharedLock, script, threads: pool })
  for (const index of run.terminated) [pool[index]] = await spawnParticipants(1, fallback)
  return run
}

/** `new SharedLock()`'s error on a page that is not cross-origin isolated, as `name: message`. */
export async function notIsolatedError() {
  const { SharedLock } = await import('/pkg/web.js')
  try {
    new SharedLock()
    return 'no error'
  } catch (error) {
    return `${error.name}: ${error.message}`
  }
}

/** What notIsolatedError must match. */
export const notIsolatedMessage = /^Error: new SharedLock\(\): SharedArrayBuffer is not available.*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/
