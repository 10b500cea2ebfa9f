// The cases every network lock (RedisLock, PgLock) passes in one process,
// written once: bad options, the QueueLock protocol (grants in order, fencing
// tokens, shared mode in the Web Locks order, ifAvailable, maxPending,
// cancel, pending/locked), leases and their renewal, and the lock through a
// store. Each lock's test file adds what only it has (its server's faults,
// its connections).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { lockCall } from './queue-lock-call.mjs'
import { eventually, sleep } from './promises.mjs'

/** Takes the lock and holds it; resolves once granted with the grant, a `release()` and the call's promise (`done`). */
export async function hold(lock, mode = 'exclusive') {
  let release
  let granted
  const grantedPromise = new Promise((resolve) => { granted = resolve })
  const done = lockCall(lock, { mode }, (grant) => {
    granted(grant)
    return new Promise((resolve) => { release = resolve })
  })
  const grant = await grantedPromise
  return { grant, release, done }
}

/**
 * `lock` describes the lock under test:
 * - `kind`, its class's name, and `server`, as its errors name them;
 * - `Lock`, the class, and `main`, the package's main entry (`{ require, import }`);
 * - `validOptions()`: options that make a lock, and `badClients`:
 *   `{ option, values }`, its connection option's name and values it refuses;
 * - `freshName()`: a new lock name; `newLock(options)`: a lock on the latest
 *   name, closed after the tests;
 * - `lineOf(name)`: the entries in that line on the server, in order;
 * - `removeLine(name)`: deletes them behind the locks' backs;
 * - `lease`.
 */
