// Checks the compiled typed calls, then runs the suite on what the compiled
// default import gave; prints the report.
import { lib, typed } from './dist/default-import.js'
import { runSuite } from './suite.mjs'

const results = await typed()
if (JSON.stringify(results) !== '[1,1,"1"]') throw new Error(`the typed calls gave ${JSON.stringify(results)}`)
console.log(JSON.stringify(await runSuite(lib)))
