// The conformance table's `redis` line: every participant a RedisLock of its
// own (two connections each) on one lock name per case, against a real
// redis-server. A participant dies by dropping its connections without a
// word to Redis, as a killed process would; its entries then end with their
// lease.
import { outcomeOf } from './ordering-driver.mjs'
import { sleep } from '../support/promises.mjs'

/** `lease` in ms; `client` an ioredis client the participants' connections are duplicated from. */
export function redisLine({ RedisLock, client, lease }) {
  let cases = 0
  return {
    name: 'redis',
    async open({ maxPending, participants }, report) {
      const name = `conformance-${++cases}`
      const own = new Map()
      for (const participant of participants) {
        const connections = []
        // RedisLock only duplicates the client it is given: keeping the duplicates lets a participant die.
        const duplicating = { duplicate: (options) => connections[connections.push(client.duplicate(options)) - 1] }
        own.set(participant, { lock: new RedisLock({ client: duplicating, name, lease, maxPending }), connections })
      }
      const places = new Map()
      const dead = new Set()
      const live = () => [...own.keys()].filter((participant) => !dead.has(participant)).map((participant) => own.get(participant))
      /** Once every script sent so far has answered (each participant's scripts go in order on its first connection). */
      const answered = () => Promise.all(live().map(({ connections }) => connections[0].ping()))
      return {
        request(who, id, mode, ifAvailable) {
          const { lock, connections } = own.get(who)
          places.set(id, lock.request(mode, ifAvailable, () => report(id, 'granted'), (error) => report(id, outcomeOf(error))))
          return connections[0].ping() // answered once the request's script has run
        },
        cancel: (who, id) => own.get(who).lock.cancel(places.get(id)),
        release: (who, id) => own.get(who).lock.release(places.get(id)),
        async die(who) {
          dead.add(who)
          for (const connection of own.get(who).connections) connection.disconnect()
        },
        pass: (leases) => sleep(leases * lease),
        async settle() {
          await answered()
          await sleep(20) // the grants the scripts pushed, on each participant's waiting connection
          await answered()
        },
        close: () => Promise.all([...own.values()].map(({ lock }) => lock.close())),
      }
    },
  }
}
