// A browser app that still writes `require`: the package by name, through
// the bundler's CommonJS interop. The page reads `exampleResults`.
const lib = require('async-atomic-store')
const { runExamples } = require('./run-examples.mjs')

globalThis.exampleResults = runExamples(lib)
