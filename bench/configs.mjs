// How much each run measures: the full run behind BENCHMARKS.md, and
// `--quick` for a fast look (async callbacks only, fewer repetitions, shorter
// sequential and memory runs, a smaller time budget per queue depth). `waiting`
// sizes the workloads of bench/waiting.mjs (options, giving up, shared reads),
// `webLocks` those of bench/web-locks.mjs.

export const configs = {
  full: {
    kinds: ['async', 'sync'],
    reps: 5,
    sequential: 100_000,
    depths: [1_000, 10_000, 100_000, 1_000_000],
    budgetMs: 8_000,
    minAppends: 100_000,
    warmup: 2_000,
    memoryOps: 100_000,
    waiting: {
      options: { n: 100_000, reps: 5 },
      givingUp: { n: 100_000, reps: 3 },
      slowReads: { reads: 1_000, ms: 5 },
      mixed: { depths: [1_000, 100_000], reps: 5 },
    },
    // Web Locks beside ours (bench/web-locks.mjs): a request costs microseconds, more as its queue grows.
    webLocks: { sequential: 10_000, depths: [10, 100, 1_000, 3_000, 10_000], reps: 3, budgetMs: 10_000, minAppends: 2_000 },
  },
  quick: {
    kinds: ['async'],
    reps: 3,
    sequential: 20_000,
    depths: [1_000, 10_000, 100_000, 1_000_000],
    budgetMs: 2_000,
    minAppends: 20_000,
    warmup: 1_000,
    memoryOps: 20_000,
    waiting: {
      options: { n: 20_000, reps: 3 },
      givingUp: { n: 20_000, reps: 1 },
      slowReads: { reads: 200, ms: 5 },
      mixed: { depths: [1_000, 20_000], reps: 1 },
    },
    webLocks: { sequential: 2_000, depths: [100, 1_000, 10_000], reps: 1, budgetMs: 5_000, minAppends: 1_000 },
  },
}
