/**
 * Backup and restore of a whole keystore: every record of the store (keys, versions,
 * aliases, policies, the audit trail, the store digest) in one self-contained, encrypted and
 * authenticated stream, loaded back into an empty store on any adapter.
 *
 * ```ts
 * const file = await collectBackup(backupKeystore({ storage, rootKey }))
 * await restoreKeystore({ storage: levelStorage(new ClassicLevel(dir)), backup: file, rootKey })
 * // or under a separate backup passphrase (restore then needs only the passphrase):
 * backupKeystore({ storage, rootKey, passphrase: 'backup passphrase' })
 * ```
 *
 * Records are copied as stored (sealed values stay sealed: they are bound to their storage
 * key, not to a store or a revision), so the restored store opens with the same root key and
 * `kms.verify()` holds. The keystore header travels verbatim in the backup header.
 *
 * Format (integers big-endian):
 *
 * ```
 * file    = MAGIC("strongroom-backup") ‖ version u8 (1) ‖ headerLength u32 ‖ header JSON ‖ chunk*
 * header  = { backupId, createdAt, records, keystoreHeader (base64, verbatim), salt, check,
 *             key: { source: "root-key" } | { source: "passphrase", params: { kdf: "scrypt", salt, N, r, p } } }
 * chunk   = flags u8 (1 = final, else 0) ‖ length u32 ‖ AES-256-GCM(K, nonce, body, AAD) (length bytes)
 * nonce   = index u64 ‖ flags u8 ‖ 000000
 * AAD     = "strongroom/backup/v1/chunk" ‖ 0x00 ‖ SHA-256(every byte before the first chunk) ‖ index u64 ‖ flags u8
 * body    = (keyLength u32 ‖ key UTF-8 ‖ valueLength u32 ‖ value)*, keys in ascending UTF-8 byte order
 * IKM     = HKDF-SHA-256(root secret, salt = keystore header salt, "strongroom/root/backup/v1") (root-key.ts
 *           deriveKey), or scrypt(passphrase, params.salt, N, r, p) (passphraseRootKey, params in the header)
 * K       = HKDF-SHA-256(IKM, salt = header salt (32 random bytes per backup), "strongroom/backup/v1/chunks")
 * check   = HMAC-SHA-256(HKDF(IKM, salt, "strongroom/backup/v1/check"), "strongroom/backup/v1/check" ‖ backupId)
 * ```
 *
 * Every chunk is bound to the header, its index and whether it is the last one: a modified
 * byte, a dropped, repeated or reordered chunk, a truncation (no final chunk) or bytes after
 * the final chunk are `InvalidCiphertext`; a wrong root key or passphrase is `RootKeyMismatch`
 * (the check value, before any chunk is read). The per-backup salt makes K unique per backup,
 * so the counter nonce never repeats under one key. A chunk holds about `chunkBytes` of
 * records (default 64 KiB; a chunk body is at most 16 MiB), so backup and restore hold one
 * chunk and one scan page at a time, never the store.
 *
 * Restore takes a re-iterable source (the bytes, or a function returning a fresh stream) and
 * reads it twice: a verification pass that writes nothing, then a writing pass that commits
 * one chunk's records at a time. It first writes a marker `meta/restore-in-progress` with the
 * backup id, and the keystore header last, in the commit that removes the marker: a restore
 * cut short leaves records without a header, which `Kms.open` refuses, and which a new
 * restore of the same backup clears and redoes (any other non-empty store is refused with
 * `AlreadyExists`). A source that fails or yields other bytes on the second reading (every
 * chunk is still authenticated) ends the same way as a crash: records without a header. A backup taken while another engine writes to the store fails with
 * `Conflict` (the store digest, the audit head or the header moved) and is unrestorable.
 */
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import { defaultCryptoProvider, pooledRandom, readUint32, writeUint32 } from '@strongroom/crypto'
import { AUDIT_HEADS_PREFIX, AUDIT_HEAD_KEY } from './audit/records.js'
import { compareBytes, concatBytes, fromBase64, toBase64, utf8Decode, utf8Encode, wipe } from './bytes.js'
import { systemClock, type Clock } from './clock.js'
import { KmsError } from './errors.js'
import {
  KEYSTORE_HEADER_KEY, RootKeyring, decodeKeystoreHeader, passphraseRootKey, type PassphraseOptions, type RootKeyParams,
  type RootKeyProvider,
} from './root-key.js'
import type { Mutation, StorageAdapter, StoredRecord } from './storage.js'
import { SEAL_HEAD_KEY } from './store-digest.js'

