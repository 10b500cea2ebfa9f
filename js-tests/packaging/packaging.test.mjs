// The package as a user gets it: `npm pack` pkg/, install the tarball into
// fresh projects outside the repo, one per environment, and run the upstream
// README's three examples there: Node with `require` and with `import`,
// TypeScript (strict) in three module settings, and in Chromium a page with no
// bundler, a module Web Worker, and esbuild, webpack and Vite builds made with
// their default configuration. The projects reuse the repo's tools
// (tsc, tsx, the bundlers) by running them with the project as working directory.

import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { launchChromium } from '../support/chromium.mjs'
import { bin, freshProject, packTarball, run } from '../support/fresh-project.mjs'
import { bundle, exampleFiles, expected, fixtures, resultsInChromium } from './projects.mjs'

/**
 * The tarball holds the core five times: as text in core-bytes.js and
 * web.cjs (`require` in browser bundles), as hex in Node's two bundles
 * (node.cjs for `require`, node.mjs for a faster `import`), and as core.wasm
 * for workerd; each bundle also holds the JS. It was 81,088 bytes before
 * per-key locking (issue 19), whose scheduler adds 3,291 bytes to each copy
 * of the core: 95,891 bytes with it, and 114,291 with node.mjs a bundle.
 * PgLock (postgres.cjs, with its SQL, and its README section) adds about 10 KB.
 */
const budget = { wasmGzip: 15 * 1024, tarball: 132 * 1024 }

const workspace = mkdtempSync(join(tmpdir(), 'async-atomic-store-packaging-'))
let tarball
let browser

/** A fresh project `name` in the workspace with the tarball installed (see freshProject). */
const project = (name, options) => freshProject(workspace, tarball, name, options)

/** The wasm core as text (see decodeCore in load-core.js) of the package installed (or unpacked) at `dir`. */
const coreTextIn = (dir) => readFileSync(join(dir, 'core/core-bytes.js'), 'utf8').match(/coreText = '([^']+)'/)[1]

/** How many copies of the wasm core the scripts a bundler wrote to `dir`/dist hold. */
function coreCopiesBuilt(dir) {
  const dist = join(dir, 'dist')
  const scripts = readdirSync(dist, { recursive: true }).filter((file) => file.endsWith('.js'))
  const built = scripts.map((file) => readFileSync(join(dist, file), 'utf8')).join('\n')
  return built.split(coreTextIn(join(dir, 'node_modules/async-atomic-store'))).length - 1
}

before(async () => {
  tarball = await packTarball(workspace)
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  rmSync(workspace, { recursive: true, force: true })
})

