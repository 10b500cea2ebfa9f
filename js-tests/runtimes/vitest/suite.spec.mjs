// Vitest (`--globals`): the package through `import`, the README's examples
// and the behaviour tests as Vitest tests.
import * as lib from 'async-atomic-store'
import { assert } from './assert.mjs'
import { behaviourTests } from './behaviour.mjs'
import { examples } from './examples.mjs'

for (const { name, run, expected } of examples) {
  test(`the README's ${name} example`, async () => {
    expect(await run(lib)).toEqual(expected)
  })
}

behaviourTests(lib, { test, assert })
