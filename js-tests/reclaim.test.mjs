// Stores that go out of scope are reclaimed with no `.free()` call: the wasm
// side of each store is freed when the JS side is garbage-collected.
//
// This test wires pkg/'s store.js to its own instance of the core, exactly as
// the Node entry does, so that it can watch that instance's linear memory.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { initSync } from '../pkg/core.js'
import { coreBase64 } from '../pkg/core-bytes.js'
import { AsyncAtomicStore, coreLoaded } from '../pkg/store.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')

const wasm = initSync({ module: Buffer.from(coreBase64, 'base64') })
coreLoaded()

async function collect() {
  for (let i = 0; i < 4; i++) {
    gc()
    // FinalizationRegistry callbacks run on later turns of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

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
