/**
 * One chain of the audit trail: its storage layout, its MAC'd head, and the checks and
 * rewrites that concern one chain alone — verifying it against its head, pruning its old
 * segments, resealing it. trail.ts holds the engine's own chain and runs these over every
 * chain of the store.
 *
 * ```ts
 * const layout = chainLayout(id)                                  // where chain `id` lives
 * const report = await verifyChain(heads, layout, segments(storage, layout), stored, floor)
 * ```
 *
 * Each engine instance appends to a chain of its own, so engines sharing a store never
 * write the same audit records. The first chain (id `0`) is where every store kept its
 * trail before there were several: `audit/head` and `audit/seg/…`, read and verified as it
 * always was. Every other chain `id` (16 hex digits, chosen when its engine opens) keeps its
 * head at `audit/heads/<id>` and its segments at `audit/chain/<id>/<first seq, 16 hex>`;
 * its head's MAC covers the id, so a head (or a whole chain) cannot pass for another.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { toBase64, utf8Decode, utf8Encode } from '../bytes.js'
import { KmsError } from '../errors.js'
import type { Mutation, StorageAdapter, StoredRecord } from '../storage.js'
import { parseSegment, type ParsedLine } from './encoder.js'
import { AUDIT_CHAIN_PREFIX, AUDIT_HEADS_PREFIX, AUDIT_HEAD_KEY, AUDIT_SEGMENT_PREFIX, FIRST_CHAIN, GENESIS } from './records.js'

const SCAN_PAGE = 200
const LAST_USED_LABEL = 'strongroom/audit/last-used/v1'
/** A chain id other than the first: 16 hex digits. */
const CHAIN_ID = /^[0-9a-f]{16}$/

export interface Head {
  readonly schema: 1
  /** First retained record (retention moves it forward). */
  readonly firstSeq: number
  /** prevHash of the first retained record. */
  readonly anchorHash: string
  readonly lastSeq: number
  readonly lastHash: string
  readonly mac: string
}

/** A position in one chain: the sequence number and hash of a record (0 and GENESIS before the first). */
export interface ChainPosition {
  readonly seq: number
  readonly hash: string
}

export interface ChainLayout {
  readonly id: string
  readonly headKey: string
  readonly segmentPrefix: string
}

export function chainLayout(id: string): ChainLayout {
  if (id === FIRST_CHAIN) return { id, headKey: AUDIT_HEAD_KEY, segmentPrefix: AUDIT_SEGMENT_PREFIX }
  return { id, headKey: AUDIT_HEADS_PREFIX + id, segmentPrefix: `${AUDIT_CHAIN_PREFIX}${id}/` }
}

export function isChainId(id: string): boolean {
  return id === FIRST_CHAIN || CHAIN_ID.test(id)
}

export function segmentKey(layout: ChainLayout, firstSeq: number): string {
  return layout.segmentPrefix + firstSeq.toString(16).padStart(16, '0')
}

/** The MAC of chain heads: under the audit key, bound to the chain (the first chain keeps its original message). */
export class HeadSigner {
  readonly #crypto: CryptoProvider
  readonly #key: Uint8Array

  constructor(crypto: CryptoProvider, macKey: Uint8Array) {
    this.#crypto = crypto
    this.#key = macKey
  }

