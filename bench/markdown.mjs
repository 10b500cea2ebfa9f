// Rewrites a generated section of a Markdown file (BENCHMARKS.md). Node only:
// report.mjs, which the Chromium page imports too, must not import node:fs.

import { readFileSync, writeFileSync } from 'node:fs'

/** Replaces what lies between the `start` and `end` marker lines of the Markdown file `path` with `content`. */
export function rewriteSection(path, start, end, content) {
  const text = readFileSync(path, 'utf8')
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from < 0 || to < from) throw new Error(`${path} lacks the markers ${start} … ${end}`)
  writeFileSync(path, `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`)
}
