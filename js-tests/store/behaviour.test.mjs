// Runs the behaviour tests against the built pkg/, loaded with `require` and with `import`.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, test } from 'node:test'
import { behaviourTests } from './behaviour.mjs'

const require = createRequire(import.meta.url)

describe('pkg/ loaded with require', () => {
  behaviourTests(require('../../pkg/node.cjs'), { test, assert })
})

describe('pkg/ loaded with import', async () => {
  behaviourTests(await import('../../pkg/node.mjs'), { test, assert })
})
