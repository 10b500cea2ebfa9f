// What the packaging tests share: the examples a project runs, bundlers run
// in a project, and a built page's results in Chromium.

import assert from 'node:assert/strict'
import { join } from 'node:path'
import { root } from '../../scripts/setup.mjs'
import { startServer } from '../../scripts/serve.mjs'
import { bin, execute } from '../support/fresh-project.mjs'

export const fixtures = join(root, 'js-tests/packaging')

/** What every environment must print or show: the README's results. */
export const expected = { Map: 45, Set: '0123', Atomics: 121 }

/** The examples and their runner, at `at` in a project. */
export const exampleFiles = (at) => ({
  [`${at}examples.mjs`]: join(root, 'www/examples.js'),
  [`${at}run-examples.mjs`]: join(fixtures, 'run-examples.mjs'),
})

/** Runs the bundler `name` in `cwd`, which must build without a warning. */
export async function bundle(name, args, cwd) {
  const { stdout, stderr } = await execute(bin(name), args, cwd)
  assert.doesNotMatch(`${stdout}\n${stderr}`, /warn/i, `${name} warned:\n${stdout}\n${stderr}`)
}

/** Serves `dir` cross-origin isolated, opens `page` in `browser` (Chromium) and resolves with its `exampleResults`. */
export async function resultsInChromium(browser, dir, page = 'index.html') {
  const server = await startServer({ mounts: { '/': dir } })
  const tab = await browser.newPage()
  const problems = []
  tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
  })
  try {
    await tab.goto(`${server.url}${page}`)
    assert.strictEqual(await tab.evaluate(() => crossOriginIsolated), true, 'the page is cross-origin isolated')
    await tab.waitForFunction(() => 'exampleResults' in globalThis, null, { timeout: 30_000 })
    const results = await tab.evaluate(() => globalThis.exampleResults)
    assert.deepStrictEqual(problems, [])
    return results
  } finally {
    await tab.close()
    await server.close()
  }
}
