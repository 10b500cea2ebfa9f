// The library's code keeps the shape STYLE.md asks of it (issue 18): no
// function over about 60 lines, no closure (a function with functions
// inside) over about 160, and no parameter named `_`, `__` or `___` (a
// runner that needs none of its arguments should not be handed them).
// Parsed with TypeScript's own parser, so the count is of real functions.
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('..', import.meta.url))
const library = join(root, 'pkg-template')

const MAX_FUNCTION_LINES = 60
const MAX_CLOSURE_LINES = 160

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* sources(path)
    else if (/\.(m?js)$/.test(entry.name)) yield path
  }
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)

/** Every function of a file: where it starts, its lines, whether it has functions inside, its parameter names. */
function functionsOf(path) {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true)
  const found = []
  const visit = (node, enclosing) => {
    let here = enclosing
    if (isFunction(node)) {
      const start = file.getLineAndCharacterOfPosition(node.getStart()).line
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line
      here = { at: `${relative(root, path)}:${start + 1}`, lines: end - start + 1, inner: false, params: node.parameters.map((p) => p.name.getText()) }
      if (enclosing) enclosing.inner = true
      found.push(here)
    }
    ts.forEachChild(node, (child) => visit(child, here))
  }
  visit(file, undefined)
  return found
}

const all = [...sources(library)].flatMap(functionsOf)

test('the library has functions to check', () => {
  assert.ok(all.length > 100, `${all.length} functions`)
})

test(`no function over ${MAX_FUNCTION_LINES} lines, no closure over ${MAX_CLOSURE_LINES}`, () => {
  const long = all.filter((fn) => fn.lines > (fn.inner ? MAX_CLOSURE_LINES : MAX_FUNCTION_LINES)).map((fn) => `${fn.at} (${fn.lines} lines)`)
  assert.deepEqual(long, [])
})

test('no parameter is named _, __ or ___', () => {
  const placeholders = all.filter((fn) => fn.params.some((name) => /^_+$/.test(name))).map((fn) => `${fn.at} (${fn.params.join(', ')})`)
  assert.deepEqual(placeholders, [])
})
