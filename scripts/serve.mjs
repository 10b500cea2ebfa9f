// A static file server for the demo page, the browser tests and the browser
// benchmark, built on sirv. Every response carries the headers that make a
// page cross-origin isolated, so SharedArrayBuffer exists there.

import { createServer } from 'node:http'
import sirv from 'sirv'
import { root } from './setup.mjs'

/** The headers that make a page cross-origin isolated. */
export const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

/**
 * Serves `mounts` (URL prefix → directory) on localhost, by default the demo
 * page at `/` and the built package at `/pkg/`. With `isolated: false` the
 * isolation headers are left out; `headers` are added to every response.
 * Resolves with `{ url, close }`.
 */
export function startServer({ mounts = { '/pkg': `${root}/pkg`, '/': `${root}/www` }, port = 0, isolated = true, headers = {} } = {}) {
  const handlers = Object.entries(mounts)
    .sort(([a], [b]) => b.length - a.length)
    .map(([prefix, dir]) => [
      prefix.replace(/\/$/, ''),
      sirv(dir, {
        dev: true,
        setHeaders: (res) => {
          if (isolated) for (const [name, value] of Object.entries(isolationHeaders)) res.setHeader(name, value)
          for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
        },
      }),
    ])
  const server = createServer((req, res) => {
    const notFound = () => {
      res.statusCode = 404
      res.end('Not found')
    }
    for (const [prefix, handler] of handlers) {
      if (prefix === '' || req.url === prefix || req.url.startsWith(`${prefix}/`)) {
        req.url = req.url.slice(prefix.length) || '/'
        return handler(req, res, notFound)
      }
    }
    notFound()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const url = `http://localhost:${server.address().port}/`
      resolve({ url, close: () => new Promise((done) => server.close(done)) })
    })
  })
}
