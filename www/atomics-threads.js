// The upstream README's Atomics example in `threads` threads at once, on one
// shared buffer: with a SharedLock every update counts; with a store per
// thread and no shared lock, threads overwrite each other's updates.
import { spawn } from './threads.js'

/** What each thread adds to index 1 per round of the example: 0 + 1 + … + 15, plus 1. */
export const perRound = 121

/**
 * Runs the example `rounds` times in each of `threads` threads, through a
 * SharedLock made with `SharedLock` or (without it) a store per thread.
 * With `withoutWaitAsync` (for the tests), each thread deletes its
 * Atomics.waitAsync first, so the lock waits through its fallback.
 * Resolves with `{ value, expected, ms }`.
 */
export async function atomicsAcrossThreads({ SharedLock, threads = 8, rounds = 100, withoutWaitAsync = false }) {
  const buffer = new SharedArrayBuffer(16)
  // Each round queues 17 appends at once in each thread: room for all of them.
  const lock = SharedLock && new SharedLock({ capacity: threads * rounds * 17 })
  const workerUrl = new URL('./atomics-worker.js', import.meta.url)
  const workers = await Promise.all(Array.from({ length: threads }, () => spawn(workerUrl)))
  try {
    for (const worker of workers) worker.post({ buffer, handle: lock?.share(), rounds, withoutWaitAsync })
    for (const worker of workers) await worker.next()
    const start = performance.now()
    Atomics.store(new Int32Array(buffer), 2, 1)
    Atomics.notify(new Int32Array(buffer), 2)
    for (const worker of workers) {
      const message = await worker.next()
      if (message.error) throw new Error(message.error)
    }
    return { value: new Int32Array(buffer)[1], expected: threads * rounds * perRound, ms: performance.now() - start }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
