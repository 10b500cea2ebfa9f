// No leaks: stores and operations leave nothing behind. Each measurement runs
// in a child `node --expose-gc` (js-tests/support/memory-probe.mjs), outside
// the test runner, whose async tracking would slow millions of promises.
// js-tests/reclaim.test.mjs already shows that dropped stores give their wasm
// memory back; these tests cover the JS heap, wasm-bindgen's externref table
// (which queued calls must never use: its slots are GC roots), long queues and
// single operations' values.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const probePath = fileURLToPath(new URL('../support/memory-probe.mjs', import.meta.url))
const MB = 1024 * 1024

/** Runs one probe scenario and returns its JSON report. */
async function probe(scenario, count) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', probePath, scenario, String(count)], {
    maxBuffer: MB,
  })
  return JSON.parse(stdout)
}

test('200,000 stores created, used and dropped: all reclaimed, JS heap flat, table and wasm memory bounded', async (t) => {
  const report = await probe('stores', 200_000)
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.reclaimed, report.created, 'every store was garbage-collected')
  assert.ok(report.end.heapUsed - report.warm.heapUsed < 2 * MB, 'the JS heap does not grow with the number of stores')
  assert.equal(report.end.tableSlots, report.warm.tableSlots, 'no externref table growth')
  // Never freed, the 180,000 stores made after warming up would take 46 MB of
  // wasm memory (259 bytes each, measured). Freed, what is held at most is
  // the stores that died between two collections: V8 does not count wasm
  // memory when it decides to collect, and a store leaves little JS garbage,
  // so that is 8 to 14 MB here depending on when V8 collects.
  assert.ok(report.end.wasmMemory - report.warm.wasmMemory < 24 * MB, 'the wasm memory levels off')
})

test('2,000,000 operations on one store: exact result, JS heap, wasm memory and table flat', async (t) => {
  const report = await probe('operations', 2_000_000)
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.counter, report.appends, 'no lost update')
  assert.ok(report.end.heapUsed - report.warm.heapUsed < MB, 'the JS heap is flat')
  assert.equal(report.end.wasmMemory, report.warm.wasmMemory, 'the wasm memory is flat')
  assert.equal(report.end.tableSlots, report.warm.tableSlots, 'the externref table is flat')
})

test('1,000,000 queued operations complete in order with exact results, take no externref table slots, and leave nothing parked', async (t) => {
  const report = await probe('queue', 1_000_000)
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.final, 2 * report.queued)
  const [first, second] = report.rounds
  for (const round of report.rounds) {
    assert.equal(round.queuedSlots, round.idleSlots, 'queued calls take no externref table slots (the wasm queue holds plain numbers)')
  }
  // Parked at a million slots, the calls took a 32 MB array; an idle store lets it go.
  assert.ok(first.after.heapUsed - report.before.heapUsed < MB, 'the idle store holds no more JS heap than before the queue')
  assert.equal(second.after.wasmMemory, first.after.wasmMemory, 'and the same wasm memory')
  assert.ok(second.after.heapUsed - first.after.heapUsed < MB, 'and no more JS heap')
})

test("an operation's key, value, callback and promise are all collectable once it settles, while the store lives", async (t) => {
  const report = await probe('perOperation', 10_000)
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.storeAlive, true)
  assert.equal(report.reclaimed, report.tracked, 'nothing per operation outlives its operation')
})

test('a store stuck on a callback that never settles is reclaimed with its queued calls once dropped', async (t) => {
  // The upstream package, pure JS, frees such a store; ours must too.
  const report = await probe('stuck', 1_000)
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.reclaimed, report.stores, `${report.reclaimed} of ${report.stores} stuck stores reclaimed`)
  const [first, second] = report.rounds
  assert.equal(second.tableSlots, first.tableSlots, 'the second thousand reuses the table slots of the first')
  assert.equal(second.wasmMemory, first.wasmMemory, 'and its wasm memory')
  assert.ok(second.heapUsed - first.heapUsed < MB, 'and no more JS heap')
})

test('a waiting call costs at most 8 bytes of wasm memory, even as the queue grows to a million', async (t) => {
  const report = await probe('waiting', 1_000_000)
  t.diagnostic(JSON.stringify(report))
  assert.ok(report.perCall <= 8.1, `${report.perCall} bytes per waiting call`)
})
