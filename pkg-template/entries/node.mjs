// Node `import` entry: the CommonJS build wrapped, so that `require` and
// `import` share one wasm instance. Loaded with `require` rather than
// imported: an import would first scan node.cjs, the embedded core included,
// for its export names, which takes longer than the rest of the start.
import { createRequire } from 'node:module'

const cjs = createRequire(import.meta.url)('./node.cjs')

export const { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError, SharedLock } = cjs
export default cjs.default
