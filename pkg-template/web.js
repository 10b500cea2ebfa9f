// Browser, worker and bundler entry. The wasm core is small enough to be
// compiled synchronously, even on a browser's main thread, so every store is
// ready the moment it is created.
import { initSync } from './core.js'
import { coreBase64 } from './core-bytes.js'

const binary = atob(coreBase64)
const bytes = new Uint8Array(binary.length)
for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
initSync({ module: bytes })

export { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError } from './store.js'
export { SharedLock } from './shared-lock.js'
