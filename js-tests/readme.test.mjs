// The README's own code: every ```ts block marked `<!-- npm test runs this
// block -->` type-checks (tsc, strict) and runs as is (tsx), as a TypeScript
// module in a project where `async-atomic-store` is the built package, so the
// docs cannot drift from what the package does.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { root } from '../scripts/setup.mjs'

const marker = '<!-- npm test runs this block -->\n```ts\n'
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = readme.split(marker).slice(1).map((rest) => rest.slice(0, rest.indexOf('```\n')))

const project = mkdtempSync(join(tmpdir(), 'async-atomic-store-readme-'))
mkdirSync(join(project, 'node_modules'))
symlinkSync(join(root, 'pkg'), join(project, 'node_modules/async-atomic-store'))
writeFileSync(join(project, 'package.json'), '{ "type": "module" }')

test('the README has blocks marked to run', () => {
  assert.ok(blocks.length > 0)
})

blocks.forEach((code, i) => {
  const firstComment = code.split('\n').find((line) => line.startsWith('//')) ?? `block ${i + 1}`
  test(`README block ${i + 1} runs: ${firstComment}`, () => {
    const file = join(project, `block-${i + 1}.ts`)
    writeFileSync(file, code)
    const tsc = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), file]
    for (const [tool, args] of [['tsc', tsc], ['tsx', [file]]]) {
      try {
        execFileSync(join(root, 'node_modules/.bin', tool), args, { cwd: project, stdio: 'pipe' })
      } catch (error) {
        assert.fail(`${tool} failed:\n${error.stdout}${error.stderr}`)
      }
    }
  })
})
