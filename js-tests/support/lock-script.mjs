// The SharedLock property test, shared by Node and Chromium: random scripts
// (made with fast-check), a runner that plays one across participant threads
// (support/lock-participant.mjs), terminating one of them if the script says
// so, and the check of what the threads recorded. The runner and the check
// use no Node API, so a page can run the same script.

/** A random script: each worker's operations, and perhaps one worker to terminate at some moment. */
export const scriptArbitrary = (fc) =>
  fc.record({
    workers: fc.array(
      fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 6 }),
          mode: fc.constantFrom('exclusive', 'exclusive', 'shared'),
          ifAvailable: fc.boolean().chain((maybe) => (maybe ? fc.boolean() : fc.constant(false))),
          hold: fc.integer({ min: 0, max: 3 }),
          cancelAt: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 5 })),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      { minLength: 2, maxLength: 4 },
    ),
    terminate: fc.option(fc.record({ worker: fc.nat(), at: fc.integer({ min: 0, max: 8 }) }), { nil: null }),
  })

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Plays `script` on a new SharedLock across `threads` (one per worker of the
 * script). Resolves with each survivor's report, the indexes of the threads
 * terminated, and the lock's `pending` and `locked` once all is done.
 */
export async function runScript({ SharedLock, script, threads }) {
  const lock = new SharedLock({ capacity: 64 })
  const clock = new SharedArrayBuffer(4)
  const holders = new SharedArrayBuffer(8 * script.workers.length)
  const handles = script.workers.map(() => lock.share())
  script.workers.forEach((ops, worker) => threads[worker].post({ job: 'script', handle: handles[worker], clock, holders, worker, ops }))
  const terminated = []
  if (script.terminate) {
    const worker = script.terminate.worker % script.workers.length
    await sleep(script.terminate.at)
    await threads[worker].terminate()
    await sleep(20) // a browser stops a worker soon after terminate(), not at once
    terminated.push(worker)
    // It holds nothing any more as far as the survivors' checks go; the lock learns it from abandon.
    Atomics.store(new Int32Array(holders), 2 * worker, 0)
    Atomics.store(new Int32Array(holders), 2 * worker + 1, 0)
    lock.abandon(handles[worker])
  }
  const reports = await Promise.all(script.workers.map((_, worker) => (terminated.includes(worker) ? null : threads[worker].next())))
  return { reports, terminated, pending: lock.pending, locked: lock.locked }
}

/** Throws if a run broke FIFO order, mutual exclusion, the cancel contract, or left the line busy. */
export function checkRun(run) {
  const problems = []
  const granted = []
  run.reports.forEach((report, worker) => {
    if (report === null) return
    if (report.error) problems.push(`worker ${worker}: ${report.error}`)
    for (const violation of report.violations ?? []) problems.push(`worker ${worker}: ${violation}`)
    for (const record of report.records ?? []) if (record.outcome === 'granted') granted.push({ worker, ...record })
  })
  for (const a of granted) {
    for (const b of granted) {
      if (a.requestEnd < b.requestStart && !(a.mode === 'shared' && b.mode === 'shared') && !(a.releaseAt < b.grantAt)) {
        problems.push(`${b.mode} request of worker ${b.worker} made after worker ${a.worker}'s ${a.mode} one returned was granted (tick ${b.grantAt}) before that one was released (tick ${a.releaseAt})`)
      }
    }
  }
  if (run.pending !== 0 || run.locked) problems.push(`afterwards pending is ${run.pending} and locked is ${run.locked}`)
  if (problems.length) throw new Error(problems.slice(0, 5).join('\n'))
}