export const BACKUP_FORMAT_VERSION = 1
const MAGIC = utf8Encode('strongroom-backup')
const PREFIX_LENGTH = MAGIC.length + 1 + 4
const MAX_HEADER_BYTES = 1 << 20
const MAX_CHUNK_BYTES = 1 << 24
const DEFAULT_CHUNK_BYTES = 1 << 16
const TAG_LENGTH = 16
const FRAME_LENGTH = 5
const FINAL = 1
/** The root-key label of the backup key (root-key.ts derives `strongroom/root/<label>`). */
const BACKUP_ROOT_LABEL = 'backup/v1'
const CHUNK_KEY_INFO = utf8Encode('strongroom/backup/v1/chunks')
const CHECK_KEY_INFO = utf8Encode('strongroom/backup/v1/check')
const CHUNK_AAD_LABEL = utf8Encode('strongroom/backup/v1/chunk\u0000')
/** Present only while a restore is under way (see the module comment). */
export const RESTORE_MARKER_KEY = 'meta/restore-in-progress'
const PAGE = 500

export interface BackupOptions {
  /** The keystore's storage adapter, as given to `Kms.open` (not the engine). */
  readonly storage: StorageAdapter
  /** The root key the keystore is opened with; proves the caller may back it up, and is the default backup key. */
  readonly rootKey: RootKeyProvider
  /** Encrypt under this passphrase (scrypt) instead of the root key: restore then needs only it. */
  readonly passphrase?: string | Uint8Array
  /** scrypt cost of the backup passphrase (default N = 2^17, r = 8, p = 1). */
  readonly scrypt?: PassphraseOptions
  /** Approximate bytes of records per chunk, 1 KiB to 16 MiB (default 64 KiB). */
  readonly chunkBytes?: number
  readonly crypto?: CryptoProvider
  readonly random?: RandomSource
  readonly clock?: Clock
}

/** The bytes of a backup, or a function returning a fresh stream of them (it is read twice). */
export type BackupSource = Uint8Array | (() => AsyncIterable<Uint8Array>)

export interface RestoreOptions {
  /** An empty store (or one holding only an interrupted restore of the same backup). */
  readonly storage: StorageAdapter
  readonly backup: BackupSource
  /** For a backup under the root key: the keystore's root key. */
  readonly rootKey?: RootKeyProvider
  /** For a backup under a backup passphrase. */
  readonly passphrase?: string | Uint8Array
  readonly crypto?: CryptoProvider
}

export interface BackupInfo {
  readonly backupId: string
  readonly createdAt: number
  /** Records in the backup, the keystore header not counted. */
  readonly records: number
}

interface BackupHeader extends BackupInfo {
  readonly keystoreHeader: string
  readonly salt: string
  readonly check: string
  readonly key: { readonly source: 'root-key' } | { readonly source: 'passphrase'; readonly params: RootKeyParams }
}

/**
 * Streams a backup of the keystore on `options.storage`. Lazy: nothing is read until the
 * stream is iterated. Fails with RootKeyMismatch when `rootKey` does not open the keystore.
 */
