// The ordering conformance table (tests/conformance/ordering.json) against
// SharedLock: in one thread, and with every participant in a worker_thread.
import { after, describe } from 'node:test'
import { conformanceTests } from './ordering-driver.mjs'
import { sharedLockLine, sharedLockThreadsLine } from './shared-lock-lines.mjs'

const { SharedLock } = await import('../../pkg/node.mjs')

for (const adapter of [sharedLockLine(SharedLock), sharedLockThreadsLine(SharedLock)]) {
  describe(`the ordering table on the ${adapter.name} line`, () => {
    const tally = conformanceTests(adapter)
    after(async () => {
      await adapter.end?.()
      console.log(`${adapter.name}: ${tally.cases} cases; a giveUp racing its grant: cancel won ${tally.cancelWon}, grant won ${tally.grantWon} (passed on)`)
    })
  })
}
