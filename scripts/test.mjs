// `npm test`: every test. The Rust lock core natively (cargo test), then the
// build, then every js-tests/**/*.test.mjs with Node's test runner: behaviour
// in Node, packaging, the browser tests in Chromium, RedisLock against real
// redis-servers, PgLock against real PostgreSQL clusters, and every
// supported runtime (Node, Jest, Vitest, Bun, Deno, workerd, Chromium,
// Firefox, WebKitGTK).

import { readdirSync } from 'node:fs'
import { build } from './build.mjs'
import { ensureChromium, ensureFirefox, ensureNodeReleases, ensurePostgres, ensureRedis, ensureWebKitGtk, root, run, step } from './setup.mjs'

step('Testing the Rust lock core (cargo test)')
run('cargo', ['test', '--quiet'])

// Installs the build tools it needs, then writes pkg/.
await build()

// Installed here rather than from inside a test file, so apt's progress shows plainly.
ensureChromium()
ensureFirefox()
ensureWebKitGtk()
// The RedisLock tests start their own servers on free loopback ports and stop them.
ensureRedis()
// The PgLock tests make their own throwaway clusters the same way.
ensurePostgres()
// Node 22, 24 and 26 for the runtime tests, from npm, cached in target/node-releases/.
ensureNodeReleases()

const testFiles = readdirSync(`${root}/js-tests`, { recursive: true })
  .filter((file) => file.endsWith('.test.mjs'))
  .sort()
  .map((file) => `js-tests/${file}`)
step(`Running ${testFiles.length} JS test files (node --test)`)
run(process.execPath, ['--test', '--test-reporter=spec', ...testFiles])

step('All tests passed')
