// A module worker importing the package's own file, no bundler; posts the
// examples' results, or the error, to the page.
import * as lib from '../node_modules/async-atomic-store/web.js'
import { runExamples } from './run-examples.mjs'

runExamples(lib).then(
  (results) => postMessage({ results }),
  (error) => postMessage({ error: String(error) }),
)
