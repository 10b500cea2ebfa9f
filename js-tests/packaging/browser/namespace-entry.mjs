// The size reference for a `require` bundle: the whole API through `import * as`.
import * as lib from 'async-atomic-store'
import { runExamples } from './run-examples.mjs'

globalThis.exampleResults = runExamples(lib)
