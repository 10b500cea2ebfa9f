// Draws a shared-reads run (shared-reads.js) in a lane of the page: the burst's
// lane view, with appends marked among the reads and a verdict of its own.

import { LaneView } from './burst-view.js'

const number = new Intl.NumberFormat('en')

/** The view of one shared-reads lane element of index.html. */
export class SharedReadsView extends LaneView {
  /** Clears the lane and lays out a square per call, appends marked. */
  reset(calls) {
    super.reset(calls.length)
    calls.forEach((call, i) => {
      this.squares[i].dataset.call = call
    })
    delete this.lane.dataset.wrong
    delete this.lane.dataset.elapsed
  }

  draw() {
    super.draw()
    this.stat('elapsed', `${number.format(Math.round(this.state.elapsedMs))} ms`)
  }

  /** Shows the verdict: every call must have seen what the serial model says. */
  finish({ size, calls, wrong, count, elapsedMs }) {
    const ms = Math.round(elapsedMs)
    this.lane.dataset.status = 'done'
    this.lane.dataset.wrong = wrong
    this.lane.dataset.elapsed = ms
    const appends = calls.filter((call) => call === 'append').length
    const verdict = this.lane.querySelector('.verdict')
    verdict.className = `verdict ${wrong === 0 && count === appends ? 'good' : 'bad'}`
    verdict.textContent = wrong === 0 && count === appends
      ? `${number.format(size)} calls in ${number.format(ms)} ms: every read saw exactly the appends made before it.`
      : `${number.format(wrong)} of ${number.format(size)} calls saw what one-at-a-time calls would not; ` +
        `count ${number.format(count)} of ${number.format(appends)}.`
  }
}
