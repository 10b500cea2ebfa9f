// The conformance table's `postgres` line: every participant a PgLock of its
// own (its own one-connection pool and LISTEN connection, as a separate
// process would have) on one lock name per case, against a real PostgreSQL.
// A participant dies by losing every connection, its pool's and its
// LISTEN's, and being refused new ones, without a word to the server, as a
// killed process would; its entries then end with its lease.
import pg from 'pg'
import { outcomeOf } from './ordering-driver.mjs'
import { sleep } from '../support/promises.mjs'

/** Resolves once every callback and promise reaction queued so far has run. */
const drained = () => new Promise((resolve) => setImmediate(resolve))

/** `connection`: pg client settings for the server; `lease` in ms. */
export function postgresLine({ PgLock, connection, lease }) {
  let cases = 0
  /** A participant: a pool whose connections (pooled and LISTEN, which PgLock makes with `pool.Client`) can all be cut. */
  function participant(name, maxPending) {
    const clients = new Set()
    const own = { dead: false, clients }
    class CuttableClient extends pg.Client {
      connect(callback) {
        if (own.dead) {
          const error = new Error('this participant is dead')
          if (callback) return void process.nextTick(callback, error)
          return Promise.reject(error)
        }
        clients.add(this)
        return super.connect(callback)
      }
    }
    own.pool = new pg.Pool({ ...connection, max: 1, Client: CuttableClient })
    own.pool.on('error', () => {})
    own.lock = new PgLock({ pool: own.pool, name, lease, maxPending })
    return own
  }
  /** Once every statement this participant has sent has answered: its pool has one connection, which answers in order. */
  const answered = async ({ pool }) => {
    await drained() // the statements requested so far are sent (a batch goes out once the calls of a tick are in)
    await pool.query('SELECT 1')
    await drained() // and their replies taken in
  }

  return {
    name: 'postgres',
    async open({ maxPending, participants }, report) {
      const name = `conformance-${++cases}`
      const own = new Map(participants.map((who) => [who, participant(name, maxPending)]))
      // Each lock makes its tables and LISTEN connection with its first statement: done here, before the case.
      await Promise.all([...own.values()].map(({ lock }) => new Promise((resolve) => {
        const place = lock.request('shared', true, () => resolve(lock.release(place)), resolve)
      })))
      await Promise.all([...own.values()].map(answered)) // and has left the line again
      const places = new Map()
      const live = () => [...own.values()].filter((each) => !each.dead)
      return {
        request(who, id, mode, ifAvailable) {
          const { lock } = own.get(who)
          places.set(id, lock.request(mode, ifAvailable, () => report(id, 'granted'), (error) => report(id, outcomeOf(error))))
          return answered(own.get(who))
        },
        cancel: (who, id) => own.get(who).lock.cancel(places.get(id)),
        release: (who, id) => own.get(who).lock.release(places.get(id)),
        async die(who) {
          const dying = own.get(who)
          dying.dead = true
          for (const client of dying.clients) client.connection.stream.destroy()
        },
        pass: (leases) => sleep(leases * lease),
        async settle() {
          await Promise.all(live().map(answered))
          await sleep(20) // the grants notified to the other participants
          await Promise.all(live().map(answered))
        },
        close: () =>
          Promise.all(
            [...own.values()].map(async ({ lock, pool }) => {
              await lock.close()
              await pool.end()
            }),
          ),
      }
    },
  }
}
