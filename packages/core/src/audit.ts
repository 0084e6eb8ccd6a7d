/**
 * The audit trail: one record for every call — allowed or denied, succeeded or failed —
 * hash-chained and anchored by a MAC under a key derived from the root key, so that
 * `verify()` detects any modified, deleted, inserted, reordered or truncated record.
 *
 * ```ts
 * const { records } = await kms.audit.query({ keyId, action: 'Encrypt', limit: 50 })
 * const report = await kms.audit.verify()   // { ok: true, records: 1234 } or { ok: false, seq, problem }
 * ```
 *
 * Records follow the reference model's ActionTrail events (event id, time, action name,
 * principal, region, request id, key, key version, alias, result or error code). They never
 * hold plaintext, data keys, key material, passphrases or ciphertext; encryption-context
 * values are kept `plain`, as an `hmac` under the audit key (default), or `omit`ted.
 *
 * Storage layout (all through the storage contract):
 * - `audit/seg/<first seq, 16 hex digits>`: a segment, the records of one commit as JSON lines;
 * - `audit/head`: first and last sequence number and hash of the chain, with their MAC;
 * - `audit/used/<keyId>`: when a key was last used (derived from the trail, for describeKey).
 *
 * Chain: each record is stored as one line of JSON that includes the previous record's
 * hash (64 zero digits before the first), and `hash(n) = SHA-256(line n without its hash)`; the head's MAC is HMAC-SHA-256 under `HKDF(root, "audit/mac/v1")`.
 * Whoever can write the store but does not hold the root key cannot forge a head, so
 * rewriting, dropping or reordering records — even all of them — is detected.
 *
 * Commit rules: a state change's record is committed atomically with the change (the
 * engine's transaction includes it). Records of other calls (crypto operations, reads,
 * failures) are group-committed: at most `flushIntervalMs` later or once
 * `maxPendingRecords` are waiting. A crash can lose at most those pending records; a clean
 * `close()` loses nothing. If a flush fails, the engine fails closed: every later call is
 * refused with `AuditFailure` until a flush succeeds. With `durability: 'sync'` every call
 * waits for its own record to be committed (concurrent calls share one commit).
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { toBase64, utf8Decode, utf8Encode } from './bytes.js'
import { formatDate } from './clock.js'
import type { EncryptionContext } from './context.js'
import { KmsError } from './errors.js'
import type { Mutation, StorageAdapter, StoredRecord } from './storage.js'

export type AuditContextMode = 'plain' | 'hmac' | 'omit'

export interface AuditOptions {
  /** How encryption-context values are recorded. Default `hmac`. */
  readonly encryptionContext?: AuditContextMode
  /** Group commit: pending records are committed at most this long after their call. Default 100 ms. */
  readonly flushIntervalMs?: number
  /** Group commit: a commit starts as soon as this many records are pending. Default 1024. */
  readonly maxPendingRecords?: number
  /** `group` (default): calls return before their record is committed. `sync`: each call waits for it. */
  readonly durability?: 'group' | 'sync'
}

/** One audit record, as stored, queried, exported and emitted. */
export interface AuditRecord {
  /** Position in the chain, from 1. */
  readonly seq: number
  readonly eventId: string
  /** ISO 8601 UTC with milliseconds. */
  readonly eventTime: string
  /** The action, e.g. `Encrypt` (the reference model's API name). */
  readonly eventName: string
  /** Who called: `root` for the engine owner, the principal name for `kms.as(principal)`, `system` for the engine itself. */
  readonly principal: string
  readonly accountId: string
  readonly region: string
  readonly requestId: string
  readonly keyId?: string
  readonly keyVersionId?: string
  /** reEncrypt: the key the ciphertext came from (`keyId` is the destination). */
  readonly sourceKeyId?: string
  readonly aliasName?: string
  /** Per the `encryptionContext` setting: plain values, `hmac-sha256:<base64>` values, or absent. */
  readonly encryptionContext?: Readonly<Record<string, string>>
  readonly result: 'Success' | 'Failure'
  readonly errorCode?: string
  /** Hex SHA-256 of the previous record (32 zero bytes before the first). */
  readonly prevHash: string
  readonly hash: string
}

