// Runs the three README examples and prints their results as JSON.
import { atomicsExample } from './atomics.js'
import { mapExample } from './map.js'
import { setExample } from './set.js'

async function main() {
  const results = { Map: await mapExample(), Set: await setExample(), Atomics: await atomicsExample() }
  console.log(JSON.stringify(results))
}

main()
