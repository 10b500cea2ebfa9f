// Debian's Firefox ESR (installed on demand), two ways. No test tool
// downloads a browser of its own.
//
// - `launchFirefox`: puppeteer-core over WebDriver BiDi.
// - `launchDrivenFirefox`: Firefox with no automation attached, on
//   js-tests/browser/driven.html, which fetches the functions to run from a
//   small server here. The SharedLock tests need it: a WebDriver BiDi session
//   registers a listener with each content process's worker debugger manager,
//   and with a listener there, `new Worker()` inside a worker waits for the
//   main thread to register the new worker's debugger; that wake-up is
//   sometimes lost (Firefox notifies one waiter of a condition variable that
//   the new worker's own thread waits on too, it seems), and the worker that
//   called `new Worker()` blocks for good. Measured with 4 workers each
//   starting 5 workers: a third of the runs hung under puppeteer, none of 30
//   without it. The SharedLock's fallback starts such a worker in each thread.

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureFirefox } from '../../scripts/setup.mjs'

/** Prefs that keep Firefox quiet on a machine with a closed network. */
const prefs = { 'app.update.enabled': false, 'network.captive-portal-service.enabled': false }

/** Starts headless Firefox ESR; close it with `browser.close()`. */
export async function launchFirefox() {
  const { default: puppeteer } = await import('puppeteer-core')
  return puppeteer.launch({ browser: 'firefox', executablePath: ensureFirefox(), headless: true, extraPrefsFirefox: prefs })
}

/** The driven page, under a server that mounts js-tests at /js-tests. */
export const drivenPagePath = 'js-tests/browser/driven.html'

/** Prefs for a profile nobody has opened yet: no first-run pages, no reports, no default-browser check. */
const quietProfile = {
  ...prefs,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
}

/**
 * Starts headless Firefox ESR, with no automation attached, on `url` (the
 * driven page, drivenPagePath). Resolves once the page has loaded with
 * `{ evaluate, goto, close }`: `evaluate(fn, arg)` runs `fn(arg)` in the page
 * (`fn` is sent as its source, like puppeteer's `page.evaluate`) and resolves
 * with its JSON-serialized result; `goto(url)` loads another driven page;
 * errors the page does not catch are logged.
 */
export async function launchDrivenFirefox(url) {
  /** Jobs the page has not taken yet, and the page's pending request for the next one. */
  const jobs = []
  let taker
  const replies = new Map()
  let lastId = 0
  let onLoaded
  const loaded = () => new Promise((resolve) => (onLoaded = resolve))
  const give = () => {
    if (taker === undefined || jobs.length === 0) return
    taker.end(JSON.stringify(jobs.shift()))
    taker = undefined
  }
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.method === 'GET' && req.url === '/next') {
      taker = res
      // A page that navigates away drops its request: nothing must be given to it.
      res.on('close', () => taker === res && (taker = undefined))
      return give()
    }
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      res.end()
      const message = JSON.parse(body)
      if (req.url === '/loaded') onLoaded?.()
      else if (req.url === '/error') console.log(`page error: ${message.message}`)
      else if (req.url === '/result') {
        const { resolve, reject } = replies.get(message.id)
        replies.delete(message.id)
        if ('error' in message) reject(new Error(message.error))
        else resolve(message.value)
      }
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const driven = (pageUrl) => `${pageUrl}?driver=${encodeURIComponent(`http://127.0.0.1:${server.address().port}`)}`

  const profile = mkdtempSync(join(tmpdir(), 'firefox-profile-'))
  writeFileSync(join(profile, 'user.js'), Object.entries(quietProfile).map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});\n`).join(''))
  const firstLoad = loaded()
  const firefox = spawn(ensureFirefox(), ['--headless', '--no-remote', '--profile', profile, driven(url)], { stdio: 'ignore' })
  const exited = new Promise((resolve) => firefox.once('exit', resolve))
  const close = async () => {
    firefox.kill()
    await exited
    server.closeAllConnections()
    server.close()
    rmSync(profile, { recursive: true, force: true })
  }
  let timer
  const started = await Promise.race([
    firstLoad.then(() => 'loaded'),
    exited.then(() => 'exited'),
    new Promise((resolve) => (timer = setTimeout(resolve, 60_000, 'did not load within 60 s'))),
  ])
  clearTimeout(timer)
  if (started !== 'loaded') {
    await close()
    throw new Error(`Firefox ${started}: ${url}`)
  }
  return {
    evaluate: (fn, arg) =>
      new Promise((resolve, reject) => {
        const id = ++lastId
        replies.set(id, { resolve, reject })
        jobs.push({ id, source: String(fn), arg })
        give()
      }),
    goto: (pageUrl) => {
      const next = loaded()
      jobs.push({ goto: driven(pageUrl) })
      give()
      return next
    },
    close,
  }
}
