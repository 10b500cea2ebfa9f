// `npm run bench:wasm-costs`: what wasm-bindgen's conveniences would cost the
// core, measured on scratch builds in target/wasm-costs/ (src/ is copied,
// never changed). The figures are in BENCHMARKS.md ("What each Rust tool
// costs"), and the README's table cites them.
//
//   a  today: plain `extern "C"` exports over a queue's address (src/binding.rs)
//   b  the same API as a `#[wasm_bindgen] pub struct StoreLock` with methods
//   c  the same functions as `#[wasm_bindgen] pub fn`s
//   d  a plus an async class: `run(callback)` and `acquire()` return promises
//      (wasm-bindgen-futures `future_to_promise`, `JsFuture`, js-sys), each
//      waiting call a Rust future over the crate's AsyncLock
//
// Prints each variant's wasm size (after the wasm-opt flags of Cargo.toml),
// its glue, the speed of a join+release pair (a, b, c), the speed of awaited
// calls and the memory of a waiting call (d against calls parked in JS).
//
//   --no-build   reuse the variants built by an earlier run
//   --browser    time the calls in headless Chromium too

import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { root, run, step } from '../scripts/setup.mjs'
import { jsParked, measureAsync, measureCalls } from './wasm-costs-measure.mjs'

const scratch = `${root}/target/wasm-costs`

/** The binding's functions (after `lock_`) but `new` and `free`: arguments and result, as Rust. Keep in step with src/binding.rs. */
const functions = [
  ['join', 'n: u32, shared: u32, if_available: u32, deadline: f64', 'i32'],
  ['release', 'slot: u32', 'i32'],
  ['next_granted', '', 'i32'],
  ['cancel', 'slot: u32', 'bool'],
  ['grant', 'slot: u32', 'bool'],
  ['hold', '', '()'],
  ['expire', 'now: f64', 'i32'],
  ['next_deadline', '', 'f64'],
  ['pending', '', 'u32'],
  ['locked', '', 'bool'],
]
const names = (params) => params.split(', ').filter(Boolean).map((param) => param.split(':')[0])

