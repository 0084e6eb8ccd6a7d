/**
 * The barrier between the engine and its storage (Vault's barrier is the model): whoever can
 * write the store's bytes but does not hold the root key can neither read nor forge, edit,
 * relabel or move a record. Every value the engine stores is encrypted and authenticated
 * with AES-256-GCM under a key derived from the root key, and bound to its storage key:
 *
 * ```
 * sealed = 0x00 ‖ 0x01 ‖ nonce(12) ‖ AES-256-GCM(K, nonce, value, AAD = "strongroom/record/v1" ‖ 0x00 ‖ storageKey)
 * K      = HKDF-SHA-256(root secret, salt = header salt, info = "strongroom/root/records/seal/v1")
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
import { AUDIT_HEAD_KEY, AUDIT_SEGMENT_PREFIX } from './audit.js'
import { utf8Encode, wipe } from './bytes.js'
import { KmsError } from './errors.js'
import { KEYSTORE_HEADER_KEY } from './root-key.js'
import type { CommitResult, Mutation, ScanOptions, ScanPage, StorageAdapter, StorageChangeListener, StoredRecord } from './storage.js'
import { EMPTY_SEAL_HEAD, SEAL_HEAD_KEY, StoreDigest, decodeSealHead, encodeSealHead, type SealHead } from './store-digest.js'

/** First byte of every sealed value; no plain record of the first release starts with it (JSON or digits). */
const SEALED_MAGIC = 0x00
const SEALED_FORMAT = 0x01
const PREFIX_LENGTH = 2
const TAG_LENGTH = 16
const AAD_LABEL = utf8Encode('strongroom/record/v1\u0000')

/** The root-key label of the sealing key. */
export const RECORD_SEAL_LABEL = 'records/seal/v1'

/** Records that are not sealed: the header and the audit chain, which authenticate themselves. */
export function isUnsealedRecord(storageKey: string): boolean {
  return storageKey === KEYSTORE_HEADER_KEY || storageKey === AUDIT_HEAD_KEY || storageKey.startsWith(AUDIT_SEGMENT_PREFIX)
}

/** Whether stored bytes are in the sealed format (as opposed to a first-release plain record). */
export function isSealedValue(value: Uint8Array): boolean {
  return value.length > 0 && value[0] === SEALED_MAGIC
}

export class RecordSealer {
  readonly #crypto: CryptoProvider
  readonly #random: RandomSource
  readonly #key: Uint8Array

  constructor(crypto: CryptoProvider, random: RandomSource, key: Uint8Array) {
    this.#crypto = crypto
    this.#random = random
    this.#key = key
  }

  seal(storageKey: string, value: Uint8Array): Uint8Array {
    const out = new Uint8Array(PREFIX_LENGTH + GCM_NONCE_LENGTH + value.length + TAG_LENGTH)
    out[0] = SEALED_MAGIC
    out[1] = SEALED_FORMAT
    const nonce = this.#random.fill(out.subarray(PREFIX_LENGTH, PREFIX_LENGTH + GCM_NONCE_LENGTH))
    this.#crypto.aesGcmEncrypt(this.#key, nonce, value, aad(storageKey), out.subarray(PREFIX_LENGTH + GCM_NONCE_LENGTH))
    return out
  }

  /** The plain value; CorruptRecord when it was not sealed here for this storage key, or was changed. */
  open(storageKey: string, sealed: Uint8Array): Uint8Array {
    if (sealed.length < PREFIX_LENGTH + GCM_NONCE_LENGTH + TAG_LENGTH || sealed[0] !== SEALED_MAGIC || sealed[1] !== SEALED_FORMAT) {
      throw new KmsError('CorruptRecord', `record ${storageKey} is not sealed under this keystore's root key (written or changed by someone else)`)
    }
    const value = this.#crypto.aesGcmDecrypt(
      this.#key, sealed.subarray(PREFIX_LENGTH, PREFIX_LENGTH + GCM_NONCE_LENGTH), sealed.subarray(PREFIX_LENGTH + GCM_NONCE_LENGTH), aad(storageKey))
    if (value === undefined) {
      throw new KmsError('CorruptRecord', `record ${storageKey} failed its integrity check (modified, forged, or moved from another key)`)
    }
    return value
  }

  wipe(): void {
    wipe(this.#key)
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
  readonly #digest: StoreDigest
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
    if (!touches) return this.#inner.commit(mutations)
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
 * Upgrades a store of the first release in place: every plain record is replaced by its
 * sealed form, a page at a time (bounded memory), each replacement conditional on the
 * record's revision. Crash-safe by construction: the header still says schema 1 until the
 * caller stores the upgraded header after this returns, so an interrupted upgrade simply
 * resumes on the next open (sealed records are recognised and skipped). Returns how many
 * records it sealed.
 */
export async function sealPlainRecords(storage: StorageAdapter, sealer: RecordSealer, pageSize = 200): Promise<number> {
  let sealed = 0
  for (let pass = 0; ; pass++) {
    let changedThisPass = 0
    let conflicted = false
    let after: string | undefined
    for (;;) {
      const page = await storage.scan({ prefix: '', limit: pageSize, ...(after === undefined ? {} : { after }) })
      const mutations: Mutation[] = []
      for (const record of page.records) {
        if (isUnsealedRecord(record.key) || record.key === SEAL_HEAD_KEY || isSealedValue(record.value)) continue
        mutations.push({ type: 'put', key: record.key, value: sealer.seal(record.key, record.value), expectedRevision: record.revision })
      }
      if (mutations.length > 0) {
        try {
          await storage.commit(mutations)
          changedThisPass += mutations.length
        } catch (error) {
          // Another process changed a record of this page meanwhile: go round again.
          if (!KmsError.is(error, 'Conflict')) throw error
          conflicted = true
        }
      }
      if (page.cursor === undefined || page.records.length === 0) break
      after = page.cursor
    }
    sealed += changedThisPass
    if (!conflicted) return sealed
    if (pass >= 20) throw new KmsError('Conflict', 'the store kept changing while its records were being sealed')
  }
}
