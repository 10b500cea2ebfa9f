// What the types accept and refuse. Compiled only: every `@ts-expect-error`
// must meet an error, or tsc fails.
import { AsyncArray, AsyncAtomicStore, AsyncMap, AsyncObject } from 'async-atomic-store'
import type { Methods, Options } from 'async-atomic-store'

const bytes = new Uint8Array(4)
const options: Options<number, number, Uint8Array> = {
  read: async (index) => bytes[index],
  write: async (index, value) => (bytes[index] = value),
  data: async () => bytes,
}
const store: Methods<number, number, Uint8Array> = AsyncAtomicStore(options)
const constructed: Methods<number, number, Uint8Array> = new AsyncAtomicStore(options)

export async function typed() {
  const read: number = await store.read(0)
  const appended: number = await store.append(0, async (n) => n + read)
  const source: Uint8Array = await constructed.data()
  const locked: string | void = await store.lock(async (data) => String(data[0]))

  // @ts-expect-error the store holds numbers, not strings
  await store.write(0, 'one')
  // @ts-expect-error a transform must return the value type
  await store.append(0, (n) => String(n))
  // @ts-expect-error an async transform too
  await store.append(0, async (n) => n > 0)
  // @ts-expect-error lock resolves `T | void`, which is not a plain `string`
  const lockedString: string = await store.lock(async () => 'done')

  const array: Methods<number, string, string[]> = AsyncArray(['a'])
  const object: Methods<'count', number, { count: number }> = AsyncObject({ count: 0 })
  const map = AsyncMap(new Map<string, boolean>())
  const flag: boolean | undefined = await map.read('on')
  // @ts-expect-error a Map<string, boolean> store is keyed by strings
  await map.read(1)

  return { appended, source, locked, lockedString, array, object, flag }
}