/** What each variant appends to src/binding.rs; b and c first make its functions plain Rust ones. */
const variants = {
  a: { rust: '' },
  b: {
    plain: true,
    rust: `
#[wasm_bindgen::prelude::wasm_bindgen]
pub struct StoreLock { queue: WaitQueue }
#[wasm_bindgen::prelude::wasm_bindgen]
impl StoreLock {
    #[wasm_bindgen(constructor)]
    pub fn new(max_pending: u32, kind: u32) -> StoreLock {
        let queue = if kind == OWN_LINE { WaitQueue::with_max_pending(max_pending) } else { WaitQueue::outer(max_pending) };
        StoreLock { queue }
    }
${functions.map(([name, params, result]) => `    pub fn ${name}(&mut self, ${params}) -> ${result} { unsafe { lock_${name}(&mut self.queue, ${names(params).join(', ')}) } }`).join('\n')}
}`,
  },
  c: {
    plain: true,
    rust: `
mod bindgen_functions {
    use wasm_bindgen::prelude::wasm_bindgen;
    #[wasm_bindgen] pub fn lock_new(max_pending: u32, kind: u32) -> u32 { super::lock_new(max_pending, kind) as u32 }
    #[wasm_bindgen] pub fn lock_free(lock: u32) { unsafe { super::lock_free(lock as super::Lock) } }
${functions.map(([name, params, result]) => `    #[wasm_bindgen] pub fn lock_${name}(lock: u32, ${params}) -> ${result} { unsafe { super::lock_${name}(lock as super::Lock, ${names(params).join(', ')}) } }`).join('\n')}
}`,
  },
  d: {
    dependencies: 'wasm-bindgen-futures = { version = "0.4", default-features = false }\njs-sys = { version = "0.3", default-features = false }\n',
    rust: `
use wasm_bindgen::prelude::{wasm_bindgen, JsValue};
#[wasm_bindgen]
pub struct AsyncStoreLock { lock: crate::AsyncLock }
#[wasm_bindgen]
pub struct Held { _guard: crate::Guard }
#[wasm_bindgen]
impl Held {
    pub fn release(self) {}
}
#[wasm_bindgen]
impl AsyncStoreLock {
    #[wasm_bindgen(constructor)]
    pub fn new(max_pending: u32) -> AsyncStoreLock { AsyncStoreLock { lock: crate::AsyncLock::with_max_pending(max_pending) } }
    /// A promise of a held turn, granted in call order.
    pub fn acquire(&self, shared: bool) -> js_sys::Promise {
        let acquire = self.lock.acquire(if shared { Mode::Shared } else { Mode::Exclusive });
        wasm_bindgen_futures::future_to_promise(async move {
            let guard = acquire.await.map_err(|_| JsValue::from_str("full"))?;
            Ok(Held { _guard: guard }.into())
        })
    }
    /// Waits for the lock, calls \`callback\`, awaits what it returns, releases.
    pub fn run(&self, callback: js_sys::Function) -> js_sys::Promise {
        let acquire = self.lock.acquire(Mode::Exclusive);
        wasm_bindgen_futures::future_to_promise(async move {
            let guard = acquire.await.map_err(|_| JsValue::from_str("full"))?;
            let value = callback.call0(&JsValue::UNDEFINED)?;
            let result = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&value)).await;
            drop(guard);
            result
        })
    }
}`,
  },
}

/** How the package's core-lock.js reaches the functions, in a and c; b and d bring their own classes. */
const classOver = { a: "import { wasm } from './glue.mjs'", c: "import * as wasm from './glue.mjs'" }

/** The glue as the package trims it (trimGlue, scripts/build.mjs): the instance's exports reachable, initSync taking `{ module }`. */
const glueRewrites = [
  [/^export \{ initSync, __wbg_init as default \};$/m, 'export { initSync, wasm };'],
  [/^    if \(module !== undefined\) \{\n(?:.*\n){5}    \}\n/m, '    ({ module } = module);\n'],
]

/** Builds every variant as `npm run build` builds the core: wasm-pack, release, Cargo.toml's wasm-opt flags. */
function buildVariants() {
  for (const [name, variant] of Object.entries(variants)) {
    step(`Building variant ${name} in ${scratch}/${name}`)
    const crate = `${scratch}/${name}`
    rmSync(`${crate}/src`, { recursive: true, force: true })
    mkdirSync(crate, { recursive: true })
    cpSync(`${root}/src`, `${crate}/src`, { recursive: true })
    cpSync(`${root}/Cargo.lock`, `${crate}/Cargo.lock`)
    const manifest = readFileSync(`${root}/Cargo.toml`, 'utf8')
    writeFileSync(`${crate}/Cargo.toml`, manifest.replace('[dev-dependencies]\n', `${variant.dependencies ?? ''}\n[dev-dependencies]\n`))
    let binding = readFileSync(`${crate}/src/binding.rs`, 'utf8')
    // The scratch crates warn about what they leave unused; that is fine here.
    if (variant.plain) binding = binding.replaceAll('#[no_mangle]\n', '')
    writeFileSync(`${crate}/src/binding.rs`, `${binding}\n${variant.rust}\n`)
    // One target directory per variant: Cargo would take a same-named crate's build for fresh.
    const env = { ...process.env, CARGO_TARGET_DIR: `${crate}/target`, PATH: `${root}/node_modules/.bin:${process.env.PATH}` }
    const wasmPack = (outDir, ...flags) => run('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', outDir, '--out-name', 'core', '--no-pack', ...flags, crate], { env })
    // Today's core also without wasm-opt, to show what that step saves.
    if (name === 'a') wasmPack(`${crate}/pkg-no-opt`, '--no-opt')
    wasmPack(`${crate}/pkg`)
    let glue = readFileSync(`${crate}/pkg/core.js`, 'utf8')
    for (const [pattern, replacement] of glueRewrites) {
      if (!pattern.test(glue)) throw new Error(`variant ${name}: wasm-bindgen's glue no longer matches ${pattern}`)
      glue = glue.replace(pattern, replacement)
    }
    writeFileSync(`${crate}/pkg/glue.mjs`, glue)
    // a and c: the package's core-lock.js, over the instance's exports (a) or the glue's wrappers (c).
    if (classOver[name]) {
      const coreLock = readFileSync(`${root}/pkg-template/core/core-lock.js`, 'utf8')
      writeFileSync(`${crate}/pkg/lock.mjs`, coreLock.replace("import { wasm } from './core.js'", classOver[name]))
    }
  }
}

/** The wasm, the glue as wasm-bindgen emits it, and what a browser app carries: initSync and what calls the core, minified. */
async function sizes() {
  const esbuild = await import('esbuild')
  const entries = {
    a: "export { initSync } from './glue.mjs'; export { newCore, core } from './lock.mjs'",
    b: "export { initSync, StoreLock } from './glue.mjs'",
    c: "export { initSync } from './glue.mjs'; export { newCore, core } from './lock.mjs'",
    d: "export { initSync, AsyncStoreLock } from './glue.mjs'",
  }
  const result = {}
  for (const [name, contents] of Object.entries(entries)) {
    const pkg = `${scratch}/${name}/pkg`
    const { outputFiles } = await esbuild.build({
      stdin: { contents, resolveDir: pkg },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
    })
    const wasm = readFileSync(`${pkg}/core_bg.wasm`)
    const js = outputFiles[0].contents
    result[name] = {
      ...(name === 'a' && { wasmWithoutWasmOpt: readFileSync(`${scratch}/a/pkg-no-opt/core_bg.wasm`).length }),
      wasm: wasm.length,
      wasmGzip: gzipSync(wasm, { level: 9 }).length,
      glueEmitted: readFileSync(`${pkg}/core.js`).length,
      glueAndCallersMinified: js.length,
      glueAndCallersGzip: gzipSync(js, { level: 9 }).length,
      textDecoder: outputFiles[0].text.includes('TextDecoder'),
    }
  }
  return result
}

