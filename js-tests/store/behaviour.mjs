// The store's behaviour, one test per promise the API makes. Written once and
// run in Node (behaviour.test.mjs, through require and import) and in Chromium
// (the browser tests), so it uses only `test(name, fn)` and these `assert`
// methods: strictEqual, deepStrictEqual, ok, throws, rejects.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** A Map store with async callbacks that logs every callback call. */
function loggingMapStore(AsyncAtomicStore, { delay = 0 } = {}) {
  const map = new Map()
  const log = []
  let active = 0
  let overlapped = false
  const enter = async (entry) => {
    log.push(entry)
    if (++active > 1) overlapped = true
    if (delay) await sleep(delay)
    else await null
    active--
  }
  const store = AsyncAtomicStore({
    data: async () => { await enter('data'); return map },
    read: async (key) => { await enter(`read ${String(key)}`); return map.get(key) },
    write: async (key, value) => { await enter(`write ${String(key)}`); map.set(key, value) },
  })
  return { store, map, log, overlapped: () => overlapped }
}

/** Whether this runtime's AbortSignals take a listener once made non-extensible (Deno's do not). */
function listensWhenClosed() {
  const signal = Object.preventExtensions(new AbortController().signal)
  try {
    signal.addEventListener('abort', () => {})
    return true
  } catch {
    return false
  }
}

/** Resolves, once `store`'s lock is held, with a function that releases it and resolves when the holder has finished. */
const held = (store) => new Promise((started) => {
  const holder = store.lock(() => new Promise((release) => started(() => { release(); return holder })))
})

