// The errors a call rejects with when it does not get the lock. A call that
// times out rejects with a `DOMException` named `TimeoutError`, as
// `AbortSignal.timeout()` gives; an aborted call with its signal's reason.

/** The call was made with `ifAvailable: true` and would have had to wait. */
export class LockBusyError extends Error {
  constructor(message = 'ifAvailable: the lock is held or calls are waiting') {
    super(message)
    this.name = 'LockBusyError'
  }
}

/** The call would have made more calls wait than the `maxPending` option allows. */
export class QueueFullError extends Error {
  constructor(message = 'the queue already holds maxPending waiting calls') {
    super(message)
    this.name = 'QueueFullError'
  }
}
