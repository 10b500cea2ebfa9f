// `npm start`: builds the package, runs the upstream README's three examples
// in Node, printing their results, and the Atomics one in 8 worker_threads
// with and without a SharedLock, then serves the demo page (www/) with
// cross-origin isolation until Ctrl-C.

import { build } from './build.mjs'
import { startServer } from './serve.mjs'
import { step } from './setup.mjs'

await build()

step("Running the upstream README's examples in Node")
const lib = await import('../pkg/node.mjs')
const { examples } = await import('../www/examples.js')
let failed = 0
for (const { name, run, expected } of examples) {
  try {
    const result = await run(lib)
    const ok = result === expected
    if (!ok) failed++
    console.log(`  ${ok ? '✔' : '✘'} ${name.padEnd(8)} ${JSON.stringify(result)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`)
  } catch (error) {
    failed++
    console.log(`  ✘ ${name.padEnd(8)} ${error}`)
  }
}

step("The Atomics example in 8 worker_threads on one buffer, with and without a SharedLock")
const { atomicsAcrossThreads } = await import('../www/atomics-threads.js')
const locked = await atomicsAcrossThreads({ SharedLock: lib.SharedLock, threads: 8, rounds: 100 })
const unlocked = await atomicsAcrossThreads({ threads: 8, rounds: 100 })
if (locked.value !== locked.expected) failed++
console.log(`  ${locked.value === locked.expected ? '✔' : '✘'} with a SharedLock:  ${locked.value} of ${locked.expected}`)
console.log(`    a store per thread: ${unlocked.value} of ${unlocked.expected} (${unlocked.expected - unlocked.value} updates lost)`)
if (failed) process.exitCode = 1

step('Serving the demo page (cross-origin isolated)')
const port = Number(process.env.PORT ?? 8080)
const server = await startServer({ port }).catch((error) => {
  if (error.code !== 'EADDRINUSE') throw error
  console.log(`  port ${port} is taken; using a free one`)
  return startServer()
})
console.log(`\n  Demo page: ${server.url}\n\n  Press Ctrl-C to stop.`)
