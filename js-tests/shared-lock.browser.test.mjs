// SharedLock in Chromium (Debian's, through playwright-core): the same checks
// as shared-lock.test.mjs, with module Web Workers as the threads, the page's
// main thread as the participant that sets up; and the fallback for engines
// without Atomics.waitAsync (Firefox ESR 140), exercised here by removing
// Atomics.waitAsync from the workers.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { root } from '../scripts/setup.mjs'
import { startServer } from '../scripts/serve.mjs'
import { checkRun, scriptArbitrary } from './support/lock-script.mjs'
import { launchChromium } from './support/chromium.mjs'

const mounts = { '/pkg': join(root, 'pkg'), '/js-tests': join(root, 'js-tests'), '/www': join(root, 'www') }
const pagePath = 'js-tests/browser/shared-lock.html'

let browser
let isolated
let plain
let page

before(async () => {
  ;[browser, isolated, plain] = await Promise.all([launchChromium(), startServer({ mounts }), startServer({ mounts, isolated: false })])
  page = await browser.newPage()
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`))
  await page.goto(`${isolated.url}${pagePath}`)
  await page.evaluate(async () => {
    window.lib = await import('/pkg/web.js')
    window.threads = await import('/www/threads.js')
    window.participantUrl = '/js-tests/support/lock-participant.mjs'
  })
})

after(() => Promise.all([browser?.close(), isolated?.close(), plain?.close()]))

describe('SharedLock across Chromium Web Workers', () => {
  test("the upstream's Atomics example in 8 workers on one buffer: exact with a SharedLock, updates lost with a store per worker", { timeout: 120_000 }, async () => {
    const result = await page.evaluate(async () => {
      const { atomicsAcrossThreads } = await import('/www/atomics-threads.js')
      return {
        locked: await atomicsAcrossThreads({ SharedLock: lib.SharedLock, threads: 8, rounds: 100 }),
        unlocked: await atomicsAcrossThreads({ threads: 8, rounds: 1000 }),
      }
    })
    assert.equal(result.locked.value, result.locked.expected)
    assert.ok(result.unlocked.value < result.unlocked.expected, `no update was lost: ${result.unlocked.value}`)
    console.log(`Chromium, 8 workers × 100 rounds: ${result.locked.value} with a SharedLock (${result.locked.ms.toFixed(0)} ms), ${result.unlocked.value} of ${result.unlocked.expected} with a store per worker`)
  })

  for (const fallback of [false, true]) {
    test(`a linearizable count: 8 workers × 10,000 appends${fallback ? ', through the fallback without Atomics.waitAsync' : ''}`, { timeout: 180_000 }, async () => {
      const result = await page.evaluate(async (fallback) => {
        const lock = new lib.SharedLock({ capacity: 2 ** 17 })
        const buffer = new SharedArrayBuffer(4)
        const workers = await Promise.all(Array.from({ length: 8 }, () => threads.spawn(participantUrl)))
        try {
          if (fallback) {
            for (const worker of workers) worker.post({ job: 'withoutWaitAsync' })
            for (const worker of workers) if ((await worker.next()).waitAsync !== 'undefined') throw new Error('Atomics.waitAsync still there')
          }
          for (const worker of workers) worker.post({ job: 'count', handle: lock.share(), buffer, appends: 10_000 })
          const seen = new Uint8Array(80_001)
          for (const worker of workers) {
            const result = await worker.next()
            if (result.error) throw new Error(result.error)
            for (const value of result.seen) seen[value]++
          }
          return { count: new Int32Array(buffer)[0], eachOnce: seen.slice(1).every((times) => times === 1), pending: lock.pending, locked: lock.locked }
        } finally {
          for (const worker of workers) worker.terminate()
        }
      }, fallback)
      assert.deepEqual(result, { count: 80_000, eachOnce: true, pending: 0, locked: false })
    })
  }

  test('a worker terminated while it holds the lock, and one terminated while it waits: abandon frees their places and the others proceed', { timeout: 60_000 }, async () => {
    const result = await page.evaluate(async () => {
      const lock = new lib.SharedLock()
      const [holder, doomed, waiter] = await Promise.all([0, 1, 2].map(() => threads.spawn(participantUrl)))
      const handles = [lock.share(), lock.share(), lock.share()]
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
      holder.post({ job: 'hold', handle: handles[0] })
      await holder.next()
      doomed.post({ job: 'wait', handle: handles[1] })
      await doomed.next()
      waiter.post({ job: 'wait', handle: handles[2] })
      await waiter.next()
      const pendingBefore = lock.pending
      doomed.terminate()
      holder.terminate()
      await sleep(50)
      const lockedWithoutAbandon = lock.locked
      const freed = [lock.abandon(handles[1]), lock.abandon(handles[0])]
      const granted = await waiter.next()
      waiter.terminate()
      return { pendingBefore, lockedWithoutAbandon, freed, granted, pending: lock.pending, locked: lock.locked }
    })
    assert.deepEqual(result, { pendingBefore: 2, lockedWithoutAbandon: true, freed: [1, 1], granted: { granted: true }, pending: 0, locked: false })
  })

  test('hand-off between two workers, with Atomics.waitAsync and through the fallback: the fallback wakes promptly', { timeout: 60_000 }, async () => {
    const result = await page.evaluate(async () => {
      const out = {}
      for (const fallback of [false, true]) {
        const lock = new lib.SharedLock()
        const start = new SharedArrayBuffer(8)
        const workers = await Promise.all([0, 1].map(() => threads.spawn(participantUrl)))
        if (fallback) for (const worker of workers) { worker.post({ job: 'withoutWaitAsync' }); await worker.next() }
        for (const worker of workers) worker.post({ job: 'handoff', handle: lock.share(), turns: 2000, start })
        while (Atomics.load(new Int32Array(start), 0) < 2) await new Promise((resolve) => setTimeout(resolve, 1))
        Atomics.store(new Int32Array(start), 1, 1)
        const times = await Promise.all(workers.map((worker) => worker.next()))
        for (const worker of workers) worker.terminate()
        out[fallback ? 'fallback' : 'waitAsync'] = (Math.max(...times.map((t) => t.ms)) * 1000) / 4000
      }
      return out
    })
    console.log(`Chromium, 2 workers alternating: ${result.waitAsync.toFixed(1)} µs per hand-off with Atomics.waitAsync, ${result.fallback.toFixed(1)} µs through the fallback`)
    assert.ok(result.fallback < 2000, `fallback hand-off ${result.fallback} µs`)
  })

  test('property: random requests, cancels and terminations across 2-4 workers keep FIFO order and mutual exclusion', { timeout: 300_000 }, async () => {
    await page.evaluate(async () => {
      window.pool = []
      window.lockScript = await import('/js-tests/support/lock-script.mjs')
    })
    await fc.assert(
      fc.asyncProperty(scriptArbitrary(fc), async (script) => {
        const run = await page.evaluate(async (script) => {
          while (pool.length < script.workers.length) pool.push(await threads.spawn(participantUrl))
          const run = await lockScript.runScript({ SharedLock: lib.SharedLock, script, threads: pool })
          for (const index of run.terminated) pool[index] = await threads.spawn(participantUrl)
          return run
        }, script)
        checkRun(run)
      }),
      { numRuns: 20 },
    )
    await page.evaluate(() => pool.forEach((worker) => worker.terminate()))
  })
})

describe('SharedLock on a page that is not cross-origin isolated', () => {
  test('new SharedLock() throws an Error naming the COOP/COEP headers', async () => {
    const other = await browser.newPage()
    await other.goto(`${plain.url}${pagePath}`)
    const message = await other.evaluate(async () => {
      const { SharedLock } = await import('/pkg/web.js')
      try {
        new SharedLock()
        return 'no error'
      } catch (error) {
        return `${error.name}: ${error.message}`
      }
    })
    assert.match(message, /^Error: new SharedLock\(\): SharedArrayBuffer is not available.*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/)
    await other.close()
  })
})

describe('the demo page lane', () => {
  test('runs the Atomics example in 8 workers: exact with a SharedLock, updates lost with a store per worker', { timeout: 120_000 }, async () => {
    const demo = await browser.newPage()
    const problems = []
    demo.on('pageerror', (error) => problems.push(error.message))
    await demo.goto(`${isolated.url}www/`)
    // 1,000 rounds: with fewer, a loaded machine can run the workers one after another and lose nothing.
    await demo.selectOption('#threads-rounds', '1000')
    await demo.click('#threads-controls button')
    await demo.waitForSelector('#threads[data-status="done"]', { timeout: 100_000 })
    const lane = (id) => demo.evaluate((id) => ({ ...document.getElementById(id).dataset }), id)
    const locked = await lane('threads-locked')
    const unlocked = await lane('threads-unlocked')
    assert.equal(locked.value, locked.expected)
    assert.ok(Number(unlocked.value) < Number(unlocked.expected))
    assert.deepEqual(problems, [])
    await demo.close()
  })
})
