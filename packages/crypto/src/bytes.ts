/**
 * The workspace's one set of byte helpers: hex, base64, UTF-8, concatenation, comparison,
 * big-endian integers and wiping. Platform neutral (no `Buffer`), so they run wherever
 * `TextEncoder` does. The engine, the envelope and the providers all use these.
 *
 * ```ts
 * import { concatBytes, fromBase64, toBase64, toHex, utf8Encode } from '@strongroom/crypto'
 * toBase64(utf8Encode('hi'))                      // 'aGk='
 * fromBase64('a=bc')                              // undefined: malformed input is refused
 * toHex(concatBytes(Uint8Array.of(1), Uint8Array.of(255)))   // '01ff'
 * ```
 *
 * Hex and concatenation are @noble/hashes' (already a dependency of the providers). UTF-8
 * keeps one shared encoder (noble's `utf8ToBytes` builds an encoder and copies per call, and
 * the engine encodes on every request); base64 is not in @noble/hashes, and the rules below
 * (strict, padded, `undefined` for malformed input) are what the engine's formats require.
 */
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js'

/** One new array holding `parts` one after another (TypeError for a part that is not bytes). */
export { concatBytes }

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes)
}

/** Bytes of a hex string (either case); RangeError for an odd length or a non-hex character. */
export function fromHex(hex: string): Uint8Array {
  return hexToBytes(hex)
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Strict UTF-8 decode: malformed bytes throw TypeError instead of becoming U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

/** Standard base64 (RFC 4648 §4) with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '='
  }
  return out
}

/**
 * Strict standard base64 decode: a length that is a multiple of 4, the RFC 4648 §4 alphabet,
 * `=` only as final padding. Returns `undefined` for anything malformed (never throws).
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    let n = 0
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j)
      const isPad = c === 61 /* = */ && i + 4 === text.length && j >= 4 - padding
      const v = isPad ? 0 : c < 128 ? B64_INDEX[c]! : -1
      if (v < 0) return undefined
      n = (n << 6) | v
    }
    if (o < out.length) out[o++] = (n >> 16) & 255
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return out
}

/** Equality of public bytes (not constant-time; secrets go through the provider's `timingSafeEqual`). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic comparison of bytes (LevelDB's bytewise order), shorter first on a tie. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function writeUint16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 8
  target[offset + 1] = value & 0xff
}

export function readUint16(source: Uint8Array, offset: number): number {
  return (source[offset]! << 8) | source[offset + 1]!
}

export function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24
  target[offset + 1] = (value >>> 16) & 0xff
  target[offset + 2] = (value >>> 8) & 0xff
  target[offset + 3] = value & 0xff
}

export function readUint32(source: Uint8Array, offset: number): number {
  // `>>> 0` keeps bit 31 as a positive number instead of a negative int32.
  return ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0
}

/** Overwrites secret bytes. JS cannot promise no copy survives elsewhere (engine, GC); this removes ours. */
export function wipe(...buffers: readonly (Uint8Array | undefined)[]): void {
  for (const bytes of buffers) bytes?.fill(0)
}
