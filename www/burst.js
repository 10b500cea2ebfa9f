// The burst behind the page's live view: N appends of `n => n + 1`, each fired
// by its own timer, at one counter whose read and write callbacks take a
// moment, as storage or network calls do. Run once through a store and once
// through the same callbacks with no lock, where updates get lost.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Where an append of a burst is. `timedOut`: it waited longer than its timeout and never ran. */
export const Stage = { scheduled: 0, queued: 1, running: 2, done: 3, timedOut: 4 }

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
 * through the `append` that `appendFor(callbacks)` makes. An append that
 * rejects with a `TimeoutError` counts as timed out. Calls `onChange` with
 * the burst's live state whenever an append changes stage; resolves with the
 * final state.
 */
export async function runBurst({ size, spreadMs = 25, appendFor, onChange }) {
  const state = {
    size,
    stages: new Uint8Array(size),
    queued: 0,
    running: 0,
    done: 0,
    timedOut: 0,
    mostRunning: 0,
    startedAt: performance.now(),
    elapsedMs: 0,
    count: undefined,
  }
  // Appends are tracked by the order they were fired, their call order. Both
  // appends call `read` once per call that runs, in call order (the store
  // because it is FIFO, the lockless one because it reads at once), and a
  // call that times out leaves the queue before its turn: the append that
  // reads is the oldest one still queued. An append runs from its read to the
  // end of its write; it is done when its promise settles.
  let fired = 0
  let oldestQueued = 0
  const callbacks = slowCounter({
    readStarted() {
      while (state.stages[oldestQueued] !== Stage.queued) oldestQueued++
      state.stages[oldestQueued] = Stage.running
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
    const settle = (stage) => {
      state.stages[position] = stage
      state.elapsedMs = performance.now() - state.startedAt
      onChange(state)
    }
    return append(1, (n) => n + 1).then(
      () => {
        state.done++
        settle(Stage.done)
      },
      (error) => {
        if (error?.name !== 'TimeoutError') throw error
        state.queued--
        state.timedOut++
        settle(Stage.timedOut)
      },
    )
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
