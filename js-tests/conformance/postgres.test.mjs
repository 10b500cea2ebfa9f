// The ordering conformance table (tests/conformance/ordering.json) against
// PgLock, on a real PostgreSQL.
import { after, describe } from 'node:test'
import { conformanceTests } from './ordering-driver.mjs'
import { postgresLine } from './postgres-line.mjs'
import { startPostgres } from '../support/postgres-server.mjs'

const { PgLock } = await import('../../pkg/postgres.mjs')
const lease = 400
const server = await startPostgres({ settings: { synchronous_commit: 'off' } })

describe('the ordering table on the postgres line', () => {
  const tally = conformanceTests(postgresLine({ PgLock, connection: server.connection, lease }))
  after(async () => {
    await server.remove()
    console.log(`postgres: ${tally.cases} cases; a giveUp racing its grant: cancel won ${tally.cancelWon}, grant won ${tally.grantWon} (passed on)`)
  })
})
