// pkg/store/store.js wired to its own instance of the wasm core, exactly as the
// Node entry does, so that memory tests can watch that instance's linear
// memory and externref table. Also a `collect()` that lets finalizers run.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { initSync } from '../../pkg/core/core.js'
import { coreText } from '../../pkg/core/core-bytes.js'
import { decodeCore } from '../../pkg/core/load-core.js'

export { AsyncAtomicStore, AsyncArray } from '../../pkg/store/store.js'

/** The core instance's exports: `memory`, `__wbindgen_externrefs`, ... */
export const wasm = initSync({ module: decodeCore(coreText) })

const gc = globalThis.gc ?? (setFlagsFromString('--expose-gc'), runInNewContext('gc'))

/** Collects garbage until finalizers (which free a store's wasm side) have had their turns. */
export async function collect() {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
