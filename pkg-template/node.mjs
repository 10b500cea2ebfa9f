// Node `import` entry: the CommonJS build wrapped, so `require` and `import`
// share one wasm instance.
import cjs from './node.cjs'

export const { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError, SharedLock } = cjs
