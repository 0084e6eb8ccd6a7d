/**
 * Encryption context: a `Record<string, string>` bound to a ciphertext as AAD and never
 * stored. Canonical form (so `{ab:'c'}` and `{a:'bc'}` can never collide):
 *
 * ```
 * u16 pairCount ‖ for each pair, sorted by the UTF-8 bytes of its key:
 *   u16 keyLength ‖ key (UTF-8) ‖ u16 valueLength ‖ value (UTF-8)
 * ```
 * An empty or absent context encodes as zero bytes. Sorting is by bytes, never by
 * `localeCompare` (the AWS Encryption SDK shipped that bug: locale order is not stable
 * across runtimes, so a context could stop matching itself).
 *
 * ```ts
 * encodeEncryptionContext({ tenant: 'acme' })  // 00 01 00 06 't' 'e' … 00 04 'a' 'c' 'm' 'e'
 * ```
 */
import { compareBytes, isWellFormedText, utf8Encode, writeUint16 } from './bytes.js'
import { KmsError } from './errors.js'

export type EncryptionContext = Readonly<Record<string, string>>

/** Upper bound on the encoded context, as in the reference model's 8 KiB request limit. */
export const MAX_ENCRYPTION_CONTEXT_BYTES = 8192

const EMPTY = new Uint8Array(0)

export function encodeEncryptionContext(context: EncryptionContext | undefined): Uint8Array {
  if (context === undefined) return EMPTY
  // `null` arrives from JSON-shaped callers (facades, IPC): bad input with a code, not a type error.
  if (context === null) throw new KmsError('InvalidParameter', 'encryptionContext must be an object of string values (omit it for none), not null')
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new TypeError('encryptionContext must be an object of string values')
  }
  const keys = Object.keys(context)
  if (keys.length === 0) return EMPTY
  if (keys.length === 1) return encodeSinglePair(keys[0]!, context[keys[0]!])
  const pairs: [Uint8Array, Uint8Array][] = []
  let size = 2
  for (const key of keys) {
    const value = context[key]
    // Precondition: keys are non-empty and both sides are well-formed text (lossless UTF-8).
    checkPair(key, value)
    const k = utf8Encode(key)
    const v = utf8Encode(value)
    size += 4 + k.length + v.length
    if (size > MAX_ENCRYPTION_CONTEXT_BYTES) {
      throw new KmsError('InvalidParameter', `encryptionContext exceeds ${MAX_ENCRYPTION_CONTEXT_BYTES} bytes`)
    }
    pairs.push([k, v])
  }
  // UTF-8 byte order, which for non-ASCII text differs from UTF-16 code-unit order.
  pairs.sort((a, b) => compareBytes(a[0], b[0]))
  const out = new Uint8Array(size)
  writeUint16(out, 0, pairs.length)
  let offset = 2
  for (const [k, v] of pairs) {
    writeUint16(out, offset, k.length)
    out.set(k, offset + 2)
    offset += 2 + k.length
    writeUint16(out, offset, v.length)
    out.set(v, offset + 2)
    offset += 2 + v.length
  }
  return out
}

function checkPair(key: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`encryptionContext value of "${key}" must be a string`)
  if (key.length === 0) throw new KmsError('InvalidParameter', 'encryptionContext keys must not be empty')
  if (!isWellFormedText(key) || !isWellFormedText(value)) {
    throw new KmsError('InvalidParameter', 'encryptionContext contains a lone surrogate (not valid Unicode text)')
  }
}

/** Byte length if the text is pure ASCII (then UTF-8 = the char codes), else -1. */
function asciiLength(text: string): number {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return -1
  return text.length
}

/**
 * The common case, one pair, without intermediate arrays: TextEncoder costs ~0.5 µs per
 * short string, which would be a tenth of a whole 1 KiB encryption.
 */
function encodeSinglePair(key: string, value: unknown): Uint8Array {
  checkPair(key, value)
  const k = asciiLength(key)
  const v = asciiLength(value)
  if (k < 0 || v < 0) return encodeEncryptionContextSlow(key, value)
  const size = 6 + k + v
  if (size > MAX_ENCRYPTION_CONTEXT_BYTES) {
    throw new KmsError('InvalidParameter', `encryptionContext exceeds ${MAX_ENCRYPTION_CONTEXT_BYTES} bytes`)
  }
  const out = new Uint8Array(size)
  writeUint16(out, 0, 1)
  writeUint16(out, 2, k)
  for (let i = 0; i < k; i++) out[4 + i] = key.charCodeAt(i)
  writeUint16(out, 4 + k, v)
  for (let i = 0; i < v; i++) out[6 + k + i] = value.charCodeAt(i)
  return out
}

function encodeEncryptionContextSlow(key: string, value: string): Uint8Array {
  const k = utf8Encode(key)
  const v = utf8Encode(value)
  const size = 6 + k.length + v.length
  if (size > MAX_ENCRYPTION_CONTEXT_BYTES) {
    throw new KmsError('InvalidParameter', `encryptionContext exceeds ${MAX_ENCRYPTION_CONTEXT_BYTES} bytes`)
  }
  const out = new Uint8Array(size)
  writeUint16(out, 0, 1)
  writeUint16(out, 2, k.length)
  out.set(k, 4)
  writeUint16(out, 4 + k.length, v.length)
  out.set(v, 6 + k.length)
  return out
}
