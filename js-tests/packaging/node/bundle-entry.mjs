// A Node app bundled for deployment (a serverless function, a Docker image
// without node_modules): the package by name, named and default imports;
// prints the examples' results. No top-level await, so that bundlers can
// also write it as CommonJS.
import aas, * as lib from 'async-atomic-store'
import { runExamples } from './run-examples.mjs'

runExamples(lib).then((results) => console.log(JSON.stringify({ ...results, defaultImport: aas.AsyncAtomicStore === lib.AsyncAtomicStore })))
