// Jest, with no transform or moduleNameMapper configuration: the package
// through `require`, the README's examples and the behaviour tests as Jest tests.
const lib = require('async-atomic-store')
const { assert, behaviourTests, examples } = require('./suite.cjs')

for (const { name, run, expected } of examples) {
  test(`the README's ${name} example`, async () => {
    expect(await run(lib)).toEqual(expected)
  })
}

behaviourTests(lib, { test, assert })
