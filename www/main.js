// The demo page: imports the package as a user would (through the import map
// in index.html), runs the live burst, the shared-reads lanes, the README's
// examples and the worker example, and shows each one's code next to its result.

import * as lib from 'async-atomic-store'
import { atomicsAcrossThreads } from './atomics-threads.js'
import { appendWithoutLock, runBurst, slowCounter } from './burst.js'
import { LaneView } from './burst-view.js'
import { examples } from './examples.js'
import { highlight } from './highlight.js'
import { callsOf, runSharedReads, slowSource } from './shared-reads.js'
import { SharedReadsView } from './shared-reads-view.js'

/** The examples that need SharedArrayBuffer, which browsers give only to cross-origin isolated pages. */
const needsSharedMemory = new Set(['Atomics'])
const sharedMemory = typeof SharedArrayBuffer !== 'undefined'

const notIsolatedReason =
  'This page is not cross-origin isolated (crossOriginIsolated is false), so the browser provides no ' +
  'SharedArrayBuffer and this example cannot run. Serve the page with the headers ' +
  'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, as npm start does.'

/** A value as JavaScript source would write it: strings quoted. */
const show = (value) => (typeof value === 'string' ? `'${value}'` : String(value))

function showCode(element, source) {
  element.innerHTML = highlight(source)
}

function showIsolation() {
  const line = document.getElementById('isolation')
  line.dataset.status = self.crossOriginIsolated ? 'isolated' : 'not-isolated'
  line.textContent = self.crossOriginIsolated
    ? 'Cross-origin isolated: SharedArrayBuffer and Atomics are available on this page.'
    : 'Not cross-origin isolated: SharedArrayBuffer is unavailable here, so the Atomics example cannot run.'
}

async function showVersion() {
  const response = await fetch('/pkg/package.json')
  if (response.ok) document.getElementById('version').textContent = `v${(await response.json()).version}`
}

function showImportMap() {
  const map = document.querySelector('script[type="importmap"]').textContent.trim()
  showCode(
    document.getElementById('import-map'),
    `<script type="importmap">\n  ${map}\n</script>\n<script type="module">\n  import { AsyncAtomicStore } from 'async-atomic-store'\n</script>`,
  )
}

/** Sets a card's status and the text of its result badge. */
function settle(card, status, text) {
  card.dataset.status = status
  card.querySelector('.result').textContent = text
}

async function runExample(card, { name, run, expected }) {
  if (needsSharedMemory.has(name) && !sharedMemory) {
    const why = card.querySelector('.why')
    why.textContent = notIsolatedReason
    why.hidden = false
    return settle(card, 'unavailable', '⚠ cannot run on this page')
  }
  try {
    const result = await run(lib)
    if (result === expected) settle(card, 'pass', `✔ ${show(result)}`)
    else settle(card, 'fail', `✘ ${show(result)}, expected ${show(expected)}`)
  } catch (error) {
    settle(card, 'fail', `✘ ${error}`)
  }
}

function runExamples() {
  const list = document.getElementById('example-list')
  const template = document.getElementById('example-card')
  return Promise.all(
    examples.map((example) => {
      const card = template.content.firstElementChild.cloneNode(true)
      card.dataset.example = example.name
      card.querySelector('h3').textContent = `Using ${example.name}`
      card.querySelector('.expected').textContent = `expected ${show(example.expected)}`
      showCode(card.querySelector('code'), example.run.toString())
      list.append(card)
      return runExample(card, example)
    }),
  )
}

async function runInWorker() {
  const section = document.getElementById('worker')
  const source = await fetch('./worker.js').then((response) => response.text())
  showCode(document.getElementById('worker-source'), source)
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })
  const { result, error } = await new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data)
    worker.onerror = (event) => resolve({ error: event.message || 'the worker failed to start' })
  })
  worker.terminate()
  const status = error === undefined && result === 45 ? 'pass' : 'fail'
  section.dataset.status = status
  document.getElementById('worker-result').textContent =
    status === 'pass' ? `✔ ${show(result)} from the worker` : `✘ ${error ?? show(result)}`
}

/** Times `count` appends queued at once on a store with in-memory callbacks: the lock's own cost. */
async function measureLock(count = 100_000) {
  const store = lib.AsyncMap()
  const started = performance.now()
  const calls = []
  for (let i = 0; i < count; i++) calls.push(store.append('n', (n = 0) => n + 1))
  await Promise.all(calls)
  const ms = performance.now() - started
  const total = await store.read('n')
  if (total !== count) throw new Error(`lost updates: ${total} of ${count}`)
  return { count, ms }
}

async function showLockCost() {
  const line = document.getElementById('lock-cost')
  const { count, ms } = await measureLock()
  const number = new Intl.NumberFormat('en', { maximumFractionDigits: 2 })
  line.dataset.status = 'done'
  line.querySelector('.figure').textContent =
    `${number.format(count)} appends queued at once on an in-memory store: ${number.format(Math.round(ms))} ms, ` +
    `${number.format((ms * 1000) / count)} µs each.`
}

