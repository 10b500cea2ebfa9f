// Threads for the demo page, `npm start` and the tests: the same code spawns
// a module Web Worker in a browser and a worker_threads Worker in Node, and
// the same worker script runs in both.

const inNode = typeof process === 'object' && typeof process.versions?.node === 'string'

/**
 * Starts `url` (a module script) in a new thread. Resolves with
 * `{ post, next, terminate, worker }`: `next()` resolves with the thread's
 * next message; `worker` is the Worker itself.
 */
export async function spawn(url) {
  const { receive, next } = mailbox()
  let worker
  if (inNode) {
    const { Worker } = await import('node:worker_threads')
    worker = new Worker(url)
    worker.on('message', receive)
    worker.on('error', (error) => receive({ error: String(error) }))
  } else {
    worker = new Worker(url, { type: 'module' })
    worker.onmessage = (event) => receive(event.data)
    worker.onerror = (event) => receive({ error: event.message })
  }
  return {
    post: (message) => worker.postMessage(message),
    next,
    /** Stops the thread; resolves once it has stopped (Node) or was told to (browsers). */
    terminate: () => worker.terminate(),
    worker,
  }
}

/** Inside a worker: `{ post, next }` to talk with the thread that started it, in Node and in browsers. */
export async function parentChannel() {
  const { receive, next } = mailbox()
  if (inNode) {
    const { parentPort } = await import('node:worker_threads')
    parentPort.on('message', receive)
    return { post: (message) => parentPort.postMessage(message), next }
  }
  addEventListener('message', (event) => receive(event.data))
  return { post: (message) => postMessage(message), next }
}

/** Messages in arrival order: `receive` puts one in, `next()` resolves with the next one. */
function mailbox() {
  const inbox = []
  const readers = []
  return {
    receive: (message) => (readers.length ? readers.shift()(message) : inbox.push(message)),
    next: () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => readers.push(resolve))),
  }
}

/** The package: pkg/node.mjs in Node, /pkg/web.js in a browser. */
export const loadPackage = () => import(inNode ? '../pkg/node.mjs' : '/pkg/web.js')

