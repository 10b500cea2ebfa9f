// One thread of the Atomics example across threads: the upstream README's
// Atomics example (sixteen appends of + i and one of + 1 at index 1 of a
// shared buffer), `rounds` times, through a store of this thread's own; with
// a SharedLock handle, the store's calls queue on that lock.
import { loadPackage, parentChannel } from './threads.js'

const { post, next } = await parentChannel()
const lib = await loadPackage()

{
  const { buffer, handle, rounds, withoutWaitAsync } = await next()
  // For the tests: the SharedLock's fallback, as in an engine without Atomics.waitAsync.
  if (withoutWaitAsync) delete Atomics.waitAsync
  // An Int32Array rather than the example's Uint8Array: 8 threads × 121 is more than a byte holds.
  const counter = new Int32Array(buffer)
  const options = {
    read: async (index) => Atomics.load(counter, index),
    write: async (index, value) => Atomics.store(counter, index, value),
    data: async () => counter,
  }
  const store = lib.AsyncAtomicStore(handle ? { ...options, lock: lib.SharedLock.from(handle) } : options)
  post({ ready: true })
  // Every thread blocks here until the page says go, so they start together.
  Atomics.wait(counter, 2, 0)
  let last
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 16; i++) store.append(1, (currentValue) => currentValue + i)
    last = store.append(1, (currentValue) => currentValue + 1)
  }
  await last
  post({ done: true })
}
