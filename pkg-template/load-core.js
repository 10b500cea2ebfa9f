// Starts the wasm core synchronously, during import, so that every store is
// ready the moment it is created. Each entry passes what its runtime can
// compile: the embedded bytes, or (workerd) the module it imported from core.wasm.
import { initSync } from './core.js'

/** Instantiates the core from `wasm` (bytes or a `WebAssembly.Module`), or throws one clear Error. */
export function loadCore(wasm) {
  if (typeof WebAssembly !== 'object') {
    throw new Error('async-atomic-store needs WebAssembly, and this JavaScript environment has none')
  }
  try {
    initSync({ module: wasm })
  } catch (error) {
    throw new Error(
      'async-atomic-store needs WebAssembly, and this environment refused to compile its core ' +
        `(a Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src): ${error}`,
      { cause: error },
    )
  }
}
