// Runs the README's Map example inside a module Web Worker and posts back its
// result. Workers do not see the page's import map, so the package is
// imported by its URL.
import * as lib from '/pkg/web.js'
import { mapExample } from './examples.js'

try {
  postMessage({ result: await mapExample(lib) })
} catch (error) {
  postMessage({ error: String(error) })
}