/** What the engine hands over per call; turned into a record (and hashed) at commit time. */
export interface AuditEntry {
  readonly time: number
  readonly eventName: string
  readonly principal: string
  readonly requestId: string
  readonly keyId?: string | undefined
  readonly keyVersionId?: string | undefined
  /** reEncrypt: the key the ciphertext came from (`keyId` is the destination). */
  readonly sourceKeyId?: string | undefined
  readonly aliasName?: string | undefined
  readonly encryptionContext?: EncryptionContext | undefined
  readonly errorCode?: string | undefined
  /** Key use (crypto operations) updates the key's last-used date. */
  readonly keyUse?: boolean | undefined
  /**
   * The context as it will be recorded, fixed when the entry is queued: the caller may
   * reuse and change its context object after the call returns.
   */
  contextJson?: string
}

export interface AuditQuery {
  readonly keyId?: string
  readonly principal?: string
  readonly action?: string
  /** Inclusive, epoch ms or a date string. */
  readonly from?: number | string | Date
  /** Exclusive, epoch ms or a date string. */
  readonly to?: number | string | Date
  /** 1-1000, default 100. */
  readonly limit?: number
  /** `nextCursor` of the previous page. */
  readonly cursor?: string
}

export interface AuditPage {
  readonly records: readonly AuditRecord[]
  readonly nextCursor?: string
}

export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly firstSeq: number; readonly lastSeq: number }
  | { readonly ok: false; readonly seq: number; readonly problem: string }

export const AUDIT_SEGMENT_PREFIX = 'audit/seg/'
export const AUDIT_HEAD_KEY = 'audit/head'
export const AUDIT_USED_PREFIX = 'audit/used/'

const GENESIS = '0'.repeat(64)

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
const SCAN_PAGE = 200

interface Head {
  readonly schema: 1
  /** First retained record (retention moves it forward). */
  readonly firstSeq: number
  /** prevHash of the first retained record. */
  readonly anchorHash: string
  readonly lastSeq: number
  readonly lastHash: string
  readonly mac: string
}

function segmentKey(firstSeq: number): string {
  return AUDIT_SEGMENT_PREFIX + firstSeq.toString(16).padStart(16, '0')
}

function toTime(value: number | string | Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const t = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(t)) throw new KmsError('InvalidParameter', `${name} is not a valid time`)
  return t
}

/**
 * Stored form of one record: a JSON array, fields in this fixed order, its hash last —
 * `[seq, eventId, timeMs, eventName, principal, accountId, region, requestId, keyId,
 * keyVersionId, sourceKeyId, aliasName, encryptionContext, errorCode, prevHash, hash]`
 * (absent fields are `null`). The hash covers the line's own text without the hash
 * element, so verification never depends on re-serialising parsed values.
 */
type Line = readonly [number, string, number, string, string, string, string, string,
  string | null, string | null, string | null, string | null, Record<string, string> | null, string | null, string, string]

const HASH_SUFFIX = /,"([0-9a-f]{64})"\]$/

/** Splits a stored line into the text its hash covers, the hash, and the fields; undefined if malformed. */
function parseLine(line: string): { hashed: string; hash: string; fields: Line } | undefined {
  const match = HASH_SUFFIX.exec(line)
  if (match === null) return undefined
  try {
    const fields = JSON.parse(line) as Line
    if (!Array.isArray(fields) || fields.length !== 16 || typeof fields[0] !== 'number' || typeof fields[14] !== 'string') return undefined
    return { hashed: line.slice(0, match.index) + ']', hash: match[1]!, fields }
  } catch {
    return undefined
  }
}

