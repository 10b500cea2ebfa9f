// SharedLock in Chromium (Debian's, through playwright-core): the same checks
// as shared-lock.test.mjs, with module Web Workers as the threads, the page's
// main thread as the participant that sets up; and the fallback for engines
// without Atomics.waitAsync (Firefox ESR 140), exercised here by removing
// Atomics.waitAsync from the workers.
// The page-side scenarios are in support/shared-lock-page.mjs, shared with
// shared-lock.firefox.test.mjs.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { startServer } from '../../scripts/serve.mjs'
import { checkRun, scriptArbitrary } from '../support/lock-script.mjs'
import { launchChromium } from '../support/chromium.mjs'
import {
  atomicsExample,
  handoff,
  linearizableCount,
  lockScriptRun,
  mounts,
  notIsolatedError,
  notIsolatedMessage,
  pagePath,
  setUpPage,
  terminatedHolderAndWaiter,
} from '../support/shared-lock-page.mjs'

let browser
let isolated
let plain
let page

before(async () => {
  ;[browser, isolated, plain] = await Promise.all([launchChromium(), startServer({ mounts }), startServer({ mounts, isolated: false })])
  page = await browser.newPage()
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`))
  await page.goto(`${isolated.url}${pagePath}`)
  await page.evaluate(setUpPage)
})

after(() => Promise.all([browser?.close(), isolated?.close(), plain?.close()]))

describe('SharedLock across Chromium Web Workers', () => {
  test("the upstream's Atomics example in 8 workers on one buffer: exact with a SharedLock, updates lost with a store per worker", { timeout: 120_000 }, async () => {
    const result = await page.evaluate(atomicsExample, { threads: 8, lockedRounds: 100, unlockedRounds: 1000 })
    assert.equal(result.locked.value, result.locked.expected)
    assert.ok(result.unlocked.value < result.unlocked.expected, `no update was lost: ${result.unlocked.value}`)
    console.log(`Chromium, 8 workers × 100 rounds: ${result.locked.value} with a SharedLock (${result.locked.ms.toFixed(0)} ms), ${result.unlocked.value} of ${result.unlocked.expected} with a store per worker`)
  })

  for (const fallback of [false, true]) {
    test(`a linearizable count: 8 workers × 10,000 appends${fallback ? ', through the fallback without Atomics.waitAsync' : ''}`, { timeout: 180_000 }, async () => {
      const { count, eachOnce, pending, locked } = await page.evaluate(linearizableCount, { workers: 8, appends: 10_000, fallback })
      assert.deepEqual({ count, eachOnce, pending, locked }, { count: 80_000, eachOnce: true, pending: 0, locked: false })
    })
  }

  test('a worker terminated while it holds the lock, and one terminated while it waits: abandon frees their places and the others proceed', { timeout: 60_000 }, async () => {
    const result = await page.evaluate(terminatedHolderAndWaiter)
    assert.deepEqual(result, { pendingBefore: 2, lockedWithoutAbandon: true, freed: [1, 1], granted: { granted: true }, pending: 0, locked: false })
  })

  test('hand-off between two workers, with Atomics.waitAsync and through the fallback: the fallback wakes promptly', { timeout: 60_000 }, async () => {
    const result = {
      waitAsync: await page.evaluate(handoff, { turns: 2000, fallback: false }),
      fallback: await page.evaluate(handoff, { turns: 2000, fallback: true }),
    }
    console.log(
      `Chromium, 2 workers × 2,000 turns: ${result.waitAsync.us.toFixed(1)} µs per hand-off with Atomics.waitAsync (${result.waitAsync.handoffs} hand-offs), ` +
        `${result.fallback.us.toFixed(1)} µs through the fallback (${result.fallback.handoffs})`,
    )
    for (const { handoffs } of Object.values(result)) assert.ok(handoffs >= 2000, `only ${handoffs} of the 4,000 turns followed one of the other worker's`)
    assert.ok(result.fallback.us < 2000, `fallback hand-off ${result.fallback.us} µs`)
  })

  test('property: random requests, cancels and terminations across 2-4 workers keep FIFO order and mutual exclusion', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(scriptArbitrary(fc), async (script) => checkRun(await page.evaluate(lockScriptRun, { script }))),
      { numRuns: 20 },
    )
    await page.evaluate(lockScriptRun, { done: true })
  })
})

describe('SharedLock on a page that is not cross-origin isolated', () => {
  test('new SharedLock() throws an Error naming the COOP/COEP headers', async () => {
    const other = await browser.newPage()
    await other.goto(`${plain.url}${pagePath}`)
    assert.match(await other.evaluate(notIsolatedError), notIsolatedMessage)
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
