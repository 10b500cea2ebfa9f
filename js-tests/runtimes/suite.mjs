// The upstream README's examples and the behaviour tests, run against one
// loaded copy of the package in any runtime: Node, Bun, Deno, workerd, a
// browser page. Copied into each runtime's project with examples.mjs
// (www/examples.js), behaviour.mjs and assert.mjs (js-tests/browser/assert.mjs,
// which needs no Node built-in).
import { assert } from './assert.mjs'
import { behaviourTests } from './behaviour.mjs'
import { examples } from './examples.mjs'

/**
 * Resolves with `{ examples, tests, failures }`: each example's result (or
 * its error, as text) by name, how many behaviour tests ran, and each failed
 * one as `name: error`.
 */
export async function runSuite(lib) {
  const report = { examples: {}, tests: 0, failures: [] }
  for (const { name, run } of examples) {
    try {
      report.examples[name] = await run(lib)
    } catch (error) {
      report.examples[name] = `${error}`
    }
  }
  const tests = []
  behaviourTests(lib, { test: (name, fn) => tests.push({ name, fn }), assert })
  for (const { name, fn } of tests) {
    report.tests++
    try {
      await fn()
    } catch (error) {
      report.failures.push(`${name}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
    }
  }
  return report
}
