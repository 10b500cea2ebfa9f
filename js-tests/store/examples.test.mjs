// The upstream README's three examples, as printed plus the settle wait, against pkg/.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { examples } from '../../www/examples.js'

const require = createRequire(import.meta.url)
const loaded = { require: require('../../pkg/node.cjs'), import: await import('../../pkg/node.mjs') }

for (const [how, lib] of Object.entries(loaded)) {
  describe(`README examples, pkg/ loaded with ${how}`, () => {
    for (const { name, run, expected } of examples) {
      test(`${name} example gives ${JSON.stringify(expected)}`, async () => {
        assert.strictEqual(await run(lib), expected)
      })
    }
  })
}
