// `require` of the package loads no SharedLock code (shared-lock.cjs) until
// the API's SharedLock is first read; the SharedLock it then loads fails with
// the package's own error classes. Prints what it found.
const lib = require('async-atomic-store')

const sharedLockLoaded = () => Object.keys(require.cache).some((file) => file.endsWith('shared-lock.cjs'))
const found = { atRequire: sharedLockLoaded() }
const lock = new lib.SharedLock()
found.onFirstUse = sharedLockLoaded()
const granted = () =>
  lock.request('exclusive', true, () => {}, (error) => {
    found.busyIsLockBusyError = error instanceof lib.LockBusyError
    console.log(JSON.stringify(found))
  })
lock.request('exclusive', false, granted, () => {})
