// Node `import` entry: the CommonJS build wrapped, so that `require` and
// `import` share one wasm instance. Loaded with `require` rather than
// imported: an import would first scan node.cjs, the embedded core included,
// for its export names, which takes longer than the rest of the start.
// `createRequire` comes from process.getBuiltinModule (Node 20.16 and later)
// where there is one: a static `import 'node:module'` builds the module's
// whole ES namespace first, which cost Node 20 about 1.5 ms, a fifth of the
// start.
const { createRequire } = process.getBuiltinModule?.('node:module') ?? (await import('node:module'))

const cjs = createRequire(import.meta.url)('./node.cjs')

export const { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError, SharedLock } = cjs
export default cjs.default
