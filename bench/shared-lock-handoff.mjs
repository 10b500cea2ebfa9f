// The hand-off bench's driver, the same in Node and in a page: `threads`
// workers each take `turns` exclusive turns on one lock; resolves with the
// turns per second of all threads together. `setUp(worker)` and
// `beforeStart()` let a contender wire itself up (web-locks relays its
// messages through the main thread).
import { spawn } from '../www/threads.js'

export async function handoffThroughput({ contender, threads, turns, fallback = false, lockFor, setUp = () => {}, beforeStart = async () => {} }) {
  const shared = new SharedArrayBuffer(12)
  const words = new Int32Array(shared)
  const workers = await Promise.all(Array.from({ length: threads }, () => spawn(new URL('./shared-lock-worker.mjs', import.meta.url))))
  try {
    for (const { worker } of workers) setUp(worker)
    for (const worker of workers) worker.post({ contender, turns, shared, fallback })
    for (const worker of workers) worker.post(lockFor?.() ?? {})
    while (Atomics.load(words, 0) < threads) await new Promise((resolve) => setTimeout(resolve, 1))
    await beforeStart()
    const start = performance.now()
    Atomics.store(words, 1, 1)
    for (const worker of workers) {
      // web-locks talks through the same channel: skip its messages.
      for (let message = await worker.next(); !message.done; message = await worker.next()) {
        if (message.error) throw new Error(`${contender}: ${message.error}`)
      }
    }
    const seconds = (performance.now() - start) / 1000
    if (Atomics.load(words, 2) !== threads * turns) throw new Error(`${contender}: ${Atomics.load(words, 2)} turns counted`)
    return (threads * turns) / seconds
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
