// Draws a burst (burst.js) in a lane of the page: one square per append,
// coloured by stage, the live counts, and the verdict once it is over.
// Redraws at most once per animation frame, however often the burst changes.

import { Stage } from './burst.js'

/** A square's class for each stage: the stage's name (`timedOut` included). */
const stageClass = []
for (const [name, stage] of Object.entries(Stage)) stageClass[stage] = name
const number = new Intl.NumberFormat('en')

/** The view of one lane element of index.html. */
export class LaneView {
  constructor(lane) {
    this.lane = lane
    this.grid = lane.querySelector('.grid')
    this.squares = []
    this.shown = new Uint8Array(0)
    this.state = undefined
    this.frame = 0
  }

  /** Clears the lane and lays out `size` squares, all scheduled. */
  reset(size) {
    this.grid.replaceChildren()
    this.squares = Array.from({ length: size }, () => {
      const square = document.createElement('span')
      square.className = 'scheduled'
      return square
    })
    this.grid.append(...this.squares)
    this.shown = new Uint8Array(size)
    cancelAnimationFrame(this.frame)
    this.frame = 0
    this.lane.dataset.status = 'running'
    delete this.lane.dataset.count
    delete this.lane.dataset.lost
    delete this.lane.dataset.timedOut
    this.lane.querySelector('.verdict').textContent = ''
  }

  /** Called by the burst on every change; draws on the next animation frame. */
  update(state) {
    this.state = state
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0
      this.draw()
    })
  }

  draw() {
    const { state } = this
    for (let i = 0; i < state.size; i++) {
      if (this.shown[i] !== state.stages[i]) {
        this.shown[i] = state.stages[i]
        this.squares[i].className = stageClass[state.stages[i]]
      }
    }
    const perSecond = state.elapsedMs > 0 ? (state.done / state.elapsedMs) * 1000 : 0
    this.stat('queued', number.format(state.queued))
    this.stat('running', number.format(state.running))
    this.stat('done', number.format(state.done))
    this.stat('timed-out', number.format(state.timedOut))
    this.stat('most-running', number.format(state.mostRunning))
    this.stat('throughput', `${number.format(Math.round(perSecond))}/s`)
    if (state.count !== undefined) this.finish(state)
  }

  /** Shows the verdict: every append that did not time out must have counted. */
  finish({ size, count, timedOut, elapsedMs }) {
    const lost = size - timedOut - count
    this.lane.dataset.status = 'done'
    this.lane.dataset.count = count
    this.lane.dataset.lost = lost
    this.lane.dataset.timedOut = timedOut
    const verdict = this.lane.querySelector('.verdict')
    verdict.className = `verdict ${lost === 0 ? 'good' : 'bad'}`
    const gaveUp = timedOut === 0 ? '' : `${number.format(timedOut)} timed out waiting and never ran, `
    verdict.textContent = lost === 0
      ? `Count ${number.format(count)} of ${number.format(size)}: ${gaveUp}every ${gaveUp ? 'other ' : ''}update kept, ` +
        `in ${number.format(Math.round(elapsedMs))} ms.`
      : `Count ${number.format(count)} of ${number.format(size)}: ${gaveUp}${number.format(lost)} updates lost. ` +
        'Calls read the same old value and overwrote each other.'
  }

  /** Shows `text` as the lane's stat `name`, if the lane has that stat (only the store's lane counts timeouts). */
  stat(name, text) {
    const element = this.lane.querySelector(`[data-stat="${name}"]`)
    if (element !== null) element.textContent = text
  }
}
