/**
 * The audit trail of one engine: it appends to a chain of its own (group commits joined to
 * the engine's transactions) and reads, verifies, anchors, prunes and reseals every chain
 * of the store. One chain (layout, head MAC, checks) is chain.ts; the line format is
 * encoder.ts; reading records back is query.ts.
 *
 * ```ts
 * const trail = new AuditTrail({ storage, crypto, macKey, contextKey, chainId, region, accountId, ... })
 * trail.append(call)                          // queued; committed with the next transaction
 * await trail.verify(flush)                   // { ok: true, records, chains, … } or { ok: false, chain, seq, problem }
 * ```
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { utf8Decode, wipe } from '../bytes.js'
import { formatDate } from '../clock.js'
import { KmsError } from '../errors.js'
import type { Mutation, StorageAdapter } from '../storage.js'
import {
  HeadSigner, chainIds, chainLayout, chainReseal, chainRetention, isChainId, segmentKey, segments, verifyChain,
  type ChainLayout, type ChainPosition, type Head,
} from './chain.js'
import { ContextRecorder, encodeSegment, parseSegment, toRecord, type ParsedLine } from './encoder.js'
import { exportRecords, queryRecords } from './query.js'
import {
  AUDIT_LAST_USED_PREFIX, AUDIT_USED_PREFIX, FIRST_CHAIN, GENESIS,
  type AuditChainSummary, type AuditEntry, type AuditOptions, type AuditPage, type AuditQuery, type AuditRecord, type AuditVerification,
} from './records.js'

/** Last-use record revisions remembered (one per key this engine used); forgotten all at once past this. */
const MAX_USED_REVISIONS = 10_000

/**
 * A position in the trail, kept outside the store to catch a later rollback: `chains` names
 * every chain's end. `seq` counts the records up to those ends and `hash` fingerprints them
 * (a summary to compare at a glance). An anchor without `chains` (made before engines had
 * chains of their own) is a position in the first chain.
 */
export interface AuditAnchor {
  readonly seq: number
  readonly hash: string
  readonly chains?: Readonly<Record<string, ChainPosition>>
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
  /** This engine's chain: 16 hex digits, random per engine instance. */
  readonly chainId: string
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
  readonly #own: ChainLayout
  #signer: HeadSigner
  #contexts: ContextRecorder
  /** Entries waiting for a commit, oldest first. */
  #pending: AuditEntry[] = []
  #head: { value: Head | undefined; revision: number | null } | undefined
  readonly #lastUsed = new Map<string, number>()
  /** Revisions of this chain's last-use records (null: known absent). */
  readonly #usedRevisions = new Map<string, number | null>()
  /**
   * The newest position of each chain this engine has committed or seen verified. A stored
   * head older than this was rolled back (newer records deleted and an older, validly MAC'd
   * head put back), which the head's MAC alone cannot reveal; a chain missing altogether was
   * deleted. Across restarts, keep `anchor()` somewhere outside the store and pass it to `verify`.
   */
  readonly #floors = new Map<string, ChainPosition>()

  constructor(options: AuditTrailOptions) {
    if (!isChainId(options.chainId)) throw new RangeError(`chainId must be 16 hex digits (or ${FIRST_CHAIN}, the first chain)`)
    this.#o = options
    this.#own = chainLayout(options.chainId)
    this.#signer = new HeadSigner(options.crypto, options.macKey)
    this.#contexts = new ContextRecorder(options.settings.encryptionContext ?? 'hmac', options.crypto, options.contextKey)
  }