export async function* backupKeystore(options: BackupOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const { storage, rootKey } = options
  if (storage === null || typeof storage !== 'object' || typeof storage.scan !== 'function') throw new TypeError('backupKeystore needs a storage adapter')
  if (rootKey === null || typeof rootKey !== 'object' || typeof rootKey.unlock !== 'function') throw new TypeError('backupKeystore needs the root key provider')
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new KmsError('InvalidParameter', 'chunkBytes must be an integer from 1024 to 16777216')
  }
  const crypto = options.crypto ?? defaultCryptoProvider()
  const random = options.random ?? pooledRandom(crypto)
  const now = (options.clock ?? systemClock).now()
  const passphraseKey = options.passphrase === undefined ? undefined : passphraseRootKey(options.passphrase, options.scrypt ?? {})

  const stored = await storage.get(KEYSTORE_HEADER_KEY)
  if (stored === undefined) throw new KmsError('InvalidParameter', 'the store holds no keystore (no keystore header)')
  const { keyring } = await RootKeyring.open(rootKey, decodeKeystoreHeader(stored.value), { crypto, random }, now)
  let ikm: Uint8Array
  let key: BackupHeader['key']
  try {
    if (passphraseKey === undefined) {
      ikm = keyring.deriveKey(BACKUP_ROOT_LABEL)
      key = { source: 'root-key' }
    } else {
      const created = await passphraseKey.create({ crypto, random })
      ikm = created.secret
      key = { source: 'passphrase', params: created.params }
    }
  } finally {
    keyring.wipe()
  }
  const salt = random.fill(new Uint8Array(32))
  const backupId = toBase64(random.fill(new Uint8Array(16)))
  const keys = backupKeys(crypto, ikm, salt, backupId)
  wipe(ikm)
  try {
    const before = await watermarks(storage)
    let records = 0
    for await (const page of pages(storage)) records += page.length
    const header: BackupHeader = {
      backupId, createdAt: now, records, keystoreHeader: toBase64(stored.value), salt: toBase64(salt), check: toBase64(keys.check), key,
    }
    const prefix = encodePrefix(header)
    const headerHash = crypto.sha256(prefix)
    yield prefix

    let index = 0
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    let written = 0
    const takePending = (): Uint8Array => {
      const body = join(pending, pendingBytes)
      pending = []
      pendingBytes = 0
      return body
    }
    for await (const page of pages(storage)) {
      for (const record of page) {
        const piece = encodeRecord(record)
        if (piece.length > MAX_CHUNK_BYTES) throw new KmsError('InvalidParameter', `record ${record.key} is too large for a backup chunk (16 MiB)`)
        if (pendingBytes + piece.length > MAX_CHUNK_BYTES) yield sealChunk(crypto, keys.chunk, headerHash, index++, 0, takePending())
        pending.push(piece)
        pendingBytes += piece.length
        written++
        if (pendingBytes >= chunkBytes) yield sealChunk(crypto, keys.chunk, headerHash, index++, 0, takePending())
      }
    }
    const after = await watermarks(storage)
    if (written !== records || after !== before) {
      throw new KmsError('Conflict', 'the keystore changed while it was being backed up; back it up again when no engine writes to it')
    }
    yield sealChunk(crypto, keys.chunk, headerHash, index, FINAL, takePending())
  } finally {
    wipe(keys.chunk)
  }
}

/** Collects a backup stream into one byte array (for small keystores and tests). */
export async function collectBackup(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let total = 0
  for await (const part of stream) {
    parts.push(part)
    total += part.length
  }
  return join(parts, total)
}

/**
 * Verifies the whole backup, then loads it into `options.storage`; nothing is written
 * unless every chunk is authentic and the backup is complete. Needs `rootKey` for a backup
 * under the root key, `passphrase` for one under a backup passphrase.
 */
