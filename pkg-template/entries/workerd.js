// Cloudflare workerd entry: workerd compiles no wasm from bytes at run time,
// so the core comes in as a module, compiled when the Worker is deployed.
import core from '../core/core.wasm'
import { loadCore } from '../core/load-core.js'
import * as api from './api.js'

loadCore(core)

export * from './api.js'
export default api