  mac(id: string, firstSeq: number, anchorHash: string, lastSeq: number, lastHash: string): string {
    const text = id === FIRST_CHAIN
      ? `strongroom/audit/head/v1|${firstSeq}|${anchorHash}|${lastSeq}|${lastHash}`
      : `strongroom/audit/head/v2|${id}|${firstSeq}|${anchorHash}|${lastSeq}|${lastHash}`
    return toBase64(this.#crypto.hmacSha256(this.#key, utf8Encode(text)))
  }

  head(id: string, firstSeq: number, anchorHash: string, lastSeq: number, lastHash: string): Head {
    return { schema: 1, firstSeq, anchorHash, lastSeq, lastHash, mac: this.mac(id, firstSeq, anchorHash, lastSeq, lastHash) }
  }

  encode(head: Head): Uint8Array {
    return utf8Encode(JSON.stringify(head))
  }

  /** The stored head, or CorruptRecord when it is unreadable. */
  decode(stored: StoredRecord): Head {
    try {
      const head = JSON.parse(utf8Decode(stored.value)) as Head
      if (head.schema === 1 && Number.isInteger(head.lastSeq) && Number.isInteger(head.firstSeq) && typeof head.mac === 'string') return head
    } catch {
      // fall through to the CorruptRecord below
    }
    throw new KmsError('CorruptRecord', 'the audit head is unreadable')
  }

  /** Whether the head's MAC is the one this chain's key gives it. */
  genuine(id: string, head: Head): boolean {
    const expected = this.mac(id, head.firstSeq, head.anchorHash, head.lastSeq, head.lastHash)
    return this.#crypto.timingSafeEqual(utf8Encode(expected), utf8Encode(head.mac))
  }

  /** A last-use record's value: the time, MAC'd with its storage key. */
  sealLastUsed(storageKey: string, time: number): Uint8Array {
    return utf8Encode(`${time}|${this.macOf(LAST_USED_LABEL, `${storageKey}|${time}`)}`)
  }

  /** The time a last-use record holds, or `undefined` when its MAC is not this key's. */
  openLastUsed(storageKey: string, value: Uint8Array): number | undefined {
    const [time, mac] = utf8Decode(value).split('|')
    if (time === undefined || mac === undefined || !this.equal(mac, this.macOf(LAST_USED_LABEL, `${storageKey}|${time}`))) return undefined
    return Number(time)
  }

  /** The MAC of a value bound to its storage key (last-use records). */
  macOf(label: string, text: string): string {
    return toBase64(this.#crypto.hmacSha256(this.#key, utf8Encode(`${label}|${text}`)))
  }

  equal(a: string, b: string): boolean {
    return this.#crypto.timingSafeEqual(utf8Encode(a), utf8Encode(b))
  }
}

/** A chain's segments in order, parsed (`lines` undefined when a segment is malformed). */
export async function* segments(storage: StorageAdapter, layout: ChainLayout):
  AsyncGenerator<{ key: string; revision: number; lines: ParsedLine[] | undefined }> {
  let cursor: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: layout.segmentPrefix, limit: SCAN_PAGE, ...(cursor === undefined ? {} : { after: cursor }) })
    for (const stored of page.records) yield { key: stored.key, revision: stored.revision, lines: parseSegment(stored.value) }
    if (page.cursor === undefined || page.records.length === 0) return
    cursor = page.cursor
  }
}

/**
 * Every chain of the store, first chain first: those with a head and those with segments
 * but no head (a deleted head is a problem to report, not a chain to forget). Segment
 * chains are found by skipping from one chain's prefix to the next, one read per chain.
 */
export async function chainIds(storage: StorageAdapter): Promise<string[]> {
  const ids = new Set<string>()
  const first = await storage.get(AUDIT_HEAD_KEY)
  const firstSegments = await storage.scan({ prefix: AUDIT_SEGMENT_PREFIX, limit: 1 })
  if (first !== undefined || firstSegments.records.length > 0) ids.add(FIRST_CHAIN)
  let cursor: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: AUDIT_HEADS_PREFIX, limit: SCAN_PAGE, ...(cursor === undefined ? {} : { after: cursor }) })
    for (const r of page.records) ids.add(r.key.slice(AUDIT_HEADS_PREFIX.length))
    if (page.cursor === undefined || page.records.length === 0) break
    cursor = page.cursor
  }
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: AUDIT_CHAIN_PREFIX, limit: 1, ...(after === undefined ? {} : { after }) })
    const key = page.records[0]?.key
    if (key === undefined) break
    const id = key.slice(AUDIT_CHAIN_PREFIX.length).split('/')[0]!
    ids.add(id)
    // '0' is the character after '/': past every segment of this chain.
    after = `${AUDIT_CHAIN_PREFIX}${id}0`
  }
  return [...ids].sort()
}

export type ChainVerification =
  | { readonly ok: true; readonly records: number; readonly firstSeq: number; readonly lastSeq: number; readonly lastHash: string }
  | { readonly ok: false; readonly seq: number; readonly problem: string }

