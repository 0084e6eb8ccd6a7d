/**
 * The audit trail's record encoder: how one call becomes one stored line. Lines are written
 * piece by piece straight into a segment's bytes and hashed there (this runs once per call
 * the engine serves), and read back by `parseSegment`. Encryption contexts are recorded as
 * the engine is configured: plain, as HMACs under the audit context key, or omitted.
 *
 * ```ts
 * const contexts = new ContextRecorder('hmac', crypto, contextKey)
 * const { value, lastHash } = encodeSegment(entries, { first: 1, prevHash: GENESIS, contexts, crypto, ... })
 * parseSegment(value)   // [{ hashed, hash, fields }, …]
 * ```
 */
import { Lru, type CryptoProvider } from '@strongroom/crypto'
import { toBase64, utf8Decode, utf8Encode } from '../bytes.js'
import type { EncryptionContext } from '../context.js'
import type { AuditContextMode, AuditEntry, AuditRecord } from './records.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const TEXT_ENCODER = new TextEncoder()
const NEWLINE = 0x0a

const COMMA = 0x2c
const QUOTE = 0x22

/** Writes ASCII text at `pos`; returns the position after it. */
function writeAscii(target: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) target[pos + i] = text.charCodeAt(i)
  return pos + text.length
}

/** Writes a number as JSON at `pos` (a non-negative integer's digits without making a string); returns the position after it. */
function writeNumber(target: Uint8Array, pos: number, value: number): number {
  // A caller's clock may return any number; only safe non-negative integers take the fast path.
  if (!Number.isSafeInteger(value) || value < 0) return writeAscii(target, pos, JSON.stringify(value))
  let digits = 1
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++
  for (let i = pos + digits - 1, rest = value; i >= pos; i--, rest = Math.floor(rest / 10)) target[i] = 0x30 + (rest % 10)
  return pos + digits
}

/**
 * A value the engine has already validated to plain ASCII (UUIDs, request and event ids,
 * action names, principal and alias names, whose patterns admit no quote, backslash or
 * control character) as a JSON string, or `null`: quoting is enough, no escaping pass.
 */
function writeQuoted(target: Uint8Array, pos: number, value: string | undefined): number {
  if (value === undefined) return writeAscii(target, pos, 'null')
  target[pos] = QUOTE
  const end = writeAscii(target, pos + 1, value)
  target[end] = QUOTE
  return end + 1
}

/** Any text as UTF-8 (ASCII written directly, anything else through TextEncoder). */
function writeText(target: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f) return pos + TEXT_ENCODER.encodeInto(text, target.subarray(pos)).written
    target[pos + i] = c
  }
  return pos + text.length
}

/** Distinct context pairs whose HMAC is remembered: contexts repeat, and an HMAC costs ~2 µs. */
const CONTEXT_HMAC_CACHE = 4096

/**
 * Stored form of one record: a JSON array, fields in this fixed order, its hash last —
 * `[seq, eventId, timeMs, eventName, principal, accountId, region, requestId, keyId,
 * keyVersionId, sourceKeyId, aliasName, encryptionContext, errorCode, prevHash, hash]`
 * (absent fields are `null`). A call a grant authorized carries the grant's id after
 * `prevHash` (`…, prevHash, grantId, hash]`): 17 elements, so every line written before
 * grants existed keeps its meaning and its hash. The hash covers the line's own text without the hash
 * element, so verification never depends on re-serialising parsed values.
 */
type LineFields = readonly [number, string, number, string, string, string, string, string,
  string | null, string | null, string | null, string | null, Record<string, string> | null, string | null, string]
export type Line = readonly [...LineFields, string] | readonly [...LineFields, string, string]

const HASH_SUFFIX = /,"([0-9a-f]{64})"\]$/

/** Splits a stored line into the text its hash covers, the hash, and the fields; undefined if malformed. */
export function parseLine(line: string): { hashed: string; hash: string; fields: Line } | undefined {
  const match = HASH_SUFFIX.exec(line)
  if (match === null) return undefined
  try {
    const fields = JSON.parse(line) as Line
    if (!Array.isArray(fields) || (fields.length !== 16 && fields.length !== 17) || typeof fields[0] !== 'number' || typeof fields[14] !== 'string') return undefined
    return { hashed: line.slice(0, match.index) + ']', hash: match[1]!, fields }
  } catch {
    return undefined
  }
}

