// `import`, then `require`, of the package in one process; prints the names
// whose values differ between the two (none: one core, one set of classes).
import { createRequire } from 'node:module'
import * as lib from 'async-atomic-store'

const required = createRequire(import.meta.url)('async-atomic-store')
console.log(JSON.stringify(Object.keys(lib).filter((name) => required[name] !== lib[name])))
