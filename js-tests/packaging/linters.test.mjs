// The packed tarball through the two package linters users and registries
// run, both pinned in the repo's devDependencies: Are the Types Wrong
// (`attw`, every entry point under node10, node16 from CommonJS and from ESM,
// and bundler resolution) finds no problem, and publint prints no error,
// warning or suggestion.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { bin, execute, packTarball } from '../support/fresh-project.mjs'

const exec = promisify(execFile)
const workspace = mkdtempSync(join(tmpdir(), 'async-atomic-store-linters-'))
let tarball

before(async () => {
  tarball = await packTarball(workspace)
})

after(() => rmSync(workspace, { recursive: true, force: true }))

test('attw: no problem on any entry point, under any module resolution', { timeout: 120_000 }, async () => {
  // attw exits non-zero when it finds a problem; its JSON report says which.
  const { stdout } = await exec(bin('attw'), [tarball, '--format', 'json'], { cwd: workspace, maxBuffer: 16 * 1024 * 1024 }).catch((error) => error)
  const { analysis, problems } = JSON.parse(stdout)
  assert.deepStrictEqual(Object.keys(analysis.entrypoints).sort(), ['.', './package.json', './postgres', './redis', './web.js'])
  for (const [entry, { resolutions }] of Object.entries(analysis.entrypoints)) {
    for (const [kind, { resolution }] of Object.entries(resolutions)) {
      assert.ok(resolution?.fileName, `${entry} has types under ${kind}`)
    }
  }
  assert.deepStrictEqual(problems, {})
})

test('publint: all good, not even a suggestion', { timeout: 120_000 }, async () => {
  const { stdout, stderr } = await execute(bin('publint'), [tarball, '--strict'], workspace)
  assert.match(stdout, /All good!/, `publint said:\n${stdout}\n${stderr}`)
  assert.doesNotMatch(`${stdout}\n${stderr}`, /error|warning|suggestion/i)
})
