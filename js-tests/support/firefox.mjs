// Launches Debian's Firefox ESR (installed on demand) with puppeteer-core over
// WebDriver BiDi. No test tool downloads a browser of its own.

import { ensureFirefox } from '../../scripts/setup.mjs'

/** Prefs that keep Firefox quiet on a machine with a closed network. */
const prefs = { 'app.update.enabled': false, 'network.captive-portal-service.enabled': false }

/** Starts headless Firefox ESR; close it with `browser.close()`. */
export async function launchFirefox() {
  const { default: puppeteer } = await import('puppeteer-core')
  return puppeteer.launch({ browser: 'firefox', executablePath: ensureFirefox(), headless: true, extraPrefsFirefox: prefs })
}
