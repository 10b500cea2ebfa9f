// Turns the suite's results into Markdown tables (printed by the runner and
// written into BENCHMARKS.md) and checks them against the targets.

const ns = (value) => `${Math.round(value).toLocaleString('en-US')} ns`
const times = (value) => `${value < 0.1 ? value.toFixed(3) : value.toFixed(2)}×`

/** One table: a row per workload, a column per contender, medians in ns per append with the ratio to the upstream. */
function timeTable(byWorkload) {
  const names = Object.keys(Object.values(byWorkload)[0])
  const lines = [`| workload | ${names.join(' | ')} |`, `| --- |${' ---: |'.repeat(names.length)}`]
  for (const [workload, byName] of Object.entries(byWorkload)) {
    const upstream = byName.upstream.median
    const cells = names.map((name) => {
      const { median, skipped } = byName[name]
      if (skipped) return `skipped (${skipped})`
      return name === 'upstream' || upstream === undefined ? ns(median) : `${ns(median)} (${times(median / upstream)})`
    })
    lines.push(`| ${workload} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

/** The memory table: bytes held per queued append, split into JS heap and memory outside it. */
function memoryTable(memory) {
  const upstream = memory.upstream.total
  const lines = ['| contender | JS heap | outside the JS heap | total | vs upstream |', '| --- | ---: | ---: | ---: | ---: |']
  for (const [name, { heap, external, total }] of Object.entries(memory)) {
    lines.push(`| ${name} | ${Math.round(heap)} B | ${Math.round(external)} B | ${Math.round(total)} B | ${times(total / upstream)} |`)
  }
  return lines.join('\n')
}

/** Every result table of one environment, headed by callback kind. */
export function resultTables({ times: results, memory }, config) {
  const sections = []
  for (const [kind, byWorkload] of Object.entries(results)) {
    sections.push(
      `**${kind === 'async' ? 'Async callbacks' : 'Sync callbacks'}** (\`read\`/\`write\` ${kind === 'async' ? 'return promises' : 'return plain values'}); ` +
        `median of ${config.reps} interleaved repetitions, sequential = ${config.sequential.toLocaleString('en-US')} appends, each awaited:\n\n` +
        timeTable(byWorkload),
    )
  }
  if (memory) sections.push(`**Memory held per queued append** (${config.memoryOps.toLocaleString('en-US')} queued, async callbacks):\n\n${memoryTable(memory)}`)
  return sections.join('\n\n')
}

/**
 * The targets, each `{ target, measured, met }`; `met` is undefined
 * for a figure that is reported without a limit or could not be measured.
 */
export function checkTargets({ times: results, memory }) {
  const async = results.async
  const ours = (workload, kind = async) => kind[workload]?.ours.median
  const upstream = (workload) => async[workload]?.upstream.median
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b)
  const check = (target, value, limit) => ({
    target,
    measured: value === undefined ? 'not measured' : times(value),
    met: value === undefined || limit === undefined ? undefined : value <= limit,
  })
  const targets = [
    check('sequential append: ours ≤ 1.0× the upstream', ratio(ours('sequential'), upstream('sequential')), 1.0),
    check('sequential append, issue 10: ours ≤ 0.85× the upstream', ratio(ours('sequential'), upstream('sequential')), 0.85),
    check('1,000 queued, issue 10: ours ≤ 0.7× the upstream', ratio(ours('1,000 queued'), upstream('1,000 queued')), 0.7),
    check('100,000 queued: ours ≤ 0.1× the upstream', ratio(ours('100,000 queued'), upstream('100,000 queued')), 0.1),
    check('flat: ours with 1,000,000 queued ≤ 2× ours with 1,000 queued', ratio(ours('1,000,000 queued'), ours('1,000 queued')), 2),
  ]
  if (memory) targets.push(check('memory per queued op: ours ≤ 0.75× the upstream', memory.ours.total / memory.upstream.total, 0.75))
  targets.push(
    check('sequential, ours vs the callbacks alone (no lock); the floor is 1×', ratio(ours('sequential'), async.sequential['no lock'].median)),
    check('sync callbacks: ours sequential, sync vs async callbacks', ratio(results.sync && ours('sequential', results.sync), ours('sequential'))),
    check('sync callbacks: ours 100,000 queued, sync vs async callbacks', ratio(results.sync && ours('100,000 queued', results.sync), ours('100,000 queued'))),
  )
  return targets
}

/** The targets as a Markdown table. */
export function targetTable(targets) {
  const verdict = (met) => (met === undefined ? 'reported' : met ? 'met' : '**MISSED**')
  return ['| target | measured | |', '| --- | ---: | --- |', ...targets.map(({ target, measured, met }) => `| ${target} | ${measured} | ${verdict(met)} |`)].join('\n')
}

