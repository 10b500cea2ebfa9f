// A Cloudflare Worker that answers every request with the suite's report.
// Timers only run while a request is being handled, so the suite runs there.
import * as lib from 'async-atomic-store'
import { runSuite } from './suite.mjs'

export default {
  async fetch() {
    return Response.json(await runSuite(lib))
  },
}