/** Recomputes one chain and checks it against its MAC'd head and the newest position known for it (`floor`). */
export async function verifyChain(signer: HeadSigner, crypto: CryptoProvider, layout: ChainLayout,
  chain: AsyncIterable<{ key: string; lines: ParsedLine[] | undefined }>, stored: StoredRecord | undefined,
  floor: ChainPosition | undefined): Promise<ChainVerification> {
  let expectedSeq = 1
  let prevHash = GENESIS
  let lastSeq = 0
  let firstSeq = 1
  let head: Head | undefined
  if (stored !== undefined) {
    try {
      head = signer.decode(stored)
    } catch {
      return { ok: false, seq: 0, problem: 'the audit head is unreadable' }
    }
    if (!signer.genuine(layout.id, head)) return { ok: false, seq: head.lastSeq, problem: 'the audit head was modified (its MAC does not match)' }
    expectedSeq = head.firstSeq
    firstSeq = head.firstSeq
    prevHash = head.anchorHash
  }
  let count = 0
  let floorMismatch: number | undefined
  for await (const { key, lines } of chain) {
    if (lines === undefined) return { ok: false, seq: expectedSeq, problem: `segment ${key} is unreadable (modified)` }
    if (key !== segmentKey(layout, lines[0]?.fields[0] ?? -1)) return { ok: false, seq: expectedSeq, problem: `segment ${key} does not start where its name says` }
    for (const { hashed, hash, fields } of lines) {
      const seq = fields[0]
      if (seq < expectedSeq) return { ok: false, seq, problem: `record ${seq} appears again or out of order (expected ${expectedSeq})` }
      if (seq > expectedSeq) {
        // The expected record further on in this segment: the order was changed, nothing dropped.
        if (lines.some((l) => l.fields[0] === expectedSeq)) return { ok: false, seq: expectedSeq, problem: `record ${expectedSeq} is out of order (record ${seq} comes before it)` }
        return { ok: false, seq: expectedSeq, problem: `records ${expectedSeq}-${seq - 1} are missing` }
      }
      if (fields[14] !== prevHash) return { ok: false, seq, problem: `record ${seq} does not follow record ${seq - 1} (chain broken: inserted, reordered or modified)` }
      if (crypto.sha256Hex(hashed) !== hash) return { ok: false, seq, problem: `record ${seq} was modified (its hash does not match its content)` }
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
 * Deletes a chain's whole segments whose records are all older than `before`, and moves
 * its head's anchor to the first kept record, so the rest of the chain still verifies.
 */
export async function chainRetention(signer: HeadSigner, storage: StorageAdapter, layout: ChainLayout, before: number):
  Promise<{ mutations: Mutation[]; removed: number } | undefined> {
  const stored = await storage.get(layout.headKey)
  if (stored === undefined) return undefined
  const head = signer.decode(stored)
  if (!signer.genuine(layout.id, head)) throw new KmsError('CorruptRecord', 'the audit head failed its MAC check: the trail is not pruned under a head that was not verified')
  const mutations: Mutation[] = []
  let removed = 0
  let anchor: { seq: number; prevHash: string } | undefined
  for await (const { key, revision, lines } of segments(storage, layout)) {
    const last = lines?.[lines.length - 1]?.fields
    // The segment holding the newest record always stays: the head must keep pointing at it.
    if (lines !== undefined && last !== undefined && last[2] < before && last[0] < head.lastSeq) {
      mutations.push({ type: 'delete', key, expectedRevision: revision })
      removed += lines.length
      continue
    }
    const first = lines?.[0]?.fields
    if (first !== undefined) anchor = { seq: first[0], prevHash: first[14] }
    break
  }
  if (mutations.length === 0 || anchor === undefined) return undefined
  const next = signer.head(layout.id, anchor.seq, anchor.prevHash, head.lastSeq, head.lastHash)
  mutations.push({ type: 'put', key: layout.headKey, value: signer.encode(next), expectedRevision: stored.revision })
  return { mutations, removed }
}

/**
 * A new MAC'd head over a chain as stored, provided the chain itself is intact (every record
 * hashes to what the next one names, no gap). The head's revision is read before the
 * segments: a record its engine appends meanwhile makes the commit fail, never vanish.
 */
export async function chainReseal(signer: HeadSigner, crypto: CryptoProvider, storage: StorageAdapter, layout: ChainLayout):
  Promise<{ mutations: Mutation[]; lastSeq: number; lastHash: string }> {
  const stored = await storage.get(layout.headKey)
  let expectedSeq: number | undefined
  let prevHash: string | undefined
  let firstSeq = 1
  let anchorHash = GENESIS
  for await (const { key, lines } of segments(storage, layout)) {
    if (lines === undefined) throw new KmsError('CorruptRecord', `audit segment ${key} is unreadable: the chain itself is broken, resealing cannot vouch for it`)
    for (const { hashed, hash, fields } of lines) {
      if (expectedSeq === undefined) {
        firstSeq = fields[0]
        anchorHash = fields[14]
      } else if (fields[0] !== expectedSeq || fields[14] !== prevHash) {
        throw new KmsError('CorruptRecord', `the audit chain itself is broken at record ${fields[0]}: resealing cannot vouch for it`)
      }
      if (crypto.sha256Hex(hashed) !== hash) throw new KmsError('CorruptRecord', `audit record ${fields[0]} was modified: resealing cannot vouch for it`)
      expectedSeq = fields[0] + 1
      prevHash = hash
    }
  }
  const lastSeq = expectedSeq === undefined ? 0 : expectedSeq - 1
  const lastHash = prevHash ?? GENESIS
  const head = signer.head(layout.id, firstSeq, anchorHash, lastSeq, lastHash)
  return { mutations: [{ type: 'put', key: layout.headKey, value: signer.encode(head), expectedRevision: stored?.revision ?? null }], lastSeq, lastHash }
}
