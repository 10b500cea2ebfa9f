// `npm start`: builds the package and runs the upstream README's three
// examples in Node, printing their results.

import { build } from './build.mjs'
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
