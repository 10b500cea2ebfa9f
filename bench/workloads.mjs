// The benchmark itself, shared by the Node runner (run.mjs) and the Chromium
// page (page.mjs): the contenders, the workloads, and the interleaved
// repetitions that time them. Nothing here depends on the environment; the
// caller passes the libraries and a clock.

/** The key every append updates. */
export const KEY = 'n'

/** The transform every append applies: a plain function, as in most real code. */
export const increment = (value) => (value ?? 0) + 1

/**
 * A Map store's callbacks: `async` ones return promises (the issue's
 * workload), `sync` ones return plain values.
 */
export function mapCallbacks(kind) {
  const map = new Map()
  const callbacks =
    kind === 'async'
      ? { data: async () => map, read: async (key) => map.get(key), write: async (key, value) => { map.set(key, value) } }
      : { data: () => map, read: (key) => map.get(key), write: (key, value) => { map.set(key, value) } }
  return { map, callbacks }
}

/** The upstream's `append` body, for the locks that only run a function exclusively. */
export const appendBody = ({ read, write }) => async (key, transform) => {
  const next = await transform(await read(key))
  await write(key, next)
  return next
}

/**
 * The contenders, by name: each turns a store's callbacks into an
 * `append(key, transform)`. `no lock` is the floor: the same callbacks
 * chained with no lock at all (queued calls then overlap and lose updates).
 */
export function contenders({ ours, upstream, Mutex, AsyncLock }) {
  return {
    ours: (callbacks) => ours.AsyncAtomicStore(callbacks).append,
    upstream: (callbacks) => upstream.AsyncAtomicStore(callbacks).append,
    'async-mutex': (callbacks) => {
      const mutex = new Mutex()
      const body = appendBody(callbacks)
      return (key, transform) => mutex.runExclusive(() => body(key, transform))
    },
    'async-lock': (callbacks) => {
      // Its default refuses more than 1000 pending calls.
      const lock = new AsyncLock({ maxPending: Infinity })
      const body = appendBody(callbacks)
      return (key, transform) => lock.acquire(KEY, () => body(key, transform))
    },
    'no lock': appendBody,
  }
}

/** Awaits each append before making the next. */
async function sequential(append, n) {
  for (let i = 0; i < n; i++) await append(KEY, increment)
}

/**
 * Makes `n` appends at once, then awaits the last: every contender serves
 * them in call order, so the last one settles last.
 */
export async function queued(append, n) {
  let last
  for (let i = 0; i < n; i++) last = append(KEY, increment)
  await last
}

/** The workloads for a config: `{ sequential: n, depths: [n, ...], minAppends }`. */
function workloads(config) {
  return [
    { name: 'sequential', n: config.sequential, runs: 1, run: sequential },
    ...config.depths.map((n) => ({
      name: `${n.toLocaleString('en-US')} queued`,
      n,
      depth: n,
      runs: Math.max(1, Math.ceil((config.minAppends ?? n) / n)),
      run: queued,
    })),
  ]
}

/** Makes `n` appends at once on a fresh store and returns them with the store's map, unawaited. */
export function queueAppends(makeAppend, n) {
  const { map, callbacks } = mapCallbacks('async')
  const append = makeAppend(callbacks)
  let last
  for (let i = 0; i < n; i++) last = append(KEY, increment)
  return { map, last }
}

/** The median of some numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Times one sample of a workload: `runs` runs (queued workloads shallower
 * than `config.minAppends` are run that many times over, each on a fresh
 * store, so that every sample covers about as many appends and a shallow
 * queue's figure is not one half-millisecond run at the mercy of the
 * collector's state). Returns the total time divided by all the appends, and
 * the last run's stored count.
 */
async function timeSample(makeAppend, kind, workload, now) {
  let elapsed = 0
  let count
  for (let run = 0; run < workload.runs; run++) {
    const { map, callbacks } = mapCallbacks(kind)
    const append = makeAppend(callbacks)
    const start = now()
    await workload.run(append, workload.n)
    elapsed += now() - start
    count = map.get(KEY)
  }
  return { nsPerOp: (elapsed * 1e6) / (workload.n * workload.runs), count }
}

/**
 * Times every contender on every workload with each kind of callbacks in `config.kinds`.
 *
 * Repetitions are interleaved (each repetition runs everything once, the
 * contenders in a rotating order) so that machine noise spreads over all of
 * them, and the median is kept. No GC is forced between runs: a forced full
 * GC leaves V8 slower for a while, which would distort the small runs that
 * follow it. A queue depth is skipped for a contender
 * whose time per op at the previous depth, times this depth, exceeds
 * `config.budgetMs`: the slow queues would take minutes.
 *
 * Resolves with `{ [kind]: { [workload]: { [contender]: { median, samples } | { skipped } } } }`.
 */
export async function runSuite({ libraries, config, now, log = () => {} }) {
  const makers = contenders(libraries)
  const names = Object.keys(makers)
  const kinds = config.kinds
  const loads = workloads(config)

  log(`warming up (${config.warmup} appends per workload and contender)`)
  for (const kind of kinds) {
    for (const name of names) {
      for (const workload of workloads({ sequential: config.warmup, depths: [config.warmup] })) {
        await timeSample(makers[name], kind, workload, now)
      }
    }
  }

  const results = {}
  for (const kind of kinds) {
    results[kind] = {}
    for (const workload of loads) {
      results[kind][workload.name] = {}
      for (const name of names) results[kind][workload.name][name] = { samples: [] }
    }
  }

  for (let rep = 0; rep < config.reps; rep++) {
    log(`repetition ${rep + 1} of ${config.reps}`)
    const order = names.map((_, i) => names[(i + rep) % names.length])
    for (const kind of kinds) {
      let previous
      for (const workload of loads) {
        for (const name of order) {
          const result = results[kind][workload.name][name]
          if (result.skipped) continue
          const before = previous?.[name]
          if (rep === 0 && workload.depth && before) {
            if (before.skipped) {
              result.skipped = before.skipped
              continue
            }
            const estimateMs = (median(before.samples) * workload.n) / 1e6
            if (estimateMs > config.budgetMs) {
              result.skipped = `≥ ${(estimateMs / 1000).toFixed(1)} s a run`
              continue
            }
          }
          const { nsPerOp, count } = await timeSample(makers[name], kind, workload, now)
          // Without a lock, overlapping appends lose updates; every lock must count them all.
          if (name !== 'no lock' && count !== workload.n) {
            throw new Error(`${name} lost updates: ${count} after ${workload.n} appends`)
          }
          result.samples.push(nsPerOp)
          if (config.verbose) log(`${kind} ${workload.name} ${name}: ${Math.round(nsPerOp)} ns`)
        }
        if (workload.depth) previous = results[kind][workload.name]
      }
    }
  }

  for (const kind of kinds) {
    for (const byName of Object.values(results[kind])) {
      for (const result of Object.values(byName)) {
        if (!result.skipped) result.median = median(result.samples)
      }
    }
  }
  return results
}
