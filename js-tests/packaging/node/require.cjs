// Node, CommonJS: the package through `require`; prints the examples' results.
const lib = require('async-atomic-store')

import('./run-examples.mjs')
  .then(({ runExamples }) => runExamples(lib))
  .then((results) => console.log(JSON.stringify(results)))
