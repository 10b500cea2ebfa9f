// One call through the QueueLock protocol, as a store makes it: take a place,
// give it up on timeout or abort (`cancel`), run the work once granted, then
// release. Lets the RedisLock tests and bench drive the lock directly, with
// the store's per-call options.

/**
 * Runs `work(grant)` under the lock; resolves with its result.
 * @param {import('../../pkg/types/index.d.ts').QueueLock} lock
 * @param {{ mode?: 'exclusive' | 'shared', ifAvailable?: boolean, timeout?: number, signal?: AbortSignal }} options
 */
export function lockCall(lock, options, work) {
  const { mode = 'exclusive', ifAvailable = false, timeout, signal } = options
  return new Promise((resolve, reject) => {
    let timer
    const stopWaiting = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    const giveUp = (reason) => {
      if (!lock.cancel(place)) return
      stopWaiting()
      reject(reason)
    }
    const onAbort = () => giveUp(signal.reason)
    const place = lock.request(
      mode,
      ifAvailable,
      (grant) => {
        stopWaiting()
        Promise.resolve()
          .then(() => work(grant))
          .then(resolve, reject)
          .finally(() => lock.release(place))
      },
      (error) => {
        stopWaiting()
        reject(error)
      },
    )
    if (timeout !== undefined) {
      timer = setTimeout(() => giveUp(new DOMException(`timed out after ${timeout} ms`, 'TimeoutError')), timeout)
    }
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort)
  })
}
