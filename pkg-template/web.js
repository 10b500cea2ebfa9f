// Browser, worker and bundler entry. Browsers refuse to compile a wasm module
// of this size synchronously on the main thread, so it compiles in the
// background; calls made meanwhile wait for it, in order.
import initCore from './core.js'
import { coreBase64 } from './core-bytes.js'
import { coreLoaded } from './store.js'

const binary = atob(coreBase64)
const bytes = new Uint8Array(binary.length)
for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
coreLoaded(initCore({ module_or_path: bytes }))

export { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap } from './store.js'
export { SharedLock } from './shared-lock.js'
