// Fresh projects outside the repo with the packed package installed, as a
// user gets it: `npm pack` pkg/ once, then `npm install` the tarball into
// each project. Shared by the packaging and runtime tests.

import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { root } from '../../scripts/setup.mjs'

const exec = promisify(execFile)

/** A tool from the repo's node_modules/.bin, run with a project as working directory. */
export const bin = (name) => join(root, 'node_modules/.bin', name)

/** Runs `command` in `cwd`; resolves with `{ stdout, stderr }`, or rejects with its output. */
export async function execute(command, args, cwd, options = {}) {
  try {
    return await exec(command, args, { cwd, maxBuffer: 16 * 1024 * 1024, ...options })
  } catch (error) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${error.stdout}\n${error.stderr}`)
  }
}

/** Runs `command` in `cwd`; resolves with its stdout. */
export const run = async (command, args, cwd, options) => (await execute(command, args, cwd, options)).stdout

/** Packs pkg/ into `dir`; resolves with the tarball's path. */
export async function packTarball(dir) {
  const [packed] = JSON.parse(await run('npm', ['pack', join(root, 'pkg'), '--json', '--pack-destination', dir], dir))
  return join(dir, packed.filename)
}

/**
 * Creates the project `name` in `workspace` with the given `package.json`
 * type (none by default), copies `files` (project path → source path) into
 * it and installs `tarball` there. Resolves with the project's directory.
 */
export async function freshProject(workspace, tarball, name, { type, files }) {
  const dir = join(workspace, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `project-${name}`, private: true, type }, null, 2))
  for (const [to, from] of Object.entries(files)) {
    mkdirSync(join(dir, to, '..'), { recursive: true })
    copyFileSync(from, join(dir, to))
  }
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], dir)
  return dir
}
