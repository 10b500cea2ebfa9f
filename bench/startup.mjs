// `npm run bench:startup`: how long Node takes from `import` to the first
// resolved operation, ours against the upstream 1.2.2, and the package's
// sizes, measured in one run. Each sample is a fresh `node` process that
// imports the package, makes a store and awaits one `write`; the two
// packages alternate, so both see the same machine. Rewrites the startup
// section of BENCHMARKS.md (not with --quick).
//
//   --quick   10 samples each instead of 60; rewrites nothing

import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { packageSizes } from '../scripts/build.mjs'
import { root, step } from '../scripts/setup.mjs'
import { rewriteSection } from './markdown.mjs'

const quick = process.argv.includes('--quick')
const samples = quick ? 10 : 60
/** Samples of each package dropped first, while the file cache warms. */
const warmup = 3
/** The goal of issue 12: ours at most this many times the upstream's median. */
const target = 1.5

if (!existsSync(`${root}/pkg/node.mjs`)) {
  const { build } = await import('../scripts/build.mjs')
  await build()
}

/** What `import 'async-atomic-store'` loads in Node, for each package. */
const entries = {
  ours: pathToFileURL(`${root}/pkg/node.mjs`).href,
  upstream: pathToFileURL(`${root}/node_modules/async-atomic-store-upstream/lib/index.js`).href,
}

/** One fresh process: milliseconds from the start of `import` to the first write resolved. */
const probe = (entry) => `
const started = performance.now()
const { AsyncAtomicStore } = await import(${JSON.stringify(entry)})
const map = new Map()
const store = AsyncAtomicStore({ read: async (key) => map.get(key), write: async (key, value) => map.set(key, value), data: async () => map })
await store.write('key', 1)
console.log(performance.now() - started)
`

function sample(entry) {
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', probe(entry)], { encoding: 'utf8' })
  return Number(stdout.trim())
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

step(`Import to first operation in Node ${process.version}: ${samples} fresh processes per package, alternating`)
const times = { ours: [], upstream: [] }
for (let i = 0; i < samples + warmup; i++) {
  for (const name of Object.keys(entries)) {
    const ms = sample(entries[name])
    if (i >= warmup) times[name].push(ms)
  }
}
const ours = median(times.ours)
const upstream = median(times.upstream)
const ratio = ours / upstream

step('Package sizes')
const sizes = await packageSizes()

const ms = (value) => `${value.toFixed(2)} ms`
const bytes = (value) => `${value.toLocaleString('en-US')} bytes`
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus()[0].model.trim()}, ${os.availableParallelism()} cores (shared: the ratios matter more than the milliseconds).`,
  '',
  '| measure | ours | upstream 1.2.2 | target |',
  '| --- | ---: | ---: | --- |',
  `| Node ${process.version}: \`import\` to the first resolved \`write\`, median of ${samples} processes | ${ms(ours)} (${ratio.toFixed(2)}×) | ${ms(upstream)} | at most ${target}× the upstream: ${ratio <= target ? 'met' : 'missed'} |`,
  `| the wasm core, raw | ${bytes(sizes.wasmBytes)} | none | at most 4,096 bytes: ${sizes.wasmBytes <= 4096 ? 'met' : 'missed'} |`,
  `| \`export { AsyncAtomicStore } from 'async-atomic-store'\`, esbuild \`--bundle --minify --format=esm --platform=browser\`, gzipped | ${bytes(sizes.bundleGzipBytes)} | ${bytes(await upstreamBundleGzipBytes())} | at most 5,120 bytes: ${sizes.bundleGzipBytes <= 5120 ? 'met' : 'missed'} |`,
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
