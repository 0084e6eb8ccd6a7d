/**
 * Byte helpers shared by the engine: UTF-8, base64, hex, UUID ↔ bytes, big-endian
 * integers. Platform-neutral (no `Buffer`), so core runs wherever `TextEncoder` does.
 *
 * ```ts
 * uuidToBytes('1234abcd-12ab-34cd-56ef-1234567890ab')  // 16 bytes
 * toBase64(utf8Encode('hi'))                            // 'aGk='
 * ```
 */

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Strict UTF-8 decode: malformed bytes throw TypeError instead of becoming U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

// A lone surrogate would be encoded as U+FFFD, so two different strings could share bytes.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when the string is well-formed UTF-16 and so encodes to UTF-8 without loss. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text)
}

/** Lexicographic comparison of bytes, the order every Strongroom encoding sorts by. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export { concatBytes } from '@strongroom/crypto'

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('invalid hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
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

/** Strict standard base64 decode; returns `undefined` for anything malformed. */
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

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Lower-case canonical UUID text (any version). */
export function isUuid(text: string): boolean {
  return UUID_PATTERN.test(text)
}

export function uuidToBytes(uuid: string): Uint8Array {
  if (!isUuid(uuid)) throw new RangeError('not a canonical lower-case UUID')
  return fromHex(uuid.replaceAll('-', ''))
}

// uuidFromBytes runs on every decrypt (twice). Building the text from char codes in one
// call is ~3× faster than concatenating 20 pieces, whose rope V8 must flatten for Map lookups.
const HEX_CODES = new Uint16Array(512)
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = HEX[i]!.charCodeAt(0)
  HEX_CODES[2 * i + 1] = HEX[i]!.charCodeAt(1)
}
const UUID_DIGIT_POSITIONS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]
const uuidCodes: number[] = new Array<number>(36).fill(45 /* - */)

export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError('a UUID is 16 bytes')
  return uuidFromBytesAt(bytes, 0)
}

/** The UUID in the 16 bytes at `offset` (the caller checked they exist): no view needed. */
export function uuidFromBytesAt(bytes: Uint8Array, offset: number): string {
  for (let i = 0; i < 16; i++) {
    const at = UUID_DIGIT_POSITIONS[i]!
    const v = bytes[offset + i]!
    uuidCodes[at] = HEX_CODES[2 * v]!
    uuidCodes[at + 1] = HEX_CODES[2 * v + 1]!
  }
  return String.fromCharCode.apply(null, uuidCodes)
}

/** A random (version 4, RFC 9562 §5.4) UUID from 16 random bytes; the bytes are modified. */
export function uuidV4FromRandom(random16: Uint8Array): string {
  random16[6] = (random16[6]! & 0x0f) | 0x40
  random16[8] = (random16[8]! & 0x3f) | 0x80
  return uuidFromBytes(random16)
}

export function writeUint16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 8
  target[offset + 1] = value & 255
}

export function readUint16(source: Uint8Array, offset: number): number {
  return (source[offset]! << 8) | source[offset + 1]!
}

/** Overwrites secret bytes. JS cannot promise no copy survives elsewhere; this removes ours. */
export function wipe(...buffers: readonly (Uint8Array | undefined)[]): void {
  for (const b of buffers) b?.fill(0)
}
