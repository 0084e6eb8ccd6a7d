/**
 * The barrier between the engine and its storage (Vault's barrier is the model): whoever can
 * write the store's bytes but does not hold the root key can neither read nor forge, edit,
 * relabel or move a record. Every value the engine stores is encrypted and authenticated
 * with AES-256-GCM under a key derived from the root key, and bound to its storage key:
 *
 * ```
 * sealed = 0x00 ‖ tag ‖ nonce(12) ‖ AES-256-GCM(K, nonce, value, AAD = "strongroom/record/v1" ‖ 0x00 ‖ storageKey)
 * K      = HKDF-SHA-256(root secret, salt = header salt, info = "strongroom/root/records/seal/v1")
 * tag    = generationTag(root-key generation): 0x01 for the first root key, then one more per change
 * ```
 *
 * ```ts
 * const storage = sealedStorage(adapter, new RecordSealer(crypto, random, keyring.deriveKey('records/seal/v1')))
 * await storage.get('key/…')   // the plain record, or CorruptRecord before anything in it is believed
 * ```
 *
 * Outside the barrier, by necessity or because they carry their own authentication: the
 * keystore header (read before the root key is known; its check value and MAC are checked
 * right after unlocking, root-key.ts) and the audit chain (segments are hash-chained and the
 * head is MAC'd under the audit key, audit.ts). Storage keys (key ids, alias, policy and
 * principal names) stay readable: the store must order and scan them. A record copied to
 * another storage key fails its check; an older genuine copy of the same record (a rollback)
 * passes it — freshness is a separate matter (see the README's threat model).
 */
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import { GCM_NONCE_LENGTH, Lru } from '@strongroom/crypto'
import { AUDIT_CHAIN_PREFIX, AUDIT_HEADS_PREFIX, AUDIT_HEAD_KEY, AUDIT_LAST_USED_PREFIX, AUDIT_SEGMENT_PREFIX } from './audit.js'
import { utf8Encode, wipe } from './bytes.js'
import { KmsError } from './errors.js'
import { KEYSTORE_HEADER_KEY, generationTag } from './root-key.js'
import type { CommitResult, Mutation, ScanOptions, ScanPage, StorageAdapter, StorageChangeListener, StoredRecord } from './storage.js'
import { EMPTY_SEAL_HEAD, SEAL_HEAD_KEY, StoreDigest, decodeSealHead, encodeSealHead, type SealHead } from './store-digest.js'

/** First byte of every sealed value; no plain record of the first release starts with it (JSON or digits). */
const SEALED_MAGIC = 0x00
const PREFIX_LENGTH = 2
const TAG_LENGTH = 16
const AAD_LABEL = utf8Encode('strongroom/record/v1\u0000')

/** The root-key label of the sealing key. */
export const RECORD_SEAL_LABEL = 'records/seal/v1'

/**
 * Records that are not sealed: the header and the audit chains (and their last-use
 * records), which authenticate themselves. So an audit append never moves the store
 * digest, and engines sharing a store append without ever writing the same record.
 */
export function isUnsealedRecord(storageKey: string): boolean {
  return storageKey === KEYSTORE_HEADER_KEY || storageKey === AUDIT_HEAD_KEY || storageKey.startsWith(AUDIT_SEGMENT_PREFIX) ||
    storageKey.startsWith(AUDIT_HEADS_PREFIX) || storageKey.startsWith(AUDIT_CHAIN_PREFIX) || storageKey.startsWith(AUDIT_LAST_USED_PREFIX)
}

/** Whether stored bytes are in the sealed format (as opposed to a first-release plain record). */
export function isSealedValue(value: Uint8Array): boolean {
  return value.length > 0 && value[0] === SEALED_MAGIC
}

export class RecordSealer {
  readonly #crypto: CryptoProvider
  readonly #random: RandomSource
  #key: Uint8Array
  #tag: number
  /** During a root-key change: the old key's sealing key, still opening what it sealed. */
  #retiring: { readonly key: Uint8Array; readonly tag: number } | undefined

  /** `generation`: the root key's (root-key.ts), which the format byte of every value it seals names. */
  constructor(crypto: CryptoProvider, random: RandomSource, key: Uint8Array, generation = 0) {
    this.#crypto = crypto
    this.#random = random
    this.#key = key
    this.#tag = generationTag(generation)
  }

