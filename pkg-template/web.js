// The entry for everything but Node and workerd: browsers with or without a
// bundler, workers, jsdom. The core is embedded as hex text and compiled
// synchronously during import, as Chromium 114 and later, Firefox and Safari
// do on a page's main thread (older Chromium only up to 4 KB). The build
// also bundles this file as node.cjs.
import { coreHex } from './core-bytes.js'
import { loadCore } from './load-core.js'
import * as api from './api.js'

loadCore(decodeHex(coreHex))

export * from './api.js'
export default api

/** The bytes `text` spells in hex: with Node's `Buffer`, the fastest, where there is one. */
function decodeHex(text) {
  const { Buffer } = globalThis
  if (Buffer) return Buffer.from(text, 'hex')
  const bytes = new Uint8Array(text.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16)
  return bytes
}
