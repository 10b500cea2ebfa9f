// Per-key locking leaves nothing behind: a key's id, and its line in the
// core, are freed once no call uses the key, so a store that sees a million
// different keys over its life holds only the keys in use at once.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AsyncAtomicStore, wasm } from '../support/own-core.mjs'

test('100,000 different keys, 100 in use at a time: ids stay below 100, no key is kept, and wasm memory stays flat', async () => {
  const store = AsyncAtomicStore({ perKey: true, data: () => null, read: () => 0, write: () => {} })
  const state = store[Object.getOwnPropertySymbols(store).find((symbol) => symbol.description === 'AsyncAtomicStore state')]
  const memory = []
  for (let round = 0; round < 4; round++) {
    for (let batch = 0; batch < 250; batch++) {
      const keys = Array.from({ length: 100 }, () => ({})) // objects: a kept key would keep its object
      await Promise.all(keys.map((key, i) => (i % 10 === 0 ? store.lock((source, tx) => tx.read(key), { keys: [key, keys[i + 1]] }) : store.append(key, (n) => n + 1))))
    }
    memory.push(wasm.memory.buffer.byteLength)
    assert.equal(state.idOf.size, 0, 'no key is kept')
    assert.ok(state.keyOf.length <= 100, `ids stay below the keys in use at once (${state.keyOf.length})`)
    assert.ok(state.keyOf.every((key) => key === undefined))
  }
  assert.equal(memory.at(-1), memory[1], `the wasm memory is flat after the first round: ${memory}`)
  assert.equal(store.pending, 0)
  assert.equal(store.locked, false)
})
