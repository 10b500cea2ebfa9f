// `npm run bench:aims`: issue 18's figures in one run, for one build of the
// package or for several side by side (a before-build and an after-build):
//
// - speed, async callbacks, against the upstream 1.2.2 and async-mutex:
//   100,000 sequential appends and 100 runs of 1,000 queued, once with no
//   forced GC and once with a full `gc()` before each run (each store's run);
// - 100,000 queued calls sharing one AbortSignal against 100,000 with no
//   options and 100,000 each with its own signal (beside the engine's own
//   cost of a signal and its listener), and whether Node warns
//   MaxListenersExceededWarning;
// - the JS heap still held per call once 100,000 waiting calls have been
//   aborted while the lock is held;
// - a call with a timeout above 2^31 - 1 ms: how often its timer fires in the
//   first 250 ms (its deadline is 50 days away: it should not fire at all),
//   and whether Node warns TimeoutOverflowWarning.
//
//   --pkg DIR     a built package to measure (default pkg/); repeat it to
//                 compare builds: every workload runs them interleaved
//   --reps N      repetitions per measure (default 7; medians are shown)
//   --full        measure shared signals at 100,000 calls even where a
//                 quadratic build would take minutes (default: fewer calls)
//   --write       rewrite the aims section of BENCHMARKS.md
//   --node PATH   the Node that runs the measures (default: this one), e.g.
//                 Node 24 from ensureNodeReleases: Node 20's AbortSignals
//                 share no hidden class, so every touch of one is slow there
//
// Each part runs in a child `node --expose-gc` (this file with --child), the
// GC modes in separate children so that one mode's collections do not leave
// the other's code cold, and the signal measures in children of one build
// each. The upstream and async-mutex take no per-call options, so only the
// speed part has them.

import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { root, step } from '../scripts/setup.mjs'
import { rewriteSection } from './markdown.mjs'
import { KEY, appendBody, increment, mapCallbacks, median, queued } from './workloads.mjs'

const SEQUENTIAL = 100_000
const DEPTH = 1_000
const DEPTH_RUNS = 100
const SIGNAL_CALLS = 100_000
/** A shared-signal run projected to take longer than this runs with fewer calls (without --full). */
const SIGNAL_BUDGET_MS = 8_000
const ABORTED_CALLS = 100_000
/** About 50 days: past `setTimeout`'s range (2^31 - 1 ms) even after the first timer's wait. */
const OVERFLOW_TIMEOUT = 2 ** 32
const OVERFLOW_WINDOW_MS = 250

const args = process.argv.slice(2)
const valuesOf = (flag) => args.flatMap((arg, i) => (arg === flag && args[i + 1] !== undefined ? [args[i + 1]] : []))
const option = (flag, fallback) => valuesOf(flag).at(-1) ?? fallback
/** The Node that runs each part. */
const node = option('--node', process.execPath)

// ---------------------------------------------------------------- the parent

