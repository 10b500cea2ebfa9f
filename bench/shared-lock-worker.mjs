// One contending thread of the SharedLock hand-off bench: `turns` exclusive
// turns back to back on a lock shared with the other threads, each turn
// adding 1 to a shared counter. Runs in worker_threads and in Web Workers.
import { loadPackage, parentChannel } from '../www/threads.js'

const { post, next } = await parentChannel()
const { SharedLock } = await loadPackage()

/** How each contender takes one turn of `body`. */
const contenders = {
  async SharedLock({ handle }) {
    const lock = SharedLock.from(handle)
    return (body) =>
      new Promise((resolve, reject) => {
        const place = lock.request('exclusive', false, () => {
          body()
          lock.release(place)
          resolve()
        }, reject)
      })
  },
  async 'navigator.locks'() {
    return (body) => navigator.locks.request('bench', body)
  },
  async 'web-locks'({ name }) {
    const { createRequire } = await import('node:module')
    const { locks } = createRequire(import.meta.url)('web-locks')
    return (body) => locks.request(name, async () => body())
  },
}

const { contender, turns, shared, fallback } = await next()
// As in Firefox ESR 140, which has no Atomics.waitAsync: the lock falls back to its watcher worker.
if (fallback) delete Atomics.waitAsync
const words = new Int32Array(shared)
const turn = await contenders[contender](await next())
Atomics.add(words, 0, 1) // ready
while (Atomics.load(words, 1) === 0) await new Promise((resolve) => setTimeout(resolve, 0))
for (let i = 0; i < turns; i++) await turn(() => Atomics.add(words, 2, 1))
post({ done: true })