export function toRecord(f: Line, chain: string): AuditRecord {
  const r = {
    chain, seq: f[0], eventId: f[1], eventTime: new Date(f[2]).toISOString(), eventName: f[3], principal: f[4], accountId: f[5],
    region: f[6], requestId: f[7],
  } as Mutable<AuditRecord>
  if (f[8] !== null) r.keyId = f[8]
  if (f[9] !== null) r.keyVersionId = f[9]
  if (f[10] !== null) r.sourceKeyId = f[10]
  if (f[11] !== null) r.aliasName = f[11]
  if (f[12] !== null) r.encryptionContext = f[12]
  r.result = f[13] === null ? 'Success' : 'Failure'
  if (f[13] !== null) r.errorCode = f[13]
  r.prevHash = f[14]
  if (f.length === 17) r.grantId = f[15]
  r.hash = f[f.length - 1] as string
  return r
}

/** A segment's records, or undefined when any line is malformed. */
export function parseSegment(value: Uint8Array): { hashed: string; hash: string; fields: Line }[] | undefined {
  let text: string
  try {
    text = utf8Decode(value)
  } catch {
    return undefined
  }
  const lines = text.split('\n').map(parseLine)
  return lines.every((l) => l !== undefined) ? (lines as { hashed: string; hash: string; fields: Line }[]) : undefined
}

/** One stored line, split into the text its hash covers, the hash, and the fields. */
export type ParsedLine = { hashed: string; hash: string; fields: Line }

/** How encryption contexts are recorded (see AuditOptions.encryptionContext), with the caches that make it cheap. */
export class ContextRecorder {
  readonly #mode: AuditContextMode
  readonly #crypto: CryptoProvider
  readonly #key: Uint8Array
  readonly #hmacCache = new Lru<string, string>(CONTEXT_HMAC_CACHE)

  constructor(mode: AuditContextMode, crypto: CryptoProvider, contextKey: Uint8Array) {
    this.#mode = mode
    this.#crypto = crypto
    this.#key = contextKey
  }

  /**
   * The last context recorded, as its keys and values in the caller's order, with its JSON:
   * a service mostly repeats one context call after call, and comparing pairs is far cheaper
   * than sorting, MACing and stringifying them again.
   */
  #lastContext: { readonly pairs: readonly string[]; readonly json: string } | undefined

  /** The recorded context as JSON, `null` when none. */
  json(context: EncryptionContext | undefined): string {
    if (context === undefined) return 'null'
    const last = this.#lastContext
    if (last !== undefined) {
      const keys = Object.keys(context)
      let same = keys.length * 2 === last.pairs.length
      for (let i = 0; same && i < keys.length; i++) same = last.pairs[2 * i] === keys[i] && last.pairs[2 * i + 1] === context[keys[i]!]
      if (same) return last.json
    }
    const recorded = this.#record(context)
    const json = recorded === undefined ? 'null' : JSON.stringify(recorded)
    const pairs: string[] = []
    for (const k of Object.keys(context)) pairs.push(k, context[k]!)
    this.#lastContext = { pairs, json }
    return json
  }