async function runParent() {
  const dirs = (valuesOf('--pkg').length ? valuesOf('--pkg') : ['pkg']).map((dir) => path.resolve(root, dir))
  if (dirs.length === 1 && dirs[0] === path.resolve(root, 'pkg') && !existsSync(`${dirs[0]}/node.mjs`)) {
    const { build } = await import('../scripts/build.mjs')
    await build()
  }
  for (const dir of dirs) {
    if (!existsSync(`${dir}/node.mjs`)) throw new Error(`--pkg ${dir}: no node.mjs there (build the package first)`)
  }
  const names = packageNames(dirs)
  const reps = Number(option('--reps', 7))
  const shared = ['--reps', String(reps), ...dirs.flatMap((dir, i) => ['--pkg', dir, '--name', names[i]])]
  const machine =
    `${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the start; ` +
    `Node ${execFileSync(node, ['-p', 'process.version + " (V8 " + process.versions.v8 + ")"'], { encoding: 'utf8' }).trim()}`

  step(`Issue 18's aims: ${names.map((name, i) => `${name} = ${path.relative(root, dirs[i]) || '.'}`).join(', ')}; ${machine}`)
  const speed = {}
  for (const mode of ['none', 'gc']) {
    console.log(`  speed, ${mode === 'gc' ? 'a full gc() before each run' : 'no forced GC'}`)
    speed[mode] = (await child(['--child', 'speed', '--mode', mode, ...shared])).result
  }
  console.log('  aborted calls and long timeouts')
  const options = await child(['--child', 'options', ...shared])
  reportWarnings(options.stderr)
  const signals = await signalsByBuild(dirs, names, reps)
  const report = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; ` +
      `${names.map((name, i) => `${name} = \`${path.relative(root, dirs[i]) || '.'}\``).join(', ')}. ` +
      `Medians of ${reps} interleaved repetitions; the ratios matter more than the nanoseconds.`,
    speedTable(speed, names),
    signalTable(signals, names),
    heldTable(options.result, names),
  ].join('\n\n')
  console.log(`\n${report}\n`)
  if (args.includes('--write')) {
    rewriteSection(`${root}/BENCHMARKS.md`, '<!-- aims: written by npm run bench:aims -- --write -->', '<!-- end of aims -->', report)
    console.log('  BENCHMARKS.md aims section written')
  }
}

function reportWarnings(stderr) {
  const printed = [...stderr.matchAll(/\b(\w+Warning):/g)].map((match) => match[1])
  const counts = [...new Set(printed)].map((name) => `${name} ${printed.filter((other) => other === name).length}×`)
  console.log(`  warnings Node printed in that child: ${counts.join(', ') || 'none'}`)
}

/**
 * The signal measures, each build in children of its own: builds sharing a
 * process change each other's figures (three builds in one process ran own
 * signals at 1.3 µs a call, each alone at 2.9, Node 24), as a user runs one.
 * Two rounds, the builds alternating, each round half the repetitions.
 */
async function signalsByBuild(dirs, names, reps) {
  const samples = {}
  const full = args.includes('--full') ? ['--full'] : []
  for (const round of [1, 2]) {
    for (const [i, dir] of dirs.entries()) {
      const name = names[i]
      console.log(`  signals: ${name}, round ${round} of 2`)
      const run = await child(['--child', 'signals', '--reps', String(Math.ceil(reps / 2)), '--pkg', dir, '--name', name, ...full])
      reportWarnings(run.stderr)
      const result = run.result
      if (samples[name] === undefined) samples[name] = result
      else for (const key of [...SIGNAL_WORKLOADS, 'warnings']) samples[name][key].push(...result[key])
    }
  }
  for (const result of Object.values(samples)) {
    result.ownBeyond = result.own.map((own, rep) => own - result.beside[rep])
    result.spread = quartiles(result.ownBeyond)
    for (const key of [...SIGNAL_WORKLOADS, 'ownBeyond']) result[key] = median(result[key])
  }
  return samples
}

/** The first and third quartiles of some numbers. */
function quartiles(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return [at(0.25), at(0.75)]
}

/** Short names for the builds: `ours` alone, else each folder's name (its path where names clash). */
function packageNames(dirs) {
  if (dirs.length === 1) return ['ours']
  const bases = dirs.map((dir) => path.basename(dir))
  return bases.every((base, i) => bases.indexOf(base) === i) ? bases : dirs.map((dir) => path.relative(root, dir) || '.')
}

/**
 * Runs this file as a child `node --expose-gc`, echoing its progress, and
 * resolves with its result (its last stdout line, JSON) and what it printed
 * on stderr, Node's warnings included.
 */
function child(childArgs) {
  return new Promise((resolve, reject) => {
    const proc = spawn(node, ['--expose-gc', fileURLToPath(import.meta.url), ...childArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let echoed = 0
    proc.stdout.on('data', (chunk) => {
      out += chunk
      const end = out.lastIndexOf('\n') + 1
      for (const line of out.slice(echoed, end).split('\n')) if (line && !line.startsWith('{')) console.log(`    ${line}`)
      echoed = Math.max(echoed, end)
    })
    proc.stderr.on('data', (chunk) => (err += chunk))
    proc.on('error', reject)
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`child ${childArgs.join(' ')} exited with ${code}:\n${err}`))
      resolve({ result: JSON.parse(out.trim().split('\n').at(-1)), stderr: err })
    })
  })
}

const ns = (value) => `${Math.round(value).toLocaleString('en-US')} ns`
const us = (value) => `${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')} µs`
const times = (value) => `${value.toFixed(2)}×`

function speedTable(speed, names) {
  const rows = ['| append, async callbacks | GC | ' + [...names, 'upstream 1.2.2', 'async-mutex'].join(' | ') + ' |']
  rows.push(`| --- | --- |${' ---: |'.repeat(names.length + 2)}`)
  for (const workload of ['sequential', `${DEPTH.toLocaleString('en-US')} queued`]) {
    for (const mode of ['none', 'gc']) {
      const byName = speed[mode][workload]
      const upstream = byName.upstream
      const cells = [...names, 'upstream', 'async-mutex'].map((name) =>
        name === 'upstream' ? ns(upstream) : `${ns(byName[name])} (${times(byName[name] / upstream)})`,
      )
      rows.push(`| ${workload} | ${mode === 'gc' ? 'full `gc()` before each run' : 'none forced'} | ${cells.join(' | ')} |`)
    }
  }
  return (
    `**Speed** (time per append; in brackets, the ratio to the upstream; aims: sequential at most 0.85×, ` +
    `${DEPTH.toLocaleString('en-US')} queued at most 0.7×, in both GC modes). Sequential is ${SEQUENTIAL.toLocaleString('en-US')} ` +
    `appends on one store; ${DEPTH.toLocaleString('en-US')} queued is ${DEPTH_RUNS} runs, each on a fresh store. ` +
    `With GC, a full \`gc()\` precedes every store's run.\n\n${rows.join('\n')}`
  )
}

function signalTable(signals, names) {
  const rows = [
    '| 100,000 queued appends | ' + names.join(' | ') + ' |',
    `| --- |${' ---: |'.repeat(names.length)}`,
    `| no options | ${names.map((name) => us(signals[name].none)).join(' | ')} |`,
    `| one shared \`AbortSignal\` | ${names
      .map((name) => {
        const s = signals[name]
        const calls = s.sharedCalls === SIGNAL_CALLS ? '' : `, at ${s.sharedCalls.toLocaleString('en-US')} calls`
        return `${us(s.shared)} (${times(s.shared / s.none)}${calls})`
      })
      .join(' | ')} |`,
    `| MaxListenersExceededWarning printed | ${names.map((name) => (signals[name].warnings.length ? 'yes' : 'no')).join(' | ')} |`,
    `| each its own \`AbortSignal\` | ${names.map((name) => us(signals[name].own)).join(' | ')} |`,
    `| the engine alone: 100,000 \`new AbortController()\` each given a listener, all kept, then the listeners removed | ${names
      .map((name) => us(signals[name].engine))
      .join(' | ')} |`,
    `| own signal's cost beyond no options and the engine alone | ${names
      .map((name) => us(signals[name].own - signals[name].none - signals[name].engine))
      .join(' | ')} |`,
    `| no options, each call beside the engine's work for a signal of its own (a listener added when the call is made, removed at its turn) | ${names
      .map((name) => us(signals[name].beside))
      .join(' | ')} |`,
    `| own signal's cost beyond that, the median of each repetition's difference (aim: at most 0.3 µs); in brackets, the middle half of them | ${names
      .map((name) => `${us(signals[name].ownBeyond)} (${signals[name].spread.map(us).join(' to ')})`)
      .join(' | ')} |`,
  ]
  const reduced = names.filter((name) => signals[name].sharedCalls !== SIGNAL_CALLS)
  const note = reduced.length
    ? ` The shared-signal run of ${reduced.join(', ')} grows quadratically: it ran at fewer calls, once ` +
      `(100,000 would take about ${reduced.map((name) => `${Math.round(signals[name].projectedMs / 1000)} s`).join(', ')}; \`--full\` runs it).`
    : ''
  return (
    `**Calls with signals** (time per call: all queued behind the first, then the last awaited; aim: a shared signal ` +
    `at most 1.3× no options). Each build runs alone in its own processes; each repetition runs the workloads in a ` +
    `rotated order, each after a full \`gc()\`.${note}\n\n${rows.join('\n')}`
  )
}

function heldTable({ held, overflow }, names) {
  const rows = [
    '| measure | ' + names.join(' | ') + ' |',
    `| --- |${' ---: |'.repeat(names.length)}`,
    `| JS heap held per call after ${ABORTED_CALLS.toLocaleString('en-US')} waiting calls were aborted, lock still held | ${names
      .map((name) => `${held[name].whileHeld.toFixed(1)} B`)
      .join(' | ')} |`,
    `| the same once the lock is released and the store idle | ${names.map((name) => `${held[name].whenIdle.toFixed(1)} B`).join(' | ')} |`,
    `| \`timeout: 2 ** 32\` (ms): timer fires in its first ${OVERFLOW_WINDOW_MS} ms | ${names
      .map((name) => String(overflow[name].fires))
      .join(' | ')} |`,
    `| the same: \`setTimeout\` calls, and the longest delay asked | ${names
      .map((name) => `${overflow[name].calls}, ${overflow[name].longest.toLocaleString('en-US')} ms`)
      .join(' | ')} |`,
    `| the same: TimeoutOverflowWarning printed | ${names.map((name) => (overflow[name].warnings.length ? `yes (${overflow[name].warnings.length}×)` : 'no')).join(' | ')} |`,
    `| the same: the call still waits, then runs once the lock is free | ${names.map((name) => (overflow[name].waited && overflow[name].ran ? 'yes' : 'NO')).join(' | ')} |`,
  ]
  return `**Held memory and long timeouts** (aims: the heap held falls back once few calls wait; no timer fires before the deadline, no warning).\n\n${rows.join('\n')}`
}

// ---------------------------------------------------------------- the children

async function runChild(part) {
  const reps = Number(option('--reps', 7))
  const names = valuesOf('--name')
  // Before any package is loaded, so that a store holding `setTimeout` from its load time is counted too.
  const timers = countTimers()
  let warnedTo
  process.on('warning', (warning) => warnedTo?.push(warning.name))
  const builds = {}
  for (const [i, dir] of valuesOf('--pkg').entries()) builds[names[i]] = await import(pathToFileURL(`${dir}/node.mjs`).href)
  const tools = { builds, names, reps, gc: globalThis.gc, timers, warnAs: (list) => (warnedTo = list) }
  const parts = { speed: () => speedPart(tools, option('--mode')), options: () => optionsPart(tools), signals: () => signalsPart(tools) }
  const result = await parts[part]()
  console.log(JSON.stringify(result))
}

/** Wraps `setTimeout` to count the calls, the longest delay asked and the callbacks run. */
function countTimers() {
  const counts = { calls: 0, fires: 0, longest: 0 }
  const original = globalThis.setTimeout
  globalThis.setTimeout = function setTimeout(callback, delay, ...rest) {
    counts.calls++
    counts.longest = Math.max(counts.longest, Number(delay) || 0)
    return original(
      (...callbackArgs) => {
        counts.fires++
        return callback(...callbackArgs)
      },
      delay,
      ...rest,
    )
  }
  return counts
}

/**
 * Waits for a macrotask: by then Node has emitted the warnings queued so far
 * (on `process.nextTick`) and let go of the rejections it tracked while the
 * microtasks ran (each holds its promise and its error, stack included).
 */
const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve))

