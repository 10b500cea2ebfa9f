// The shared-reads lane behind the page's live view: reads of a slow source
// with every `writeEvery`-th call an append, all made at once, through a store
// with or without `sharedReads`. Each call's result is checked against the
// serial model: what it would see if the calls ran one at a time in call order.

import { Stage } from './burst.js'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A counter behind a slow source, as IndexedDB, a file or a fetch are: `read`
 * and `write` each wait 5–20 ms. `watch.started(kind)` and `watch.ended()`
 * are told when each of them begins (`kind` is `'read'` or `'write'`) and ends.
 */
export function slowSource(watch) {
  let count = 0
  return {
    read: async () => {
      watch.started('read')
      await sleep(5 + Math.random() * 15)
      watch.ended()
      return count
    },
    write: async (_key, value) => {
      watch.started('write')
      await sleep(5 + Math.random() * 15)
      count = value
      watch.ended()
    },
    data: async () => count,
  }
}

/** The calls of a run: every `writeEvery`-th an append, the others reads. */
export const callsOf = (size, writeEvery) =>
  Array.from({ length: size }, (_, i) => ((i + 1) % writeEvery === 0 ? 'append' : 'read'))

/** What each call returns when the calls run one at a time in call order: a read the appends before it, an append the count it made. */
export function serialResults(calls) {
  let count = 0
  return calls.map((call) => (call === 'append' ? ++count : count))
}

/**
 * Makes `calls` at once on the store `storeFor(source)` makes: `read('count')`
 * and `append('count', (n) => n + 1)`. Calls `onChange` with the run's live
 * state whenever a call changes stage or the source starts or ends a read or
 * write; resolves with the final state. `running` counts the source's reads
 * and writes in progress, `wrong` the calls whose result differs from the
 * serial model's.
 */
export async function runSharedReads({ calls, storeFor, onChange }) {
  const size = calls.length
  const state = {
    size,
    calls,
    stages: new Uint8Array(size).fill(Stage.queued),
    queued: size,
    running: 0,
    done: 0,
    mostRunning: 0,
    wrong: 0,
    startedAt: performance.now(),
    elapsedMs: 0,
    count: undefined,
  }
  // Every call reads the source once, in call order (the store is FIFO, and a
  // batch of shared reads starts in queue order), so the k-th read belongs to
  // the k-th call. A call runs from its read until its promise settles.
  let reads = 0
  const source = slowSource({
    started(kind) {
      if (kind === 'read') {
        state.stages[reads++] = Stage.running
        state.queued--
      }
      state.mostRunning = Math.max(state.mostRunning, ++state.running)
      onChange(state)
    },
    ended() {
      state.running--
      onChange(state)
    },
  })
  const store = storeFor(source)
  const expected = serialResults(calls)
  await Promise.all(
    calls.map((call, i) =>
      (call === 'append' ? store.append('count', (n) => n + 1) : store.read('count')).then((result) => {
        if (result !== expected[i]) state.wrong++
        state.stages[i] = Stage.done
        state.done++
        state.elapsedMs = performance.now() - state.startedAt
        onChange(state)
      }),
    ),
  )
  state.count = await source.data()
  onChange(state)
  return state
}
