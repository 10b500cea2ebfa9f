// ES module: the default export, `import aas from 'async-atomic-store'`, as
// ESM code importing a CommonJS package (1.2.2) writes it; prints the suite's report.
import aas from 'async-atomic-store'
import { runSuite } from './suite.mjs'

console.log(JSON.stringify(await runSuite(aas)))