/** Rotates `list` by `by`: the interleaved order of a repetition. */
const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length])

/** The speed contenders: each build, the upstream and async-mutex, each making an `append` from a store's callbacks. */
function speedContenders(builds) {
  const require = createRequire(import.meta.url)
  const upstream = require('async-atomic-store-upstream')
  const { Mutex } = require('async-mutex')
  const makers = {}
  for (const [name, build] of Object.entries(builds)) makers[name] = (callbacks) => build.AsyncAtomicStore(callbacks).append
  makers.upstream = (callbacks) => upstream.AsyncAtomicStore(callbacks).append
  makers['async-mutex'] = (callbacks) => {
    const mutex = new Mutex()
    const body = appendBody(callbacks)
    return (key, transform) => mutex.runExclusive(() => body(key, transform))
  }
  return makers
}

/** ns per append of `runs` runs of `work(append, n)`, each on a fresh store, with `gc()` before each if `gc` is given. */
async function timeRuns(makeAppend, work, n, runs, gc) {
  let elapsed = 0
  for (let run = 0; run < runs; run++) {
    const { map, callbacks } = mapCallbacks('async')
    const append = makeAppend(callbacks)
    gc?.()
    const start = performance.now()
    await work(append, n)
    elapsed += performance.now() - start
    if (map.get(KEY) !== n) throw new Error(`lost updates: ${map.get(KEY)} after ${n} appends`)
  }
  return (elapsed * 1e6) / (n * runs)
}

