// The package in Chromium (Debian's, through playwright-core): the demo page
// that `npm start` serves, with and without cross-origin isolation, and the
// behaviour tests of behaviour.mjs run inside a page against the browser entry.
// Screenshots of the demo go to out/screenshots/.

import nodeAssert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { root } from '../../scripts/setup.mjs'
import { startServer } from '../../scripts/serve.mjs'
import { examples } from '../../www/examples.js'
import { behaviourTests } from '../store/behaviour.mjs'
import { assert as browserAssert } from './assert.mjs'
import { launchChromium } from '../support/chromium.mjs'

const screenshots = join(root, 'out/screenshots')
const mounts = { '/pkg': join(root, 'pkg'), '/js-tests': join(root, 'js-tests'), '/': join(root, 'www') }

/** A value as the page shows it: strings quoted. */
const show = (value) => (typeof value === 'string' ? `'${value}'` : String(value))

let browser
let isolatedServer
let plainServer

before(async () => {
  mkdirSync(screenshots, { recursive: true })
  ;[browser, isolatedServer, plainServer] = await Promise.all([
    launchChromium(),
    startServer({ mounts }),
    startServer({ mounts, isolated: false }),
  ])
})

after(() => Promise.all([browser?.close(), isolatedServer?.close(), plainServer?.close()]))

/** Opens `url` in a new page that records page errors and console errors in `problems`. */
async function open(url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport })
  const problems = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
  })
  await page.goto(url)
  return { page, problems }
}

/** Waits until both lanes of the burst have finished; returns their final figures. */
async function burstResult(page) {
  await page.waitForSelector('#lane-locked[data-status="done"]', { timeout: 60_000 })
  await page.waitForSelector('#lane-unlocked[data-status="done"]', { timeout: 60_000 })
  return page.evaluate(() => {
    const lane = (id) => {
      const element = document.getElementById(id)
      return {
        count: Number(element.dataset.count),
        lost: Number(element.dataset.lost),
        timedOut: Number(element.dataset.timedOut),
        mostRunning: Number(element.querySelector('[data-stat="most-running"]').textContent.replace(/,/g, '')),
        squares: element.querySelectorAll('.grid .done').length,
        timedOutSquares: element.querySelectorAll('.grid .timedOut').length,
        verdict: element.querySelector('.verdict').className,
      }
    }
    return { locked: lane('lane-locked'), unlocked: lane('lane-unlocked') }
  })
}

