// Node, ES module: the package through `import`; prints the examples' results.
import * as lib from 'async-atomic-store'
import { runExamples } from './run-examples.mjs'

console.log(JSON.stringify(await runExamples(lib)))