/** Defines the behaviour tests for one loaded copy of the package. */
export function behaviourTests(lib, { test, assert }) {
  const { AsyncAtomicStore, AsyncArray, AsyncObject, AsyncMap } = lib

  test('AsyncAtomicStore works called plainly and with new', async () => {
    const options = { data: () => 'source', read: (k) => k * 2, write: () => {} }
    const plain = AsyncAtomicStore(options)
    const constructed = new AsyncAtomicStore(options)
    for (const store of [plain, constructed]) {
      assert.ok(store instanceof AsyncAtomicStore)
      assert.deepStrictEqual(Object.keys(store).sort(), ['append', 'data', 'lock', 'read', 'write'])
      assert.strictEqual(await store.read(21), 42)
      assert.strictEqual(await store.data(), 'source')
    }
  })

  test('methods work detached from the store, as upstream closures do', async () => {
    const { append, read } = AsyncArray([1])
    assert.strictEqual(await append(0, (v) => v + 1), 2)
    assert.strictEqual(await read(0), 2)
  })

  test('every method returns a native Promise', () => {
    const store = AsyncMap()
    const calls = [store.read(1), store.write(1, 2), store.append(1, (v) => v), store.lock(async () => 1), store.data()]
    for (const call of calls) assert.ok(call instanceof Promise)
    return Promise.all(calls)
  })

  test('calls take their place at the moment they are made: a lock sees earlier unawaited writes', async () => {
    const { store } = loggingMapStore(AsyncAtomicStore, { delay: 1 })
    store.write(0, 'a')
    store.write(1, 'x')
    const seen = await store.lock(async (map) => [...map.entries()])
    assert.deepStrictEqual(seen, [[0, 'a'], [1, 'x']])
  })

  test('operations run one at a time in call order, with no overlap', async () => {
    const { store, log, overlapped } = loggingMapStore(AsyncAtomicStore, { delay: 1 })
    const expected = []
    const calls = []
    for (let i = 0; i < 12; i++) {
      switch (i % 4) {
        case 0: calls.push(store.write(i, i)); expected.push(`write ${i}`); break
        case 1: calls.push(store.read(i - 1)); expected.push(`read ${i - 1}`); break
        case 2: calls.push(store.append(i - 2, (v) => v + 1)); expected.push(`read ${i - 2}`, `write ${i - 2}`); break
        case 3: calls.push(store.data()); expected.push('data'); break
      }
    }
    const results = await Promise.all(calls)
    assert.deepStrictEqual(log, expected)
    assert.strictEqual(overlapped(), false)
    assert.deepStrictEqual(results.slice(0, 3), [undefined, 0, 1])
  })

  test('the lock passes straight to the next waiter: a later call cannot cut in', async () => {
    const order = []
    const store = AsyncAtomicStore({
      data: () => null,
      read: async (key) => { order.push(key); await sleep(1) },
      write: () => {},
    })
    const first = store.read('first')
    store.read('second')
    // Called the instant `first` settles, before `second` has started.
    await first.then(() => store.read('third'))
    await store.read('last')
    assert.deepStrictEqual(order, ['first', 'second', 'third', 'last'])
  })

  test('callbacks never run synchronously inside the method call', async () => {
    let called = 0
    const store = AsyncAtomicStore({
      data: () => { called++ },
      read: () => { called++ },
      write: () => { called++ },
    })
    const calls = [store.read(1), store.write(1, 1), store.append(1, () => { called++ }), store.lock(() => { called++ }), store.data()]
    assert.strictEqual(called, 0)
    await Promise.all(calls)
    // read, write, append's read + transform + write, lock's data + callback, data.
    assert.strictEqual(called, 8)
  })

  test('callbacks may return plain values, native promises or any thenable', async () => {
    const thenable = (value) => ({ then: (resolve) => setTimeout(() => resolve(value), 1) })
    for (const wrap of [(v) => v, (v) => Promise.resolve(v), thenable]) {
      const map = new Map()
      const store = AsyncAtomicStore({
        data: () => wrap(map),
        read: (key) => wrap(map.get(key) ?? 0),
        write: (key, value) => wrap(map.set(key, value)),
      })
      assert.strictEqual(await store.append('n', (v) => wrap(v + 5)), 5)
      assert.strictEqual(await store.read('n'), 5)
      assert.strictEqual(await store.write('n', 7), undefined)
      assert.strictEqual(await store.data(), map)
      assert.strictEqual(await store.lock((source) => wrap(source.get('n'))), 7)
    }
  })

  test('a failing callback rejects its operation with the very same value, releases the lock, and the store keeps working', async () => {
    const reasons = [new Error('boom'), 'a string', undefined, null, 0, Symbol('why'), Object.freeze({ frozen: true })]
    for (const reason of reasons) {
      for (const fail of [() => { throw reason }, () => Promise.reject(reason)]) {
        const store = AsyncAtomicStore({ data: fail, read: fail, write: fail })
        const failures = [store.read(1), store.write(1, 1), store.append(1, (v) => v), store.lock(() => 1), store.data()]
        for (const failure of failures) {
          let caught = 'nothing'
          await failure.catch((error) => { caught = error })
          assert.ok(Object.is(caught, reason))
        }
        const ok = AsyncMap()
        assert.strictEqual(await ok.append('k', () => 1), 1)
      }
    }
    const store = AsyncArray([1])
    let caught
    await store.lock(() => { throw 'lock failed' }).catch((error) => { caught = error })
    assert.strictEqual(caught, 'lock failed')
    assert.strictEqual(await store.append(0, (v) => v + 1), 2)
  })

  test('when transform fails, append writes nothing', async () => {
    const { store, map, log } = loggingMapStore(AsyncAtomicStore)
    await store.write('k', 1)
    const reason = { why: 'transform failed' }
    let caught
    await store.append('k', async () => { throw reason }).catch((error) => { caught = error })
    assert.strictEqual(caught, reason)
    assert.deepStrictEqual(log, ['write k', 'read k'])
    assert.strictEqual(map.get('k'), 1)
    assert.strictEqual(await store.append('k', (v) => v + 1), 2)
  })

  test('keys, values and the data source pass through by identity', async () => {
    const source = { the: 'source' }
    const seenKeys = []
    const seenValues = []
    const store = AsyncAtomicStore({
      data: () => source,
      read: (key) => { seenKeys.push(key); return key },
      write: (key, value) => { seenKeys.push(key); seenValues.push(value) },
    })
    const things = [{}, [], Symbol('s'), 10n, NaN, -0, undefined, null, () => {}, 'text', new Map()]
    for (const thing of things) {
      assert.ok(Object.is(await store.read(thing), thing))
      await store.write(thing, thing)
      assert.ok(Object.is(await store.append(thing, (current) => current), thing))
    }
    assert.strictEqual(await store.data(), source)
    assert.strictEqual(await store.lock((s) => s), source)
    assert.strictEqual(seenKeys.length, things.length * 4)
    seenKeys.forEach((key, i) => assert.ok(Object.is(key, things[Math.floor(i / 4)])))
    seenValues.forEach((value, i) => assert.ok(Object.is(value, things[Math.floor(i / 2)])))
  })

  test('a callback may call store methods without awaiting them: they queue behind it', async () => {
    const store = AsyncArray([0])
    const inner = []
    const result = await store.lock(async (array) => {
      for (let i = 0; i < 100; i++) inner.push(store.append(0, (v) => v + 1))
      inner.push(store.read(0))
      // Not awaited (awaiting it here would wait for itself, as with any non-reentrant lock).
      inner.push(store.lock(() => { store.write(1, 'nested') }))
      assert.strictEqual(array[0], 0)
      return 'outer done'
    })
    assert.strictEqual(result, 'outer done')
    const results = await Promise.all(inner)
    assert.strictEqual(results[99], 100)
    assert.strictEqual(results[100], 100)
    assert.strictEqual(results[101], undefined)
    assert.deepStrictEqual(await store.data(), [100, 'nested'])
  })

  test('bad options throw a TypeError at construction that names the option', () => {
    const fn = () => {}
    assert.throws(() => AsyncAtomicStore(), { name: 'TypeError', message: /options must be an object/ })
    assert.throws(() => new AsyncAtomicStore(null), { name: 'TypeError', message: /options must be an object/ })
    assert.throws(() => AsyncAtomicStore(42), TypeError)
    for (const name of ['read', 'write', 'data']) {
      for (const bad of [undefined, null, 1, 'read', {}]) {
        const options = { read: fn, write: fn, data: fn, [name]: bad }
        assert.throws(() => AsyncAtomicStore(options), { name: 'TypeError', message: new RegExp(`options\\.${name} must be a function`) })
      }
    }
  })

  test('a transform or lock callback that is not a function rejects with a TypeError and releases the lock', async () => {
    const store = AsyncArray([5])
    for (const bad of [undefined, null, 3, 'f', {}]) {
      await assert.rejects(store.append(0, bad), { name: 'TypeError', message: /transform must be a function/ })
      await assert.rejects(store.lock(bad), { name: 'TypeError', message: /callback must be a function/ })
    }
    assert.strictEqual(await store.append(0, (v) => v + 1), 6)
  })

  test('1,000,000 appends queued at once finish with the exact result', async () => {
    const store = AsyncMap()
    const calls = []
    for (let i = 0; i < 1_000_000; i++) calls.push(store.append('n', (v) => (v ?? 0) + 1))
    const results = await Promise.all(calls)
    assert.strictEqual(results[999_999], 1_000_000)
    assert.strictEqual(await store.read('n'), 1_000_000)
  })

  test('different stores never block each other', async () => {
    let releaseA
    const a = AsyncAtomicStore({ data: () => new Promise((resolve) => { releaseA = resolve }), read: () => 1, write: () => {} })
    const b = AsyncArray([1])
    const stuck = a.data()
    assert.strictEqual(await b.append(0, (v) => v + 1), 2)
    releaseA('freed')
    assert.strictEqual(await stuck, 'freed')
  })

  test('signals: one abort listener per store and signal, gone with its last call; an abort rejects every call still waiting with it', async () => {
    /** A signal that counts its listeners; made non-extensible if `closed`. */
    const countedSignal = (controller, closed) => {
      const { signal } = controller
      const { addEventListener, removeEventListener } = signal
      const counted = { signal, listeners: 0 }
      signal.addEventListener = function (...args) { counted.listeners++; return addEventListener.apply(this, args) }
      signal.removeEventListener = function (...args) { counted.listeners--; return removeEventListener.apply(this, args) }
      if (closed) Object.preventExtensions(signal)
      return counted
    }
    // Deno's signals take no listener once made non-extensible (the next test).
    const closedListens = listensWhenClosed()
    for (const closed of closedListens ? [false, true] : [false]) {
      const controller = new AbortController()
      const counted = countedSignal(controller, closed)
      const { signal } = counted
      const [a, b] = [AsyncMap(), AsyncMap()]
      const [releaseA, releaseB] = await Promise.all([held(a), held(b)])
      const callsA = [a.write('x', 1, { signal }), a.append('x', (v) => v + 1, { signal })]
      const callB = b.write('x', 1, { signal })
      const unsignalled = b.write('y', 2)
      assert.strictEqual(counted.listeners, 2, `one listener per store (closed: ${closed})`)
      await releaseA()
      await Promise.all(callsA)
      assert.strictEqual(await a.read('x'), 2)
      assert.strictEqual(counted.listeners, 1, "a's listener went with its last call")
      signal.dispatchEvent(new Event('abort'))
      assert.strictEqual(b.pending, 2, 'an abort event sent by hand aborts nothing')
      controller.abort(new Error('stop'))
      await assert.rejects(callB, /stop/)
      assert.strictEqual(counted.listeners, 0)
      assert.strictEqual(b.pending, 1)
      await releaseB()
      await unsignalled
      assert.strictEqual(await b.read('y'), 2)
      assert.strictEqual(await b.read('x'), undefined, 'the aborted write never ran')
    }
  })

  test('a signal that takes no listener: the call rejects with its error and leaves the line, which goes on', async () => {
    const refusing = new AbortController().signal
    refusing.addEventListener = () => { throw new RangeError('no listeners here') }
    const cases = [[refusing, /no listeners here/]]
    if (!listensWhenClosed()) cases.push([Object.preventExtensions(new AbortController().signal), TypeError])
    for (const [signal, error] of cases) {
      for (const store of [AsyncMap(), AsyncMap(undefined, { perKey: true })]) {
        const release = await held(store)
        const refused = store.write('x', 1, { signal })
        const after = store.write('y', 2)
        await assert.rejects(refused, error)
        assert.strictEqual(store.pending, 1, 'only the call without a signal still waits')
        await release()
        await after
        assert.deepStrictEqual([await store.read('x'), await store.read('y')], [undefined, 2])
        assert.strictEqual(store.locked || store.pending > 0, false)
      }
    }
  })

  test('the adapters wrap the given container or a new one', async () => {
    const array = [1, 2]
    assert.strictEqual(await AsyncArray(array).data(), array)
    assert.deepStrictEqual(await AsyncArray().data(), [])
    const obj = { a: 1 }
    const objectStore = AsyncObject(obj)
    await objectStore.append('a', (v) => v + 1)
    assert.strictEqual(obj.a, 2)
    assert.strictEqual(Object.getPrototypeOf(await AsyncObject().data()), null)
    const map = new Map([['k', 1]])
    assert.strictEqual(await AsyncMap(map).read('k'), 1)
    assert.ok((await AsyncMap().data()) instanceof Map)
  })
}
