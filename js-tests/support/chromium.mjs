// Launches Debian's Chromium (installed on demand) with playwright-core. No
// test tool downloads a browser of its own.

import { chromium } from 'playwright-core'
import { ensureChromium } from '../../scripts/setup.mjs'

/** Flags that keep Chromium quiet on a machine with a closed network. */
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Starts headless Chromium; close it with `browser.close()`. */
export function launchChromium() {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: flags })
}