/** Wires the burst form and fires the first burst. */
function setUpBurst() {
  const section = document.getElementById('burst')
  const form = document.getElementById('burst-controls')
  const lanes = {
    locked: new LaneView(document.getElementById('lane-locked')),
    unlocked: new LaneView(document.getElementById('lane-unlocked')),
  }
  showCode(
    document.getElementById('burst-source'),
    [
      '// Both lanes use the same callbacks:',
      String(slowCounter),
      '',
      '// With the store (timeout: the one chosen above, in ms; Infinity for none):',
      'const store = AsyncAtomicStore(slowCounter(watch))',
      'store.append(1, (n) => n + 1, { timeout })',
      '',
      '// Without a lock:',
      String(appendWithoutLock),
      'appendWithoutLock(slowCounter(watch))(1, (n) => n + 1)',
    ].join('\n'),
  )

  const sizeInput = form.elements.namedItem('size')
  const timeoutInput = form.elements.namedItem('timeout')
  const button = form.querySelector('button')
  const lockedSnippet = document.querySelector('#lane-locked .snippet code')
  /** The store's append, each call waiting at most `timeout` ms for its turn. */
  const appendUnderLock = (timeout) => (callbacks) => {
    const store = lib.AsyncAtomicStore(callbacks)
    return (key, transform) => store.append(key, transform, { timeout })
  }
  const fire = async (size, timeout) => {
    section.dataset.status = 'running'
    sizeInput.disabled = timeoutInput.disabled = button.disabled = true
    lockedSnippet.textContent = `store.append(1, (n) => n + 1${timeout === Infinity ? '' : `, { timeout: ${timeout} }`})`
    lanes.locked.reset(size)
    lanes.unlocked.reset(size)
    await Promise.all([
      runBurst({ size, appendFor: appendUnderLock(timeout), onChange: (s) => lanes.locked.update(s) }),
      runBurst({ size, appendFor: appendWithoutLock, onChange: (s) => lanes.unlocked.update(s) }),
    ])
    section.dataset.status = 'done'
    sizeInput.disabled = timeoutInput.disabled = button.disabled = false
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault()
    fire(Number(sizeInput.value), Number(timeoutInput.value))
  })
  return fire(Number(sizeInput.value), Number(timeoutInput.value))
}

/** Wires the shared-reads lanes and runs them once: 200 calls, every 10th an append, with and without sharedReads. */
function setUpSharedReads() {
  const section = document.getElementById('shared-reads')
  const button = document.querySelector('#shared-reads-controls button')
  const speedup = document.getElementById('shared-reads-speedup')
  const lanes = [
    [new SharedReadsView(document.getElementById('reads-shared')), true],
    [new SharedReadsView(document.getElementById('reads-exclusive')), false],
  ]
  showCode(
    document.getElementById('shared-reads-source'),
    [
      '// Both lanes use the same source:',
      String(slowSource),
      '',
      '// and make the same 200 calls at once:',
      'const store = AsyncAtomicStore({ ...slowSource(watch), sharedReads }) // true in one lane, false in the other',
      "for (const call of calls) call === 'append' ? store.append('count', (n) => n + 1) : store.read('count')",
    ].join('\n'),
  )

  const run = async () => {
    section.dataset.status = 'running'
    button.disabled = true
    speedup.textContent = ''
    const calls = callsOf(200, 10)
    const [shared, exclusive] = await Promise.all(
      lanes.map(([view, sharedReads]) => {
        view.reset(calls)
        return runSharedReads({
          calls,
          storeFor: (source) => lib.AsyncAtomicStore({ ...source, sharedReads }),
          onChange: (state) => view.update(state),
        })
      }),
    )
    const number = new Intl.NumberFormat('en', { maximumFractionDigits: 1 })
    const ms = (state) => `${number.format(Math.round(state.elapsedMs))} ms`
    speedup.textContent =
      `With sharedReads the ${calls.length} calls took ${ms(shared)} against ${ms(exclusive)} one at a time, ` +
      `${number.format(exclusive.elapsedMs / shared.elapsedMs)}× less, with up to ${number.format(shared.mostRunning)} reads running at once.`
    section.dataset.status = 'done'
    button.disabled = false
  }

  button.form.addEventListener('submit', (event) => {
    event.preventDefault()
    run()
  })
  return run()
}

/** The Atomics example in 8 workers, with a SharedLock and with a store per worker. */
function setUpThreads() {
  const section = document.getElementById('threads')
  const form = document.getElementById('threads-controls')
  const button = form.querySelector('button')
  const number = new Intl.NumberFormat('en')
  const lanes = [
    [document.getElementById('threads-locked'), { SharedLock: lib.SharedLock }],
    [document.getElementById('threads-unlocked'), {}],
  ]
  const run = async () => {
    section.dataset.status = 'running'
    button.disabled = true
    try {
      for (const [lane, options] of lanes) {
        const verdict = lane.querySelector('.verdict')
        verdict.textContent = 'running…'
        const rounds = Number(form.elements.rounds.value)
        const { value, expected, ms } = await atomicsAcrossThreads({ ...options, threads: 8, rounds })
        lane.dataset.value = value
        lane.dataset.expected = expected
        verdict.textContent = value === expected
          ? `✔ ${number.format(value)}: every update counted (${number.format(Math.round(ms))} ms)`
          : `✘ ${number.format(value)} of ${number.format(expected)}: ${number.format(expected - value)} lost`
      }
      section.dataset.status = 'done'
    } catch (error) {
      section.dataset.status = 'failed'
      lanes[0][0].querySelector('.verdict').textContent = `✘ ${error.message}`
    }
    button.disabled = false
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    run()
  })
  if (!sharedMemory) {
    button.disabled = true
    section.dataset.status = 'unavailable'
    for (const [lane] of lanes) lane.querySelector('.verdict').textContent = notIsolatedReason
  }
}

showIsolation()
setUpThreads()
showImportMap()
showVersion()
runExamples()
runInWorker()
setUpBurst().then(showLockCost)
setUpSharedReads()