describe('the demo page, cross-origin isolated', () => {
  test('loads cleanly, runs every example and the worker, and keeps every update of the burst under the lock', { timeout: 120_000 }, async () => {
    const { page, problems } = await open(isolatedServer.url)
    nodeAssert.strictEqual(await page.evaluate(() => crossOriginIsolated), true)
    nodeAssert.strictEqual(await page.evaluate(() => typeof SharedArrayBuffer), 'function')

    for (const { name, expected } of examples) {
      const card = page.locator(`.example[data-example="${name}"]`)
      await page.waitForSelector(`.example[data-example="${name}"]:not([data-status="running"])`)
      nodeAssert.strictEqual(await card.getAttribute('data-status'), 'pass', `${name} example`)
      nodeAssert.strictEqual(await card.locator('.result').textContent(), `✔ ${show(expected)}`)
      nodeAssert.match(await card.locator('code').textContent(), /AsyncAtomicStore\(\{/)
    }

    await page.waitForSelector('#worker:not([data-status="running"])')
    nodeAssert.strictEqual(await page.getAttribute('#worker', 'data-status'), 'pass')
    nodeAssert.strictEqual(await page.textContent('#worker-result'), '✔ 45 from the worker')

    const size = Number(await page.inputValue('#burst-size'))
    const first = await burstResult(page)
    nodeAssert.deepStrictEqual(first.locked, { count: size, lost: 0, timedOut: 0, mostRunning: 1, squares: size, timedOutSquares: 0, verdict: 'verdict good' })
    nodeAssert.ok(first.unlocked.lost > 0, `the lockless lane lost no update: ${JSON.stringify(first.unlocked)}`)
    nodeAssert.strictEqual(first.unlocked.count + first.unlocked.lost, size)
    nodeAssert.ok(first.unlocked.mostRunning > 1)

    await page.waitForSelector('#lock-cost[data-status="done"]', { timeout: 60_000 })
    const lockCost = await page.textContent('#lock-cost .figure')
    nodeAssert.match(lockCost, /^100,000 appends queued at once on an in-memory store: [\d,]+ ms, [\d.]+ µs each\.$/)

    await page.screenshot({ path: `${screenshots}/demo-desktop.png`, fullPage: true })
    console.log(`burst of ${size}: under the lock ${JSON.stringify(first.locked)}, without ${JSON.stringify(first.unlocked)}`)
    console.log(`lock cost in Chromium: ${lockCost}`)
    console.log(`screenshot: ${screenshots}/demo-desktop.png`)

    await page.selectOption('#burst-size', '50')
    await page.click('#burst-controls button[type="submit"]')
    await page.waitForSelector('#burst[data-status="done"]')
    const second = await burstResult(page)
    nodeAssert.deepStrictEqual(second.locked, { count: 50, lost: 0, timedOut: 0, mostRunning: 1, squares: 50, timedOutSquares: 0, verdict: 'verdict good' })

    nodeAssert.ok(await page.locator('a[href$="#api"]').count() > 0, 'a link to the README API section')
    nodeAssert.deepStrictEqual(problems, [])
  })

  test('a burst under a short timeout shows its timed-out calls, and every call that ran counts', { timeout: 120_000 }, async () => {
    const { page, problems } = await open(isolatedServer.url)
    await burstResult(page)
    await page.selectOption('#burst-timeout', '50')
    await page.click('#burst-controls button[type="submit"]')
    await page.waitForSelector('#burst[data-status="done"]', { timeout: 60_000 })
    const size = Number(await page.inputValue('#burst-size'))
    const { locked, unlocked } = await burstResult(page)
    nodeAssert.ok(locked.timedOut > 0, `no call timed out: ${JSON.stringify(locked)}`)
    nodeAssert.ok(locked.count > 0, `no call ran: ${JSON.stringify(locked)}`)
    nodeAssert.strictEqual(locked.count + locked.timedOut, size)
    nodeAssert.strictEqual(locked.lost, 0)
    nodeAssert.strictEqual(locked.mostRunning, 1)
    nodeAssert.strictEqual(locked.squares, locked.count)
    nodeAssert.strictEqual(locked.timedOutSquares, locked.timedOut)
    nodeAssert.strictEqual(locked.verdict, 'verdict good')
    nodeAssert.strictEqual(await page.textContent('#lane-locked [data-stat="timed-out"]'), locked.timedOut.toLocaleString('en'))
    nodeAssert.match(await page.textContent('#lane-locked .verdict'), /^Count [\d,]+ of [\d,]+: [\d,]+ timed out waiting and never ran, every other update kept/)
    nodeAssert.strictEqual(await page.textContent('#lane-locked .snippet'), 'store.append(1, (n) => n + 1, { timeout: 50 })')
    nodeAssert.strictEqual(unlocked.timedOut, 0)
    nodeAssert.strictEqual(unlocked.timedOutSquares, 0)
    await (await page.$('#burst')).screenshot({ path: `${screenshots}/demo-burst-timeout.png` })
    console.log(`burst of ${size} with a 50 ms timeout: under the lock ${JSON.stringify(locked)}`)
    nodeAssert.deepStrictEqual(problems, [])
  })

  test('shared reads: much faster with sharedReads, and every read sees exactly the appends made before it', { timeout: 120_000 }, async () => {
    const { page, problems } = await open(isolatedServer.url)
    const lanes = async () => {
      await page.waitForSelector('#shared-reads[data-status="done"]', { timeout: 60_000 })
      // Each lane draws its last state, verdict included, on the next animation frame.
      for (const lane of ['reads-shared', 'reads-exclusive']) await page.waitForSelector(`#${lane}[data-status="done"]`, { timeout: 60_000 })
      return page.evaluate(() => {
        const lane = (id) => {
          const element = document.getElementById(id)
          return {
            wrong: Number(element.dataset.wrong),
            elapsed: Number(element.dataset.elapsed),
            mostRunning: Number(element.querySelector('[data-stat="most-running"]').textContent),
            done: element.querySelectorAll('.grid .done').length,
            appends: element.querySelectorAll('.grid [data-call="append"]').length,
            verdict: element.querySelector('.verdict').className,
          }
        }
        return { shared: lane('reads-shared'), exclusive: lane('reads-exclusive') }
      })
    }
    for (let run = 0; run < 2; run++) {
      if (run > 0) await page.click('#shared-reads-controls button[type="submit"]')
      const { shared, exclusive } = await lanes()
      for (const lane of [shared, exclusive]) {
        nodeAssert.deepStrictEqual({ ...lane, elapsed: 0, mostRunning: 0 }, { wrong: 0, elapsed: 0, mostRunning: 0, done: 200, appends: 20, verdict: 'verdict good' })
      }
      nodeAssert.strictEqual(exclusive.mostRunning, 1)
      nodeAssert.ok(shared.mostRunning > 1, `reads never ran together: ${JSON.stringify(shared)}`)
      nodeAssert.ok(shared.elapsed * 2 < exclusive.elapsed, `sharedReads ${shared.elapsed} ms, one at a time ${exclusive.elapsed} ms`)
      nodeAssert.match(await page.textContent('#shared-reads-speedup'), /^With sharedReads the 200 calls took [\d,]+ ms against [\d,]+ ms one at a time, [\d.]+× less, with up to \d+ reads running at once\.$/)
      console.log(`shared reads, run ${run + 1}: with sharedReads ${JSON.stringify(shared)}, one at a time ${JSON.stringify(exclusive)}`)
    }
    await (await page.$('#shared-reads')).screenshot({ path: `${screenshots}/demo-shared-reads.png` })
    nodeAssert.deepStrictEqual(problems, [])
  })

  test('fits a 390 px wide screen', { timeout: 120_000 }, async () => {
    const { page, problems } = await open(isolatedServer.url, { width: 390, height: 844 })
    await burstResult(page)
    await page.waitForSelector('#shared-reads[data-status="done"]', { timeout: 60_000 })
    await page.waitForSelector('#lock-cost[data-status="done"]', { timeout: 60_000 })
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
    nodeAssert.strictEqual(overflow, 0, 'the page scrolls sideways')
    await page.screenshot({ path: `${screenshots}/demo-narrow.png`, fullPage: true })
    nodeAssert.deepStrictEqual(problems, [])
  })
})

describe('the demo page without cross-origin isolation', () => {
  test('says why the Atomics example cannot run and runs the others', { timeout: 120_000 }, async () => {
    const { page, problems } = await open(plainServer.url)
    nodeAssert.strictEqual(await page.evaluate(() => crossOriginIsolated), false)
    for (const { name } of examples) {
      await page.waitForSelector(`.example[data-example="${name}"]:not([data-status="running"])`)
    }
    const atomics = page.locator('.example[data-example="Atomics"]')
    nodeAssert.strictEqual(await atomics.getAttribute('data-status'), 'unavailable')
    nodeAssert.match(await atomics.locator('.why').textContent(), /not cross-origin isolated.*SharedArrayBuffer.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/)
    nodeAssert.match(await page.textContent('#isolation'), /^Not cross-origin isolated/)
    for (const name of ['Map', 'Set']) {
      nodeAssert.strictEqual(await page.getAttribute(`.example[data-example="${name}"]`, 'data-status'), 'pass')
    }
    await page.waitForSelector('#worker:not([data-status="running"])')
    nodeAssert.strictEqual(await page.getAttribute('#worker', 'data-status'), 'pass')
    await page.screenshot({ path: `${screenshots}/demo-not-isolated.png`, fullPage: true })
    nodeAssert.deepStrictEqual(problems, [])
  })
})

describe('behaviour.mjs in Chromium, against the browser entry', () => {
  test('the browser assert fails and passes where node:assert/strict does', async () => {
    const cases = [
      ['strictEqual', [1, 1]], ['strictEqual', [1, '1']], ['strictEqual', [NaN, NaN]], ['strictEqual', [0, -0]], ['strictEqual', [{}, {}]],
      ['deepStrictEqual', [[1, [2, 'x']], [1, [2, 'x']]]], ['deepStrictEqual', [[1, 2], [1, 2, 3]]], ['deepStrictEqual', [[1], ['1']]],
      ['deepStrictEqual', [[undefined, 'nested'], [undefined, 'nested']]], ['deepStrictEqual', [[undefined], [null]]], ['deepStrictEqual', [{ a: 1 }, { a: 1, b: 2 }]],
      ['deepStrictEqual', [[[0, 'a'], [1, 'x']], [[0, 'a'], [1, 'x']]]], ['deepStrictEqual', [[], {}]], ['deepStrictEqual', [new Map([[1, 2]]), new Map([[1, 3]])]],
      ['ok', [true]], ['ok', [0]], ['ok', ['']], ['ok', [{}]],
      ['throws', [() => { throw new TypeError('x') }, TypeError]], ['throws', [() => { throw new Error('x') }, TypeError]], ['throws', [() => {}, TypeError]],
      ['throws', [() => { throw new TypeError('options must be an object') }, { name: 'TypeError', message: /options must be/ }]],
      ['throws', [() => { throw new TypeError('other') }, { name: 'TypeError', message: /options must be/ }]],
      ['throws', [() => { throw new RangeError('options must be') }, { name: 'TypeError', message: /options must be/ }]],
    ]
    for (const [method, args] of cases) {
      const outcome = (fn) => { try { fn(); return 'passes' } catch { return 'fails' } }
      nodeAssert.strictEqual(outcome(() => browserAssert[method](...args)), outcome(() => nodeAssert[method](...args)), `${method}(${args.map(String)})`)
    }
    const rejectCases = [
      [() => Promise.reject(new TypeError('transform must be a function')), { name: 'TypeError', message: /transform must be/ }],
      [() => Promise.reject(new TypeError('callback must be a function')), { name: 'TypeError', message: /transform must be/ }],
      [() => Promise.resolve(1), TypeError],
    ]
    for (const [settle, expected] of rejectCases) {
      const outcome = (assert) => assert.rejects(settle(), expected).then(() => 'passes', () => 'fails')
      nodeAssert.strictEqual(await outcome(browserAssert), await outcome(nodeAssert), `rejects(${settle}, ${String(expected)})`)
    }
  })

  test('every behaviour test passes in the page', { timeout: 300_000 }, async () => {
    const defined = []
    behaviourTests({}, { test: (name) => defined.push(name), assert: browserAssert })
    const { page, problems } = await open(`${isolatedServer.url}js-tests/browser/behaviour.html`)
    await page.waitForFunction(() => 'behaviourResults' in window)
    const results = await page.evaluate(() => window.behaviourResults)
    nodeAssert.deepStrictEqual(results.map((result) => result.name), defined)
    const failures = results.filter((result) => !result.passed).map((result) => `${result.name}: ${result.error}`)
    nodeAssert.deepStrictEqual(failures, [])
    nodeAssert.deepStrictEqual(problems, [])
    const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a))
    console.log(`${results.length} behaviour tests passed in Chromium; slowest: ${slowest.name} (${slowest.ms} ms)`)
  })
})