async function sequential(append, n) {
  for (let i = 0; i < n; i++) await append(KEY, increment)
}

async function speedPart({ builds, reps, gc }, mode) {
  const makers = speedContenders(builds)
  const names = Object.keys(makers)
  const loads = {
    sequential: (make, withGc) => timeRuns(make, sequential, SEQUENTIAL, 1, withGc),
    [`${DEPTH.toLocaleString('en-US')} queued`]: (make, withGc) => timeRuns(make, queued, DEPTH, DEPTH_RUNS, withGc),
  }
  for (const name of names) {
    await timeRuns(makers[name], sequential, 2_000, 1)
    await timeRuns(makers[name], queued, DEPTH, 2)
  }
  const samples = Object.fromEntries(Object.keys(loads).map((load) => [load, Object.fromEntries(names.map((name) => [name, []]))]))
  for (let rep = 0; rep < reps; rep++) {
    for (const [load, time] of Object.entries(loads)) {
      for (const name of rotate(names, rep)) samples[load][name].push(await time(makers[name], mode === 'gc' ? gc : undefined))
    }
    console.log(`repetition ${rep + 1} of ${reps}`)
  }
  const medians = {}
  for (const [load, byName] of Object.entries(samples)) {
    medians[load] = Object.fromEntries(Object.entries(byName).map(([name, values]) => [name, median(values)]))
  }
  return medians
}