test('the tarball: the wasm core embedded, a .wasm file only for workerd, within the size budget', async () => {
  const unpacked = join(workspace, 'unpacked')
  mkdirSync(unpacked)
  await run('tar', ['-xzf', tarball, '-C', unpacked], unpacked)
  const files = readdirSync(join(unpacked, 'package'), { recursive: true })
  assert.deepStrictEqual(files.filter((file) => file.endsWith('.wasm') || file.endsWith('.map')), ['core/core.wasm'])
  assert.ok(!files.includes('core/core.d.ts'), 'the wasm-bindgen declarations stay internal')
  const glue = readFileSync(join(unpacked, 'package/core/core.js'), 'utf8')
  assert.ok(!glue.includes('core.d.ts'), 'and nothing points at them (Deno reads `@ts-self-types`)')

  const coreText = coreTextIn(join(unpacked, 'package'))
  const { decodeCore } = await import(join(unpacked, 'package/core/load-core.js'))
  const wasm = Buffer.from(decodeCore(coreText))
  assert.deepStrictEqual([...wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'a wasm binary')
  // Node's CommonJS bundle carries the same binary, as hex (Node before 20.19
  // cannot `require` an ES module); each environment loads one of the two copies.
  assert.ok(readFileSync(join(unpacked, 'package/node.cjs'), 'utf8').includes(wasm.toString('hex')))
  assert.ok(readFileSync(join(unpacked, 'package/core/core.wasm')).equals(wasm), 'workerd imports the same binary')

  const wasmGzip = gzipSync(wasm, { level: 9 }).length
  const tarballSize = readFileSync(tarball).length
  console.log(`wasm: ${wasm.length} B, ${wasmGzip} B gzipped (budget ${budget.wasmGzip}); tarball: ${tarballSize} B (budget ${budget.tarball})`)
  assert.ok(wasmGzip <= budget.wasmGzip, `wasm gzipped ${wasmGzip} B > ${budget.wasmGzip} B`)
  assert.ok(tarballSize <= budget.tarball, `tarball ${tarballSize} B > ${budget.tarball} B`)
})

describe('Node', () => {
  test('CommonJS: require("async-atomic-store") runs the examples', { timeout: 60_000 }, async () => {
    const dir = await project('node-require', { files: { 'main.cjs': join(fixtures, 'node/require.cjs'), ...exampleFiles('') } })
    assert.deepStrictEqual(JSON.parse(await run(process.execPath, ['main.cjs'], dir)), expected)
  })

  test('ES module: import from "async-atomic-store" runs the examples', { timeout: 60_000 }, async () => {
    const dir = await project('node-import', { type: 'module', files: { 'main.mjs': join(fixtures, 'node/import.mjs'), ...exampleFiles('') } })
    assert.deepStrictEqual(JSON.parse(await run(process.execPath, ['main.mjs'], dir)), expected)
  })
})

test('Node: `require` and `import` in one process, in either order, share one core and one set of classes', { timeout: 60_000 }, async () => {
  const mains = ['one-core-import-first.mjs', 'one-core-require-first.cjs']
  const dir = await project('node-one-core', { files: Object.fromEntries(mains.map((main) => [main, join(fixtures, 'node', main)])) })
  for (const main of mains) assert.deepStrictEqual(JSON.parse(await run(process.execPath, [main], dir)), [], main)
})

test('Node: `require` loads SharedLock only when it is first read, and it fails with the package\'s error classes', { timeout: 60_000 }, async () => {
  const main = 'shared-lock-on-first-use.cjs'
  const dir = await project('node-shared-lock-on-first-use', { files: { [main]: join(fixtures, 'node', main) } })
  assert.deepStrictEqual(JSON.parse(await run(process.execPath, [main], dir)), { atRequire: false, onFirstUse: true, busyIsLockBusyError: true })
})

describe('TypeScript, strict: the README examples compile, wrong types stay errors, and tsx runs them', () => {
  const settings = [
    { module: 'nodenext', resolution: 'nodenext', type: 'module' },
    { module: 'commonjs', resolution: 'node10', type: 'commonjs' },
    { module: 'esnext', resolution: 'bundler', type: 'module' },
  ]
  const sources = ['support.ts', 'map.ts', 'set.ts', 'atomics.ts', 'types.ts', 'main.ts']
  for (const { module, resolution, type } of settings) {
    test(`module ${module}, moduleResolution ${resolution} ("type": "${type}")`, { timeout: 120_000 }, async () => {
      const files = Object.fromEntries(sources.map((file) => [file, join(fixtures, 'typescript', file)]))
      files['tsconfig.json'] = join(fixtures, `typescript/tsconfig.${resolution}.json`)
      const dir = await project(`typescript-${resolution}`, { type, files })
      await run(bin('tsc'), ['--project', 'tsconfig.json'], dir)
      assert.deepStrictEqual(JSON.parse(await run(bin('tsx'), ['main.ts'], dir)), expected)
    })
  }
})

describe('Chromium, cross-origin isolated', () => {
  test('a page with no bundler imports node_modules/async-atomic-store/web.js', { timeout: 60_000 }, async () => {
    const dir = await project('no-bundler', {
      files: { 'index.html': join(fixtures, 'browser/no-bundler.html'), ...exampleFiles('src/') },
    })
    assert.deepStrictEqual(await resultsInChromium(browser, dir), expected)
  })

  test('a module Web Worker imports the same file', { timeout: 60_000 }, async () => {
    const dir = await project('worker', {
      files: {
        'index.html': join(fixtures, 'browser/worker.html'),
        'src/worker.mjs': join(fixtures, 'browser/worker.mjs'),
        ...exampleFiles('src/'),
      },
    })
    assert.deepStrictEqual(await resultsInChromium(browser, dir), expected)
  })

  /** A bundler project: `src/index.js` imports the package by name; `page` loads the build. */
  const bundlerProject = (name, page) =>
    project(name, {
      files: { 'index.html': join(fixtures, page), 'src/index.js': join(fixtures, 'browser/bundle-entry.mjs'), ...exampleFiles('src/') },
    })

  test('esbuild: `esbuild src/index.js --bundle --outfile=dist/main.js` (default iife format)', { timeout: 60_000 }, async () => {
    const dir = await bundlerProject('esbuild', 'browser/classic-script.html')
    await bundle('esbuild', ['src/index.js', '--bundle', '--outfile=dist/main.js'], dir)
    assert.strictEqual(coreCopiesBuilt(dir), 1)
    assert.deepStrictEqual(await resultsInChromium(browser, dir), expected)
  })

  test('webpack 5: `webpack --mode production`, no config file', { timeout: 120_000 }, async () => {
    const dir = await bundlerProject('webpack', 'browser/classic-script.html')
    await bundle('webpack', ['--mode', 'production'], dir)
    assert.strictEqual(coreCopiesBuilt(dir), 1)
    assert.deepStrictEqual(await resultsInChromium(browser, dir), expected)
  })

  test('Vite: `vite build`, no config file', { timeout: 120_000 }, async () => {
    const dir = await bundlerProject('vite', 'browser/vite-index.html')
    await bundle('vite', ['build'], dir)
    assert.strictEqual(coreCopiesBuilt(dir), 1)
    assert.deepStrictEqual(await resultsInChromium(browser, join(dir, 'dist')), expected)
  })
})
