// Stores that go out of scope are reclaimed with no `.free()` call: the wasm
// side of each store is freed when the JS side is garbage-collected.
//
// The store is wired to its own instance of the core (support/own-core.mjs)
// so that the test can watch that instance's linear memory.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AsyncAtomicStore, collect, wasm } from '../support/own-core.mjs'

test('200,000 stores created, used and dropped leave the wasm memory bounded', async () => {
  const options = { data: () => 0, read: () => 1, write: () => {} }
  const rounds = 20
  const perRound = 10_000
  let before
  for (let round = 0; round < rounds; round++) {
    let stores = []
    for (let i = 0; i < perRound; i++) {
      const store = AsyncAtomicStore(options)
      store.write(i, i)
      store.append(i, (v) => v + 1) // queued behind the write: the lock holds a waiter
      stores.push(store)
    }
    await Promise.all(stores.map((store) => store.read(0)))
    stores = undefined
    await collect()
    if (round === 1) before = wasm.memory.buffer.byteLength
  }
  const after = wasm.memory.buffer.byteLength
  // Unreclaimed, every store would keep its lock (dozens of bytes of wasm
  // heap) for good: 200,000 of them would grow the memory by megabytes.
  assert.ok(after - before <= 256 * 1024, `wasm memory grew from ${before} to ${after} bytes`)
})
