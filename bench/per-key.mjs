// `npm run bench:per-key`: what per-key locking (issue 19) buys and costs, in
// Node and then in headless Chromium (`--no-browser` skips it). The
// workloads are in bench/per-key-workloads.mjs. The machine has 2 cores and
// is noisy: read the ratios, not the last digit.

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { root } from '../scripts/setup.mjs'
import { runInChromium } from './browser.mjs'
import { perKeyReport, runPerKey } from './per-key-workloads.mjs'

if (!existsSync(`${root}/pkg/node.mjs`)) {
  const { build } = await import('../scripts/build.mjs')
  await build()
}
const require = createRequire(import.meta.url)
const { AsyncAtomicStore } = await import('../pkg/node.mjs')

console.log(`Node ${process.version}`)
const node = await runPerKey({ AsyncAtomicStore, AsyncLock: require('async-lock'), Mutex: require('async-mutex').Mutex })
for (const line of perKeyReport(node)) console.log(line)

if (!process.argv.includes('--no-browser')) {
  const chromium = await runInChromium({}, console.log, async () => {
    const { runPerKey, perKeyReport } = await import('/bench/per-key-workloads.mjs')
    const { AsyncAtomicStore } = await import('/pkg/web.js')
    const { AsyncLock, Mutex } = await import('/bench-libs/libs.js')
    await AsyncAtomicStore({ data: () => 0, read: () => 0, write: () => {} }).read(0) // the core has compiled
    return { userAgent: navigator.userAgent, lines: perKeyReport(await runPerKey({ AsyncAtomicStore, AsyncLock, Mutex })) }
  })
  console.log(`\nChromium (${chromium.userAgent})`)
  for (const line of chromium.lines) console.log(line)
}