export async function restoreKeystore(options: RestoreOptions): Promise<BackupInfo> {
  const { storage, backup } = options
  if (storage === null || typeof storage !== 'object' || typeof storage.commit !== 'function') throw new TypeError('restoreKeystore needs a storage adapter')
  if (!(backup instanceof Uint8Array) && typeof backup !== 'function') {
    throw new TypeError('backup must be the bytes of a backup or a function returning a fresh stream of them')
  }
  const crypto = options.crypto ?? defaultCryptoProvider()
  const open = (): AsyncIterable<Uint8Array> => (backup instanceof Uint8Array ? once(backup) : backup())

  // Pass 1: verify everything, write nothing.
  const reader = new ByteReader(open())
  let chunkKey: Uint8Array | undefined
  try {
    const { header, hash } = await readPrefix(reader, crypto)
    chunkKey = await unlockBackup(header, options, crypto)
    await readChunks(reader, header, hash, chunkKey, crypto, async () => undefined)

    // Pass 2: write, one chunk's records per commit, the keystore header last.
    const marker = await prepareTarget(storage, header.backupId)
    const again = new ByteReader(open())
    try {
      const second = await readPrefix(again, crypto)
      if (!crypto.timingSafeEqual(second.hash, hash)) throw new KmsError('InvalidCiphertext', 'the backup changed between the verification and the restore')
      await readChunks(again, header, hash, chunkKey, crypto, async (records) => {
        if (records.length > 0) await storage.commit(records.map((r): Mutation => ({ type: 'put', key: r.key, value: r.value, expectedRevision: null })))
      })
    } finally {
      await again.close()
    }
    await storage.commit([
      { type: 'put', key: KEYSTORE_HEADER_KEY, value: fromBase64(header.keystoreHeader)!, expectedRevision: null },
      { type: 'delete', key: RESTORE_MARKER_KEY, expectedRevision: marker },
    ])
    return { backupId: header.backupId, createdAt: header.createdAt, records: header.records }
  } finally {
    wipe(chunkKey)
    await reader.close()
  }
}

// ------------------------------------------------------------------ keys

function backupKeys(crypto: CryptoProvider, ikm: Uint8Array, salt: Uint8Array, backupId: string): { chunk: Uint8Array; check: Uint8Array } {
  const chunk = crypto.hkdfSha256(ikm, salt, CHUNK_KEY_INFO, 32)
  const checkKey = crypto.hkdfSha256(ikm, salt, CHECK_KEY_INFO, 32)
  const check = crypto.hmacSha256(checkKey, concatBytes(CHECK_KEY_INFO, utf8Encode(backupId)))
  wipe(checkKey)
  return { chunk, check }
}

/** The chunk key of a backup, after its check value confirmed the root key or passphrase. */
async function unlockBackup(header: BackupHeader, options: RestoreOptions, crypto: CryptoProvider): Promise<Uint8Array> {
  const random = pooledRandom(crypto)
  let ikm: Uint8Array
  if (header.key.source === 'passphrase') {
    if (options.passphrase === undefined) throw new KmsError('InvalidParameter', 'this backup is encrypted under a backup passphrase: pass passphrase')
    const provider = passphraseRootKey(options.passphrase)
    ikm = await damagedIfCorrupt(provider.unlock(header.key.params, { crypto, random }))
  } else {
    if (options.rootKey === undefined) throw new KmsError('InvalidParameter', 'this backup is encrypted under the keystore\'s root key: pass rootKey')
    const keystoreHeader = await damagedIfCorrupt(Promise.resolve().then(() => decodeKeystoreHeader(fromBase64(header.keystoreHeader)!)))
    const { keyring } = await damagedIfCorrupt(RootKeyring.open(options.rootKey, keystoreHeader, { crypto, random }, 0))
    ikm = keyring.deriveKey(BACKUP_ROOT_LABEL)
    keyring.wipe()
  }
  const keys = backupKeys(crypto, ikm, fromBase64(header.salt)!, header.backupId)
  wipe(ikm)
  if (!crypto.timingSafeEqual(keys.check, fromBase64(header.check)!)) {
    wipe(keys.chunk)
    throw new KmsError('RootKeyMismatch', header.key.source === 'passphrase'
      ? 'the passphrase does not open this backup'
      : 'the root key does not open this backup')
  }
  return keys.chunk
}

