// The five `assert` methods behaviour.mjs uses, for running it in a browser,
// with the meaning node:assert/strict gives them: strictEqual, deepStrictEqual,
// ok, throws and rejects.

/** Thrown when an assertion does not hold. */
export class AssertionError extends Error {
  name = 'AssertionError'
}

function fail(message) {
  throw new AssertionError(message)
}

function inspect(value) {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol' || typeof value === 'function') return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const ownEnumerableKeys = (object) =>
  Reflect.ownKeys(object).filter((key) => Object.prototype.propertyIsEnumerable.call(object, key))

/** Deep strict equality: same prototypes, same own enumerable keys, `Object.is` at the leaves. */
function deepEqual(a, b) {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false
  if (a instanceof Date) return Object.is(a.getTime(), b.getTime())
  if (a instanceof Map) {
    return a.size === b.size && [...a].every(([key, value]) => b.has(key) && deepEqual(value, b.get(key)))
  }
  if (a instanceof Set) return a.size === b.size && [...a].every((value) => b.has(value))
  const keys = ownEnumerableKeys(a)
  const otherKeys = ownEnumerableKeys(b)
  return (
    keys.length === otherKeys.length &&
    keys.every((key) => Object.prototype.propertyIsEnumerable.call(b, key) && deepEqual(a[key], b[key]))
  )
}

/** Checks a thrown `error` against `expected`: an Error class, a validation function, a RegExp or an object of properties. */
function checkError(error, expected) {
  if (expected === undefined) return
  if (typeof expected === 'function') {
    if (expected.prototype instanceof Error || expected === Error) {
      if (!(error instanceof expected)) fail(`expected a ${expected.name}, got ${inspect(String(error))}`)
    } else if (expected(error) !== true) {
      fail(`the validation function rejected ${inspect(String(error))}`)
    }
    return
  }
  if (expected instanceof RegExp) {
    if (!expected.test(String(error))) fail(`${inspect(String(error))} does not match ${expected}`)
    return
  }
  for (const key of ownEnumerableKeys(expected)) {
    const want = expected[key]
    const got = error?.[key]
    const matches = want instanceof RegExp && typeof got === 'string' ? want.test(got) : deepEqual(got, want)
    if (!matches) fail(`error.${String(key)} is ${inspect(got)}, expected ${want instanceof RegExp ? want : inspect(want)}`)
  }
}

export const assert = {
  strictEqual(actual, expected, message) {
    if (!Object.is(actual, expected)) fail(message ?? `expected ${inspect(expected)}, got ${inspect(actual)}`)
  },

  deepStrictEqual(actual, expected, message) {
    if (!deepEqual(actual, expected)) fail(message ?? `expected ${inspect(expected)}, got ${inspect(actual)}`)
  },

  ok(value, message) {
    if (!value) fail(message ?? `expected a truthy value, got ${inspect(value)}`)
  },

  throws(fn, expected, message) {
    try {
      fn()
    } catch (error) {
      return checkError(error, expected)
    }
    fail(message ?? 'Missing expected exception.')
  },

  async rejects(promiseOrFn, expected, message) {
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn)
    } catch (error) {
      return checkError(error, expected)
    }
    fail(message ?? 'Missing expected rejection.')
  },
}
