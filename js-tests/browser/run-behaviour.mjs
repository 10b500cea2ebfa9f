// Runs js-tests/store/behaviour.mjs, the very tests Node runs, in this page against
// the package's browser entry, one at a time in definition order. Each result
// is listed on the page; `window.behaviourResults` is a promise of them all,
// as `{ name, passed, error, ms }`, for browser.test.mjs to read.

import * as lib from 'async-atomic-store'
import { behaviourTests } from '../store/behaviour.mjs'
import { assert } from './assert.mjs'

const tests = []
behaviourTests(lib, { test: (name, fn) => tests.push({ name, fn }), assert })

async function runTests() {
  const results = []
  for (const { name, fn } of tests) {
    const started = performance.now()
    let error
    try {
      await fn()
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)
    }
    const result = { name, passed: error === undefined, error, ms: Math.round(performance.now() - started) }
    results.push(result)
    const item = document.createElement('li')
    item.textContent = `${result.passed ? '✔' : '✘'} ${name} (${result.ms} ms)${error ? `: ${error}` : ''}`
    document.getElementById('results').append(item)
  }
  return results
}

window.behaviourResults = runTests()
