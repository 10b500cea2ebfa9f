// `npm run soak`: the long runs, too slow for `npm test`. Each scenario runs
// in its own `node --expose-gc` (js-tests/support/memory-probe.mjs, which
// checks every result exactly and fails on the first wrong one) and this
// script prints what it measured: time, JS heap, wasm memory, table slots.
// Needs a built pkg/ (`npm run build`).

import { execFileSync } from 'node:child_process'
import { root, step } from './setup.mjs'

const scenarios = [
  ['operations', 10_000_000, 'mixed operations on one store (queued in batches of 10,000, and awaited one by one)'],
  ['queue', 2_000_000, 'appends queued at once on one store, drained, twice'],
  ['stores', 1_000_000, 'stores created, used and dropped'],
  ['stuck', 10_000, 'stores stuck on a never-settling callback with 10 calls queued, dropped, twice'],
]

const MB = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const memory = ({ heapUsed, wasmMemory, tableSlots }) =>
  `heap ${MB(heapUsed)}, wasm ${MB(wasmMemory)}, table ${tableSlots} slots`

for (const [scenario, count, what] of scenarios) {
  step(`${count.toLocaleString('en')} ${what}`)
  const started = performance.now()
  const report = JSON.parse(execFileSync(process.execPath, ['--expose-gc', 'js-tests/support/memory-probe.mjs', scenario, String(count)], {
    cwd: root,
    encoding: 'utf8',
  }))
  const seconds = (performance.now() - started) / 1000
  console.log(`  finished in ${seconds.toFixed(1)} s`)
  switch (scenario) {
    case 'operations':
      console.log(`  ${(report.operations / report.seconds / 1e6).toFixed(2)} M operations/s; counter ${report.counter} after ${report.appends} appends`)
      console.log(`  after warm-up: ${memory(report.warm)}\n  at the end:    ${memory(report.end)}`)
      break
    case 'queue':
      report.rounds.forEach((round, i) => {
        console.log(`  round ${i + 1}: ${round.seconds.toFixed(2)} s (${(round.seconds / report.queued * 1e6).toFixed(2)} µs per call), ${memory(round.after)}`)
      })
      console.log(`  final value ${report.final}`)
      break
    case 'stores':
      console.log(`  ${report.reclaimed} of ${report.created} stores reclaimed`)
      console.log(`  after warm-up: ${memory(report.warm)}\n  at the end:    ${memory(report.end)}`)
      break
    case 'stuck':
      console.log(`  ${report.reclaimed} of ${report.stores} stuck stores reclaimed`)
      report.rounds.forEach((round, i) => console.log(`  after round ${i + 1}: ${memory(round)}`))
      break
  }
}
step('Soak finished: every result exact')
