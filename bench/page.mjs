// The Chromium side of the benchmark: the shared workloads with the package's
// browser entry and the other locks (bundled for the page by browser.mjs).
// `npm run bench` calls `window.runBench(config)`; the button runs the quick
// configuration by hand.
import * as ours from '/pkg/web.js'
import { upstream, Mutex, withTimeout, AsyncLock, PQueue } from '/bench-libs/libs.js'
import { configs } from './configs.mjs'
import { resultTables, waitingTables } from './report.mjs'
import { runWaiting } from './waiting.mjs'
import { runWebLocks } from './web-locks.mjs'
import { runSuite } from './workloads.mjs'

const output = document.getElementById('output')
const log = (message) => {
  console.log(message)
  output.textContent += `${message}\n`
}

/** Runs the suite, the waiting workloads and Web Locks beside ours here (no memory figures); resolves with `{ times, waiting, webLocks, userAgent }`. */
window.runBench = async (config) => {
  // The first call waits for the wasm core to finish compiling.
  await ours.AsyncArray().read(0)
  const libraries = { ours, upstream, Mutex, withTimeout, AsyncLock, PQueue }
  const now = () => performance.now()
  const times = await runSuite({ libraries, config, now, log })
  const waiting = await runWaiting(libraries, config, now, undefined, log)
  const webLocks = await runWebLocks({ ours, config, now, log })
  return { times, waiting, webLocks, userAgent: navigator.userAgent }
}

const button = document.getElementById('run')
button.textContent = 'Run the quick benchmark'
button.disabled = false
button.addEventListener('click', async () => {
  button.disabled = true
  output.textContent = ''
  const { times, waiting } = await window.runBench(configs.quick)
  output.textContent += `\n${resultTables({ times }, configs.quick)}\n\n${waitingTables(waiting, configs.quick)}\n`
  button.disabled = false
})
