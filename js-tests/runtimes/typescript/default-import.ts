// TypeScript, strict: the default import, and callbacks that return plain
// values or any PromiseLike. Compiled by tsc; run.mjs runs the suite on the
// compiled module's `lib`.
import aas from 'async-atomic-store'
import type { Methods, Options } from 'async-atomic-store'

const map = new Map<string, number>()

// Synchronous callbacks, as the README recommends.
const plain: Methods<string, number | undefined, Map<string, number>> = aas.AsyncAtomicStore({
  data: () => map,
  read: (key: string) => map.get(key),
  write: (key: string, value: number | undefined) => map.set(key, value ?? 0),
})

// Any PromiseLike, not only a native Promise.
const later = <T>(value: T): PromiseLike<T> => ({ then: (onfulfilled) => Promise.resolve(value).then(onfulfilled) })
const thenables: Options<string, number, Map<string, number>> = {
  data: () => later(map),
  read: (key) => later(map.get(key) ?? 0),
  write: (key, value) => later(map.set(key, value)),
}
const store = new aas.AsyncAtomicStore(thenables)

export async function typed(): Promise<[number, number | undefined, string | void]> {
  const sum: number = await store.append('sum', (n) => n + 1)
  const read: number | undefined = await plain.read('sum')
  const locked: string | void = await store.lock((source) => later(String(source.size)))
  // @ts-expect-error a transform must still return the value type
  await store.append('sum', (n) => later(String(n)))
  return [sum, read, locked]
}

export const lib = aas