/** A store whose lock is held until `release()`: the calls made meanwhile all wait. */
function heldStore(build) {
  const { map, callbacks } = mapCallbacks('async')
  const store = build.AsyncAtomicStore(callbacks)
  let release
  const holder = store.lock(() => new Promise((resolve) => (release = resolve)))
  return { map, store, release: () => release(), holder }
}

/** µs per call of `n` calls made by `append(store, i)`, queued behind the first, the last awaited; each adds 1 at KEY. */
async function timeAppends(build, n, append) {
  const { map, callbacks } = mapCallbacks('async')
  const store = build.AsyncAtomicStore(callbacks)
  const start = performance.now()
  let last
  for (let i = 0; i < n; i++) last = append(store, i)
  await last
  const elapsed = performance.now() - start
  if (map.get(KEY) !== n) throw new Error(`lost updates: ${map.get(KEY)} after ${n} appends`)
  return (elapsed * 1e3) / n
}

/** µs per call of `n` appends with `optionsFor(i)`, queued behind the first, the last awaited. */
const timeQueued = (build, n, optionsFor) => timeAppends(build, n, (store, i) => store.append(KEY, increment, optionsFor(i)))

/**
 * µs per signal the engine spends on what a call with its own signal needs at
 * least, with the queue's pattern: `n` controllers made, each signal given a
 * listener, all kept until the last is made, then every listener removed.
 */
function timeEngine(n) {
  const start = performance.now()
  const signals = []
  const listeners = []
  for (let i = 0; i < n; i++) {
    const { signal } = new AbortController()
    const listener = () => {}
    signal.addEventListener('abort', listener)
    signals.push(signal)
    listeners.push(listener)
  }
  for (let i = 0; i < n; i++) signals[i].removeEventListener('abort', listeners[i])
  return ((performance.now() - start) * 1e3) / n
}

/**
 * µs per call of `n` appends with no options, each beside the engine's work
 * for a signal of its own, where a store does it: a controller made and a
 * listener added when the call is made, the listener removed when its turn
 * comes. What a store with no cost of its own beyond the engine's would take;
 * the loop above leaves out what the same work costs among queued calls
 * (the removal meets a signal made long before, and the heap holds the queue).
 */
function timeBeside(build, n) {
  return timeAppends(build, n, (store) => {
    const { signal } = new AbortController()
    const listener = () => {}
    signal.addEventListener('abort', listener)
    return store.append(KEY, (value) => {
      signal.removeEventListener('abort', listener)
      return increment(value)
    })
  })
}

/**
 * The number of shared-signal calls to time for a build: all of them, unless
 * a probe of 10,000 projects (quadratically) a run longer than the budget.
 */
async function sharedSignalCalls(build, full) {
  const probe = 10_000
  const signal = new AbortController().signal
  const perCall = await timeQueued(build, probe, () => ({ signal }))
  const projectedMs = (perCall / 1e3) * probe * (SIGNAL_CALLS / probe) ** 2
  if (full || projectedMs <= SIGNAL_BUDGET_MS) return { calls: SIGNAL_CALLS, projectedMs }
  const fitting = [50_000, 20_000].find((calls) => (perCall / 1e3) * probe * (calls / probe) ** 2 <= SIGNAL_BUDGET_MS)
  return { calls: fitting ?? probe, projectedMs, perCall: fitting ? undefined : perCall }
}

const SIGNAL_WORKLOADS = ['none', 'shared', 'own', 'engine', 'beside']
/** Calls per workload in the round, not timed, that compiles each before the timed ones. */
const WARM_CALLS = 10_000

