// The toolchains users build with, each in a fresh project with the packed
// tarball installed: Node apps bundled for deployment (esbuild
// --platform=node as ESM and as CommonJS, `vite build --ssr` with
// `ssr.noExternal: true`, webpack --target node), each bundle copied alone
// into an empty folder and run there; and browser apps that `require` the
// package (esbuild, webpack), which must get the browser build, no bigger
// than the whole API taken with `import * as`, and run in Chromium; and an
// app that imports only the stores, which must bundle no SharedLock code.

import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { browserBundle } from '../../scripts/build.mjs'
import { launchChromium } from '../support/chromium.mjs'
import { freshProject, packTarball, run } from '../support/fresh-project.mjs'
import { bundle, exampleFiles, expected, fixtures, resultsInChromium } from './projects.mjs'


const workspace = mkdtempSync(join(tmpdir(), 'async-atomic-store-toolchains-'))
const alone = []
let tarball

before(async () => {
  tarball = await packTarball(workspace)
})

after(() => {
  for (const dir of [workspace, ...alone]) rmSync(dir, { recursive: true, force: true })
})

const project = (name, files) => freshProject(workspace, tarball, name, { type: 'module', files })

/** The one script a bundler wrote to `dir`/dist. */
function builtScript(dir) {
  const scripts = readdirSync(join(dir, 'dist'), { recursive: true }).filter((file) => /\.[cm]?js$/.test(file))
  assert.strictEqual(scripts.length, 1, `one script in dist/, got ${scripts.join(', ')}`)
  return join(dir, 'dist', scripts[0])
}

describe('Node apps bundled for deployment: the bundle runs alone, with no node_modules', () => {
  /** Copies the bundle in `dir`/dist into an empty folder outside the project, runs it with Node and checks what it prints. */
  async function runsAlone(dir, name) {
    const script = builtScript(dir)
    const folder = mkdtempSync(join(tmpdir(), 'async-atomic-store-alone-'))
    alone.push(folder)
    copyFileSync(script, join(folder, name))
    assert.doesNotMatch(readFileSync(script, 'utf8'), /createRequire/, 'nothing loaded from beside the bundle at run time')
    const printed = JSON.parse(await run(process.execPath, [name], folder))
    assert.deepStrictEqual(printed, { ...expected, defaultImport: true })
  }

  const nodeProject = (name) => project(name, { 'src/main.mjs': join(fixtures, 'node/bundle-entry.mjs'), ...exampleFiles('src/') })

  for (const [format, name] of [['esm', 'main.mjs'], ['cjs', 'main.cjs']]) {
    test(`esbuild --bundle --platform=node --format=${format}`, { timeout: 60_000 }, async () => {
      const dir = await nodeProject(`esbuild-node-${format}`)
      await bundle('esbuild', ['src/main.mjs', '--bundle', '--platform=node', `--format=${format}`, `--outfile=dist/${name}`], dir)
      await runsAlone(dir, name)
    })
  }

  test('esbuild --bundle --platform=node --format=cjs of an app that uses `require`', { timeout: 60_000 }, async () => {
    const dir = await project('esbuild-node-require', { 'src/main.cjs': join(fixtures, 'node/require.cjs'), ...exampleFiles('src/') })
    await bundle('esbuild', ['src/main.cjs', '--bundle', '--platform=node', '--format=cjs', '--outfile=dist/main.cjs'], dir)
    const folder = mkdtempSync(join(tmpdir(), 'async-atomic-store-alone-'))
    alone.push(folder)
    copyFileSync(join(dir, 'dist/main.cjs'), join(folder, 'main.cjs'))
    assert.deepStrictEqual(JSON.parse(await run(process.execPath, ['main.cjs'], folder)), expected)
  })

  test('vite build --ssr, ssr.noExternal: true', { timeout: 120_000 }, async () => {
    const dir = await nodeProject('vite-ssr')
    writeFileSync(join(dir, 'vite.config.mjs'), 'export default { ssr: { noExternal: true }, build: { outDir: "dist" } }\n')
    await bundle('vite', ['build', '--ssr', 'src/main.mjs'], dir)
    await runsAlone(dir, 'main.mjs')
  })

  test('webpack --target node', { timeout: 120_000 }, async () => {
    const dir = await nodeProject('webpack-node')
    await bundle('webpack', ['--mode', 'production', '--target', 'node', '--entry', './src/main.mjs', '--output-path', 'dist', '--output-filename', 'main.cjs'], dir)
    await runsAlone(dir, 'main.cjs')
  })
})

describe('browser apps that `require` the package get the browser build', () => {
  let browser

  before(async () => {
    browser = await launchChromium()
  })

  after(() => browser?.close())

  const bundlers = {
    esbuild: (entry) => ['esbuild', [entry, '--bundle', '--minify', '--outfile=dist/main.js']],
    webpack: (entry) => ['webpack', ['--mode', 'production', '--entry', entry, '--output-path', 'dist', '--output-filename', 'main.js']],
  }

  for (const [name, command] of Object.entries(bundlers)) {
    test(`${name}: \`require('async-atomic-store')\` bundles web.cjs, within 10% of \`import * as\``, { timeout: 120_000 }, async () => {
      const built = {}
      for (const [kind, entry] of [['require', 'browser/require-entry.cjs'], ['import', 'browser/namespace-entry.mjs']]) {
        const source = `src/index.${entry.endsWith('.cjs') ? 'cjs' : 'mjs'}`
        const dir = await project(`${name}-browser-${kind}`, {
          'index.html': join(fixtures, 'browser/classic-script.html'),
          [source]: join(fixtures, entry),
          ...exampleFiles('src/'),
        })
        await bundle(...command(`./${source}`), dir)
        const script = readFileSync(builtScript(dir))
        built[kind] = { dir, gzip: gzipSync(script, { level: 9 }).length, text: script.toString() }
      }
      const { dir, gzip, text } = built.require
      const installed = join(dir, 'node_modules/async-atomic-store')
      const hexCore = readFileSync(join(installed, 'core/core.wasm')).toString('hex')
      assert.ok(!text.includes(hexCore.slice(0, 256)), 'no part of node.cjs (the core as hex)')
      assert.doesNotMatch(text, /node:module|createRequire|Buffer\.from/, 'no Node-only code')
      console.log(`${name}: require ${gzip} B gzipped, import * as ${built.import.gzip} B`)
      assert.ok(gzip <= built.import.gzip * 1.1, `require bundle ${gzip} B gzipped > 110% of import * as (${built.import.gzip} B)`)
      assert.deepStrictEqual(await resultsInChromium(browser, dir), expected)
    })
  }
})

test('a browser app that imports only AsyncMap or AsyncAtomicStore bundles no SharedLock code', { timeout: 60_000 }, async () => {
  const dir = await project('tree-shaking', {})
  const bundled = async (names) => new TextDecoder().decode(await browserBundle(`export { ${names} } from 'async-atomic-store'`, dir))
  const sharedLockCode = /SharedArrayBuffer|Atomics\.wait|Cross-Origin-Opener-Policy/
  assert.match(await bundled('SharedLock'), sharedLockCode, 'the markers are in SharedLock')
  for (const names of ['AsyncMap', 'AsyncAtomicStore', 'AsyncAtomicStore, AsyncMap, AsyncArray, AsyncObject, LockBusyError, QueueFullError']) {
    assert.doesNotMatch(await bundled(names), sharedLockCode, `{ ${names} }`)
  }
})
