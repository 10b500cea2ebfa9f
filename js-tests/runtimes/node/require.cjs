// Node, CommonJS: `require('async-atomic-store')`; prints the suite's report.
const lib = require('async-atomic-store')

import('./suite.mjs')
  .then(({ runSuite }) => runSuite(lib))
  .then((report) => console.log(JSON.stringify(report)))
