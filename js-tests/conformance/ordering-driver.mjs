// Runs the ordering conformance table (tests/conformance/ordering.json)
// against one line, through a line adapter. The table says what each step
// does and what must follow; the adapter only turns the table's actions into
// calls on its line: a new line joins by writing an adapter (`LineAdapter`
// below; redis-line.mjs is one) and naming itself in the table's `lines`.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'

/**
 * @typedef {'granted' | 'busy' | 'full' | 'failed'} Outcome
 * @typedef {object} Line  One case's line, with a participant per name in `participants`.
 * @property {(participant: string, id: string, mode: 'exclusive' | 'shared', ifAvailable: boolean) => void | Promise<void>} request
 *   takes a place for request `id` (resolving once it is placed, where that is not at once);
 *   its outcome is reported later through `report`
 * @property {(participant: string, id: string) => boolean | Promise<boolean>} cancel  the QueueLock `cancel`
 * @property {(participant: string, id: string) => void} release
 * @property {(participant: string) => Promise<void>} [abandon]  the participant's thread is gone; another abandons its handle
 * @property {(participant: string) => Promise<void>} [die]  the participant stops without a word to the line
 * @property {(leases: number) => Promise<void>} [pass]  lets `leases` leases pass
 * @property {() => Promise<void>} settle  waits for what the actions so far set off to be reported
 * @property {() => Promise<void>} close
 * @typedef {object} LineAdapter
 * @property {string} name  the line's name in the table's `lines`
 * @property {(options: { maxPending?: number, participants: string[] }, report: (id: string, outcome: Outcome) => void) => Promise<Line>} open
 *   a new line for one case, with a participant per name; `report` takes each request's outcome
 * @property {() => Promise<void>} [end]  after the last case
 */

export const table = JSON.parse(readFileSync(new URL('../../tests/conformance/ordering.json', import.meta.url), 'utf8'))

/** The outcome a `failed(error)` callback reports. */
export const outcomeOf = (error) => ({ LockBusyError: 'busy', QueueFullError: 'full' })[error?.name] ?? 'failed'

const actionsOf = (step) => [step.do].flat().map((action) => action.split(' '))
const participantOf = (words) => (words.includes('by') ? words[words.indexOf('by') + 1] : words[1])

/** Registers one test per case of the table that applies to `adapter`'s line. */
export function conformanceTests(adapter) {
  for (const c of table.cases) checkShape(c)
  const { has } = table.lines[adapter.name]
  const cases = table.cases.filter((c) => (c.needs ?? []).every((need) => has.includes(need)))
  const tally = { cases: cases.length, cancelWon: 0, grantWon: 0 }
  for (const c of cases) test(c.name, { timeout: 30_000 }, () => runCase(adapter, c, tally))
  return tally
}

/** A misspelt key would make a case expect nothing: refuse it. */
function checkShape(c) {
  const extra = (object, keys) => Object.keys(object).filter((key) => !keys.includes(key))
  assert.deepEqual(extra(c, ['name', 'rule', 'needs', 'options', 'steps']), [], c.name)
  for (const step of c.steps) assert.deepEqual(extra(step, ['do', 'granted', 'busy', 'full', 'cancelled']), [], c.name)
}

async function runCase(adapter, { steps, options }, tally) {
  const participants = [...new Set(steps.flatMap(actionsOf).filter((w) => w[0] === 'request').map(participantOf))]
  const run = new CaseRun(tally)
  run.line = await adapter.open({ maxPending: options?.maxPending, participants }, (id, outcome) => run.report(id, outcome))
  try {
    for (const [index, step] of steps.entries()) await run.step(step, `step ${index + 1} (${[step.do].flat().join(', ')})`)
    // After the last step the line is free: an exclusive ifAvailable request is granted.
    await run.step({ do: `request free? by ${participants.find((p) => !run.dead.has(p))}`, granted: ['free?'] }, 'after the last step')
    await run.step({ do: 'release free?' }, 'after the last step')
  } finally {
    await run.line.close()
  }
}

const nothingSeen = () => ({ granted: [], busy: [], full: [], failed: [], cancelled: [] })

