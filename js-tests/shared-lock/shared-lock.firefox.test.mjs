// SharedLock in Firefox ESR (Debian's), through the fallback for engines
// without Atomics.waitAsync: a small blob worker per participant that blocks
// in Atomics.wait. The same scenarios as shared-lock.browser.test.mjs runs in
// Chromium (support/shared-lock-page.mjs), with module Web Workers as the
// threads. Firefox ESR 140 has no Atomics.waitAsync; Firefox 145 and later
// (so ESR 153, Debian's since) have it, and there each worker deletes its
// own, so the fallback is still what runs, in Firefox's workers and its
// Atomics.wait; the hand-off test then measures both.
//
// Firefox runs with no automation attached (support/firefox.mjs,
// launchDrivenFirefox): under WebDriver BiDi, Firefox itself sometimes
// blocks a worker for good in `new Worker()`, which the fallback calls in
// each worker (see support/firefox.mjs). The page the tests load last is the
// one that is not cross-origin isolated.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { startServer } from '../../scripts/serve.mjs'
import { drivenPagePath, launchDrivenFirefox } from '../support/firefox.mjs'
import { checkRun, scriptArbitrary } from '../support/lock-script.mjs'
import {
  atomicsExample,
  environment,
  handoff,
  linearizableCount,
  lockScriptRun,
  mounts,
  notIsolatedError,
  notIsolatedMessage,
  setUpPage,
  terminatedHolderAndWaiter,
} from '../support/shared-lock-page.mjs'

let server
let plain
let page
/** The browser's name and version, for the diagnostics. */
let firefox
/** Whether this Firefox has Atomics.waitAsync of its own. */
let nativeWaitAsync

before(async () => {
  ;[server, plain] = await Promise.all([startServer({ mounts }), startServer({ mounts, isolated: false })])
  page = await launchDrivenFirefox(`${server.url}${drivenPagePath}`)
  firefox = /Firefox\/[\d.]+/.exec(await page.evaluate(() => navigator.userAgent))[0]
  await page.evaluate(setUpPage)
})

after(() => Promise.all([page?.close(), server?.close(), plain?.close()]))

describe('SharedLock across Firefox ESR Web Workers, through the fallback', () => {
  test('the page and its workers are cross-origin isolated; Atomics.waitAsync is the same in both, and absent before Firefox 145', { timeout: 30_000 }, async (t) => {
    const { page: inPage, worker } = await page.evaluate(environment)
    assert.deepEqual({ inPage: inPage.crossOriginIsolated, worker: worker.crossOriginIsolated }, { inPage: true, worker: true })
    assert.equal(worker.waitAsync, inPage.waitAsync)
    nativeWaitAsync = inPage.waitAsync === 'function'
    const major = Number(/\/(\d+)/.exec(firefox)[1])
    if (major < 145) assert.equal(inPage.waitAsync, 'undefined', `${firefox} has Atomics.waitAsync`)
    t.diagnostic(
      nativeWaitAsync
        ? `${firefox} has Atomics.waitAsync: each worker below deletes it, so the SharedLock waits through its fallback`
        : `${firefox} has no Atomics.waitAsync: the SharedLock waits through its fallback`,
    )
  })

  test("the upstream's Atomics example in 8 workers on one buffer: exact with a SharedLock, updates lost with a store per worker", { timeout: 60_000 }, async (t) => {
    const result = await page.evaluate(atomicsExample, { threads: 8, lockedRounds: 100, unlockedRounds: 1000, fallback: true })
    assert.equal(result.locked.value, result.locked.expected)
    assert.ok(result.unlocked.value < result.unlocked.expected, `no update was lost: ${result.unlocked.value}`)
    t.diagnostic(`Firefox, 8 workers × 100 rounds: ${result.locked.value} with a SharedLock (${result.locked.ms.toFixed(0)} ms), ${result.unlocked.value} of ${result.unlocked.expected} with a store per worker`)
  })

  test('a linearizable count: 8 workers × 10,000 appends', { timeout: 60_000 }, async (t) => {
    const { count, eachOnce, pending, locked, ms } = await page.evaluate(linearizableCount, { workers: 8, appends: 10_000, fallback: true })
    assert.deepEqual({ count, eachOnce, pending, locked }, { count: 80_000, eachOnce: true, pending: 0, locked: false })
    t.diagnostic(`Firefox, 8 workers × 10,000 appends: ${ms.toFixed(0)} ms`)
  })

  test('a worker terminated while it holds the lock, and one terminated while it waits: abandon frees their places and the others proceed', { timeout: 30_000 }, async () => {
    const result = await page.evaluate(terminatedHolderAndWaiter, { fallback: true })
    assert.deepEqual(result, { pendingBefore: 2, lockedWithoutAbandon: true, freed: [1, 1], granted: { granted: true }, pending: 0, locked: false })
  })

  test("the fallback's wake latency: two workers handing the lock to each other", { timeout: 30_000 }, async (t) => {
    const fallback = await page.evaluate(handoff, { turns: 2000, fallback: true })
    const native = nativeWaitAsync ? await page.evaluate(handoff, { turns: 2000, fallback: false }) : undefined
    t.diagnostic(
      `Firefox, 2 workers × 2,000 turns: ${fallback.handoffs} hand-offs, ${fallback.us.toFixed(1)} µs each through the fallback` +
        (native === undefined ? '' : `; ${native.handoffs} hand-offs, ${native.us.toFixed(1)} µs each with Firefox's own Atomics.waitAsync`),
    )
    assert.ok(fallback.handoffs >= 2000, `only ${fallback.handoffs} of the 4,000 turns followed one of the other worker's`)
    assert.ok(fallback.us < 2000, `fallback hand-off ${fallback.us} µs`)
  })

  test('property: random requests, cancels and terminations across 2-4 workers keep FIFO order and mutual exclusion', { timeout: 60_000 }, async () => {
    await fc.assert(
      // fast-check's records have a null prototype, which puppeteer's BiDi serializer refuses ("Custom object serialization not possible"): plain copies.
      fc.asyncProperty(scriptArbitrary(fc), async (script) => checkRun(await page.evaluate(lockScriptRun, { script: JSON.parse(JSON.stringify(script)), fallback: true }))),
      { numRuns: 20 },
    )
    await page.evaluate(lockScriptRun, { done: true })
  })
})

describe('SharedLock on a Firefox page that is not cross-origin isolated', () => {
  test('new SharedLock() throws an Error naming the COOP/COEP headers', { timeout: 30_000 }, async () => {
    await page.goto(`${plain.url}${drivenPagePath}`)
    assert.match(await page.evaluate(notIsolatedError), notIsolatedMessage)
  })
})