  #record(context: EncryptionContext | undefined): Record<string, string> | undefined {
    if (context === undefined || this.#mode === 'omit') return undefined
    const keys = Object.keys(context)
    if (keys.length === 0) return undefined
    const out: Record<string, string> = {}
    for (const k of keys.sort()) {
      const v = context[k]!
      // Defined, not assigned: a context key named __proto__ must stay a recorded pair.
      Object.defineProperty(out, k, { value: this.#mode === 'plain' ? v : this.#hmac(k, v), enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  /** `hmac-sha256:` + 128 bits of HMAC(audit context key, key ‖ 0 ‖ value): equal values stay comparable, values stay hidden. */
  #hmac(key: string, value: string): string {
    const pair = `${key}\u0000${value}`
    let mac = this.#hmacCache.get(pair)
    if (mac === undefined) {
      mac = 'hmac-sha256:' + toBase64(this.#crypto.hmacSha256(this.#key, utf8Encode(pair)).subarray(0, 16))
      this.#hmacCache.set(pair, mac)
    }
    return mac
  }
}

export interface SegmentOptions {
  /** Sequence number of the first entry. */
  readonly first: number
  /** Hash of the record before the first entry (GENESIS before the first record). */
  readonly prevHash: string
  readonly accountId: string
  readonly region: string
  readonly crypto: CryptoProvider
  readonly newEventId: () => string
  readonly contexts: ContextRecorder
}

/**
 * The stored segment for `entries`, chained after `prevHash`; its last hash; and the last
 * time each key was used by them (for describeKey's lastUsedDate).
 */
export function encodeSegment(entries: readonly AuditEntry[], options: SegmentOptions): { value: Uint8Array; lastHash: string; used: Map<string, number> } {
  const used = new Map<string, number>()
  const { first, crypto, newEventId, contexts } = options
  let prevHex = options.prevHash
  const fixed = `,${JSON.stringify(options.accountId)},${JSON.stringify(options.region)},"`
  // This loop runs once per call the engine serves. Each line is written piece by piece
  // straight into the segment's bytes (the same JSON an array stringify gives, without
  // building a string first), hashed there, and its hash appended.
  let segment = new Uint8Array(entries.length * 448 + 256)
  let pos = 0
  /** Where the previous line's hash digits are, to copy them as this line's prevHash. */
  let prevHashAt = -1
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!
    const context = e.contextJson ?? contexts.json(e.encryptionContext)
    // Error codes may come from any error's name: escaped properly.
    const errorCode = e.errorCode === undefined ? 'null' : JSON.stringify(e.errorCode)
    // Engine-made and validated fields are ASCII; the context and error code may not be
    // (UTF-8 takes at most 3 bytes per UTF-16 unit). 600 covers the rest with the hash.
    const bound = pos + 600 + (e.grantId?.length ?? 0) + (context.length + errorCode.length) * 3
    if (bound > segment.length) {
      const grown = new Uint8Array(bound * 2)
      grown.set(segment.subarray(0, pos))
      segment = grown
    }
    if (i > 0) segment[pos++] = NEWLINE
    const start = pos
    segment[pos++] = 0x5b // [
    pos = writeNumber(segment, pos, first + i)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, newEventId())
    segment[pos++] = COMMA
    pos = writeNumber(segment, pos, e.time)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.eventName)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.principal)
    pos = writeAscii(segment, pos, fixed)
    pos = writeAscii(segment, pos, e.requestId)
    segment[pos++] = QUOTE
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.keyId)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.keyVersionId)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.sourceKeyId)
    segment[pos++] = COMMA
    pos = writeQuoted(segment, pos, e.aliasName)
    segment[pos++] = COMMA
    pos = writeText(segment, pos, context)
    segment[pos++] = COMMA
    pos = writeText(segment, pos, errorCode)
    segment[pos++] = COMMA
    segment[pos++] = QUOTE
    if (prevHashAt < 0) pos = writeAscii(segment, pos, prevHex)
    else {
      segment.copyWithin(pos, prevHashAt, prevHashAt + 64)
      pos += 64
    }
    segment[pos++] = QUOTE
    if (e.grantId !== undefined) {
      segment[pos++] = COMMA
      pos = writeQuoted(segment, pos, e.grantId)
    }
    segment[pos++] = 0x5d // ]
    // The line carries the previous hash, so hashing the line chains it.
    prevHex = crypto.sha256Hex(segment.subarray(start, pos))
    segment[pos - 1] = COMMA // the closing `]` becomes `,"<hash>"]`
    segment[pos++] = QUOTE
    prevHashAt = pos
    pos = writeAscii(segment, pos, prevHex)
    segment[pos++] = QUOTE
    segment[pos++] = 0x5d // ]
    if (e.keyUse === true && e.keyId !== undefined && e.errorCode === undefined) used.set(e.keyId, Math.max(used.get(e.keyId) ?? 0, e.time))
  }
  return { value: segment.subarray(0, pos), lastHash: prevHex, used }
}
