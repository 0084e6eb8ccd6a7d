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
import { GCM_NONCE_LENGTH } from '@strongroom/crypto'
import { AUDIT_HEAD_KEY, AUDIT_SEGMENT_PREFIX } from './audit.js'
import { utf8Encode, wipe } from './bytes.js'
import { KmsError } from './errors.js'
import { KEYSTORE_HEADER_KEY } from './root-key.js'
import type { CommitResult, Mutation, ScanOptions, ScanPage, StorageAdapter, StoredRecord } from './storage.js'

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

/**
 * The engine's view of an adapter through the barrier: values are sealed on commit and
 * opened (checked) on every read, so a record that fails is CorruptRecord at the moment it
 * is read, before any state in it is believed. Revisions, keys, watch and close pass through.
 */
export function sealedStorage(inner: StorageAdapter, sealer: RecordSealer): StorageAdapter {
  const open = (record: StoredRecord): StoredRecord =>
    isUnsealedRecord(record.key) ? record : { key: record.key, revision: record.revision, value: sealer.open(record.key, record.value) }
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    async get(key: string): Promise<StoredRecord | undefined> {
      const record = await inner.get(key)
      return record === undefined ? undefined : open(record)
    },
    async scan(options: ScanOptions): Promise<ScanPage> {
      const page = await inner.scan(options)
      const records = page.records.map(open)
      return page.cursor === undefined ? { records } : { records, cursor: page.cursor }
    },
    commit(mutations: readonly Mutation[]): Promise<CommitResult> {
      return inner.commit(mutations.map((m) =>
        m.type !== 'put' || isUnsealedRecord(m.key) || !(m.value instanceof Uint8Array) ? m : { ...m, value: sealer.seal(m.key, m.value) }))
    },
    async close(): Promise<void> {
      sealer.wipe()
      await inner.close()
    },
  }
  const watch = inner.watch
  if (watch !== undefined) return { ...adapter, watch: (listener) => watch.call(inner, listener) }
  return adapter
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
        if (isUnsealedRecord(record.key) || isSealedValue(record.value)) continue
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