  /**
   * After a root-key change: the trail's keys are the new key's from now on (every stored
   * head and last-use record was re-MAC'd under it by the change, audit/rekey.ts). Records
   * already in the chains keep the context HMACs they were written with.
   */
  replaceKeys(macKey: Uint8Array, contextKey: Uint8Array): void {
    wipe(this.#o.macKey, this.#o.contextKey)
    this.#o = { ...this.#o, macKey, contextKey }
    this.#signer = new HeadSigner(this.#o.crypto, macKey)
    this.#contexts = new ContextRecorder(this.#o.settings.encryptionContext ?? 'hmac', this.#o.crypto, contextKey)
    this.#head = undefined
  }

  /** The chain this engine appends to. */
  get chainId(): string {
    return this.#own.id
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

  /** When a key was last used: the latest of this engine's memory and what every chain recorded. */
  async lastUsed(keyId: string): Promise<number | undefined> {
    let latest = this.#lastUsed.get(keyId)
    const later = (time: number): void => {
      if (Number.isFinite(time) && (latest === undefined || time > latest)) latest = time
    }
    const legacy = await this.#o.storage.get(AUDIT_USED_PREFIX + keyId)
    if (legacy !== undefined) later(Number(utf8Decode(legacy.value)))
    const prefix = `${AUDIT_LAST_USED_PREFIX}${keyId}/`
    let after: string | undefined
    for (;;) {
      const page = await this.#o.storage.scan({ prefix, limit: 100, ...(after === undefined ? {} : { after }) })
      for (const record of page.records) later(this.#openLastUsed(record.key, record.value))
      if (page.cursor === undefined || page.records.length === 0) return latest
      after = page.cursor
    }
  }

  #sealLastUsed(storageKey: string, time: number): Uint8Array {
    return this.#signer.sealLastUsed(storageKey, time)
  }

  #openLastUsed(storageKey: string, value: Uint8Array): number {
    const time = this.#signer.openLastUsed(storageKey, value)
    if (time === undefined) throw new KmsError('CorruptRecord', `${storageKey} failed its MAC check`)
    return time
  }

  /** Every chain's current end, to keep outside the store and check later with `verify({ anchor })`. */
  async anchor(flush: () => Promise<void>): Promise<AuditAnchor> {
    await flush()
    const chains: Record<string, ChainPosition> = {}
    for (const id of await chainIds(this.#o.storage)) {
      const layout = chainLayout(id)
      const stored = await this.#o.storage.get(layout.headKey)
      if (stored === undefined) throw new KmsError('CorruptRecord', `audit chain ${id} has records but no head: run verify()`)
      const head = this.#signer.decode(stored)
      if (!this.#signer.genuine(id, head)) throw new KmsError('CorruptRecord', `the head of audit chain ${id} failed its MAC check: run verify()`)
      chains[id] = { seq: head.lastSeq, hash: head.lastHash }
    }
    const ids = Object.keys(chains).sort()
    const seq = ids.reduce((sum, id) => sum + chains[id]!.seq, 0)
    const hash = ids.length === 0 ? GENESIS : this.#o.crypto.sha256Hex(ids.map((id) => `${id}:${chains[id]!.seq}:${chains[id]!.hash}\n`).join(''))
    return { seq, hash, chains }
  }

  /**
   * This engine's head, checked before the chain is extended from it: the engine never
   * re-MACs a head it has not verified (that would launder a forged or edited one), and a
   * head older than one this engine committed is a rollback. Either fails closed with
   * CorruptRecord (the engine then refuses calls with AuditFailure) until the head is
   * restored or resealed; `verify()` says what is wrong.
   */
  async #loadHead(fresh: boolean): Promise<{ value: Head | undefined; revision: number | null }> {
    if (this.#head !== undefined && !fresh) return this.#head
    const stored = await this.#o.storage.get(this.#own.headKey)
    const value = stored === undefined ? undefined : this.#signer.decode(stored)
    if (value !== undefined && !this.#signer.genuine(this.#own.id, value)) {
      throw new KmsError('CorruptRecord', 'the audit head failed its MAC check: the trail is not extended from a head that was not verified')
    }
    if (value === undefined) {
      // No head: a new chain, unless segments exist (the head was deleted): never start a second chain over them.
      const page = await this.#o.storage.scan({ prefix: this.#own.segmentPrefix, limit: 1 })
      if (page.records.length > 0) throw new KmsError('CorruptRecord', 'audit records exist but the audit head is missing')
    }
    const floor = this.#floors.get(this.#own.id)
    if (floor !== undefined && (value?.lastSeq ?? 0) < floor.seq) {
      throw new KmsError('CorruptRecord', `the audit head was rolled back: record ${floor.seq} was committed or verified before`)
    }
    this.#head = stored === undefined ? { value: undefined, revision: null } : { value, revision: stored.revision }
    return this.#head
  }

  #raiseFloor(id: string, position: ChainPosition): void {
    const floor = this.#floors.get(id)
    if (floor === undefined || position.seq > floor.seq) this.#floors.set(id, position)
  }

  /**
   * Builds the mutations that commit every pending entry plus `own` (the entries of the
   * transaction being committed), chained after this engine's head. `fresh` re-reads the
   * head, after a commit failed.
   */
  async prepare(own: readonly AuditEntry[], fresh: boolean): Promise<AuditCommit | undefined> {
    const taken = this.#pending
    const entries = own.length === 0 ? taken : [...taken, ...own]
    if (entries.length === 0) return undefined
    this.#pending = []
    const restore = (): void => {
      this.#pending = [...taken, ...this.#pending]
    }
    let head: { value: Head | undefined; revision: number | null }
    try {
      head = await this.#loadHead(fresh)
    } catch (error) {
      restore()
      throw error
    }
    const first = (head.value?.lastSeq ?? 0) + 1
    const { accountId, region, crypto, newEventId } = this.#o
    const { value, lastHash, used } = encodeSegment(entries, {
      first, prevHash: head.value?.lastHash ?? GENESIS, accountId, region, crypto, newEventId, contexts: this.#contexts,
    })
    const lastSeq = first + entries.length - 1
    const newHead = this.#signer.head(this.#own.id, head.value?.firstSeq ?? 1, head.value?.anchorHash ?? GENESIS, lastSeq, lastHash)
    const mutations: Mutation[] = [
      { type: 'put', key: segmentKey(this.#own, first), value, expectedRevision: null },
      { type: 'put', key: this.#own.headKey, value: this.#signer.encode(newHead), expectedRevision: head.revision },
    ]
    try {
      for (const [keyId, time] of used) {
        const key = `${AUDIT_LAST_USED_PREFIX}${keyId}/${this.#own.id}`
        let revision = fresh ? undefined : this.#usedRevisions.get(keyId)
        if (revision === undefined) revision = (await this.#o.storage.get(key))?.revision ?? null
        mutations.push({ type: 'put', key, value: this.#sealLastUsed(key, time), expectedRevision: revision })
      }
    } catch (error) {
      restore()
      throw error
    }
    return {
      mutations,
      committed: (revisions) => {
        const revision = revisions.get(this.#own.headKey)
        this.#head = revision === undefined ? undefined : { value: newHead, revision }
        this.#raiseFloor(this.#own.id, { seq: lastSeq, hash: lastHash })
        if (this.#usedRevisions.size > MAX_USED_REVISIONS) this.#usedRevisions.clear()
        for (const keyId of used.keys()) this.#usedRevisions.set(keyId, revisions.get(`${AUDIT_LAST_USED_PREFIX}${keyId}/${this.#own.id}`) ?? null)
        // Building record objects costs; do it only for live listeners.
        if (this.#o.listening()) for (const line of parseSegment(value) ?? []) this.#o.emit(toRecord(line.fields, this.#own.id))
      },
      aborted: () => {
        this.#head = undefined
        for (const keyId of used.keys()) this.#usedRevisions.delete(keyId)
        restore()
      },
    }
  }

  /** Every chain's segments, chain after chain, parsed. */
  async *#allSegments(): AsyncGenerator<{ chain: string; lines: ParsedLine[] | undefined }> {
    for (const id of await chainIds(this.#o.storage)) {
      for await (const { lines } of segments(this.#o.storage, chainLayout(id))) yield { chain: id, lines }
    }
  }

  /** Records matching the filter, ordered by time, then chain, then position, a page at a time. */
  async query(q: AuditQuery, flush: () => Promise<void>): Promise<AuditPage> {
    await flush()
    return queryRecords(this.#allSegments(), q)
  }

  /** Every record matching the filter as JSON lines, in query order. */
  export(q: Omit<AuditQuery, 'limit' | 'cursor'>, flush: () => Promise<void>): AsyncGenerator<string> {
    return exportRecords((page) => this.query(page, flush), q)
  }

  /** Recomputes every chain and checks it against its MAC'd head; reports the first problem, its chain and where. */
  async verify(flush: () => Promise<void>, anchor?: AuditAnchor): Promise<AuditVerification> {
    const floors = anchor === undefined ? this.#floors : anchorFloors(anchor)
    // A failed flush (say, on a head that fails its check) must not hide what is wrong with
    // the stored trail: verify it anyway, and report the flush failure only if it is intact.
    let flushFailure: unknown
    await flush().catch((error: unknown) => {
      flushFailure = error ?? new Error('flush failed')
    })
    const ids = new Set([...await chainIds(this.#o.storage), ...floors.keys()])
    const chains: (AuditChainSummary & { lastHash: string })[] = []
    for (const id of [...ids].sort()) {
      const layout = chainLayout(id)
      const stored = await this.#o.storage.get(layout.headKey)
      const result = await verifyChain(this.#signer, this.#o.crypto, layout, segments(this.#o.storage, layout), stored, floors.get(id))
      if (!result.ok) return { ok: false, chain: id, seq: result.seq, problem: result.problem }
      if (stored !== undefined) chains.push({ chain: id, records: result.records, firstSeq: result.firstSeq, lastSeq: result.lastSeq, lastHash: result.lastHash })
    }
    if (flushFailure !== undefined) throw flushFailure
    for (const c of chains) this.#raiseFloor(c.chain, { seq: c.lastSeq, hash: c.lastHash })
    return {
      ok: true,
      records: chains.reduce((sum, c) => sum + c.records, 0),
      firstSeq: chains.length === 0 ? 1 : Math.min(...chains.map((c) => c.firstSeq)),
      lastSeq: chains.length === 0 ? 0 : Math.max(...chains.map((c) => c.lastSeq)),
      chains: chains.map(({ chain, records, firstSeq, lastSeq }) => ({ chain, records, firstSeq, lastSeq })),
    }
  }

  /**
   * Per chain, the deletion of whole segments whose records are all older than `before`,
   * with the head's anchor moved to the first kept record (one commit per chain).
   */
  async prepareRetention(before: number): Promise<{ batches: Mutation[][]; removed: number }> {
    const batches: Mutation[][] = []
    let removed = 0
    for (const id of await chainIds(this.#o.storage)) {
      const retention = await chainRetention(this.#signer, this.#o.storage, chainLayout(id), before)
      if (retention === undefined) continue
      batches.push(retention.mutations)
      removed += retention.removed
    }
    this.#head = undefined
    return { batches, removed }
  }

  /**
   * The operator's answer to a chain that fails its check (a head forged, edited, deleted, or
   * older than one this engine committed): a new MAC'd head over each such chain as stored,
   * provided the chain itself is intact. Chains that verify are left alone (their engines
   * may be appending). What a chain lost before this moment is not recovered; the caller
   * records the act. `lastSeq`: the highest end among the chains resealed.
   */
  async prepareReseal(): Promise<{ batches: Mutation[][]; lastSeq: number; chains: string[] }> {
    const batches: Mutation[][] = []
    const resealed: string[] = []
    let lastSeq = 0
    const ids = new Set([...await chainIds(this.#o.storage), ...this.#floors.keys()])
    for (const id of [...ids].sort()) {
      const layout = chainLayout(id)
      const stored = await this.#o.storage.get(layout.headKey)
      const check = await verifyChain(this.#signer, this.#o.crypto, layout, segments(this.#o.storage, layout), stored, this.#floors.get(id))
      if (check.ok) continue
      const reseal = await chainReseal(this.#signer, this.#o.crypto, this.#o.storage, layout)
      batches.push(reseal.mutations)
      resealed.push(id)
      lastSeq = Math.max(lastSeq, reseal.lastSeq)
      this.#floors.set(id, { seq: reseal.lastSeq, hash: reseal.lastHash })
    }
    this.#head = undefined
    return { batches, lastSeq, chains: resealed }
  }

  /** Formats a record's time for describeKey's `lastUsedDate`. */
  static formatLastUsed(time: number): string {
    return formatDate(time)
  }
}

/** The chain positions an anchor names; an anchor from before chains is the first chain's. */
function anchorFloors(anchor: AuditAnchor): Map<string, ChainPosition> {
  const position = (value: unknown, name: string): ChainPosition => {
    const p = value as Partial<ChainPosition> | null
    if (typeof p !== 'object' || p === null || !Number.isSafeInteger(p.seq) || (p.seq as number) < 0 || typeof p.hash !== 'string' || !/^[0-9a-f]{64}$/.test(p.hash)) {
      throw new KmsError('InvalidParameter', `${name} is not a position in the audit trail ({ seq, hash })`)
    }
    return { seq: p.seq as number, hash: p.hash }
  }
  if (typeof anchor !== 'object' || anchor === null) throw new KmsError('InvalidParameter', 'anchor must be an object from audit.anchor()')
  if (anchor.chains === undefined) return new Map([[FIRST_CHAIN, position(anchor, 'anchor')]])
  if (typeof anchor.chains !== 'object' || anchor.chains === null) throw new KmsError('InvalidParameter', 'anchor.chains must map chain ids to positions')
  const floors = new Map<string, ChainPosition>()
  for (const [id, value] of Object.entries(anchor.chains)) {
    if (!isChainId(id)) throw new KmsError('InvalidParameter', `anchor.chains names a chain id that is not one (${JSON.stringify(id).slice(0, 40)})`)
    floors.set(id, position(value, `anchor.chains.${id}`))
  }
  return floors
}
