// ES module: the named exports of `async-atomic-store`; prints the suite's report.
// Run by Node, Bun and Deno.
import * as lib from 'async-atomic-store'
import { runSuite } from './suite.mjs'

console.log(JSON.stringify(await runSuite(lib)))
