// `node bench/gc-probe.mjs [--pkg DIR]... [--reps N]`: why a full GC costs our store more
// than it costs the upstream 1.2.2 (issue 18, "The speed lead depends on the
// garbage collector"). Each case runs in a fresh `node --expose-gc
// --allow-natives-syntax --trace-opt --trace-deopt`: it warms a contender up
// on 20 stores, then makes the timed store, and runs 20,000 sequential
// appends on it, after one of:
//
//   no gc       nothing (the reference)
//   gc          a full gc(), every earlier store dead
//   gc, keeper  a full gc(), one warmed-up store kept alive through it
//   gc, keeper called   the same, and the keeper called once after the
//                       warm-up, so that its closures hold the optimized code
//
// and prints the time per append (the median of N processes, default 5), V8's optimization status of the timed
// store's `append` closure before its first call and after the run, and what
// V8 traced after the GC: functions of the package optimized again, code
// thrown away because an object it embedded died ("weak objects"), and
// deoptimizations, by function and reason.

import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { root } from '../scripts/setup.mjs'
import { KEY, increment, mapCallbacks, median } from './workloads.mjs'

const APPENDS = 20_000
const MARK = '--- gc-probe: timed part ---'
const CASES = ['no gc', 'gc', 'gc, keeper', 'gc, keeper called']

const args = process.argv.slice(2)
const at = (flag) => args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1]] : []))

/** V8's `%GetOptimizationStatus` bits that tell which tier a function runs in (src/runtime/runtime-test.cc). */
const TIERS = [
  [1 << 6, 'TurboFan'],
  [1 << 5, 'Maglev'],
  [1 << 15, 'Sparkplug'],
  [1 << 18, 'not compiled yet'],
  [1 << 7, 'interpreted'],
]
const tierOf = (status) => TIERS.find(([bit]) => status & bit)?.[1] ?? `status ${status}`

async function caseChild(contender, which) {
  const status = new Function('f', 'return %GetOptimizationStatus(f)')
  const make =
    contender === 'upstream'
      ? createRequire(import.meta.url)('async-atomic-store-upstream').AsyncAtomicStore
      : (await import(pathToFileURL(`${contender}/node.mjs`).href)).AsyncAtomicStore
  const newAppend = () => {
    const { map, callbacks } = mapCallbacks('async')
    return { map, append: make(callbacks).append }
  }
  const sequential = async (append, n) => {
    for (let i = 0; i < n; i++) await append(KEY, increment)
  }
  for (let i = 0; i < 20; i++) await sequential(newAppend().append, 5_000)
  const keeper = which.includes('keeper') ? newAppend() : undefined
  if (keeper) await sequential(keeper.append, 5_000)
  for (let i = 0; i < 5; i++) await sequential(newAppend().append, 5_000)
  if (which === 'gc, keeper called') await keeper.append(KEY, increment)
  console.log(MARK)
  if (which !== 'no gc') globalThis.gc()
  const timed = newAppend()
  const before = tierOf(status(timed.append))
  const start = performance.now()
  await sequential(timed.append, APPENDS)
  const ns = ((performance.now() - start) * 1e6) / APPENDS
  if (timed.map.get(KEY) !== APPENDS) throw new Error('lost updates')
  console.log(JSON.stringify({ ns, before, after: tierOf(status(timed.append)), keeper: keeper?.map.get(KEY) }))
}

/** What V8 traced after the mark: re-optimizations of the package's functions, code dropped for weak objects, deoptimizations. */
function summarize(trace, file) {
  const after = trace.slice(trace.indexOf(MARK))
  const count = (pattern) => {
    const counts = {}
    for (const match of after.matchAll(pattern)) counts[match[1]] = (counts[match[1]] ?? 0) + 1
    return Object.entries(counts)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ')
  }
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return {
    reoptimized: count(new RegExp(`completed optimizing 0x[0-9a-f]+ <JSFunction (\\S+) <[^>]*${escaped}`, 'g')),
    weak: count(/marking dependent code .*?<SharedFunctionInfo (\S*)>\) \(opt id \d+\) for deoptimization, reason: weak objects/g),
    deopts: count(/bailout \(kind: [^,]+, reason: ([^)]+)\): begin\. deoptimizing 0x[0-9a-f]+ <JSFunction (\S+)/g),
  }
}

/** Runs one case in a fresh traced process; returns its timing and statuses, and its trace. */
function runCase(contender, which) {
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', '--allow-natives-syntax', '--trace-opt', '--trace-deopt', '--trace-file-names', fileURLToPath(import.meta.url), '--child', contender, '--case', which],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  )
  if (run.status !== 0) throw new Error(`${contender}, ${which}: exited with ${run.status}\n${run.stderr}`)
  return { ...JSON.parse(run.stdout.trim().split('\n').findLast((line) => line.startsWith('{'))), stdout: run.stdout }
}

function parent() {
  const contenders = [...(at('--pkg').length ? at('--pkg') : ['pkg']).map((dir) => path.resolve(root, dir)), 'upstream']
  const reps = Number(at('--reps')[0] ?? 5)
  const runs = new Map(contenders.flatMap((contender) => CASES.map((which) => [`${contender}|${which}`, []])))
  // Interleaved: each repetition runs every case of every contender once.
  for (let rep = 0; rep < reps; rep++) {
    for (const contender of contenders) for (const which of CASES) runs.get(`${contender}|${which}`).push(runCase(contender, which))
  }
  for (const contender of contenders) {
    const name = contender === 'upstream' ? 'upstream 1.2.2' : path.relative(root, contender) || '.'
    const file = contender === 'upstream' ? 'async-atomic-store-upstream/lib/index.js' : `${contender}/node.cjs`
    for (const which of CASES) {
      const results = runs.get(`${contender}|${which}`)
      const ns = median(results.map((run) => run.ns))
      const result = results.find((run) => run.ns === ns) ?? results[0]
      const seen = summarize(result.stdout, file)
      console.log(
        `${name}, ${which}: ${Math.round(ns)} ns per append (median of ${reps} processes; the rest from that median's process); ` +
          `the new store's append ${result.before} before its first call, ` +
          `${result.after} after the run\n  optimized again: ${seen.reoptimized || 'nothing'}\n` +
          `  code dropped, an embedded object died (weak objects): ${seen.weak || 'none'}\n  deoptimized (reason function): ${seen.deopts || 'none'}`,
      )
    }
  }
}

if (args.includes('--child')) await caseChild(at('--child')[0], at('--case')[0])
else parent()
