// Node `import` entry: the CommonJS build wrapped, so that `require` and
// `import` share one wasm instance.
import cjs from './node.cjs'

export const { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError } = cjs
export default cjs.default
