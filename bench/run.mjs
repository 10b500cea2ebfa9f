// `npm run bench`: times ours, the upstream 1.2.2, async-mutex, async-lock and
// the bare callbacks on the same workloads, then the workloads of waiting and
// shared reads (bench/waiting.mjs, with p-queue and Web Locks too), in this
// Node process and then in headless Chromium, and prints medians, ratios to
// the upstream and the issues' targets (met or missed). Web Locks also runs
// beside ours on the appends, sequential and queued up to 10,000
// (bench/web-locks.mjs), in a Node 24 child process and in Chromium.
//
//   --quick       fewer repetitions and a smaller budget per queue depth
//   --no-browser  skip the Chromium run
//   --verbose     print every measurement as it is taken
//
// A full run (not --quick) also rewrites the results section of
// BENCHMARKS.md and the charts beside this file.

import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { ensureNodeReleases, root, step } from '../scripts/setup.mjs'
import { runInChromium } from './browser.mjs'
import { queueDepthChart } from './chart.mjs'
import { configs } from './configs.mjs'
import { rewriteSection } from './markdown.mjs'
import { checkTargets, checkWaitingTargets, resultTables, targetTable, waitingTables } from './report.mjs'
import { runWaiting } from './waiting.mjs'
import { webLocksTable } from './web-locks.mjs'
import { contenders, queueAppends, runSuite } from './workloads.mjs'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const config = { ...(quick ? configs.quick : configs.full), verbose: args.includes('--verbose') }

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')

if (!existsSync(`${root}/pkg/node.mjs`)) {
  const { build } = await import('../scripts/build.mjs')
  await build()
}
const require = createRequire(import.meta.url)
const libraries = {
  ours: await import('../pkg/node.mjs'),
  upstream: require('async-atomic-store-upstream'),
  Mutex: require('async-mutex').Mutex,
  withTimeout: require('async-mutex').withTimeout,
  AsyncLock: require('async-lock'),
  PQueue: (await import('p-queue')).default,
}

const machine =
  `${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, ` +
  `${os.type()} ${os.release()}; Node ${process.version} (V8 ${process.versions.v8})`

/**
 * Bytes each queued append keeps alive: the JS heap (objects, promises,
 * closures, and our externref table, which lives there) plus memory outside
 * it (`external`: for ours, the wasm linear memory's growth), after a full
 * GC, before and after queuing `n` appends behind a held lock. Runs first,
 * while the wasm memory is fresh, so its growth is not hidden by space an
 * earlier run left behind.
 */
async function memoryPerQueuedAppend(makeAppend, n) {
  gc()
  const before = process.memoryUsage()
  const queue = queueAppends(makeAppend, n)
  gc()
  const after = process.memoryUsage()
  await queue.last
  const heap = (after.heapUsed - before.heapUsed) / n
  const external = (after.external - before.external + after.arrayBuffers - before.arrayBuffers) / n
  return { heap, external, total: heap + external }
}

step(`Benchmark${quick ? ' (quick)' : ''} in Node: ${machine}`)
console.log(`  memory held per queued append (${config.memoryOps.toLocaleString('en-US')} queued)`)
const memory = {}
for (const [name, makeAppend] of Object.entries(contenders(libraries))) {
  memory[name] = await memoryPerQueuedAppend(makeAppend, config.memoryOps)
}
const node = {
  memory,
  times: await runSuite({ libraries, config, now: () => performance.now(), log: (message) => console.log(`  ${message}`) }),
}
step('Waiting under control and shared reads in Node (bench/waiting.mjs)')
node.waiting = await runWaiting(libraries, config, () => performance.now(), gc, (message) => console.log(`  ${message}`))
const targets = [...checkTargets(node), ...checkWaitingTargets(node.waiting, config)]
console.log(`\n${resultTables(node, config)}\n\n${waitingTables(node.waiting, config)}\n\n**Targets** (Node, async callbacks unless said otherwise):\n\n${targetTable(targets)}`)

// Node 24.5 and later have navigator.locks; this process may be older.
const node24 = ensureNodeReleases([24])[24]
step('Web Locks beside ours in Node 24 (bench/web-locks.mjs, in a Node 24 child process)')
const webLocksNode = JSON.parse(execFileSync(node24, [`${root}/bench/web-locks.mjs`, '--child', ...(quick ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
const webLocksNodeTable = webLocksTable(webLocksNode.results, config, `Node ${webLocksNode.version}`)
console.log(`\n${webLocksNodeTable}`)

let chromium
if (!args.includes('--no-browser')) {
  step('Benchmark in headless Chromium (no memory figures there)')
  chromium = await runInChromium(config, console.log)
  chromium.targets = [...checkTargets(chromium), ...checkWaitingTargets(chromium.waiting, config)]
  chromium.webLocksTable = webLocksTable(chromium.webLocks, config, 'Chromium')
  console.log(`\n  ${chromium.userAgent}\n\n${resultTables(chromium, config)}\n\n${waitingTables(chromium.waiting, config)}\n\n${targetTable(chromium.targets)}\n\n${chromium.webLocksTable}`)
}

if (!quick) {
  step('Writing BENCHMARKS.md results and the charts')
  writeFileSync(`${root}/bench/chart-node.svg`, queueDepthChart(node.times.async, `Node ${process.version}: time per append, async callbacks`))
  const sections = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.`,
    '### Node',
    '![Time per append against queue depth in Node](bench/chart-node.svg)',
    resultTables(node, config),
    waitingTables(node.waiting, config),
    `**Targets** (Node, async callbacks unless said otherwise):\n\n${targetTable(targets)}`,
    webLocksNodeTable,
  ]
  if (chromium) {
    const version = chromium.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'
    writeFileSync(`${root}/bench/chart-chromium.svg`, queueDepthChart(chromium.times.async, `${version.replace('Chrome', 'Chromium')}: time per append, async callbacks`))
    sections.push(
      '### Chromium',
      `Headless ${version.replace('Chrome', 'Chromium')} (${chromium.userAgent}).`,
      '![Time per append against queue depth in Chromium](bench/chart-chromium.svg)',
      resultTables(chromium, config),
      waitingTables(chromium.waiting, config),
      targetTable(chromium.targets),
      chromium.webLocksTable,
    )
  }
  rewriteSection(`${root}/BENCHMARKS.md`, '<!-- results: written by npm run bench -->', '<!-- end of results -->', sections.join('\n\n'))
  console.log('  BENCHMARKS.md, bench/chart-node.svg and bench/chart-chromium.svg written')
}