/** A header whose keystore header or KDF parameters do not parse is a damaged backup, not a damaged store. */
async function damagedIfCorrupt<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    if (KmsError.is(error, 'CorruptRecord')) throw new KmsError('InvalidCiphertext', `the backup header is damaged (${error.message})`)
    throw error
  }
}

// ------------------------------------------------------------------ the store

/** The store's records in byte order, a page at a time, the keystore header left out (it travels in the backup header). */
async function* pages(storage: StorageAdapter): AsyncGenerator<readonly StoredRecord[]> {
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: '', limit: PAGE, ...(after === undefined ? {} : { after }) })
    yield page.records.filter((r) => r.key !== KEYSTORE_HEADER_KEY)
    if (page.cursor === undefined || page.records.length === 0) return
    after = page.cursor
  }
}

/** Revisions of the records every write moves: the store digest, every audit chain's head, the header. */
async function watermarks(storage: StorageAdapter): Promise<string> {
  const revisions = await Promise.all([SEAL_HEAD_KEY, AUDIT_HEAD_KEY, KEYSTORE_HEADER_KEY].map(async (k) => (await storage.get(k))?.revision ?? 0))
  const heads: string[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: AUDIT_HEADS_PREFIX, limit: PAGE, ...(after === undefined ? {} : { after }) })
    for (const r of page.records) heads.push(`${r.key}@${r.revision}`)
    if (page.cursor === undefined || page.records.length === 0) break
    after = page.cursor
  }
  return [...revisions, ...heads].join('/')
}

/**
 * Makes sure the target is empty (or holds only an interrupted restore of this backup, which
 * is cleared) and writes the restore marker; returns the marker's revision.
 */
async function prepareTarget(storage: StorageAdapter, backupId: string): Promise<number> {
  if (await storage.get(KEYSTORE_HEADER_KEY) !== undefined) throw new KmsError('AlreadyExists', 'the target store already holds a keystore; restore into an empty store')
  const marker = await storage.get(RESTORE_MARKER_KEY)
  const first = await storage.scan({ prefix: '', limit: 1 })
  if (first.records.length > 0) {
    if (marker === undefined || markerBackupId(marker.value) !== backupId) {
      throw new KmsError('AlreadyExists', 'the target store is not empty; restore into an empty store')
    }
    // An interrupted restore of this very backup: clear what it wrote, keep the marker.
    for (;;) {
      const page = await storage.scan({ prefix: '', limit: PAGE })
      const deletes: Mutation[] = page.records
        .filter((r) => r.key !== RESTORE_MARKER_KEY)
        .map((r) => ({ type: 'delete', key: r.key, expectedRevision: r.revision }))
      if (deletes.length === 0) return marker.revision
      await storage.commit(deletes)
    }
  }
  const value = utf8Encode(JSON.stringify({ backupId }))
  const result = await storage.commit([{ type: 'put', key: RESTORE_MARKER_KEY, value, expectedRevision: null }])
  return result.revisions.get(RESTORE_MARKER_KEY)!
}

function markerBackupId(value: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(utf8Decode(value)) as { backupId?: unknown }
    return typeof parsed.backupId === 'string' ? parsed.backupId : undefined
  } catch {
    return undefined
  }
}

// ------------------------------------------------------------------ encoding

function encodePrefix(header: BackupHeader): Uint8Array {
  const json = utf8Encode(JSON.stringify(header))
  const out = new Uint8Array(PREFIX_LENGTH + json.length)
  out.set(MAGIC, 0)
  out[MAGIC.length] = BACKUP_FORMAT_VERSION
  writeUint32(out, MAGIC.length + 1, json.length)
  out.set(json, PREFIX_LENGTH)
  return out
}

function damaged(why: string): KmsError {
  return new KmsError('InvalidCiphertext', `the backup is damaged or incomplete: ${why}`)
}

