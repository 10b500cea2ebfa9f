// The conformance table's two SharedLock lines: `shared-lock`, every
// participant a SharedLock of its own in this thread, and
// `shared-lock-threads`, every participant a worker_thread.
import { Worker } from 'node:worker_threads'
import { outcomeOf } from './ordering-driver.mjs'
import { sleep } from '../support/promises.mjs'

const participantUrl = new URL('./shared-lock-participant.mjs', import.meta.url)
const newLock = (SharedLock, maxPending) => new SharedLock(maxPending === undefined ? undefined : { maxPending })

/** SharedLock in one thread: a participant per name, all attached here. */
export const sharedLockLine = (SharedLock) => ({
  name: 'shared-lock',
  async open({ maxPending, participants }, report) {
    const lock = newLock(SharedLock, maxPending)
    const own = new Map(participants.map((name) => [name, SharedLock.from(lock.share())]))
    const places = new Map()
    return {
      request(who, id, mode, ifAvailable) {
        const lock = own.get(who)
        places.set(id, { lock, place: lock.request(mode, ifAvailable, () => report(id, 'granted'), (error) => report(id, outcomeOf(error))) })
      },
      cancel: (who, id) => places.get(id).lock.cancel(places.get(id).place),
      release: (who, id) => places.get(id).lock.release(places.get(id).place),
      settle: () => sleep(10),
      // After a failed case: no place is left waiting, so nothing keeps this thread alive.
      async close() {
        for (const { lock, place } of places.values()) lock.cancel(place)
      },
    }
  },
})

/** A worker that runs shared-lock-participant.mjs, with request/reply over its port. */
function participantThread(onOutcome) {
  const worker = new Worker(participantUrl)
  const replies = new Map()
  let asks = 0
  worker.on('message', ({ id, outcome, ask, value }) => {
    if (ask === undefined) return onOutcome.current(id, outcome)
    replies.get(ask)(value)
    replies.delete(ask)
  })
  const call = (message) =>
    new Promise((resolve) => {
      replies.set(++asks, resolve)
      worker.postMessage({ ...message, ask: asks })
    })
  return { worker, send: (message) => worker.postMessage(message), call }
}

/** SharedLock across worker_threads: a thread per participant, kept from case to case until it is abandoned. */
export function sharedLockThreadsLine(SharedLock) {
  const pool = []
  const onOutcome = { current: () => {} }
  return {
    name: 'shared-lock-threads',
    async open({ maxPending, participants }, report) {
      onOutcome.current = report
      const lock = newLock(SharedLock, maxPending)
      while (pool.length < participants.length) pool.push(participantThread(onOutcome))
      const threads = new Map(participants.map((name, i) => [name, { ...pool[i], index: i, handle: lock.share() }]))
      for (const thread of threads.values()) thread.send({ op: 'attach', handle: thread.handle })
      const ended = new Set()
      return {
        request: (who, id, mode, ifAvailable) => threads.get(who).call({ op: 'request', id, mode, ifAvailable }),
        cancel: (who, id) => threads.get(who).call({ op: 'cancel', id }),
        release: (who, id) => threads.get(who).send({ op: 'release', id }),
        async abandon(who) {
          const thread = threads.get(who)
          ended.add(thread)
          await thread.worker.terminate()
          pool[thread.index] = participantThread(onOutcome)
          lock.abandon(thread.handle)
        },
        async settle() {
          await sleep(20)
          await Promise.all([...threads.values()].filter((thread) => !ended.has(thread)).map((thread) => thread.call({ op: 'ping' })))
        },
        close: async () => {},
      }
    },
    /** Ends every thread of the pool. */
    end: () => Promise.all(pool.map((thread) => thread.worker.terminate())),
  }
}