const ms = (value) => (value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value).toLocaleString('en-US')} ms`)
const bytes = (value) => (value === undefined ? 'not measured' : `${Math.round(value).toLocaleString('en-US')} B`)

/** The tables of bench/waiting.mjs: options, giving up, slow reads, mixed. */
export function waitingTables({ options, givingUp, slowReads, mixed }, config) {
  const { waiting } = config
  const base = options['no options']
  const sections = [
    `**Options on every call** (ours, ${waiting.options.n.toLocaleString('en-US')} appends queued at once, async callbacks, median of ${waiting.options.reps}):\n\n` +
      ['| calls | time per append | vs no options |', '| --- | ---: | ---: |', ...Object.entries(options).map(([name, value]) => `| ${name} | ${ns(value)} | ${times(value / base)} |`)].join('\n'),
    `**${waiting.givingUp.n.toLocaleString('en-US')} queued, every other call gives up** (behind a held lock; time per call from queuing to the last settled, leaving out the wait for 1 ms timeouts to fire; memory held per call once half gave up, before the lock is released):\n\n` +
      [
        '| lock | how a call gives up | time per call | vs ours | memory per call | settled at once |',
        '| --- | --- | ---: | ---: | ---: | ---: |',
        ...Object.entries(givingUp).map(([name, result]) =>
          name === 'signals alone'
            ? `| no lock: the controllers alone (made, one listener each, aborted) | | ${ns(result.nsPerCall)} | ${times(result.nsPerCall / givingUp.ours.nsPerCall)} | | |`
            : `| ${name} | ${result.how === 'signal' ? 'its signal is aborted' : 'a 1 ms timeout'} | ${ns(result.nsPerCall)} | ${times(result.nsPerCall / givingUp.ours.nsPerCall)} | ${bytes(result.bytesPerCall)} | ${Math.round(result.settledEarly * 100)}% |`,
        ),
      ].join('\n'),
    `**${waiting.slowReads.reads.toLocaleString('en-US')} reads, each taking ${waiting.slowReads.ms} ms** (async read callback; all made at once, total time):\n\n` +
      ['| reads | total | vs one read |', '| --- | ---: | ---: |', ...Object.entries(slowReads).map(([name, value]) => `| ${name} | ${ms(value)} | ${times(value / waiting.slowReads.ms)} |`)].join('\n'),
    `**Mixed: 90% reads, 10% appends** (queued behind a held lock, async callbacks, median of ${waiting.mixed.reps}; a writer's wait runs from the lock's release to its transform):\n\n` +
      [
        '| workload | time per call | longest wait of any writer | longest wait of the writers among the first 1,000 calls | writers a later call overtook |',
        '| --- | ---: | ---: | ---: | ---: |',
        ...Object.entries(mixed).map(([name, r]) => `| ${name} | ${ns(r.nsPerCall)} | ${ms(r.longestWait)} | ${ms(r.longestWaitFirst1000)} | ${r.overtaken} |`),
      ].join('\n'),
  ]
  return sections.join('\n\n')
}

/** The issues' targets for bench/waiting.mjs, as `checkTargets` gives them. */
export function checkWaitingTargets({ options, slowReads, mixed }, config) {
  const check = (target, value, limit, format = times) => ({ target, measured: value === undefined ? 'not measured' : format(value), met: value === undefined || limit === undefined ? undefined : value <= limit })
  const base = options['no options']
  const count = (n) => n.toLocaleString('en-US')
  const [shallow, deep] = config.waiting.mixed.depths
  const { reads, ms: readMs } = config.waiting.slowReads
  return [
    check(`a signal on each of ${count(config.waiting.options.n)} queued calls ≤ 1.5× none (signals made beforehand)`, options['a signal each (made beforehand)'] / base, 1.5),
    check(`a store timeout on ${count(config.waiting.options.n)} queued calls ≤ 1.3× none`, options['store timeout (60 s)'] / base, 1.3),
    check(`${count(reads)} slow reads with sharedReads, vs one read`, slowReads['ours, sharedReads'] / readMs),
    check(`${count(reads)} slow reads with sharedReads, vs without`, slowReads['ours, sharedReads'] / slowReads['ours, exclusive reads']),
    check(
      `mixed, sharedReads: longest wait of the first 1,000 calls' writers, ${count(deep)} vs ${count(shallow)} queued`,
      mixed[`${count(deep)} queued, sharedReads`].longestWaitFirst1000 / mixed[`${count(shallow)} queued, sharedReads`].longestWaitFirst1000,
    ),
    check(`mixed, sharedReads: writers overtaken by a later call: none, ${count(deep)} queued`, mixed[`${count(deep)} queued, sharedReads`].overtaken, 0, String),
  ]
}
