// Node entry, bundled into node.cjs by the build: Node compiles the embedded
// wasm synchronously, so every store is ready the moment it is created.
// The directive keeps the CommonJS bundle strict, as the ES modules are: a
// write to a frozen array through AsyncArray must throw, not silently do nothing.
'use strict'
import { initSync } from './core.js'
import { coreBase64 } from './core-bytes.js'

initSync({ module: Buffer.from(coreBase64, 'base64') })

export { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError } from './store.js'
export { SharedLock } from './shared-lock.js'