async function readPrefix(reader: ByteReader, crypto: CryptoProvider): Promise<{ header: BackupHeader; hash: Uint8Array }> {
  const fixed = await reader.read(PREFIX_LENGTH)
  if (fixed === undefined || compareBytes(fixed.subarray(0, MAGIC.length), MAGIC) !== 0) throw damaged('not a Strongroom backup')
  if (fixed[MAGIC.length] !== BACKUP_FORMAT_VERSION) throw damaged(`format version ${fixed[MAGIC.length]} is not supported`)
  const length = readUint32(fixed, MAGIC.length + 1)
  if (length > MAX_HEADER_BYTES) throw damaged('the header is too long')
  const json = await reader.read(length)
  if (json === undefined) throw damaged('the header is cut short')
  const header = parseHeader(json)
  return { header, hash: crypto.sha256(concatBytes(fixed, json)) }
}

function parseHeader(json: Uint8Array): BackupHeader {
  let h: Partial<BackupHeader> | null
  try {
    h = JSON.parse(utf8Decode(json)) as Partial<BackupHeader> | null
  } catch {
    throw damaged('the header is not valid JSON')
  }
  const base64 = (v: unknown, bytes?: number): boolean => {
    const decoded = typeof v === 'string' ? fromBase64(v) : undefined
    return decoded !== undefined && (bytes === undefined || decoded.length === bytes)
  }
  const key = h?.key as { source?: unknown; params?: unknown } | undefined
  const keyOk = key !== null && typeof key === 'object' &&
    (key.source === 'root-key' || (key.source === 'passphrase' && key.params !== null && typeof key.params === 'object'))
  if (h === null || typeof h !== 'object' || !base64(h.backupId, 16) || !Number.isSafeInteger(h.createdAt) ||
      !Number.isSafeInteger(h.records) || h.records! < 0 || !base64(h.keystoreHeader) || !base64(h.salt, 32) || !base64(h.check, 32) || !keyOk) {
    throw damaged('the header is unreadable')
  }
  return h as BackupHeader
}

/** One array from many pieces (a chunk may hold more records than a spread call takes arguments). */
function join(pieces: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let at = 0
  for (const piece of pieces) {
    out.set(piece, at)
    at += piece.length
  }
  return out
}

function encodeRecord(record: StoredRecord): Uint8Array {
  const key = utf8Encode(record.key)
  const out = new Uint8Array(8 + key.length + record.value.length)
  writeUint32(out, 0, key.length)
  out.set(key, 4)
  writeUint32(out, 4 + key.length, record.value.length)
  out.set(record.value, 8 + key.length)
  return out
}

function chunkNonceAndAad(headerHash: Uint8Array, index: number, flags: number): { nonce: Uint8Array; aad: Uint8Array } {
  const position = new Uint8Array(9)
  writeUint32(position, 0, Math.floor(index / 2 ** 32))
  writeUint32(position, 4, index >>> 0)
  position[8] = flags
  const nonce = new Uint8Array(12)
  nonce.set(position, 0)
  return { nonce, aad: concatBytes(CHUNK_AAD_LABEL, headerHash, position) }
}

function sealChunk(crypto: CryptoProvider, key: Uint8Array, headerHash: Uint8Array, index: number, flags: number, body: Uint8Array): Uint8Array {
  const { nonce, aad } = chunkNonceAndAad(headerHash, index, flags)
  const out = new Uint8Array(FRAME_LENGTH + body.length + TAG_LENGTH)
  out[0] = flags
  writeUint32(out, 1, body.length + TAG_LENGTH)
  crypto.aesGcmEncrypt(key, nonce, body, aad, out.subarray(FRAME_LENGTH))
  wipe(body)
  return out
}

/**
 * Reads, authenticates and decodes every chunk, handing each chunk's records to `each`;
 * throws InvalidCiphertext for anything but a complete, authentic backup.
 */
