// Runs the benchmark page (page.html) in headless Chromium and returns its
// results. The other locks are CommonJS packages; esbuild bundles them into
// one ES module for the page. Our package is served as built, from pkg/.

import { mkdirSync } from 'node:fs'
import { launchChromium } from '../js-tests/support/chromium.mjs'
import { startServer } from '../scripts/serve.mjs'
import { root } from '../scripts/setup.mjs'

const libsDir = `${root}/target/bench-libs`

async function bundleLibraries() {
  const esbuild = await import('esbuild')
  mkdirSync(libsDir, { recursive: true })
  await esbuild.build({
    stdin: {
      contents: [
        // The upstream marks itself `__esModule` and has no default export.
        "export * as upstream from 'async-atomic-store-upstream'",
        "export { Mutex, withTimeout } from 'async-mutex'",
        "export { default as AsyncLock } from 'async-lock'",
        "export { default as PQueue } from 'p-queue'",
      ].join('\n'),
      resolveDir: root,
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    outfile: `${libsDir}/libs.js`,
    logLevel: 'warning',
  })
}

/**
 * Runs `config` in Chromium, on the benchmark page, with `run` (by default
 * the page's `runBench`, which resolves with `{ times, waiting, webLocks,
 * userAgent }`; bench/per-key.mjs passes its own); resolves with what `run`
 * resolves with.
 */
export async function runInChromium(config, log, run = (config) => window.runBench(config)) {
  await bundleLibraries()
  const server = await startServer({
    mounts: { '/pkg': `${root}/pkg`, '/bench': `${root}/bench`, '/bench-libs': libsDir },
  })
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    page.on('console', (message) => log(`  chromium: ${message.text()}`))
    page.on('pageerror', (error) => log(`  chromium error: ${error.message}`))
    await page.goto(`${server.url}bench/page.html`)
    await page.waitForFunction(() => typeof window.runBench === 'function')
    return await page.evaluate(run, config)
  } finally {
    await browser.close()
    await server.close()
  }
}