  seal(storageKey: string, value: Uint8Array): Uint8Array {
    const out = new Uint8Array(PREFIX_LENGTH + GCM_NONCE_LENGTH + value.length + TAG_LENGTH)
    out[0] = SEALED_MAGIC
    out[1] = this.#tag
    const nonce = this.#random.fill(out.subarray(PREFIX_LENGTH, PREFIX_LENGTH + GCM_NONCE_LENGTH))
    this.#crypto.aesGcmEncrypt(this.#key, nonce, value, aad(storageKey), out.subarray(PREFIX_LENGTH + GCM_NONCE_LENGTH))
    return out
  }

  /** The plain value; CorruptRecord when it was not sealed here for this storage key, or was changed. */
  open(storageKey: string, sealed: Uint8Array): Uint8Array {
    const retiring = this.#retiring
    const key = sealed[1] === this.#tag ? this.#key : retiring !== undefined && sealed[1] === retiring.tag ? retiring.key : undefined
    if (sealed.length < PREFIX_LENGTH + GCM_NONCE_LENGTH + TAG_LENGTH || sealed[0] !== SEALED_MAGIC) {
      throw new KmsError('CorruptRecord', `record ${storageKey} is not sealed under this keystore's root key (written or changed by someone else)`)
    }
    if (key === undefined) {
      // Sealed under another generation: the root key was changed by another engine (or the byte was altered; either way, refused).
      throw new KmsError('RootKeyMismatch', `record ${storageKey} is sealed under another root key of this keystore (changed by another engine?): reopen with the current root key`)
    }
    const value = this.#crypto.aesGcmDecrypt(
      key, sealed.subarray(PREFIX_LENGTH, PREFIX_LENGTH + GCM_NONCE_LENGTH), sealed.subarray(PREFIX_LENGTH + GCM_NONCE_LENGTH), aad(storageKey))
    if (value === undefined) {
      throw new KmsError('CorruptRecord', `record ${storageKey} failed its integrity check (modified, forged, or moved from another key)`)
    }
    return value
  }

  /** Whether a sealed value is under the root key a change is replacing. */
  isRetiring(sealed: Uint8Array): boolean {
    return this.#retiring !== undefined && sealed[1] === this.#retiring.tag
  }

  /** A root-key change begins: seal under `key` (of root-key generation `generation`) from now on, still open the old. */
  beginChange(key: Uint8Array, generation: number): void {
    if (this.#retiring !== undefined) wipe(this.#retiring.key)
    this.#retiring = { key: this.#key, tag: this.#tag }
    this.#key = key
    this.#tag = generationTag(generation)
  }

  /** The change committed: the old sealing key is wiped. */
  finishChange(): void {
    if (this.#retiring !== undefined) wipe(this.#retiring.key)
    this.#retiring = undefined
  }

  wipe(): void {
    wipe(this.#key)
    this.finishChange()
  }
}

function aad(storageKey: string): Uint8Array {
  const key = utf8Encode(storageKey)
  const out = new Uint8Array(AAD_LABEL.length + key.length)
  out.set(AAD_LABEL, 0)
  out.set(key, AAD_LABEL.length)
  return out
}

/** What the barrier keeps per sealed record it has seen: the revision and the sealed bytes' identity. */
interface Seen {
  readonly revision: number
  readonly sealed: Uint8Array
}

/**
 * Records whose sealed form is remembered for the next write (beyond it, a write re-reads the
 * record). Least recently seen forgotten first: forgetting everything at once when full made a
 * working set just over the bound re-read on every write.
 */
const MAX_SEEN = 10_000

/**
 * The engine's view of an adapter through the barrier: values are sealed on commit and
 * opened (checked) on every read, so a record that fails is CorruptRecord at the moment it
 * is read, before any state in it is believed. Every commit that writes sealed records also
 * moves the store digest (store-digest.ts) in the same atomic commit. Revisions, keys,
 * watch and close pass through.
 */
export class SealedStorage implements StorageAdapter {
  readonly manifest: StorageAdapter['manifest']
  readonly #inner: StorageAdapter
  readonly #sealer: RecordSealer
  #digest: StoreDigest
  readonly #seen = new Lru<string, Seen>(MAX_SEEN)
  #head: { value: SealHead; revision: number | null } | undefined
  readonly #unwatch: (() => void) | undefined
  declare watch?: (listener: StorageChangeListener) => () => void

  constructor(inner: StorageAdapter, sealer: RecordSealer, digest: StoreDigest) {
    this.manifest = inner.manifest
    this.#inner = inner
    this.#sealer = sealer
    this.#digest = digest
    const watch = inner.watch
    if (watch !== undefined) {
      // Another writer's commit makes what we remember of those records (and of the digest) stale.
      this.#unwatch = watch.call(inner, (changes) => {
        for (const { key, revision } of changes) {
          if (key === SEAL_HEAD_KEY) {
            if (this.#head?.revision !== revision) this.#head = undefined
          } else if (this.#seen.peek(key)?.revision !== revision) this.#seen.delete(key)
        }
      })
      this.watch = (listener) => watch.call(inner, listener)
    }
  }

  #remember(key: string, revision: number, sealed: Uint8Array): void {
    this.#seen.set(key, { revision, sealed })
  }

  /** `remember`: keep the sealed bytes for a write that may follow (a `get`; not a listing's scan). */
  #open(record: StoredRecord, remember: boolean): StoredRecord {
    if (isUnsealedRecord(record.key)) return record
    const value = this.#sealer.open(record.key, record.value)
    if (remember) this.#remember(record.key, record.revision, record.value)
    return { key: record.key, revision: record.revision, value }
  }

  async get(key: string): Promise<StoredRecord | undefined> {
    const record = await this.#inner.get(key)
    return record === undefined ? undefined : this.#open(record, true)
  }

  async scan(options: ScanOptions): Promise<ScanPage> {
    const page = await this.#inner.scan(options)
    const records = page.records.filter((r) => r.key !== SEAL_HEAD_KEY).map((r) => this.#open(r, false))
    return page.cursor === undefined ? { records } : { records, cursor: page.cursor }
  }

  /**
   * The storage keys of a scan's records without opening them: for skipping what a listing
   * does not return (nothing in the skipped values is believed, so nothing needs checking).
   */
  async scanNames(options: ScanOptions): Promise<{ keys: string[]; cursor?: string }> {
    const page = await this.#inner.scan(options)
    const keys = page.records.filter((r) => r.key !== SEAL_HEAD_KEY).map((r) => r.key)
    return page.cursor === undefined ? { keys } : { keys, cursor: page.cursor }
  }

  async commit(mutations: readonly Mutation[]): Promise<CommitResult> {
    const sealedPuts = new Map<string, Uint8Array>()
    let touches = false
    for (const m of mutations) {
      if (isUnsealedRecord(m.key) || m.type === 'check') continue
      if (m.key === SEAL_HEAD_KEY) throw new KmsError('InvalidParameter', `${SEAL_HEAD_KEY} is written only by the barrier`)
      touches = true
      if (m.type === 'put' && m.value instanceof Uint8Array) sealedPuts.set(m.key, this.#sealer.seal(m.key, m.value))
    }
    if (!touches) return this.#inner.commit(await this.#guardNewChain(mutations))
    const head = await this.#loadHead()
    let digest = StoreDigest.parse(head.value.digest)
    let count = head.value.count
    for (const m of mutations) {
      if (isUnsealedRecord(m.key) || m.type === 'check') continue
      if (m.expectedRevision !== null) {
        const old = await this.#sealedAt(m.key, m.expectedRevision)
        // Absent or at another revision: the commit will fail its expectation anyway.
        if (old !== undefined) {
          digest = StoreDigest.remove(digest, this.#digest.element(m.key, old))
          count--
        }
      }
      const sealed = sealedPuts.get(m.key)
      if (sealed !== undefined) {
        digest = StoreDigest.add(digest, this.#digest.element(m.key, sealed))
        count++
      }
    }
    const next: SealHead = { schema: 1, count, digest: StoreDigest.format(digest) }
    const written = mutations.map((m) => (m.type === 'put' && sealedPuts.has(m.key) ? { ...m, value: sealedPuts.get(m.key)! } : m))
    written.push({ type: 'put', key: SEAL_HEAD_KEY, value: this.#sealer.seal(SEAL_HEAD_KEY, encodeSealHead(next)), expectedRevision: head.revision })
    let result: CommitResult
    try {
      result = await this.#inner.commit(written)
    } catch (error) {
      this.#head = undefined
      for (const m of mutations) this.#seen.delete(m.key)
      throw error
    }
    for (const m of mutations) {
      const sealed = sealedPuts.get(m.key)
      const revision = result.revisions.get(m.key)
      if (sealed !== undefined && revision !== undefined) this.#remember(m.key, revision, sealed)
      else this.#seen.delete(m.key)
    }
    const headRevision = result.revisions.get(SEAL_HEAD_KEY)
    this.#head = headRevision === undefined ? undefined : { value: next, revision: headRevision }
    const revisions = new Map(result.revisions)
    revisions.delete(SEAL_HEAD_KEY)
    return { revisions }
  }

  /** The sealed bytes stored at `key` if it is at `revision` (remembered, or read). */
  async #sealedAt(key: string, revision: number): Promise<Uint8Array | undefined> {
    const seen = this.#seen.get(key)
    if (seen?.revision === revision) return seen.sealed
    const stored = await this.#inner.get(key)
    return stored?.revision === revision ? stored.value : undefined
  }

  /**
   * An audit chain's first commit touches no sealed record, so nothing else would notice that
   * another engine changed the root key meanwhile: it is started only while the store's seal
   * head still opens under this engine's key (RootKeyMismatch otherwise), checked in the
   * same commit. Later commits of the chain conflict on its head, which the change re-MACs.
   */
  async #guardNewChain(mutations: readonly Mutation[]): Promise<readonly Mutation[]> {
    if (!mutations.some((m) => m.type === 'put' && m.expectedRevision === null && m.key.startsWith(AUDIT_HEADS_PREFIX))) return mutations
    const stored = await this.#inner.get(SEAL_HEAD_KEY)
    if (stored !== undefined) this.#sealer.open(SEAL_HEAD_KEY, stored.value)
    return [...mutations, { type: 'check', key: SEAL_HEAD_KEY, expectedRevision: stored?.revision ?? null }]
  }

  async #loadHead(): Promise<{ value: SealHead; revision: number | null }> {
    if (this.#head !== undefined) return this.#head
    const stored = await this.#inner.get(SEAL_HEAD_KEY)
    this.#head = stored === undefined
      ? { value: EMPTY_SEAL_HEAD, revision: null }
      : { value: decodeSealHead(this.#sealer.open(SEAL_HEAD_KEY, stored.value)), revision: stored.revision }
    return this.#head
  }

  /**
   * Recomputes the digest from every sealed record in the store and compares it with the
   * stored head: a record rolled back to an older genuine copy, deleted, or copied in is
   * reported; so is any record that fails its seal.
   */
  async verify(): Promise<StoreVerification> {
    // A commit landing mid-scan (another engine's) would make the scan and the head disagree:
    // the head is read before and after, and the scan repeated when it moved.
    for (let attempt = 0; ; attempt++) {
      const before = (await this.#inner.get(SEAL_HEAD_KEY))?.revision
      const result = await this.#verifyOnce()
      const after = (await this.#inner.get(SEAL_HEAD_KEY))?.revision
      if (before === after || attempt >= 4) return result
    }
  }

  async #verifyOnce(): Promise<StoreVerification> {
    let digest = 0n
    let count = 0
    let after: string | undefined
    for (;;) {
      const page = await this.#inner.scan({ prefix: '', limit: 500, ...(after === undefined ? {} : { after }) })
      for (const record of page.records) {
        if (isUnsealedRecord(record.key) || record.key === SEAL_HEAD_KEY) continue
        try {
          this.#sealer.open(record.key, record.value)
        } catch (error) {
          return { ok: false, problem: (error as Error).message }
        }
        digest = StoreDigest.add(digest, this.#digest.element(record.key, record.value))
        count++
      }
      if (page.cursor === undefined || page.records.length === 0) break
      after = page.cursor
    }
    const stored = await this.#inner.get(SEAL_HEAD_KEY)
    let head: SealHead
    try {
      head = stored === undefined ? EMPTY_SEAL_HEAD : decodeSealHead(this.#sealer.open(SEAL_HEAD_KEY, stored.value))
    } catch (error) {
      return { ok: false, problem: (error as Error).message }
    }
    if (stored === undefined && count > 0) return { ok: false, problem: 'the store digest (meta/seal-head) is missing' }
    if (head.count !== count || head.digest !== StoreDigest.format(digest)) {
      return {
        ok: false,
        problem: `the records in the store are not the ones last written (digest mismatch: ${count} records found, ${head.count} expected): a record was rolled back to an older copy, deleted or copied in`,
      }
    }
    return { ok: true, records: count }
  }

  // ---------------------------------------------------------------- changing the root key (engine/root-key-change.ts)

  /** A root-key change begins: new values are sealed under `sealKey`; the digest stays under the old key until the swap. */
  beginRootKeyChange(sealKey: Uint8Array, generation: number): void {
    this.#sealer.beginChange(sealKey, generation)
  }

  /**
   * Step 2 of a root-key change: every record still sealed under the old key, and every
   * record `rewrap` changes (material wrapped under the old key inside it), is written again
   * under the new key, and every unsealed record `rewriteUnsealed` changes is written as it says (`rewriteInPages`: a page of at most `pageSize` at a time, each page
   * one commit through this barrier, so the digest moves with it). Returns how many records
   * were written.
   */
  resealRetiring(
    rewrap: (storageKey: string, value: Uint8Array) => Uint8Array | undefined,
    rewriteUnsealed: (storageKey: string, value: Uint8Array) => Uint8Array | undefined = () => undefined,
    pageSize = 500,
  ): Promise<number> {
    return rewriteInPages(this.#inner, pageSize, (records) => {
      const puts: Mutation[] = []
      for (const record of records) {
        if (record.key === SEAL_HEAD_KEY) continue
        if (isUnsealedRecord(record.key)) {
          // Records that authenticate themselves under a root-derived key (audit last-use records).
          const rewritten = rewriteUnsealed(record.key, record.value)
          if (rewritten !== undefined) puts.push({ type: 'put', key: record.key, value: rewritten, expectedRevision: record.revision })
          continue
        }
        const value = this.#sealer.open(record.key, record.value)
        const rewrapped = rewrap(record.key, value)
        if (rewrapped === undefined && !this.#sealer.isRetiring(record.value)) continue
        // The commit takes this copy's digest element out without reading the record again.
        this.#remember(record.key, record.revision, record.value)
        puts.push({ type: 'put', key: record.key, value: rewrapped ?? value, expectedRevision: record.revision })
      }
      return puts
    }, (puts) => this.commit(puts), 'its records were being re-sealed under the new root key')
  }

  /**
   * The last step of a root-key change, once no record is sealed under the old key: the
   * digest recomputed under the new key's digest key, after checking that the stored head
   * (under the old one) still matches the records, so a record rolled back meanwhile is
   * refused rather than vouched for afresh. Returns the seal head to commit with the new
   * header, and what to call once that commit succeeded.
   */
  async prepareDigestSwap(next: StoreDigest): Promise<{ mutation: Mutation; committed(revision: number): void }> {
    let oldSum = 0n
    let newSum = 0n
    let count = 0
    let after: string | undefined
    for (;;) {
      const page = await this.#inner.scan({ prefix: '', limit: 500, ...(after === undefined ? {} : { after }) })
      for (const record of page.records) {
        if (isUnsealedRecord(record.key) || record.key === SEAL_HEAD_KEY) continue
        if (this.#sealer.isRetiring(record.value)) throw new KmsError('Conflict', `record ${record.key} was written under the old root key during the change`)
        oldSum = StoreDigest.add(oldSum, this.#digest.element(record.key, record.value))
        newSum = StoreDigest.add(newSum, next.element(record.key, record.value))
        count++
      }
      if (page.cursor === undefined || page.records.length === 0) break
      after = page.cursor
    }
    this.#head = undefined
    const head = await this.#loadHead()
    if (head.value.count !== count || head.value.digest !== StoreDigest.format(oldSum)) {
      throw new KmsError('CorruptRecord', 'the records in the store are not the ones last written (digest mismatch): run verify(); the root key was not changed')
    }
    const value: SealHead = { schema: 1, count, digest: StoreDigest.format(newSum) }
    return {
      mutation: { type: 'put', key: SEAL_HEAD_KEY, value: this.#sealer.seal(SEAL_HEAD_KEY, encodeSealHead(value)), expectedRevision: head.revision },
      committed: (revision) => {
        this.#digest.wipe()
        this.#digest = next
        this.#sealer.finishChange()
        this.#head = { value, revision }
      },
    }
  }

  /** Commits straight to the adapter under the barrier: only the swap of a root-key change (header and heads). */
  commitUnsealed(mutations: readonly Mutation[]): Promise<CommitResult> {
    return this.#inner.commit(mutations)
  }

  async close(): Promise<void> {
    this.#unwatch?.()
    this.#sealer.wipe()
    this.#digest.wipe()
    this.#seen.clear()
    await this.#inner.close()
  }
}

export type StoreVerification = { readonly ok: true; readonly records: number } | { readonly ok: false; readonly problem: string }

/**
 * The digest of a store computed from scratch and stored as its head (after an upgrade
 * from the first release, whose stores had none). Returns the head written.
 */
export async function rebuildSealHead(storage: StorageAdapter, sealer: RecordSealer, digest: StoreDigest): Promise<SealHead> {
  let sum = 0n
  let count = 0
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: '', limit: 500, ...(after === undefined ? {} : { after }) })
    for (const record of page.records) {
      if (isUnsealedRecord(record.key) || record.key === SEAL_HEAD_KEY) continue
      sum = StoreDigest.add(sum, digest.element(record.key, record.value))
      count++
    }
    if (page.cursor === undefined || page.records.length === 0) break
    after = page.cursor
  }
  const head: SealHead = { schema: 1, count, digest: StoreDigest.format(sum) }
  const current = await storage.get(SEAL_HEAD_KEY)
  await storage.commit([{ type: 'put', key: SEAL_HEAD_KEY, value: sealer.seal(SEAL_HEAD_KEY, encodeSealHead(head)), expectedRevision: current?.revision ?? null }])
  return head
}

/**
 * Rewrites a store in place, a page of at most `pageSize` records at a time (bounded memory):
 * `rewrite` turns a page into the puts it needs, each conditional on the record's revision,
 * and `commit` writes them (one commit per page). A page that lost to another writer
 * (Conflict) is left for another pass over the whole store, until a pass meets none. The
 * machinery of both in-place rewrites: the first-release upgrade and a root-key change.
 * Returns how many records were written.
 */
export async function rewriteInPages(
  storage: StorageAdapter, pageSize: number, rewrite: (records: readonly StoredRecord[]) => Mutation[], commit: (mutations: Mutation[]) => Promise<unknown>,
  what: string,
): Promise<number> {
  let written = 0
  for (let pass = 0; ; pass++) {
    let conflicted = false
    let after: string | undefined
    for (;;) {
      const page = await storage.scan({ prefix: '', limit: pageSize, ...(after === undefined ? {} : { after }) })
      const mutations = rewrite(page.records)
      if (mutations.length > 0) {
        try {
          await commit(mutations)
          written += mutations.length
        } catch (error) {
          // Another process changed a record of this page meanwhile: go round again.
          if (!KmsError.is(error, 'Conflict')) throw error
          conflicted = true
        }
      }
      if (page.cursor === undefined || page.records.length === 0) break
      after = page.cursor
    }
    if (!conflicted) return written
    if (pass >= 20) throw new KmsError('Conflict', `the store kept changing while ${what}`)
  }
}

/**
 * Upgrades a store of the first release in place: every plain record is replaced by its
 * sealed form (`rewriteInPages`). Crash-safe by construction: the header still says schema 1
 * until the caller stores the upgraded header after this returns, so an interrupted upgrade
 * simply resumes on the next open (sealed records are recognised and skipped). Returns how
 * many records it sealed.
 */
export function sealPlainRecords(storage: StorageAdapter, sealer: RecordSealer, pageSize = 200): Promise<number> {
  return rewriteInPages(storage, pageSize, (records) => records
    .filter((record) => !isUnsealedRecord(record.key) && record.key !== SEAL_HEAD_KEY && !isSealedValue(record.value))
    .map((record) => ({ type: 'put', key: record.key, value: sealer.seal(record.key, record.value), expectedRevision: record.revision })),
  (mutations) => storage.commit(mutations), 'its records were being sealed')
}
