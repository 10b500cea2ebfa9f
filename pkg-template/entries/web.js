// The entry for everything but Node and workerd: browsers with or without a
// bundler, workers, jsdom. The core is embedded as text and compiled
// synchronously during import, as Chromium 114 and later, Firefox and Safari
// do on a page's main thread (older Chromium only up to 4 KB). The build
// also bundles this file as node.cjs, with the core as hex (see decodeHex).
import { coreText } from '../core/core-bytes.js'
import { decodeCore, loadCore } from '../core/load-core.js'
import * as api from './api.js'

loadCore(decodeCore(coreText))

export * from './api.js'
export default api
