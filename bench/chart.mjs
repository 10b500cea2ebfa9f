// Draws time per append against queue depth, one line per contender, as an
// SVG written from the measured medians. Both axes are logarithmic: the
// queue depths span three decades, and so do the times.

const colours = {
  ours: '#d9480f',
  upstream: '#1c7ed6',
  'async-mutex': '#2f9e44',
  'async-lock': '#9c36b5',
  'no lock': '#868e96',
}

const width = 720
const height = 440
const plot = { left: 80, right: 170, top: 50, bottom: 60 }

const log10 = Math.log10
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')

function formatNs(value) {
  return value >= 1000 ? `${value / 1000} µs` : `${value} ns`
}

/** An SVG of `byWorkload` (one kind of callbacks: workload → contender → result), titled `title`. */
export function queueDepthChart(byWorkload, title) {
  const rows = Object.values(byWorkload).filter((_, i) => i > 0)
  const depths = Object.keys(byWorkload).slice(1).map((name) => Number(name.split(' ')[0].replace(/,/g, '')))
  const names = Object.keys(rows[0])
  const medians = rows.flatMap((byName) => names.map((name) => byName[name].median).filter((v) => v !== undefined))

  const yMin = 10 ** Math.floor(log10(Math.min(...medians)))
  const yMax = 10 ** Math.ceil(log10(Math.max(...medians)))
  const xMin = log10(depths[0])
  const xMax = log10(depths[depths.length - 1])
  const x = (depth) => plot.left + ((log10(depth) - xMin) / (xMax - xMin || 1)) * (width - plot.left - plot.right)
  const y = (value) => height - plot.bottom - ((log10(value) - log10(yMin)) / (log10(yMax) - log10(yMin))) * (height - plot.top - plot.bottom)

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ]
  for (let decade = yMin; decade <= yMax; decade *= 10) {
    for (const step of [1, 2, 5]) {
      const value = decade * step
      if (value > yMax) break
      const major = step === 1
      parts.push(`<line x1="${plot.left}" x2="${width - plot.right}" y1="${y(value)}" y2="${y(value)}" stroke="${major ? '#ced4da' : '#f1f3f5'}"/>`)
      if (major || step === 5) parts.push(`<text x="${plot.left - 8}" y="${y(value) + 4}" text-anchor="end">${formatNs(value)}</text>`)
    }
  }
  for (const depth of depths) {
    parts.push(`<line x1="${x(depth)}" x2="${x(depth)}" y1="${plot.top}" y2="${height - plot.bottom}" stroke="#e9ecef"/>`)
    parts.push(`<text x="${x(depth)}" y="${height - plot.bottom + 18}" text-anchor="middle">${depth.toLocaleString('en-US')}</text>`)
  }
  parts.push(`<text x="${(plot.left + width - plot.right) / 2}" y="${height - 16}" text-anchor="middle">appends queued at once</text>`)
  parts.push(`<text transform="translate(18 ${(plot.top + height - plot.bottom) / 2}) rotate(-90)" text-anchor="middle">time per append (median)</text>`)

  names.forEach((name, i) => {
    const points = rows
      .map((byName, j) => [depths[j], byName[name].median])
      .filter(([, value]) => value !== undefined)
      .map(([depth, value]) => [x(depth), y(value)])
    const colour = colours[name] ?? '#000'
    if (points.length > 1) {
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.5" points="${points.map((p) => p.join(',')).join(' ')}"/>`)
    }
    for (const [px, py] of points) parts.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${colour}"/>`)
    const legendY = plot.top + 10 + i * 22
    parts.push(`<line x1="${width - plot.right + 16}" x2="${width - plot.right + 40}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2.5"/>`)
    parts.push(`<text x="${width - plot.right + 46}" y="${legendY + 4}">${escape(name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
