// One SharedLock participant in a worker_thread, for the conformance table's
// `shared-lock-threads` line: it attaches to the handle it is given and turns
// each message into a QueueLock call. It posts each request's outcome as
// { id, outcome }, and answers `request` (once placed), `cancel` and `ping` with { ask, value }.
import { parentPort } from 'node:worker_threads'
import { outcomeOf } from './ordering-driver.mjs'

const { SharedLock } = await import('../../pkg/node.mjs')
let lock
const places = new Map()
const post = (message) => parentPort.postMessage(message)

parentPort.on('message', ({ op, id, mode, ifAvailable, handle, ask }) => {
  if (op === 'attach') {
    lock = SharedLock.from(handle)
    places.clear()
  } else if (op === 'request') {
    const report = (outcome) => post({ id, outcome })
    places.set(id, lock.request(mode, ifAvailable, () => report('granted'), (error) => report(outcomeOf(error))))
    post({ ask })
  } else if (op === 'cancel') {
    post({ ask, value: lock.cancel(places.get(id)) })
  } else if (op === 'release') {
    lock.release(places.get(id))
  } else if (op === 'ping') {
    post({ ask })
  }
})