async function readChunks(
  reader: ByteReader, header: BackupHeader, headerHash: Uint8Array, key: Uint8Array, crypto: CryptoProvider,
  each: (records: StoredRecord[]) => Promise<void>,
): Promise<void> {
  let previous: Uint8Array | undefined
  let count = 0
  for (let index = 0; ; index++) {
    const frame = await reader.read(FRAME_LENGTH)
    if (frame === undefined) throw damaged('it ends before its final chunk')
    const flags = frame[0]!
    const length = readUint32(frame, 1)
    if ((flags !== 0 && flags !== FINAL) || length < TAG_LENGTH || length > MAX_CHUNK_BYTES + TAG_LENGTH) throw damaged(`chunk ${index} has a bad frame`)
    const sealed = await reader.read(length)
    if (sealed === undefined) throw damaged(`chunk ${index} is cut short`)
    const { nonce, aad } = chunkNonceAndAad(headerHash, index, flags)
    const body = crypto.aesGcmDecrypt(key, nonce, sealed, aad)
    if (body === undefined) throw damaged(`chunk ${index} failed authentication (modified, reordered or from another backup)`)
    const records: StoredRecord[] = []
    for (let at = 0; at < body.length;) {
      const record = decodeRecord(body, at)
      const name = utf8Encode(record.key)
      if (previous !== undefined && compareBytes(previous, name) >= 0) throw damaged('its records are out of order')
      if (record.key === KEYSTORE_HEADER_KEY || record.key === RESTORE_MARKER_KEY) throw damaged(`it holds a ${record.key} record`)
      previous = name
      records.push({ key: record.key, value: record.value, revision: 0 })
      at = record.end
    }
    count += records.length
    await each(records)
    if (flags === FINAL) break
  }
  if (count !== header.records) throw damaged(`it holds ${count} records, its header says ${header.records}`)
  if (!(await reader.atEnd())) throw damaged('bytes follow its final chunk')
}

function decodeRecord(body: Uint8Array, at: number): { key: string; value: Uint8Array; end: number } {
  if (at + 4 > body.length) throw damaged('a record is cut short')
  const keyLength = readUint32(body, at)
  const keyEnd = at + 4 + keyLength
  if (keyEnd + 4 > body.length) throw damaged('a record is cut short')
  const valueLength = readUint32(body, keyEnd)
  const end = keyEnd + 4 + valueLength
  if (end > body.length) throw damaged('a record is cut short')
  return { key: utf8Decode(body.subarray(at + 4, keyEnd)), value: body.slice(keyEnd + 4, end), end }
}

// ------------------------------------------------------------------ reading a stream

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/** Exact-length reads over a stream of arbitrarily cut pieces, holding at most one read's worth. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>
  #pieces: Uint8Array[] = []
  #buffered = 0
  #done = false

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]()
  }

  async #fill(wanted: number): Promise<void> {
    while (this.#buffered < wanted && !this.#done) {
      const next = await this.#source.next()
      if (next.done === true) this.#done = true
      else if (!(next.value instanceof Uint8Array)) throw new TypeError('a backup stream must yield Uint8Arrays')
      else if (next.value.length > 0) {
        this.#pieces.push(next.value)
        this.#buffered += next.value.length
      }
    }
  }

  /** Exactly `length` bytes, or `undefined` when the stream ends first. */
  async read(length: number): Promise<Uint8Array | undefined> {
    await this.#fill(length)
    if (this.#buffered < length) return undefined
    const out = new Uint8Array(length)
    let filled = 0
    while (filled < length) {
      const piece = this.#pieces[0]!
      const take = Math.min(piece.length, length - filled)
      out.set(piece.subarray(0, take), filled)
      filled += take
      if (take === piece.length) this.#pieces.shift()
      else this.#pieces[0] = piece.subarray(take)
    }
    this.#buffered -= length
    return out
  }

  /** Releases the source (closes a file stream left part-read by a refusal). */
  async close(): Promise<void> {
    this.#pieces = []
    if (!this.#done) {
      this.#done = true
      // The refusal already being reported matters more than a source that fails to close.
      await this.#source.return?.().catch(() => undefined)
    }
  }

  async atEnd(): Promise<boolean> {
    await this.#fill(1)
    return this.#buffered === 0
  }
}