/** One build's signal workloads, `reps` times, each repetition in a rotated order, each workload after a full `gc()`. */
async function signalsPart({ builds, names, reps, gc, warnAs }) {
  const build = builds[names[0]]
  const warnings = []
  warnAs(warnings)
  const size = await sharedSignalCalls(build, args.includes('--full'))
  await nextMacrotask()
  warnAs(undefined)
  const result = { none: [], shared: [], own: [], engine: [], beside: [], sharedCalls: size.calls, projectedMs: size.projectedMs, warnings }
  const workloads = {
    none: (n) => timeQueued(build, n, () => undefined),
    shared: async (n) => {
      warnAs(result.warnings)
      const signal = new AbortController().signal
      const perCall = await timeQueued(build, Math.min(n, result.sharedCalls), () => ({ signal }))
      await nextMacrotask()
      warnAs(undefined)
      return perCall
    },
    own: (n) => timeQueued(build, n, () => ({ signal: new AbortController().signal })),
    engine: (n) => timeEngine(n),
    beside: (n) => timeBeside(build, n),
  }
  // A quadratic build's shared run, timed once by the probe, is not run again.
  const timed = SIGNAL_WORKLOADS.filter((workload) => workload !== 'shared' || size.perCall === undefined)
  for (const workload of timed) await workloads[workload](WARM_CALLS)
  for (let rep = 0; rep < reps; rep++) {
    for (const workload of rotate(timed, rep)) {
      gc()
      result[workload].push(await workloads[workload](SIGNAL_CALLS))
    }
    console.log(`signals: repetition ${rep + 1} of ${reps}`)
  }
  if (size.perCall !== undefined) result.shared.push(size.perCall)
  return result
}

/**
 * Bytes of JS heap per call still held after `n` waiting calls were aborted
 * while the lock stays held, and once it is released.
 */
async function heldAfterAbort(build, gc, n) {
  const held = heldStore(build)
  const heapNow = async () => {
    await nextMacrotask()
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
  const before = await heapNow()
  let controllers = []
  let calls = []
  for (let i = 0; i < n; i++) {
    const controller = new AbortController()
    controllers.push(controller)
    calls.push(held.store.append(KEY, increment, { signal: controller.signal }))
  }
  for (const controller of controllers) controller.abort()
  if ((await Promise.allSettled(calls)).some((call) => call.status !== 'rejected')) throw new Error('an aborted call did not reject')
  controllers = calls = undefined
  const whileHeld = ((await heapNow()) - before) / n
  held.release()
  await held.holder
  await held.store.idle()
  const whenIdle = ((await heapNow()) - before) / n
  return { whileHeld, whenIdle }
}

/** A call with a timeout past `setTimeout`'s range, behind a held lock: what its timer does in the first window. */
async function overflowingTimeout(build, timers, warnAs) {
  const warnings = []
  const held = heldStore(build)
  const calls = timers.calls
  const fires = timers.fires
  timers.longest = 0
  warnAs(warnings)
  let settled = false
  const call = held.store.append(KEY, increment, { timeout: OVERFLOW_TIMEOUT })
  call.then(
    () => (settled = true),
    () => (settled = true),
  )
  await new Promise((resolve) => setTimeout(resolve, OVERFLOW_WINDOW_MS))
  // This wait's own timer counts once in the calls and once in the fires.
  const result = { calls: timers.calls - calls - 1, fires: timers.fires - fires - 1, longest: timers.longest, warnings, waited: !settled }
  await nextMacrotask()
  warnAs(undefined)
  held.release()
  result.ran = await call.then(
    (value) => value === 1 && held.map.get(KEY) === 1,
    () => false,
  )
  return result
}

async function optionsPart(tools) {
  const { builds, names, gc, timers, warnAs } = tools
  // The heap first, while it is fresh. A first full-size round, not counted,
  // grows Node's own tables (its rejection tracking keeps them once grown),
  // and a small one per build compiles what each runs.
  const held = {}
  await heldAfterAbort(builds[names[0]], gc, ABORTED_CALLS)
  for (const name of names) await heldAfterAbort(builds[name], gc, 1_000)
  for (const name of names) held[name] = await heldAfterAbort(builds[name], gc, ABORTED_CALLS)
  console.log('aborted calls: measured')
  const overflow = {}
  for (const name of names) overflow[name] = await overflowingTimeout(builds[name], timers, warnAs)
  console.log('long timeouts: measured')
  return { held, overflow }
}

// Last, once every declaration above is initialized.
if (args.includes('--child')) await runChild(option('--child'))
else await runParent()
