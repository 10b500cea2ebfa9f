// The entry every bundler builds (as src/index.js, their default): the package
// by name, as a user imports it. The page reads `exampleResults`.
import * as lib from 'async-atomic-store'
import { runExamples } from './run-examples.mjs'

globalThis.exampleResults = runExamples(lib)