export function networkLockCases(lock) {
  const { kind, server, Lock, main, lease, freshName, newLock, lineOf } = lock
  const { AsyncAtomicStore, LockBusyError, QueueFullError } = main.import
  const lineLength = async (name) => (await lineOf(name)).length
  const untilLine = async (name, length) => {
    while ((await lineLength(name)) !== length) await sleep(5)
  }

  describe(`${kind}: options and errors`, () => {
    test("its errors are the main entry's classes, required or imported", async () => {
      freshName()
      const bounded = newLock({ maxPending: 0 })
      const busy = await lockCall(bounded, {}, () => lockCall(bounded, { ifAvailable: true }, () => {})).catch((e) => e)
      const full = await lockCall(bounded, {}, () => lockCall(bounded, {}, () => {})).catch((e) => e)
      for (const how of ['require', 'import']) {
        assert.ok(busy instanceof main[how].LockBusyError, `${how}: LockBusyError is the main entry's class`)
        assert.ok(full instanceof main[how].QueueFullError, `${how}: QueueFullError is the main entry's class`)
      }
    })

    test('bad options are a TypeError naming the option', () => {
      const valid = lock.validOptions()
      const { option, values } = lock.badClients
      const cases = [
        [undefined, new RegExp(option)],
        ...values.map((value) => [{ ...valid, [option]: value }, new RegExp(option)]),
        [{ ...valid, name: undefined }, /name/],
        [{ ...valid, name: '' }, /name/],
        [{ ...valid, name: 7 }, /name/],
        [{ ...valid, lease: undefined }, /lease/],
        [{ ...valid, lease: 0 }, /lease/],
        [{ ...valid, lease: -5 }, /lease/],
        [{ ...valid, lease: '100' }, /lease/],
        [{ ...valid, lease: NaN }, /lease/],
        [{ ...valid, lease: Infinity }, /lease/],
        [{ ...valid, maxPending: -1 }, /maxPending/],
        [{ ...valid, maxPending: 1.5 }, /maxPending/],
        [{ ...valid, maxPending: '3' }, /maxPending/],
      ]
      for (const [options, names] of cases) {
        assert.throws(() => new Lock(options), (error) => error instanceof TypeError && names.test(error.message))
      }
    })

    test('a mode other than exclusive or shared is a TypeError', () => {
      freshName()
      assert.throws(() => newLock().request('read', false, () => {}, () => {}), TypeError)
    })
  })

  describe(`${kind}: the protocol`, () => {
    test('calls are granted one at a time in call order, with tokens that grow strictly', async () => {
      const name = freshName()
      const one = newLock()
      const grants = []
      let inside = 0
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          lockCall(one, {}, async ({ token, signal }) => {
            assert.equal(++inside, 1)
            assert.ok(signal instanceof AbortSignal && !signal.aborted)
            grants.push({ i, token })
            await sleep(i % 3)
            inside--
          }),
        ),
      )
      assert.deepEqual(grants.map((g) => g.i), [...Array(50).keys()])
      for (let i = 1; i < grants.length; i++) assert.ok(grants[i].token > grants[i - 1].token, 'tokens grow strictly')
      assert.ok(grants.every((g) => Number.isSafeInteger(g.token)))
      await untilLine(name, 0) // the last release's statement empties the line
    })

    test('granted is never called inside request', async () => {
      freshName()
      const one = newLock()
      let returned = false
      await new Promise((resolve) => {
        const place = one.request('exclusive', false, () => {
          assert.ok(returned)
          one.release(place)
          resolve()
        }, assert.fail)
        returned = true
      })
    })

    test('shared calls in a row hold together; an exclusive call waits for them and they for it (Web Locks order)', async () => {
      const name = freshName()
      const [a, b] = [newLock(), newLock()]
      // From two participants: two shared holders, then an exclusive call and a shared one.
      const r1 = await hold(a, 'shared')
      const r2 = await hold(b, 'shared') // granted while r1 holds
      const log = []
      const w = lockCall(a, { mode: 'exclusive' }, async () => {
        log.push('+w')
        await sleep(20)
        log.push('-w')
      })
      await untilLine(name, 3)
      const r3 = lockCall(b, { mode: 'shared' }, () => log.push('r3'))
      await untilLine(name, 4)
      r2.release()
      await r2.done
      await sleep(50)
      assert.deepEqual(log, [], 'the exclusive call waits for the shared holders, and the shared call behind it for it')
      r1.release()
      await Promise.all([r1.done, w, r3])
      assert.deepEqual(log, ['+w', '-w', 'r3'])
    })

    test('ifAvailable: granted when free, LockBusyError when it would wait, and it leaves no entry', async () => {
      const name = freshName()
      const one = newLock()
      assert.equal(await lockCall(one, { ifAvailable: true }, () => 'free'), 'free')
      await lockCall(one, {}, async () => {
        await assert.rejects(lockCall(newLock(), { ifAvailable: true }, assert.fail), LockBusyError)
        assert.equal(await lineLength(name), 1)
      })
    })

    test('maxPending bounds the calls waiting in the whole line', async () => {
      const name = freshName()
      const [one, other] = [newLock({ maxPending: 2 }), newLock({ maxPending: 2 })]
      const holder = await hold(one)
      const calls = [lockCall(other, {}, () => {}), lockCall(one, {}, () => {})]
      await untilLine(name, 3)
      await assert.rejects(lockCall(other, {}, assert.fail), QueueFullError)
      holder.release()
      await Promise.all([holder.done, ...calls])
    })

    test('a waiter that times out or is aborted removes its own entry; the line goes on', async () => {
      const name = freshName()
      const one = newLock()
      const order = []
      const holder = await hold(one)
      const timedOut = lockCall(one, { timeout: 60 }, assert.fail)
      const controller = new AbortController()
      const aborted = assert.rejects(lockCall(one, { signal: controller.signal }, assert.fail), /changed my mind/)
      const last = lockCall(one, {}, () => order.push('last'))
      await untilLine(name, 4)
      controller.abort(new Error('changed my mind'))
      await assert.rejects(timedOut, { name: 'TimeoutError' })
      await aborted
      await untilLine(name, 2) // the cancelled entries are gone from the server
      holder.release()
      await Promise.all([holder.done, last])
      assert.deepEqual(order, ['last'])
    })

    test('pending and locked report the whole line as last seen', async () => {
      const name = freshName()
      const [a, b] = [newLock(), newLock()]
      assert.equal(a.locked, false)
      const holder = await hold(a)
      const waiting = [lockCall(b, {}, () => {}), lockCall(b, {}, () => {})]
      await untilLine(name, 3)
      assert.equal(await eventually(() => b.pending, 2), 2, "b's second reply")
      assert.equal(b.locked, true)
      holder.release()
      await Promise.all([holder.done, ...waiting])
      assert.equal(await eventually(() => b.locked, false), false, "the last release's reply")
      assert.equal(b.pending, 0)
    })
  })

  describe(`${kind}: leases`, () => {
    test('a holder keeps its lease for as long as its operation runs', async () => {
      freshName()
      const [a, b] = [newLock(), newLock()]
      const holder = await hold(a)
      let aborted = false
      holder.grant.signal.addEventListener('abort', () => { aborted = true })
      // Only once a holds: a's first statement, on a new connection, can reach the server after b's.
      let bInside = false
      const next = lockCall(b, {}, () => { bInside = true })
      await sleep(lease * 3)
      assert.equal(bInside, false, 'no one else was granted meanwhile')
      holder.release()
      await Promise.all([holder.done, next])
      assert.equal(aborted, false)
    })

    test("tx.signal aborts when the lease cannot be renewed (here: the entry was removed behind the lock's back)", async () => {
      const name = freshName()
      const reason = await lockCall(newLock(), {}, async ({ signal }) => {
        await lock.removeLine(name)
        await new Promise((resolve) => signal.addEventListener('abort', resolve))
        return signal.reason
      })
      assert.match(reason.message, new RegExp(`${kind} "${name}" lost its place: its lease ran out in ${server}`))
    })
  })

  describe(`${kind}: through a store (the lock option)`, () => {
    test('store.lock gets tx.token and tx.signal from the grant; append is exact across two stores', async () => {
      freshName()
      const map = new Map()
      const stores = [newLock(), newLock()].map((one) =>
        AsyncAtomicStore({ read: async (k) => map.get(k), write: async (k, v) => map.set(k, v), data: async () => map, lock: one }),
      )
      const tokens = []
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          stores[i % 2].lock(async (source, tx) => {
            tokens.push(tx.token)
            assert.ok(tx.signal instanceof AbortSignal)
            const value = (await tx.read('n')) ?? 0
            await sleep(0)
            await tx.write('n', value + 1)
          }),
        ),
      )
      assert.equal(map.get('n'), 40)
      for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i] > tokens[i - 1])
    })

    test('timeout, signal and ifAvailable of a store call reach the lock as cancel and ifAvailable', async () => {
      const name = freshName()
      const map = new Map()
      const store = AsyncAtomicStore({ read: async (k) => map.get(k), write: async (k, v) => map.set(k, v), data: async () => map, lock: newLock() })
      let release
      const holder = store.lock(() => new Promise((resolve) => { release = resolve }))
      await untilLine(name, 1)
      await assert.rejects(store.read('k', { ifAvailable: true }), LockBusyError)
      await assert.rejects(store.read('k', { timeout: 30 }), { name: 'TimeoutError' })
      const controller = new AbortController()
      const aborted = store.read('k', { signal: controller.signal })
      await sleep(30)
      controller.abort(new Error('stop'))
      await assert.rejects(aborted, /stop/)
      assert.equal(await eventually(() => lineLength(name), 1), 1, 'only the holder is left in line')
      release()
      await holder
    })
  })
}
