// `require`, then `import`, of the package in one process; prints the names
// whose values differ between the two (none: one core, one set of classes).
const required = require('async-atomic-store')

import('async-atomic-store').then((lib) => console.log(JSON.stringify(Object.keys(lib).filter((name) => required[name] !== lib[name]))))
