// Node entry, bundled into node.cjs by the build: Node compiles the embedded
// wasm synchronously, so every store is ready the moment it is created.
import { initSync } from './core.js'
import { coreBase64 } from './core-bytes.js'
import { coreLoaded } from './store.js'

initSync({ module: Buffer.from(coreBase64, 'base64') })
coreLoaded()

export { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap } from './store.js'
