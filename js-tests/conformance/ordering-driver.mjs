// Runs the ordering conformance table (tests/conformance/ordering.json)
// against one line, through a line adapter. The table says what each step
// does and what must follow; the adapter only turns the table's actions into
// calls on its line. The adapter interface is described in
// /work/notes/conformance.md and in `LineAdapter` below.
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
 */

export const table = JSON.parse(readFileSync(new URL('../../tests/conformance/ordering.json', import.meta.url), 'utf8'))

/** The outcome a `failed(error)` callback reports. */
export const outcomeOf = (error) => ({ LockBusyError: 'busy', QueueFullError: 'full' })[error?.name] ?? 'failed'

const actionsOf = (step) => [step.do].flat().map((action) => action.split(' '))
const participantOf = (words) => (words.includes('by') ? words[words.indexOf('by') + 1] : words[1])

/** Registers one test per case of the table that applies to `adapter`'s line. */
export function conformanceTests(adapter, options = {}) {
  const { has } = table.lines[adapter.name]
  const cases = table.cases.filter((c) => (c.needs ?? []).every((need) => has.includes(need)))
  const tally = { cases: cases.length, cancelWon: 0, grantWon: 0 }
  for (const c of cases) test(c.name, { timeout: options.timeout ?? 30_000 }, () => runCase(adapter, c, tally))
  return tally
}

async function runCase(adapter, { steps, options }, tally) {
  const participants = [...new Set(steps.flatMap(actionsOf).filter((w) => w[0] === 'request').map(participantOf))]
  const byId = new Map()
  const dead = new Set()
  const waiting = new Set()
  const held = new Set()
  const everGranted = new Set()
  const cancelled = new Set()
  const givenUp = new Set()
  /** Requests whose cancel returned false while they waited: their grant must come. */
  const owed = new Set()
  const violations = []
  let seen
  let moves = 0
  const passOn = (id) => {
    held.delete(id)
    line.release(byId.get(id), id)
  }
  const report = (id, outcome) => {
    moves++
    if (dead.has(byId.get(id))) return
    if (outcome === 'granted') {
      if (cancelled.has(id)) violations.push(`${id} was granted after its cancel returned true`)
      if (everGranted.has(id)) violations.push(`${id} was granted twice`)
      everGranted.add(id)
      waiting.delete(id)
      held.add(id)
      if (givenUp.has(id)) return passOn(id)
    }
    waiting.delete(id)
    seen[outcome].push(id)
  }
  const line = await adapter.open({ maxPending: options?.maxPending, participants }, report)
  const act = (words) => {
    const [verb, id] = words
    const who = byId.get(id)
    if (verb === 'request') {
      byId.set(id, participantOf(words))
      waiting.add(id)
      return line.request(participantOf(words), id, words.includes('shared') ? 'shared' : 'exclusive', words.includes('ifAvailable'))
    }
    if (verb === 'release') {
      assert.ok(held.delete(id), `the table releases ${id}, which does not hold the lock`)
      return line.release(who, id)
    }
    if (verb === 'cancel' || verb === 'giveUp') {
      const wasWaiting = waiting.has(id)
      return Promise.resolve(line.cancel(who, id)).then((won) => {
        if (won) {
          cancelled.add(id)
          waiting.delete(id)
          if (verb === 'cancel') seen.cancelled.push(id)
          else tally.cancelWon++
        } else if (verb === 'giveUp' && wasWaiting) {
          tally.grantWon++
          givenUp.add(id)
          if (held.has(id)) {
            seen.granted.splice(seen.granted.indexOf(id), 1)
            passOn(id)
          }
        }
        if (!won && wasWaiting) owed.add(id)
      })
    }
    if (verb === 'abandon' || verb === 'die') {
      dead.add(id)
      for (const [request, owner] of byId) if (owner === id) held.delete(request)
      return line[verb](id)
    }
    if (verb === 'time') return line.pass(Number(id))
    throw new Error(`unknown action ${words.join(' ')}`)
  }
  try {
    for (const [index, step] of steps.entries()) {
      seen = { granted: [], busy: [], full: [], failed: [], cancelled: [] }
      const started = []
      const actions = actionsOf(step)
      for (const [i, words] of actions.entries()) {
        // Requests are placed in the order given: on a line of many threads or
        // connections, a request waits until the one before it is placed.
        const next = act(words)
        if (words[0] === 'request' && actions[i + 1]?.[0] === 'request') await next
        else started.push(next)
      }
      await Promise.all(started)
      // Settled once a whole settle goes by with nothing reported and nothing passed on.
      for (let before = -1; before !== moves; ) {
        before = moves
        await line.settle()
      }
      const expected = { granted: [], busy: [], full: [], failed: [], cancelled: [] }
      for (const key of ['granted', 'busy', 'full', 'cancelled']) expected[key] = [...(step[key] ?? [])]
      for (const list of [...Object.values(seen), ...Object.values(expected)]) list.sort()
      assert.deepEqual(seen, expected, `step ${index + 1} (${[step.do].flat().join(', ')})`)
      for (const id of owed) if (!everGranted.has(id)) violations.push(`${id}: its cancel returned false, but no grant came`)
      owed.clear()
      assert.deepEqual(violations, [])
    }
    const probe = participants.find((p) => !dead.has(p))
    seen = { granted: [], busy: [], full: [], failed: [], cancelled: [] }
    byId.set('free?', probe)
    line.request(probe, 'free?', 'exclusive', true)
    await line.settle()
    assert.deepEqual(seen.granted, ['free?'], 'after the last step the line is free')
    line.release(probe, 'free?')
    await line.settle()
  } finally {
    await line.close()
  }
}
