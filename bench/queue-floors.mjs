// `node bench/queue-floors.mjs`: how flat can a queue of promises be in this
// engine? Times ours against two pure-JS FIFO designs with the same async
// callbacks, 1,000 and 1,000,000 appends queued at once, interleaved, and
// prints each design's medians and its 1,000,000 / 1,000 ratio (the issue's
// flatness target is at most 2×). See "Where the time goes" in BENCHMARKS.md.
//
// - ours: the package (queue in the Rust lock, calls parked in a JS array).
// - JS parked: ours with the queue in a JS array instead of wasm: each queued
//   call keeps its promise's resolve function and its arguments.
// - promise chain: each call's promise is the previous call's `.then(next)`,
//   so no resolve function is kept; the chain itself is the queue.

import { KEY, appendBody, mapCallbacks, median, queued } from './workloads.mjs'

const ours = await import('../pkg/node.mjs')

/** The resolve function of the promise just made with `new Promise(keepResolve)`. */
let lastResolve
const keepResolve = (resolve) => {
  lastResolve = resolve
}

/** Ours without wasm: `[key, transform, resolve]` parked per queued call, started on release. */
function jsParked({ read, write }) {
  let held = false
  let parked = []
  let head = 0
  const release = () => {
    if (head === parked.length) {
      held = false
      parked = []
      head = 0
      return
    }
    const key = parked[head]
    const transform = parked[head + 1]
    const resolve = parked[head + 2]
    parked[head] = parked[head + 1] = parked[head + 2] = undefined
    head += 3
    resolve(run(key, transform))
  }
  const run = async (key, transform) => {
    await undefined
    try {
      const next = transform(await read(key))
      await write(key, next)
      return next
    } finally {
      release()
    }
  }
  return (key, transform) => {
    if (!held) {
      held = true
      return run(key, transform)
    }
    const promise = new Promise(keepResolve)
    parked.push(key, transform, lastResolve)
    lastResolve = undefined
    return promise
  }
}

/** Each call chained onto the previous one's promise; its arguments wait in an array. */
function promiseChain(callbacks) {
  const body = appendBody(callbacks)
  let tail = Promise.resolve()
  let parked = []
  let head = 0
  const next = () => {
    const key = parked[head]
    const transform = parked[head + 1]
    parked[head] = parked[head + 1] = undefined
    head += 2
    if (head === parked.length) {
      parked = []
      head = 0
    }
    return body(key, transform)
  }
  return (key, transform) => {
    parked.push(key, transform)
    return (tail = tail.then(next, next))
  }
}

const designs = {
  ours: (callbacks) => ours.AsyncAtomicStore(callbacks).append,
  'JS parked': jsParked,
  'promise chain': promiseChain,
}

/** Queues `n` appends at once on a fresh store, awaits the last; nanoseconds per append. */
async function timeQueued(makeAppend, n) {
  const { map, callbacks } = mapCallbacks('async')
  const append = makeAppend(callbacks)
  const start = performance.now()
  await queued(append, n)
  const nsPerOp = ((performance.now() - start) * 1e6) / n
  if (map.get(KEY) !== n) throw new Error(`lost updates: ${map.get(KEY)} after ${n}`)
  return nsPerOp
}

const reps = 5
const samples = Object.fromEntries(Object.keys(designs).map((name) => [name, { small: [], large: [] }]))
for (const make of Object.values(designs)) for (let i = 0; i < 200; i++) await timeQueued(make, 1_000)
for (let rep = 0; rep < reps; rep++) {
  for (const [name, make] of Object.entries(designs)) {
    // 1,000 queued is quick and noisy: the median of 50 runs counts as one sample.
    const small = []
    for (let i = 0; i < 50; i++) small.push(await timeQueued(make, 1_000))
    samples[name].small.push(median(small))
    samples[name].large.push(await timeQueued(make, 1_000_000))
  }
  console.log(`  repetition ${rep + 1} of ${reps}`)
}

console.log(`\nNode ${process.version}, async callbacks, medians of ${reps} interleaved repetitions:\n`)
console.log('| design | 1,000 queued | 1,000,000 queued | ratio |')
console.log('| --- | ---: | ---: | ---: |')
for (const [name, { small, large }] of Object.entries(samples)) {
  const [a, b] = [median(small), median(large)]
  console.log(`| ${name} | ${Math.round(a)} ns | ${Math.round(b).toLocaleString('en-US')} ns | ${(b / a).toFixed(2)}× |`)
}
