/**
 * The audit trail's chain: records are committed in segments (one per commit), each line
 * carrying the previous record's hash, under a head whose MAC (a key derived from the root
 * key) vouches for the chain's first and last positions. This module appends (group
 * commits joined to the engine's transactions), verifies, anchors, prunes and reseals; the
 * line format is encoder.ts, reading records back is query.ts.
 *
 * ```ts
 * const trail = new AuditTrail({ storage, crypto, macKey, contextKey, region, accountId, ... })
 * trail.append(call)                          // queued; committed with the next transaction
 * await trail.verify(flush)                   // { ok: true, records, … } or { ok: false, seq, problem }
 * ```
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { toBase64, utf8Decode, utf8Encode, wipe } from '../bytes.js'
import { formatDate } from '../clock.js'
import { KmsError } from '../errors.js'
import type { Mutation, StorageAdapter, StoredRecord } from '../storage.js'
import { ContextRecorder, encodeSegment, parseSegment, toRecord, type ParsedLine } from './encoder.js'
import { exportRecords, queryRecords } from './query.js'
import {
  AUDIT_HEAD_KEY, AUDIT_SEGMENT_PREFIX, AUDIT_USED_PREFIX, GENESIS,
  type AuditEntry, type AuditOptions, type AuditPage, type AuditQuery, type AuditRecord, type AuditVerification,
} from './records.js'

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

/** The root-key labels of the trail's keys: the head's MAC key and the encryption-context HMAC key. */
export const AUDIT_MAC_LABEL = 'audit/mac/v1'
export const AUDIT_CONTEXT_LABEL = 'audit/context/v1'

function decodeHead(stored: StoredRecord): Head {
  try {
    const head = JSON.parse(utf8Decode(stored.value)) as Head
    if (head.schema === 1 && Number.isInteger(head.lastSeq) && typeof head.mac === 'string') return head
  } catch {
    // fall through to the CorruptRecord below
  }
  throw new KmsError('CorruptRecord', 'the audit head is unreadable')
}

function headMac(crypto: CryptoProvider, macKey: Uint8Array, firstSeq: number, anchorHash: string, lastSeq: number, lastHash: string): string {
  const message = utf8Encode(`strongroom/audit/head/v1|${firstSeq}|${anchorHash}|${lastSeq}|${lastHash}`)
  return toBase64(crypto.hmacSha256(macKey, message))
}

/** The stored audit head and whether it verifies under `macKey`; `undefined` when there is none. */
async function storedHead(storage: StorageAdapter, crypto: CryptoProvider, macKey: Uint8Array): Promise<{ head?: Head; revision: number; verifies: boolean } | undefined> {
  const stored = await storage.get(AUDIT_HEAD_KEY)
  if (stored === undefined) return undefined
  let head: Head
  try {
    head = decodeHead(stored)
  } catch {
    return { revision: stored.revision, verifies: false }
  }
  const expected = headMac(crypto, macKey, head.firstSeq, head.anchorHash, head.lastSeq, head.lastHash)
  return { head, revision: stored.revision, verifies: crypto.timingSafeEqual(utf8Encode(expected), utf8Encode(head.mac)) }
}

/** Whether the audit head (if there is one) verifies under `macKey`: a root-key change refuses to start otherwise. */
export async function auditHeadVerifies(storage: StorageAdapter, crypto: CryptoProvider, macKey: Uint8Array): Promise<boolean> {
  return (await storedHead(storage, crypto, macKey))?.verifies ?? true
}

/**
 * A root-key change moves the audit head's MAC from the old key's audit key to the new
 * one's, in the commit that swaps the keystore header. Only a head that verifies under the
 * old key is re-MAC'd: one that does not (forged, or changed during an interrupted change)
 * is left as it is, never laundered, and the engine then refuses calls with AuditFailure
 * until `audit.reseal()`, as for any head that fails its check. `undefined`: nothing to write.
 */
