// Starts the wasm core synchronously, during import, so that every store is
// ready the moment it is created. Each entry passes what its runtime can
// compile: the embedded bytes, or (workerd) the module it imported from core.wasm.
import { initSync } from './core.js'

/**
 * Instantiates the core from `wasm` (bytes or a `WebAssembly.Module`), or
 * throws one clear Error; without WebAssembly, its cause is a ReferenceError.
 */
export function loadCore(wasm) {
  try {
    initSync({ module: wasm })
  } catch (error) {
    throw new Error(
      'async-atomic-store needs WebAssembly, and this environment has none or refused to compile its core ' +
        `(a Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src): ${error}`,
      { cause: error },
    )
  }
}

/**
 * The bytes of the core's text form (core-bytes.js for web.js, written by
 * encodeCore in scripts/build.mjs). Its digits are the 86 characters from `(` to `~`
 * without `\`; a byte below 84 is one digit, any other two: 84 + (byte - 84)
 * / 86 and (byte - 84) % 86. The small bytes, wasm's most frequent, take one
 * character, and every byte is always spelled the same, so gzip finds the
 * repeats that hex shows it; the gzipped bundle is smaller than with hex or base64.
 */
export function decodeCore(text) {
  const bytes = new Uint8Array(text.length)
  let length = 0
  for (let at = 0; at < text.length; ) {
    const first = digitAt(text, at++)
    bytes[length++] = first < 84 ? first : 84 + (first - 84) * 86 + digitAt(text, at++)
  }
  return bytes.subarray(0, length)
}

const digitAt = (text, at) => {
  const code = text.charCodeAt(at)
  return code > 92 ? code - 41 : code - 40
}

/**
 * The bytes `hex` spells. node.cjs embeds the core as hex rather than as
 * decodeCore's text: Node's `Buffer` decodes hex natively, where the first
 * run of a decoding loop costs Node about 2 ms (V8 compiles it while it
 * runs), as much as the rest of the start. A runtime without `Buffer` that
 * falls through to node.cjs still gets the bytes.
 */
export function decodeHex(hex) {
  const { Buffer } = globalThis
  if (Buffer) return Buffer.from(hex, 'hex')
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}