/** One case on one line: what each request is at, and what the current step has seen. */
class CaseRun {
  line
  byId = new Map()
  dead = new Set()
  waiting = new Set()
  held = new Set()
  everGranted = new Set()
  cancelled = new Set()
  givenUp = new Set()
  /** Requests whose cancel returned false while they waited: their grant must come. */
  owed = new Set()
  violations = []
  seen = nothingSeen()
  /** Counts outcomes reported, so that settling goes on until a settle sees none. */
  moves = 0

  constructor(tally) {
    this.tally = tally
  }

  report(id, outcome) {
    this.moves++
    if (this.dead.has(this.byId.get(id))) return
    this.waiting.delete(id)
    if (outcome === 'granted') {
      if (this.cancelled.has(id)) this.violations.push(`${id} was granted after its cancel returned true`)
      if (this.everGranted.has(id)) this.violations.push(`${id} was granted twice`)
      this.everGranted.add(id)
      this.held.add(id)
      if (this.givenUp.has(id)) return this.passOn(id)
    }
    this.seen[outcome].push(id)
  }

  /** A grant that reached a request that had given up is released at once, as a store does. */
  passOn(id) {
    this.held.delete(id)
    this.line.release(this.byId.get(id), id)
  }

  async step(step, where) {
    this.seen = nothingSeen()
    const started = []
    const actions = actionsOf(step)
    for (const [i, words] of actions.entries()) {
      // Requests are placed in the order given: on a line of many threads or
      // connections, a request waits until the one before it is placed.
      const next = this.act(words)
      if (words[0] === 'request' && actions[i + 1]?.[0] === 'request') await next
      else started.push(next)
    }
    await Promise.all(started)
    const expected = nothingSeen()
    for (const key of ['granted', 'busy', 'full', 'cancelled']) expected[key] = [...(step[key] ?? [])]
    // Settled once a whole settle goes by with nothing reported, and what is
    // expected has come (a loaded machine may take longer than one settle).
    const arrived = () => Object.keys(expected).every((key) => expected[key].every((id) => this.seen[key].includes(id)))
    const patience = Date.now() + 5000
    for (let before = -1; before !== this.moves || (!arrived() && Date.now() < patience); ) {
      before = this.moves
      await this.line.settle()
    }
    for (const list of [...Object.values(this.seen), ...Object.values(expected)]) list.sort()
    assert.deepEqual(this.seen, expected, where)
    for (const id of this.owed) if (!this.everGranted.has(id)) this.violations.push(`${id}: its cancel returned false, but no grant came`)
    this.owed.clear()
    assert.deepEqual(this.violations, [], where)
  }

  act(words) {
    const [verb, id] = words
    if (verb === 'request') {
      this.byId.set(id, participantOf(words))
      this.waiting.add(id)
      return this.line.request(participantOf(words), id, words.includes('shared') ? 'shared' : 'exclusive', words.includes('ifAvailable'))
    }
    if (verb === 'release') {
      assert.ok(this.held.delete(id), `the table releases ${id}, which does not hold the lock`)
      return this.line.release(this.byId.get(id), id)
    }
    if (verb === 'cancel' || verb === 'giveUp') {
      const wasWaiting = this.waiting.has(id)
      return Promise.resolve(this.line.cancel(this.byId.get(id), id)).then((won) => this.cancelReturned(verb, id, won, wasWaiting))
    }
    if (verb === 'abandon' || verb === 'die') {
      this.dead.add(id)
      for (const [request, owner] of this.byId) if (owner === id) this.held.delete(request)
      return this.line[verb](id)
    }
    if (verb === 'time') return this.line.pass(Number(id))
    throw new Error(`unknown action ${words.join(' ')}`)
  }

  /** What a `cancel` or `giveUp` of `id` returned (`won`). */
  cancelReturned(verb, id, won, wasWaiting) {
    if (won) {
      this.cancelled.add(id)
      this.waiting.delete(id)
      if (verb === 'cancel') this.seen.cancelled.push(id)
      else this.tally.cancelWon++
      return
    }
    if (!wasWaiting) return
    this.owed.add(id)
    if (verb !== 'giveUp') return
    this.tally.grantWon++
    this.givenUp.add(id)
    if (this.held.has(id)) {
      this.seen.granted.splice(this.seen.granted.indexOf(id), 1)
      this.passOn(id)
    }
  }
}
