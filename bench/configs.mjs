// How much each run measures: the full run behind BENCHMARKS.md, and
// `--quick` for a fast look (async callbacks only, fewer repetitions, shorter
// sequential and memory runs, a smaller time budget per queue depth).

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
  },
}
