// `npm start`: builds the package, runs the upstream README's three examples
// in Node, printing their results, then serves the demo page (www/) with
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
if (failed) process.exitCode = 1

step('Serving the demo page (cross-origin isolated)')
const port = Number(process.env.PORT ?? 8080)
const server = await startServer({ port }).catch((error) => {
  if (error.code !== 'EADDRINUSE') throw error
  console.log(`  port ${port} is taken; using a free one`)
  return startServer()
})
console.log(`\n  Demo page: ${server.url}\n\n  Press Ctrl-C to stop.`)
