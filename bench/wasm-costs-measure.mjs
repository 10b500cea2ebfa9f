// The timed part of bench/wasm-costs.mjs, for Node and for Chromium alike.
// `load(variant)` returns `{ glue, lock }`: the variant's wasm-bindgen glue,
// instantiated, and (a, c) the package's core-lock.js functions over it.

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1]
const ALL = 0xffffffff

/** A store's state as core-lock.js wants it: an object that holds its queue's address as `at`. */
function newState({ newCore }) {
  const state = { at: 0 }
  state.at = newCore(state, ALL, 0)
  return state
}

/**
 * Nanoseconds per join+release pair on a free lock: (a) today's plain
 * exports through core-lock.js, (b) a wasm-bindgen class, (c) wasm-bindgen
 * free functions through the same core-lock.js as (a). Interleaved rounds, medians.
 */
export async function measureCalls(load, { rounds = 15, pairs = 1_000_000 } = {}) {
  const [a, b, c] = [await load('a'), await load('b'), await load('c')]
  const [sa, ca] = [newState(a.lock), a.lock.core]
  const lb = new b.glue.StoreLock(ALL, 0)
  const [sc, cc] = [newState(c.lock), c.lock.core]
  // One function per variant, so that each call site sees one shape.
  const runs = {
    a: (n) => { let s = 0; for (let i = 0; i < n; i++) s += ca.joinWith(sa, 0, 0, Infinity) + ca.release(sa); return s },
    b: (n) => { let s = 0; for (let i = 0; i < n; i++) s += lb.join(0, 0, 0, Infinity) + lb.release(0); return s },
    c: (n) => { let s = 0; for (let i = 0; i < n; i++) s += cc.joinWith(sc, 0, 0, Infinity) + cc.release(sc); return s },
  }
  return interleave(runs, rounds, async (run) => {
    const start = performance.now()
    // GRANTED (-1) then NONE (-1) for every pair.
    if (run(pairs) !== -2 * pairs) throw new Error('a join+release pair returned something unexpected')
    return ((performance.now() - start) * 1e6) / pairs
  })
}

/**
 * The package's way, cut down to a lock: a queued call is its promise, its
 * resolve function and its callback at its slot in a plain array (as
 * pkg-template/store/waiting.js parks them), over today's core-lock.js.
 */
export function jsParked({ newCore, core }) {
  return class JsParkedLock {
    constructor() {
      this.at = newCore(this, ALL, 0)
      this.parked = []
    }
    acquire() {
      const joined = core.join(this)
      if (joined === -1) return Promise.resolve()
      return new Promise((resolve) => (this.parked[2 * joined] = resolve))
    }
    run(callback) {
      const joined = core.join(this)
      if (joined === -1) return this.start(callback)
      return new Promise((resolve) => {
        this.parked[2 * joined] = resolve
        this.parked[2 * joined + 1] = callback
      })
    }
    start(callback) {
      let value
      try {
        value = callback()
      } catch (error) {
        this.release()
        return Promise.reject(error)
      }
      return Promise.resolve(value).then(
        (v) => (this.release(), v),
        (e) => {
          this.release()
          throw e
        },
      )
    }
    release() {
      for (let handed = core.release(this); handed !== -1; handed = handed & 1 ? core.nextGranted(this) : -1) {
        const at = 2 * (handed >> 1)
        const [resolve, callback] = [this.parked[at], this.parked[at + 1]]
        this.parked[at] = this.parked[at + 1] = undefined
        resolve(callback === undefined ? undefined : this.start(callback))
      }
    }
  }
}

/**
 * Microseconds per call, each call awaited through Rust (d: `run(callback)`
 * and `acquire()` return wasm-bindgen-futures promises) against parked in
 * JS (jsParked over (a)): sequential awaited calls, and 1,000 queued at once.
 */
export async function measureAsync(load, { rounds = 11, sequential = 20_000, queued = 1000, batches = 20 } = {}) {
  const [a, d] = [await load('a'), await load('d')]
  const locks = { rust: new d.glue.AsyncStoreLock(ALL), js: new (jsParked(a.lock))() }
  const release = { rust: (held) => held.release(), js: () => locks.js.release() }
  const callback = () => 1
  const workloads = {
    'run(callback), sequential': [sequential, async (lock) => {
      let sum = 0
      for (let i = 0; i < sequential; i++) sum += await lock.run(callback)
      if (sum !== sequential) throw new Error('run() did not resolve with what the callback returned')
    }],
    'run(callback), 1,000 queued': [queued * batches, async (lock) => {
      for (let b = 0; b < batches; b++) {
        const calls = []
        for (let i = 0; i < queued; i++) calls.push(lock.run(callback))
        if ((await Promise.all(calls)).some((value) => value !== 1)) throw new Error('run() did not resolve with what the callback returned')
      }
    }],
    'acquire()+release(), sequential': [sequential, async (lock, kind) => {
      for (let i = 0; i < sequential; i++) release[kind](await lock.acquire(false))
    }],
  }
  const result = {}
  for (const [name, [calls, body]] of Object.entries(workloads)) {
    const runs = { rust: () => body(locks.rust, 'rust'), js: () => body(locks.js, 'js') }
    for (const run of Object.values(runs)) await run()
    result[name] = await interleave(runs, rounds, async (run) => {
      const start = performance.now()
      await run()
      return ((performance.now() - start) * 1000) / calls
    })
  }
  return result
}

/** Each of `runs` timed `rounds` times by `time`, in an order that rotates; the medians. */
async function interleave(runs, rounds, time) {
  const names = Object.keys(runs)
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]
      samples[name].push(await time(runs[name]))
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name])]))
}