/** Node's loader: the variant's glue, instantiated from its wasm, and (a, c) core-lock.js over it. */
async function load(name) {
  const pkg = `${scratch}/${name}/pkg`
  const glue = await import(pathToFileURL(`${pkg}/glue.mjs`).href)
  glue.initSync({ module: readFileSync(`${pkg}/core_bg.wasm`) })
  const lock = classOver[name] ? await import(pathToFileURL(`${pkg}/lock.mjs`).href) : undefined
  return { glue, lock }
}

/**
 * Run in a fresh process with --expose-gc (`--heap run|acquire rust|js`):
 * one holder, then 10,000 calls waiting behind it; per waiting call, the
 * growth of the JS heap, of the wasm memory, and of the externref table.
 */
async function heapPerWaitingCall(method, kind) {
  const waiting = 10_000
  const owner = await load(kind === 'rust' ? 'd' : 'a')
  const lock = kind === 'rust' ? new owner.glue.AsyncStoreLock(0xffffffff) : new (jsParked(owner.lock))()
  const held = await lock.acquire(false)
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc()
      await new Promise((resolve) => setTimeout(resolve, 0))
    }
  }
  const measure = () => [process.memoryUsage().heapUsed, owner.glue.wasm.memory.buffer.byteLength, owner.glue.wasm.__wbindgen_externrefs.length]
  await settle()
  const before = measure()
  const calls = []
  for (let i = 0; i < waiting; i++) {
    calls.push(method === 'run' ? lock.run(() => 1) : lock.acquire(false).then((turn) => (turn ? turn.release() : lock.release())))
  }
  await settle()
  const [heap, memory, table] = measure().map((value, i) => (value - before[i]) / waiting)
  if (held) held.release()
  else lock.release()
  await Promise.all(calls)
  return { jsHeapBytes: Math.round(heap), wasmMemoryBytes: Math.round(memory), externrefSlots: +table.toFixed(2) }
}

/** The same timings in headless Chromium, the files served from disk by playwright's routing. */
async function inChromium() {
  const { launchChromium } = await import('../js-tests/support/chromium.mjs')
  const browser = await launchChromium()
  try {
    const page = await browser.newPage()
    const origin = 'http://wasm-costs.test'
    const types = { mjs: 'text/javascript', wasm: 'application/wasm' }
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname
      if (path === '/') return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>wasm costs</title>' })
      // The measuring module from bench/, the variants from the scratch folder.
      const file = path.startsWith('/bench/') ? `${root}${path}` : `${scratch}${path}`
      return route.fulfill({ contentType: types[path.split('.').pop()], body: readFileSync(file) })
    })
    await page.goto(`${origin}/`)
    return await page.evaluate(async () => {
      const measure = await import('/bench/wasm-costs-measure.mjs')
      const load = async (name) => {
        const glue = await import(`/${name}/pkg/glue.mjs`)
        glue.initSync({ module: await (await fetch(`/${name}/pkg/core_bg.wasm`)).arrayBuffer() })
        const lock = name === 'a' || name === 'c' ? await import(`/${name}/pkg/lock.mjs`) : undefined
        return { glue, lock }
      }
      return { calls: await measure.measureCalls(load), async: await measure.measureAsync(load) }
    })
  } finally {
    await browser.close()
  }
}

const round = (value) => (Number.isInteger(value) ? value : +value.toPrecision(3))
const show = (title, value) => console.log(`\n${title}\n${JSON.stringify(value, (key, v) => (typeof v === 'number' ? round(v) : v), 2)}`)

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  if (args[0] === '--heap') {
    console.log(JSON.stringify(await heapPerWaitingCall(args[1], args[2])))
  } else {
    if (!args.includes('--no-build')) buildVariants()
    step('Measuring')
    show('Sizes in bytes', await sizes())
    show(`Node ${process.version}: ns per join+release pair (median of 15 interleaved rounds)`, await measureCalls(load))
    show('Node: µs per call, awaited through Rust (rust) or parked in JS (js), medians of 11 interleaved rounds', await measureAsync(load))
    const heap = {}
    for (const method of ['run', 'acquire']) {
      for (const kind of ['rust', 'js']) {
        const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--heap', method, kind], { encoding: 'utf8' })
        if (child.status !== 0) throw new Error(child.stderr)
        heap[`${method}, ${kind}`] = JSON.parse(child.stdout)
      }
    }
    show('Node: memory per waiting call (10,000 waiting behind one holder)', heap)
    if (args.includes('--browser')) show('Chromium: the same timings', await inChromium())
    console.log(`\nLoad average: ${(await import('node:os')).loadavg().map(round).join(', ')}`)
  }
}
