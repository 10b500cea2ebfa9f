// Web Locks (`navigator.locks.request`) side by side with ours on the same
// append workload as the main suite (workloads.mjs): sequential, and queued
// at growing depths up to 10,000, interleaved, medians. Runs wherever
// `navigator.locks` exists: Node 24.5 and later (run.mjs starts a Node 24
// child running this file) and Chromium (page.mjs). Web Locks' requests are
// slow and grow slower with the queue, so this part has its own, smaller
// config (configs.mjs `webLocks`) rather than the main suite's depths and reps.
//
//   node bench/web-locks.mjs --child [--quick]   prints the results as JSON (run.mjs's Node 24 child)

import { KEY, appendBody, increment, mapCallbacks, median, queued } from './workloads.mjs'

/** A queued depth "slows" Web Locks when its time per append reaches this many times its sequential one. */
export const slowdown = 2

/** ours and Web Locks, each turning a store's callbacks into an `append(key, transform)`. */
function contenders(ours) {
  let names = 0
  return {
    ours: (callbacks) => ours.AsyncAtomicStore(callbacks).append,
    'Web Locks': (callbacks) => {
      // A name of its own per store: nothing left queued by one sample can delay the next.
      const name = `web-locks-bench-${names++}`
      const body = appendBody(callbacks)
      return (key, transform) => navigator.locks.request(name, () => body(key, transform))
    },
  }
}

async function sequential(append, n) {
  for (let i = 0; i < n; i++) await append(KEY, increment)
}

/**
 * Times ours and Web Locks, `config.webLocks`: `{ sequential, depths, reps, budgetMs, minAppends }`,
 * async callbacks. Resolves with `{ [workload]: { [contender]: { median } | { skipped } } }`;
 * a depth is skipped for a contender whose previous depth's time per append,
 * times this depth, exceeds `budgetMs`.
 */
export async function runWebLocks({ ours, config, now, log = () => {} }) {
  const { sequential: n, depths, reps, budgetMs, minAppends } = config.webLocks
  const makers = contenders(ours)
  const names = Object.keys(makers)
  const loads = [{ name: 'sequential', n, run: sequential }, ...depths.map((depth) => ({ name: `${depth.toLocaleString('en-US')} queued`, n: depth, depth, run: queued }))]
  const results = Object.fromEntries(loads.map(({ name }) => [name, Object.fromEntries(names.map((contender) => [contender, { samples: [] }]))]))

  log(`Web Locks beside ours: warming up`)
  for (const name of names) {
    for (const run of [sequential, queued]) await run(makers[name](mapCallbacks('async').callbacks), 1_000)
  }
  for (let rep = 0; rep < reps; rep++) {
    log(`Web Locks beside ours: repetition ${rep + 1} of ${reps}`)
    let previous
    for (const load of loads) {
      for (const name of names.map((_, i) => names[(i + rep) % names.length])) {
        const result = results[load.name][name]
        if (result.skipped) continue
        const before = previous?.[name]
        if (rep === 0 && load.depth && before?.samples.length && (median(before.samples) * load.n) / 1e6 > budgetMs) {
          result.skipped = `≥ ${((median(before.samples) * load.n) / 1e9).toFixed(1)} s a run`
          continue
        }
        if (before?.skipped) {
          result.skipped = before.skipped
          continue
        }
        // A shallow queue is run again on fresh stores up to `minAppends`, so that a sample is not a few microseconds.
        const runs = Math.max(1, Math.ceil(minAppends / load.n))
        let elapsed = 0
        for (let run = 0; run < runs; run++) {
          const { map, callbacks } = mapCallbacks('async')
          const append = makers[name](callbacks)
          const start = now()
          await load.run(append, load.n)
          elapsed += now() - start
          if (map.get(KEY) !== load.n) throw new Error(`${name} lost updates: ${map.get(KEY)} after ${load.n} appends`)
        }
        result.samples.push((elapsed * 1e6) / (load.n * runs))
      }
      if (load.depth) previous = results[load.name]
    }
  }
  for (const byName of Object.values(results)) {
    for (const result of Object.values(byName)) if (!result.skipped) result.median = median(result.samples)
  }
  return results
}

/** The first queued depth at which Web Locks takes `slowdown`× its sequential time per append, or undefined. */
export function slowdownDepth(results) {
  const base = results.sequential['Web Locks'].median
  return Object.entries(results).find(([name, byName]) => name !== 'sequential' && byName['Web Locks'].median >= slowdown * base)?.[0]
}

/** A Markdown table of `runWebLocks`'s results, with the depth where Web Locks slows down. */
export function webLocksTable(results, config, where) {
  const ns = (value) => `${Math.round(value).toLocaleString('en-US')} ns`
  const lines = [
    `**Web Locks beside ours** (${where}; \`navigator.locks.request(name, () => append body)\`, async callbacks; median of ${config.webLocks.reps} interleaved repetitions, sequential = ${config.webLocks.sequential.toLocaleString('en-US')} appends):`,
    '',
    '| workload | ours | Web Locks | Web Locks / ours |',
    '| --- | ---: | ---: | ---: |',
  ]
  for (const [name, { ours, 'Web Locks': theirs }] of Object.entries(results)) {
    const cell = ({ median: value, skipped }) => (skipped ? `skipped (${skipped})` : ns(value))
    const ratio = ours.median && theirs.median ? `${(theirs.median / ours.median).toFixed(1)}×` : '–'
    lines.push(`| ${name} | ${cell(ours)} | ${cell(theirs)} | ${ratio} |`)
  }
  const depth = slowdownDepth(results)
  lines.push('', depth ? `Web Locks slows down (${slowdown}× its sequential time per append or more) from ${depth}.` : `Web Locks stays within ${slowdown}× its sequential time per append at every depth measured.`)
  return lines.join('\n')
}

if (typeof process !== 'undefined' && process.argv.includes('--child')) {
  const { configs } = await import('./configs.mjs')
  const ours = await import('../pkg/node.mjs')
  const config = process.argv.includes('--quick') ? configs.quick : configs.full
  const results = await runWebLocks({ ours, config, now: () => performance.now(), log: (message) => console.error(`  ${message}`) })
  console.log(JSON.stringify({ version: process.version, results }))
}
