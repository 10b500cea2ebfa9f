// The package's public API. Every entry exports it by name and, for
// `import lib from 'async-atomic-store'`, as its default export.
export { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap, LockBusyError, QueueFullError } from '../store/store.js'
export { SharedLock } from '../shared-lock/shared-lock.js'
