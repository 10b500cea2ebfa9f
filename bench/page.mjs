// The Chromium side of the benchmark: the shared workloads with the package's
// browser entry and the other locks (bundled for the page by browser.mjs).
// `npm run bench` calls `window.runBench(config)`; the button runs the quick
// configuration by hand.
import * as ours from '/pkg/web.js'
import { upstream, Mutex, AsyncLock } from '/bench-libs/libs.js'
import { configs } from './configs.mjs'
import { resultTables } from './report.mjs'
import { runSuite } from './workloads.mjs'

const output = document.getElementById('output')
const log = (message) => {
  console.log(message)
  output.textContent += `${message}\n`
}

/** Runs the suite here; resolves with `{ times, userAgent }`. */
window.runBench = async (config) => {
  // The first call waits for the wasm core to finish compiling.
  await ours.AsyncArray().read(0)
  const times = await runSuite({
    libraries: { ours, upstream, Mutex, AsyncLock },
    config,
    now: () => performance.now(),
    log,
  })
  return { times, userAgent: navigator.userAgent }
}

const button = document.getElementById('run')
button.textContent = 'Run the quick benchmark'
button.disabled = false
button.addEventListener('click', async () => {
  button.disabled = true
  output.textContent = ''
  const { times } = await window.runBench(configs.quick)
  output.textContent += `\n${resultTables({ times }, configs.quick)}\n`
  button.disabled = false
})
