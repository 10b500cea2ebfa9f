// Runs the upstream README's three examples against the package's exports
// and resolves with each one's result by name. Copied, with examples.mjs (the
// repo's www/examples.js), into every packaging project.
import { examples } from './examples.mjs'

/** Resolves with `{ Map, Set, Atomics }`: what each example returned. */
export async function runExamples(lib) {
  const results = {}
  for (const { name, run } of examples) results[name] = await run(lib)
  return results
}