function toRecord(f: Line): AuditRecord {
  const r = {
    seq: f[0], eventId: f[1], eventTime: new Date(f[2]).toISOString(), eventName: f[3], principal: f[4], accountId: f[5],
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
  r.hash = f[15]
  return r
}

/** A segment's records, or undefined when any line is malformed. */
function parseSegment(value: Uint8Array): { hashed: string; hash: string; fields: Line }[] | undefined {
  let text: string
  try {
    text = utf8Decode(value)
  } catch {
    return undefined
  }
  const lines = text.split('\n').map(parseLine)
  return lines.every((l) => l !== undefined) ? (lines as { hashed: string; hash: string; fields: Line }[]) : undefined
}

/** What a commit that carries audit records must also write, and what to do after it. */
export interface AuditCommit {
  readonly mutations: readonly Mutation[]
  /** The commit succeeded (with these new revisions): advance the chain, emit the records. */
  committed(revisions: ReadonlyMap<string, number>): void
  /** The commit failed: the records go back to waiting (their own call's entry is dropped). */
  aborted(): void
}

export interface AuditTrailOptions {
  readonly storage: StorageAdapter
  readonly crypto: CryptoProvider
  readonly macKey: Uint8Array
  readonly contextKey: Uint8Array
  readonly region: string
  readonly accountId: string
  readonly newEventId: () => string
  readonly settings: AuditOptions
  readonly emit: (record: AuditRecord) => void
  /** Whether anyone listens for records (emitting builds an object per record). */
  readonly listening: () => boolean
}

export class AuditTrail {
  readonly #o: AuditTrailOptions
  readonly #mode: AuditContextMode
  /** Entries waiting for a commit, oldest first. */
  #pending: AuditEntry[] = []
  #head: { value: Head | undefined; revision: number | null } | undefined
  readonly #lastUsed = new Map<string, number>()
  readonly #hmacCache = new Map<string, string>()

  constructor(options: AuditTrailOptions) {
    this.#o = options
    this.#mode = options.settings.encryptionContext ?? 'hmac'
  }

  get pendingCount(): number {
    return this.#pending.length
  }

  /** Queues a call's record for the next commit. Never fails: the call has happened. */
  append(entry: AuditEntry): void {
    if (entry.encryptionContext !== undefined) entry.contextJson = this.#contextJson(entry.encryptionContext)
    this.#pending.push(entry)
    if (entry.keyUse === true && entry.keyId !== undefined && entry.errorCode === undefined) this.#lastUsed.set(entry.keyId, entry.time)
  }

  /** When a key was last used, from this engine's memory or the trail's index. */
  async lastUsed(keyId: string): Promise<number | undefined> {
    const known = this.#lastUsed.get(keyId)
    // Another engine on the same store may have used the key later: take the later of both.
    const stored = await this.#o.storage.get(AUDIT_USED_PREFIX + keyId)
    const time = stored === undefined ? undefined : Number(utf8Decode(stored.value))
    const persisted = time !== undefined && Number.isFinite(time) ? time : undefined
    if (known === undefined) return persisted
    return persisted === undefined ? known : Math.max(known, persisted)
  }

  /**
   * The newest chain position this engine has committed or seen verified. A stored head
   * older than this was rolled back (newer records deleted and an older, validly MAC'd
   * head put back), which the head's MAC alone cannot reveal. Across restarts, keep
   * `anchor()` somewhere outside the store and pass it to `verify`.
   */
  #floor: { seq: number; hash: string } | undefined

  /** The chain's current end, to keep outside the store and check later with `verify({ anchor })`. */
  async anchor(flush: () => Promise<void>): Promise<{ seq: number; hash: string }> {
    await flush()
    const head = await this.#loadHead(true)
    return { seq: head.value?.lastSeq ?? 0, hash: head.value?.lastHash ?? GENESIS }
  }

  async #loadHead(fresh: boolean): Promise<{ value: Head | undefined; revision: number | null }> {
    if (this.#head !== undefined && !fresh) return this.#head
    const stored = await this.#o.storage.get(AUDIT_HEAD_KEY)
    this.#head = stored === undefined ? { value: undefined, revision: null } : { value: this.#decodeHead(stored), revision: stored.revision }
    return this.#head
  }

  #decodeHead(stored: StoredRecord): Head {
    try {
      const head = JSON.parse(utf8Decode(stored.value)) as Head
      if (head.schema === 1 && Number.isInteger(head.lastSeq) && typeof head.mac === 'string') return head
    } catch {
      // fall through to the CorruptRecord below
    }
    throw new KmsError('CorruptRecord', 'the audit head is unreadable')
  }

  #headMac(firstSeq: number, anchorHash: string, lastSeq: number, lastHash: string): string {
    const message = utf8Encode(`strongroom/audit/head/v1|${firstSeq}|${anchorHash}|${lastSeq}|${lastHash}`)
    return toBase64(this.#o.crypto.hmacSha256(this.#o.macKey, message))
  }

  /**
   * The last context recorded, as its keys and values in the caller's order, with its JSON:
   * a service mostly repeats one context call after call, and comparing pairs is far cheaper
   * than sorting, MACing and stringifying them again.
   */
  #lastContext: { readonly pairs: readonly string[]; readonly json: string } | undefined

  /** The recorded context as JSON, `null` when none. */
  #contextJson(context: EncryptionContext | undefined): string {
    if (context === undefined) return 'null'
    const last = this.#lastContext
    if (last !== undefined) {
      const keys = Object.keys(context)
      let same = keys.length * 2 === last.pairs.length
      for (let i = 0; same && i < keys.length; i++) same = last.pairs[2 * i] === keys[i] && last.pairs[2 * i + 1] === context[keys[i]!]
      if (same) return last.json
    }
    const recorded = this.#recordContext(context)
    const json = recorded === undefined ? 'null' : JSON.stringify(recorded)
    const pairs: string[] = []
    for (const k of Object.keys(context)) pairs.push(k, context[k]!)
    this.#lastContext = { pairs, json }
    return json
  }

  #recordContext(context: EncryptionContext | undefined): Record<string, string> | undefined {
    if (context === undefined || this.#mode === 'omit') return undefined
    const keys = Object.keys(context)
    if (keys.length === 0) return undefined
    const out: Record<string, string> = {}
    for (const k of keys.sort()) {
      const v = context[k]!
      // Defined, not assigned: a context key named __proto__ must stay a recorded pair.
      Object.defineProperty(out, k, { value: this.#mode === 'plain' ? v : this.#contextHmac(k, v), enumerable: true, writable: true, configurable: true })
    }
    return out
  }

  /** `hmac-sha256:` + 128 bits of HMAC(audit context key, key ‖ 0 ‖ value): equal values stay comparable, values stay hidden. */
  #contextHmac(key: string, value: string): string {
    const pair = `${key}\u0000${value}`
    let mac = this.#hmacCache.get(pair)
    if (mac === undefined) {
      mac = 'hmac-sha256:' + toBase64(this.#o.crypto.hmacSha256(this.#o.contextKey, utf8Encode(pair)).subarray(0, 16))
      if (this.#hmacCache.size >= CONTEXT_HMAC_CACHE) this.#hmacCache.clear()
      this.#hmacCache.set(pair, mac)
    }
    return mac
  }

  /**
   * Builds the mutations that commit every pending entry plus `own` (the entries of the
   * transaction being committed), chained after the stored head. `fresh` re-reads the
   * head, after another writer's commit got in first.
   */
  async prepare(own: readonly AuditEntry[], fresh: boolean): Promise<AuditCommit | undefined> {
    const taken = this.#pending
    const entries = own.length === 0 ? taken : [...taken, ...own]
    if (entries.length === 0) return undefined
    this.#pending = []
    let head: { value: Head | undefined; revision: number | null }
    try {
      head = await this.#loadHead(fresh)
    } catch (error) {
      this.#pending = [...taken, ...this.#pending]
      throw error
    }
    const first = (head.value?.lastSeq ?? 0) + 1
    let prevHex = head.value?.lastHash ?? GENESIS
    const used = new Map<string, number>()
    const { accountId, region, crypto } = this.#o
    const fixed = `,${JSON.stringify(accountId)},${JSON.stringify(region)},"`
    // This loop runs once per call the engine serves. Each line is written piece by piece
    // straight into the segment's bytes (the same JSON an array stringify gives, without
    // building a string first), hashed there, and its hash appended.
    let segment = new Uint8Array(entries.length * 448 + 256)
    let pos = 0
    /** Where the previous line's hash digits are, to copy them as this line's prevHash. */
    let prevHashAt = -1
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!
      const context = e.contextJson ?? this.#contextJson(e.encryptionContext)
      // Error codes may come from any error's name: escaped properly.
      const errorCode = e.errorCode === undefined ? 'null' : JSON.stringify(e.errorCode)
      // Engine-made and validated fields are ASCII; the context and error code may not be
      // (UTF-8 takes at most 3 bytes per UTF-16 unit). 600 covers the rest with the hash.
      const bound = pos + 600 + (context.length + errorCode.length) * 3
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
      pos = writeQuoted(segment, pos, this.#o.newEventId())
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
    const value = segment.subarray(0, pos)
    const lastSeq = first + entries.length - 1
    const firstSeq = head.value?.firstSeq ?? 1
    const anchorHash = head.value?.anchorHash ?? GENESIS
    const newHead: Head = {
      schema: 1, firstSeq, anchorHash, lastSeq, lastHash: prevHex,
      mac: this.#headMac(firstSeq, anchorHash, lastSeq, prevHex),
    }
    const mutations: Mutation[] = [
      { type: 'put', key: segmentKey(first), value, expectedRevision: null },
      { type: 'put', key: AUDIT_HEAD_KEY, value: utf8Encode(JSON.stringify(newHead)), expectedRevision: head.revision },
    ]
    try {
      for (const [keyId, time] of used) {
        const current = await this.#o.storage.get(AUDIT_USED_PREFIX + keyId)
        mutations.push({ type: 'put', key: AUDIT_USED_PREFIX + keyId, value: utf8Encode(String(time)), expectedRevision: current?.revision ?? null })
      }
    } catch (error) {
      this.#pending = [...taken, ...this.#pending]
      throw error
    }
    return {
      mutations,
      committed: (revisions) => {
        const revision = revisions.get(AUDIT_HEAD_KEY)
        this.#head = revision === undefined ? undefined : { value: newHead, revision }
        if (this.#floor === undefined || lastSeq > this.#floor.seq) this.#floor = { seq: lastSeq, hash: prevHex }
        // Building record objects costs; do it only for live listeners.
        if (this.#o.listening()) for (const line of parseSegment(value) ?? []) this.#o.emit(toRecord(line.fields))
      },
      aborted: () => {
        this.#head = undefined
        this.#pending = [...taken, ...this.#pending]
      },
    }
  }

  /** Every segment in chain order, parsed (records undefined when a segment is malformed). */
  async *#segments(): AsyncGenerator<{ key: string; revision: number; lines: { hashed: string; hash: string; fields: Line }[] | undefined }> {
    let cursor: string | undefined
    for (;;) {
      const page = await this.#o.storage.scan({ prefix: AUDIT_SEGMENT_PREFIX, limit: SCAN_PAGE, ...(cursor === undefined ? {} : { after: cursor }) })
      for (const stored of page.records) yield { key: stored.key, revision: stored.revision, lines: parseSegment(stored.value) }
      if (page.cursor === undefined || page.records.length === 0) return
      cursor = page.cursor
    }
  }

  /** Records matching the filter, oldest first, a page at a time. */
  async query(q: AuditQuery, flush: () => Promise<void>): Promise<AuditPage> {
    await flush()
    const limit = q.limit ?? 100
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new KmsError('InvalidParameter', 'limit must be an integer from 1 to 1000')
    const from = toTime(q.from, 'from')
    const to = toTime(q.to, 'to')
    let afterSeq = 0
    if (q.cursor !== undefined) {
      if (!/^[0-9]{1,16}$/.test(q.cursor)) throw new KmsError('InvalidParameter', 'cursor is not a cursor from a previous page')
      afterSeq = Number(q.cursor)
    }
    const records: AuditRecord[] = []
    for await (const { lines } of this.#segments()) {
      // An unreadable segment is reported by verify(); queries show what can be read.
      for (const line of lines ?? []) {
        const r = toRecord(line.fields)
        if (r.seq <= afterSeq) continue
        if (q.keyId !== undefined && r.keyId !== q.keyId && r.sourceKeyId !== q.keyId) continue
        if (q.principal !== undefined && r.principal !== q.principal) continue
        if (q.action !== undefined && r.eventName !== q.action) continue
        const t = Date.parse(r.eventTime)
        if (from !== undefined && t < from) continue
        if (to !== undefined && t >= to) continue
        if (records.length === limit) return { records, nextCursor: String(records[records.length - 1]!.seq) }
        records.push(r)
      }
    }
    return { records }
  }

  /** Every record matching the filter as JSON lines, oldest first. */
  async *export(q: Omit<AuditQuery, 'limit' | 'cursor'>, flush: () => Promise<void>): AsyncGenerator<string> {
    let cursor: string | undefined
    do {
      const page = await this.query({ ...q, limit: 1000, ...(cursor === undefined ? {} : { cursor }) }, flush)
      for (const r of page.records) yield JSON.stringify(r) + '\n'
      cursor = page.nextCursor
    } while (cursor !== undefined)
  }

  /** Recomputes the whole chain and checks it against the MAC'd head; reports the first problem. */
  async verify(flush: () => Promise<void>, anchor?: { readonly seq: number; readonly hash: string }): Promise<AuditVerification> {
    await flush()
    const result = await this.#verifyChain(anchor ?? this.#floor)
    if (result.ok && (this.#floor === undefined || result.lastSeq > this.#floor.seq)) {
      this.#floor = { seq: result.lastSeq, hash: result.lastHash }
    }
    if (!result.ok) return result
    return { ok: true, records: result.records, firstSeq: result.firstSeq, lastSeq: result.lastSeq }
  }

  async #verifyChain(floor: { readonly seq: number; readonly hash: string } | undefined):
    Promise<AuditVerification & ({ ok: false } | { ok: true; lastHash: string })> {
    const stored = await this.#o.storage.get(AUDIT_HEAD_KEY)
    let expectedSeq = 1
    let prevHash = GENESIS
    let lastSeq = 0
    let firstSeq = 1
    let head: Head | undefined
    if (stored !== undefined) {
      try {
        head = this.#decodeHead(stored)
      } catch {
        return { ok: false, seq: 0, problem: 'the audit head is unreadable' }
      }
      const mac = this.#headMac(head.firstSeq, head.anchorHash, head.lastSeq, head.lastHash)
      if (!this.#o.crypto.timingSafeEqual(utf8Encode(mac), utf8Encode(head.mac))) {
        return { ok: false, seq: head.lastSeq, problem: 'the audit head was modified (its MAC does not match)' }
      }
      expectedSeq = head.firstSeq
      firstSeq = head.firstSeq
      prevHash = head.anchorHash
    }
    let count = 0
    let floorMismatch: number | undefined
    for await (const { key, lines } of this.#segments()) {
      if (lines === undefined) return { ok: false, seq: expectedSeq, problem: `segment ${key} is unreadable (modified)` }
      if (key !== segmentKey(lines[0]?.fields[0] ?? -1)) return { ok: false, seq: expectedSeq, problem: `segment ${key} does not start where its name says` }
      for (const { hashed, hash, fields } of lines) {
        const seq = fields[0]
        if (seq < expectedSeq) return { ok: false, seq, problem: `record ${seq} appears again or out of order (expected ${expectedSeq})` }
        if (seq > expectedSeq) {
          // The expected record further on in this segment: the order was changed, nothing dropped.
          if (lines.some((l) => l.fields[0] === expectedSeq)) return { ok: false, seq: expectedSeq, problem: `record ${expectedSeq} is out of order (record ${seq} comes before it)` }
          return { ok: false, seq: expectedSeq, problem: `records ${expectedSeq}-${seq - 1} are missing` }
        }
        if (fields[14] !== prevHash) return { ok: false, seq, problem: `record ${seq} does not follow record ${seq - 1} (chain broken: inserted, reordered or modified)` }
        const computed = this.#o.crypto.sha256Hex(hashed)
        if (computed !== hash) return { ok: false, seq, problem: `record ${seq} was modified (its hash does not match its content)` }
        if (floor !== undefined && seq === floor.seq && hash !== floor.hash) floorMismatch ??= seq
        prevHash = hash
        lastSeq = seq
        expectedSeq++
        count++
      }
    }
    if (head === undefined) {
      if (count > 0) return { ok: false, seq: 1, problem: 'records exist but the audit head is missing' }
      if (floor !== undefined && floor.seq > 0) return { ok: false, seq: 1, problem: `the trail was deleted: record ${floor.seq} was committed or verified before` }
      return { ok: true, records: 0, firstSeq: 1, lastSeq: 0, lastHash: GENESIS }
    }
    if (lastSeq !== head.lastSeq || prevHash !== head.lastHash) {
      return lastSeq < head.lastSeq
        ? { ok: false, seq: lastSeq + 1, problem: `the trail is truncated: records ${lastSeq + 1}-${head.lastSeq} are missing` }
        : { ok: false, seq: head.lastSeq, problem: 'the trail does not end where its head says' }
    }
    // The chain is consistent with its head; the head may still be an older, genuine one put back.
    if (floor !== undefined && floor.seq > lastSeq) {
      return { ok: false, seq: lastSeq + 1, problem: `the trail was rolled back: it ends at record ${lastSeq}, but record ${floor.seq} was committed or verified before` }
    }
    if (floorMismatch !== undefined) return { ok: false, seq: floorMismatch, problem: `record ${floorMismatch} differs from the one committed or verified before (the chain was rewritten)` }
    return { ok: true, records: count, firstSeq, lastSeq, lastHash: prevHash }
  }

  /**
   * Deletes whole segments whose records are all older than `before`, and moves the
   * head's anchor to the first kept record, so the rest of the chain still verifies.
   */
  async prepareRetention(before: number): Promise<{ mutations: Mutation[]; removed: number } | undefined> {
    const head = await this.#loadHead(true)
    if (head.value === undefined) return undefined
    const mutations: Mutation[] = []
    let removed = 0
    let anchor: { seq: number; prevHash: string } | undefined
    for await (const { key, revision, lines } of this.#segments()) {
      const last = lines?.[lines.length - 1]?.fields
      // The segment holding the newest record always stays: the head must keep pointing at it.
      if (lines !== undefined && last !== undefined && last[2] < before && last[0] < head.value.lastSeq) {
        mutations.push({ type: 'delete', key, expectedRevision: revision })
        removed += lines.length
        continue
      }
      const first = lines?.[0]?.fields
      if (first !== undefined) anchor = { seq: first[0], prevHash: first[14] }
      break
    }
    if (mutations.length === 0 || anchor === undefined) return undefined
    const h = head.value
    const newHead: Head = { ...h, firstSeq: anchor.seq, anchorHash: anchor.prevHash, mac: this.#headMac(anchor.seq, anchor.prevHash, h.lastSeq, h.lastHash) }
    mutations.push({ type: 'put', key: AUDIT_HEAD_KEY, value: utf8Encode(JSON.stringify(newHead)), expectedRevision: head.revision })
    this.#head = undefined
    return { mutations, removed }
  }

  /** Formats a record's time for describeKey's `lastUsedDate`. */
  static formatLastUsed(time: number): string {
    return formatDate(time)
  }
}
