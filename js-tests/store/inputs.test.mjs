// Every JS type in every argument position of every method, as options and
// option properties, as what callbacks return, and given to the adapters:
// each case either works or fails with a clear TypeError (or with the error
// the user's own code threw, unchanged). None ends in a wasm trap
// (WebAssembly.RuntimeError), and the upstream package classifies every case
// the same way. After the whole sweep, a new store still works.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

const require = createRequire(import.meta.url)
const ours = require('../../pkg/node.cjs')
const web = await import('../../pkg/web.js')
const upstream = require('async-atomic-store-upstream')

/** What the user's own code throws, so it can be told apart from the store's errors. */
const boom = Symbol('thrown by user code')
const throwBoom = () => { throw boom }

class Point {
  constructor() { this.x = 1 }
}
const revoked = Proxy.revocable({}, {})
revoked.revoke()
const hostileTraps = Object.fromEntries(
  ['get', 'set', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor', 'defineProperty', 'apply']
    .map((trap) => [trap, throwBoom]),
)

/** One value of every kind a caller could pass. */
const values = {
  'undefined': undefined,
  'null': null,
  'true': true,
  'false': false,
  '0': 0,
  '-0': -0,
  'NaN': NaN,
  'Infinity': Infinity,
  '1n': 1n,
  "''": '',
  "'x'": 'x',
  'a symbol': Symbol('s'),
  '{}': {},
  '[]': [],
  'an arrow function': () => 1,
  'an async function': async () => 1,
  'a class': Point,
  'a class instance': new Point(),
  'a null-prototype object': Object.create(null),
  'a Map': new Map([['k', 'v']]),
  'a Date': new Date(0),
  'a typed array': new Uint8Array(2),
  'a Proxy': new Proxy({ a: 1 }, {}),
  'a Proxy of a function': new Proxy(() => 2, {}),
  'a frozen object': Object.freeze({ a: 1 }),
  'a revoked Proxy': revoked.proxy,
  'a Proxy whose every trap throws': new Proxy({}, hostileTraps),
  'an object whose getters throw': Object.defineProperties({}, {
    read: { get: throwBoom }, write: { get: throwBoom }, data: { get: throwBoom }, then: { get: throwBoom },
    0: { get: throwBoom, set: throwBoom }, k: { get: throwBoom, set: throwBoom },
  }),
  'an object whose toString throws': { toString: throwBoom },
  'an object whose toPrimitive throws': { [Symbol.toPrimitive]: throwBoom },
  'a thenable': { then(resolve) { resolve('from a thenable') } },
  'an object with a non-function then': { then: 1 },
  'a resolved promise': Promise.resolve('from a promise'),
  'globalThis': globalThis,
}

/** Runs `action` and names its outcome. */
async function classify(action) {
  try {
    await action()
    return 'works'
  } catch (error) {
    if (error instanceof WebAssembly.RuntimeError) return `wasm trap: ${error.message}`
    if (error === boom) return 'own error'
    if (error instanceof TypeError) return 'TypeError'
    return `other error: ${error instanceof Error ? error.stack : typeof error}`
  }
}

/** A valid store over a Map, keyed by identity. */
const mapOptions = () => {
  const map = new Map()
  return { read: (key) => map.get(key), write: (key, value) => { map.set(key, value) }, data: () => map }
}

/** Uses every method of a store once, in order. */
async function useEveryMethod(store, key = 0) {
  await store.write(key, 'w')
  await store.read(key)
  await store.append(key, (v) => `${v}+`)
  await store.lock(async (source) => source)
  await store.data()
}

/** What native `await` makes of `value`: the standard a callback's result is held to. */
const awaited = async (value) => value

/** The cases for one value, each an action given the library under test. */
function casesFor(value) {
  const identity = async (promise) => {
    const [got, want] = await Promise.all([promise, awaited(value)])
    assert.ok(Object.is(got, want), 'passes through as `await` would')
  }
  const returning = (name) => (lib) => {
    const options = mapOptions()
    options[name] = () => value
    return lib.AsyncAtomicStore(options)
  }
  return {
    'as options': (lib) => useEveryMethod(lib.AsyncAtomicStore(value)),
    ...Object.fromEntries(['read', 'write', 'data'].map((name) => [
      `as options.${name}`,
      (lib) => useEveryMethod(lib.AsyncAtomicStore({ ...mapOptions(), [name]: value })),
    ])),
    'as a read key': async (lib) => {
      const store = lib.AsyncAtomicStore(mapOptions())
      assert.equal(await store.read(value), undefined)
    },
    'as a write key and value, read back': async (lib) => {
      const store = lib.AsyncAtomicStore(mapOptions())
      await store.write(value, value)
      await identity(store.read(value))
    },
    'as an append key': async (lib) => {
      const store = lib.AsyncAtomicStore(mapOptions())
      assert.equal(await store.append(value, (v) => [v]).then((r) => r[0]), undefined)
    },
    'as the append transform': async (lib) => { await lib.AsyncAtomicStore(mapOptions()).append('k', value) },
    'as the lock callback': async (lib) => { await lib.AsyncAtomicStore(mapOptions()).lock(value) },
    'returned by read': (lib) => identity(returning('read')(lib).read('k')),
    'returned by data': (lib) => identity(returning('data')(lib).data()),
    'returned by write': (lib) => returning('write')(lib).write('k', 1),
    'given to lock by data': (lib) => identity(returning('data')(lib).lock(async (source) => [source]).then((r) => r[0])),
    'returned by the transform': (lib) => identity(lib.AsyncAtomicStore(mapOptions()).append('k', () => value)),
    'returned by the lock callback': (lib) => identity(lib.AsyncAtomicStore(mapOptions()).lock(() => value)),
    'wrapped by AsyncArray': (lib) => useEveryMethod(lib.AsyncArray(value), 0),
    'wrapped by AsyncObject': (lib) => useEveryMethod(lib.AsyncObject(value), 'k'),
    'wrapped by AsyncMap': (lib) => useEveryMethod(lib.AsyncMap(value), 'k'),
    'as an AsyncArray index': (lib) => useEveryMethod(lib.AsyncArray(), value),
    'as an AsyncObject key': (lib) => useEveryMethod(lib.AsyncObject(), value),
    'as an AsyncMap key': (lib) => useEveryMethod(lib.AsyncMap(), value),
  }
}

test('every type in every position works or fails with a TypeError (or the user\'s own error), exactly as upstream, in both builds', async (t) => {
  const tally = {}
  for (const [valueName, value] of Object.entries(values)) {
    for (const [position, action] of Object.entries(casesFor(value))) {
      const name = `${valueName} ${position}`
      const mine = await classify(() => action(ours))
      const browsers = await classify(() => action(web))
      const theirs = await classify(() => action(upstream))
      assert.ok(['works', 'TypeError', 'own error'].includes(mine), `${name}: ${mine}`)
      assert.equal(mine, theirs, `${name}: ours ${mine}, upstream ${theirs}`)
      assert.equal(browsers, mine, `${name}: web.js ${browsers}, node.cjs ${mine}`)
      tally[mine] = (tally[mine] ?? 0) + 1
    }
  }
  t.diagnostic(`outcomes: ${JSON.stringify(tally)}`)
  assert.ok(tally.works > 0 && tally.TypeError > 0)
})

test('the Node build is strict mode like the others: AsyncArray and AsyncObject writes to frozen data reject', async () => {
  for (const lib of [ours, web, upstream]) {
    await assert.rejects(lib.AsyncArray(Object.freeze([1])).write(0, 2), TypeError)
    await assert.rejects(lib.AsyncObject(Object.freeze({ k: 1 })).append('k', (v) => v + 1), TypeError)
    await assert.rejects(lib.AsyncArray('text').write(0, 'T'), TypeError)
  }
})

test('options are checked when the store is made: a missing or non-function callback is a TypeError at once', () => {
  for (const [valueName, value] of Object.entries(values)) {
    if (typeof value === 'function') continue
    for (const name of ['read', 'write', 'data']) {
      assert.throws(() => ours.AsyncAtomicStore({ ...mapOptions(), [name]: value }), TypeError, `options.${name} = ${valueName}`)
      assert.throws(() => new ours.AsyncAtomicStore({ ...mapOptions(), [name]: value }), TypeError, `new, options.${name} = ${valueName}`)
    }
  }
  assert.throws(() => ours.AsyncAtomicStore(), /options must be an object with read, write and data functions, got undefined/)
  assert.throws(() => ours.AsyncAtomicStore({ read() {}, data() {} }), /options\.write must be a function, got undefined/)
})

test('options may be any object with the three functions: a class instance, a Proxy, a frozen object, a function', async () => {
  class Backend {
    map = new Map()
    read = (key) => this.map.get(key)
    write = (key, value) => { this.map.set(key, value) }
    data = () => this.map
  }
  const callable = Object.assign(() => {}, mapOptions())
  for (const options of [new Backend(), new Proxy(mapOptions(), {}), Object.freeze(mapOptions()), callable]) {
    await useEveryMethod(ours.AsyncAtomicStore(options))
  }
})

test('option methods are called detached, as upstream calls them: `this` is not the options object', async () => {
  class Backend {
    constructor() { this.map = new Map() }
    read(key) { return this.map.get(key) }
    write(key, value) { this.map.set(key, value) }
    data() { return this.map }
  }
  for (const lib of [ours, upstream]) {
    await assert.rejects(lib.AsyncAtomicStore(new Backend()).read('k'), TypeError)
  }
})

test('methods ignore `this` and cannot be called with new', async () => {
  const store = ours.AsyncMap(new Map([['k', 1]]))
  assert.equal(await store.read.call(null, 'k'), 1)
  assert.equal(await Reflect.apply(store.append, { not: 'a store' }, ['k', (v) => v + 1]), 2)
  for (const method of ['read', 'write', 'append', 'lock', 'data']) {
    assert.throws(() => new store[method]('k'), TypeError, method)
  }
})

test('after the whole sweep the wasm instance is alive: new stores work and queue in order', async () => {
  const store = ours.AsyncArray([0])
  const results = await Promise.all(Array.from({ length: 1000 }, () => store.append(0, (v) => v + 1)))
  assert.deepEqual(results, Array.from({ length: 1000 }, (_, i) => i + 1))
  await useEveryMethod(ours.AsyncMap())
})
