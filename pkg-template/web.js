// The entry for everything but Node and workerd: browsers with or without a
// bundler, workers, jsdom. The core is embedded as base64 and compiled
// synchronously during import, as Chromium 114 and later, Firefox and Safari
// do on a page's main thread (older Chromium only up to 4 KB). The build
// also bundles this file as node.cjs.
import { coreBase64 } from './core-bytes.js'
import { loadCore } from './load-core.js'
import * as api from './api.js'

loadCore(decodeBase64(coreBase64))

export * from './api.js'
export default api

/** The bytes `text` encodes in base64: with Node's `Buffer`, the fastest, where there is one, else with `atob`. */
function decodeBase64(text) {
  const { Buffer } = globalThis
  if (Buffer) return Buffer.from(text, 'base64')
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