export async function remacAuditHead(storage: StorageAdapter, crypto: CryptoProvider, oldKey: Uint8Array, newKey: Uint8Array): Promise<Mutation | undefined> {
  const found = await storedHead(storage, crypto, oldKey)
  const head = found?.verifies === true ? found.head : undefined
  if (found === undefined || head === undefined) return undefined
  const next: Head = { ...head, mac: headMac(crypto, newKey, head.firstSeq, head.anchorHash, head.lastSeq, head.lastHash) }
  return { type: 'put', key: AUDIT_HEAD_KEY, value: utf8Encode(JSON.stringify(next)), expectedRevision: found.revision }
}

function segmentKey(firstSeq: number): string {
  return AUDIT_SEGMENT_PREFIX + firstSeq.toString(16).padStart(16, '0')
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
  #o: AuditTrailOptions
  #contexts: ContextRecorder
  /** Entries waiting for a commit, oldest first. */
  #pending: AuditEntry[] = []
  #head: { value: Head | undefined; revision: number | null } | undefined
  readonly #lastUsed = new Map<string, number>()

  constructor(options: AuditTrailOptions) {
    this.#o = options
    this.#contexts = new ContextRecorder(options.settings.encryptionContext ?? 'hmac', options.crypto, options.contextKey)
  }

  get pendingCount(): number {
    return this.#pending.length
  }

  /** Queues a call's record for the next commit. Never fails: the call has happened. */
  append(entry: AuditEntry): void {
    if (entry.encryptionContext !== undefined) entry.contextJson = this.#contexts.json(entry.encryptionContext)
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

  /**
   * The stored head, checked before the chain is extended from it: the engine never
   * re-MACs a head it has not verified (that would launder a forged or edited one), and a
   * head older than one this engine committed is a rollback. Either fails closed with
   * CorruptRecord (the engine then refuses calls with AuditFailure) until the head is
   * restored; `verify()` says what is wrong.
   */
  async #loadHead(fresh: boolean): Promise<{ value: Head | undefined; revision: number | null }> {
    if (this.#head !== undefined && !fresh) return this.#head
    const stored = await this.#o.storage.get(AUDIT_HEAD_KEY)
    const value = stored === undefined ? undefined : this.#decodeHead(stored)
    if (value !== undefined) {
      const mac = this.#headMac(value.firstSeq, value.anchorHash, value.lastSeq, value.lastHash)
      if (!this.#o.crypto.timingSafeEqual(utf8Encode(mac), utf8Encode(value.mac))) {
        throw new KmsError('CorruptRecord', 'the audit head failed its MAC check: the trail is not extended from a head that was not verified')
      }
    }
    if (value === undefined) {
      // No head: a new trail, unless segments exist (the head was deleted): never start a second chain over them.
      const page = await this.#o.storage.scan({ prefix: AUDIT_SEGMENT_PREFIX, limit: 1 })
      if (page.records.length > 0) throw new KmsError('CorruptRecord', 'audit records exist but the audit head is missing')
    }
    const floor = this.#floor
    if (floor !== undefined && (value?.lastSeq ?? 0) < floor.seq) {
      throw new KmsError('CorruptRecord', `the audit head was rolled back: record ${floor.seq} was committed or verified before`)
    }
    this.#head = stored === undefined ? { value: undefined, revision: null } : { value, revision: stored.revision }
    return this.#head
  }

  #decodeHead(stored: StoredRecord): Head {
    return decodeHead(stored)
  }

  #headMac(firstSeq: number, anchorHash: string, lastSeq: number, lastHash: string): string {
    return headMac(this.#o.crypto, this.#o.macKey, firstSeq, anchorHash, lastSeq, lastHash)
  }

  /**
   * After a root-key change: the trail's keys are the new key's from now on (the stored head
   * was re-MAC'd under it in the change's commit, `remacAuditHead`). Records already in the
   * chain keep the context HMACs they were written with.
   */
  replaceKeys(macKey: Uint8Array, contextKey: Uint8Array): void {
    wipe(this.#o.macKey, this.#o.contextKey)
    this.#o = { ...this.#o, macKey, contextKey }
    this.#contexts = new ContextRecorder(this.#o.settings.encryptionContext ?? 'hmac', this.#o.crypto, contextKey)
    this.#head = undefined
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
    const { accountId, region, crypto, newEventId } = this.#o
    const { value, lastHash: prevHex, used } = encodeSegment(entries, {
      first, prevHash: head.value?.lastHash ?? GENESIS, accountId, region, crypto, newEventId, contexts: this.#contexts,
    })
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
  async *#segments(): AsyncGenerator<{ key: string; revision: number; lines: ParsedLine[] | undefined }> {
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
    return queryRecords(this.#segments(), q)
  }

  /** Every record matching the filter as JSON lines, oldest first. */
  export(q: Omit<AuditQuery, 'limit' | 'cursor'>, flush: () => Promise<void>): AsyncGenerator<string> {
    return exportRecords((page) => this.query(page, flush), q)
  }

  /** Recomputes the whole chain and checks it against the MAC'd head; reports the first problem. */
  async verify(flush: () => Promise<void>, anchor?: { readonly seq: number; readonly hash: string }): Promise<AuditVerification> {
    // A failed flush (say, on a head that fails its check) must not hide what is wrong with
    // the stored trail: verify it anyway, and report the flush failure only if it is intact.
    let flushFailure: unknown
    await flush().catch((error: unknown) => {
      flushFailure = error ?? new Error('flush failed')
    })
    const result = await this.#verifyChain(anchor ?? this.#floor)
    if (result.ok && flushFailure !== undefined) throw flushFailure
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

  /**
   * The operator's answer to a head that fails its check (forged, edited, deleted, or older
   * than one this engine committed): a new MAC'd head over the chain as stored, provided the
   * chain itself is intact (every record hashes to what the next one names, no gap). What
   * the chain lost before this moment is not recovered; the caller records the act.
   */
  async prepareReseal(): Promise<{ mutations: Mutation[]; lastSeq: number }> {
    let expectedSeq: number | undefined
    let prevHash: string | undefined
    let firstSeq = 1
    let anchorHash = GENESIS
    for await (const { key, lines } of this.#segments()) {
      if (lines === undefined) throw new KmsError('CorruptRecord', `audit segment ${key} is unreadable: the chain itself is broken, resealing cannot vouch for it`)
      for (const { hashed, hash, fields } of lines) {
        if (expectedSeq === undefined) {
          firstSeq = fields[0]
          anchorHash = fields[14]
        } else if (fields[0] !== expectedSeq || fields[14] !== prevHash) {
          throw new KmsError('CorruptRecord', `the audit chain itself is broken at record ${fields[0]}: resealing cannot vouch for it`)
        }
        if (this.#o.crypto.sha256Hex(hashed) !== hash) throw new KmsError('CorruptRecord', `audit record ${fields[0]} was modified: resealing cannot vouch for it`)
        expectedSeq = fields[0] + 1
        prevHash = hash
      }
    }
    const lastSeq = expectedSeq === undefined ? 0 : expectedSeq - 1
    const lastHash = prevHash ?? GENESIS
    const stored = await this.#o.storage.get(AUDIT_HEAD_KEY)
    const head: Head = { schema: 1, firstSeq, anchorHash, lastSeq, lastHash, mac: this.#headMac(firstSeq, anchorHash, lastSeq, lastHash) }
    this.#head = undefined
    this.#floor = { seq: lastSeq, hash: lastHash }
    return { mutations: [{ type: 'put', key: AUDIT_HEAD_KEY, value: utf8Encode(JSON.stringify(head)), expectedRevision: stored?.revision ?? null }], lastSeq }
  }

  /** Formats a record's time for describeKey's `lastUsedDate`. */
  static formatLastUsed(time: number): string {
    return formatDate(time)
  }
}

