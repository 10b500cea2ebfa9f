// The README's `Map` example as printed, inside a function (CommonJS has no
// top-level await), plus the settle wait for its timers.
import { AsyncAtomicStore } from 'async-atomic-store'
import { assert, sleep } from './support.js'

interface DeepObject {
  deep: { object: { 1: number } }
}

export async function mapExample() {
  const lockingMap = () => {
    const map = new Map<number, DeepObject>()

    return AsyncAtomicStore<number, DeepObject | undefined, typeof map>({
      data: async () => map,
      read: async (key) => map.get(key),
      write: async (key, value) => map.set(key, value!)
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
    (await store.data()).get(1)!.deep.object[1] === 45,
    'Object value should always be 45'
  )
  return (await store.data()).get(1)!.deep.object[1]
}
