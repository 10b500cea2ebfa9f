// The upstream README's three examples, as printed there (types removed),
// plus the settle wait the upstream's own runnable examples use. Shared by
// `npm start`, the tests and the demo page, which also shows their source.
// Each takes the package's exports and resolves with its result.

/** Waits `ms` milliseconds. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function assert(condition, message) {
  if (!condition) throw new Error(message)
}

/** Ten timer-scheduled appends on a Map store: the deep value must be 45. */
export async function mapExample({ AsyncAtomicStore }) {
  const lockingMap = () => {
    const map = new Map()

    return AsyncAtomicStore({
      data: async () => map,
      read: async (key) => map.get(key),
      write: async (key, value) => map.set(key, value)
    })
  }

  const store = lockingMap()

  for (let i = 0; i < 10; i++) {
    // don't await
    setTimeout(() => {
      store.append(1, (value) => {
        return {
          ...value,
          deep: {
            object: {
              1: (value ? value.deep.object[1] : 0) + i
              // the first lock will initialize the value to 0
              // all subsequent writes will use the current value,
            }
          }
        }
      })
    }, Math.round(Math.random() * 2))
  }

  await sleep(16) // settle: let the timers fire

  assert(
    (await store.data()).get(1).deep.object[1] === 45,
    'Object value should always be 45'
  )
  return (await store.data()).get(1).deep.object[1]
}

/** Six concurrent writes on a Set store whose write is slow: the set must read '0123'. */
export async function setExample({ AsyncAtomicStore }) {
  const setStore = () => {
    const set = new Set()

    return AsyncAtomicStore({
      read: async (index) => index ? [...set.values()][index] : undefined,
      write: async (index, value) => {
        const kvs = [...set.values()]
        set.clear() // set needs to be recreated each time
        kvs[index] = value
        kvs.forEach((v) => set.add(v))
        await sleep(2)
      },
      data: async () => [...set.values()]
    })
  }

  const store = setStore()

  await Promise.all([
    store.write(0, '0'),
    store.write(1, '5'),
    store.write(1, '1'),
    store.write(2, '7'),
    store.write(2, '2'),
    store.write(3, '3'),
  ])

  const data = await store.data()

  assert(
    data.join('') === '0123',
    'set should be exactly 0123'
  )
  return data.join('')
}

/** Seventeen appends on a SharedArrayBuffer through Atomics: index 1 must be 121. */
export async function atomicsExample({ AsyncAtomicStore }) {
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new Error(
      'SharedArrayBuffer is not available: browsers only provide it on cross-origin isolated pages ' +
        '(served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)'
    )
  }

  const uint8Array = () => {
    const buffer = new SharedArrayBuffer(16)
    const uint8 = new Uint8Array(buffer)

    return AsyncAtomicStore({
      read: async (index) => Atomics.load(uint8, index),
      write: async (index, value) => Atomics.store(uint8, index, value),
      data: async () => uint8
    })
  }

  const store = uint8Array()

  for (let i = 0; i < 16; i++) {
    setTimeout(async () => {
      store.append(1, (currentValue) => {
        return currentValue + i
      })
    }, Math.round(Math.random() * 2))
  }

  store.append(1, (currentValue) => currentValue + 1)

  await sleep(32) // settle: let the timers fire

  const currentData = await store.data()

  assert(
    currentData[1] === 121,
    'Index 1 should be 121'
  )
  return currentData[1]
}

/** The three examples with the result each must give. */
export const examples = [
  { name: 'Map', run: mapExample, expected: 45 },
  { name: 'Set', run: setExample, expected: '0123' },
  { name: 'Atomics', run: atomicsExample, expected: 121 },
]
