// The package's browser entry, through the import map; `suiteReport` is a
// promise of the suite's report, for the test to read.
import * as lib from 'async-atomic-store'
import { runSuite } from './suite.mjs'

globalThis.suiteReport = runSuite(lib)
