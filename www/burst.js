// The burst behind the page's live view: N appends of `n => n + 1`, each fired
// by its own timer, at one counter whose read and write callbacks take a
// moment, as storage or network calls do. Run once through a store and once
// through the same callbacks with no lock, where updates get lost.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Where an append of a burst is. */
export const Stage = { scheduled: 0, queued: 1, running: 2, done: 3 }

/**
 * A counter behind slow callbacks: `read` and `write` each wait on a timer of
 * 0–2 ms (browsers stretch nested timers to 4 ms). `watch.readStarted()` and
 * `watch.writeEnded()` are told when an append's work begins and ends.
 */
export function slowCounter(watch) {
  let count = 0
  return {
    read: async () => {
      watch.readStarted()
      await sleep(Math.random() * 2)
      return count
    },
    write: async (_key, value) => {
      await sleep(Math.random() * 2)
      count = value
      watch.writeEnded()
    },
    data: async () => count,
  }
}

/** An append with no lock: read, transform, write, and any other call may run in between. */
export function appendWithoutLock({ read, write }) {
  return async (key, transform) => {
    const next = await transform(await read(key))
    await write(key, next)
    return next
  }
}

/**
 * Fires `size` appends at one counter from timers spread over `spreadMs`,
 * through the `append` that `appendFor(callbacks)` makes. Calls `onChange`
 * with the burst's live state whenever an append changes stage; resolves
 * with the final state.
 */
export async function runBurst({ size, spreadMs = 25, appendFor, onChange }) {
  const state = {
    size,
    stages: new Uint8Array(size),
    queued: 0,
    running: 0,
    done: 0,
    mostRunning: 0,
    startedAt: performance.now(),
    elapsedMs: 0,
    count: undefined,
  }
  // Appends are tracked by the order they were fired, their call order. Both
  // appends call `read` once per call, in call order (the store because it is
  // FIFO, the lockless one because it reads at once), so the k-th read belongs
  // to the k-th append. An append runs from its read to the end of its write;
  // it is done when its promise settles.
  let fired = 0
  let reads = 0
  const callbacks = slowCounter({
    readStarted() {
      state.stages[reads++] = Stage.running
      state.queued--
      state.mostRunning = Math.max(state.mostRunning, ++state.running)
      onChange(state)
    },
    writeEnded() {
      state.running--
      onChange(state)
    },
  })
  const append = appendFor(callbacks)

  const fire = () => {
    const position = fired++
    state.stages[position] = Stage.queued
    state.queued++
    onChange(state)
    return append(1, (n) => n + 1).then(() => {
      state.stages[position] = Stage.done
      state.done++
      state.elapsedMs = performance.now() - state.startedAt
      onChange(state)
    })
  }

  await Promise.all(
    Array.from({ length: size }, () =>
      new Promise((resolve) => setTimeout(() => resolve(fire()), Math.random() * spreadMs)),
    ),
  )
  state.count = await callbacks.data()
  onChange(state)
  return state
}
