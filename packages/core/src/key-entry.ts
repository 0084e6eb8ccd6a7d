/**
 * A loaded key: its record and revision plus what the hot path needs without touching
 * storage again — unwrapped version material (lazily, once), the current encryption
 * epoch of the primary version, and decryption subkeys by epoch (see blob.ts).
 *
 * ```ts
 * const { blob, keyVersionId } = entry.seal(plaintext, encodedContext, material)
 * const plaintext = entry.open(parseBlob(blob)!, encodedContext, material)
 * ```
 *
 * Entries are replaced, never mutated in their record: a change builds a new entry that
 * takes over the old one's unwrapped material (versions are append-only, so it stays valid).
 */
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import {
  BLOB_EPOCH_LENGTH, BLOB_EPOCH_OFFSET, BLOB_HEADER_LENGTH, BLOB_NONCE_LENGTH, BLOB_NONCE_OFFSET, BLOB_OVERHEAD,
  MESSAGES_PER_EPOCH, algorithmForMaterial, deriveEpochSubkey, writeBlobHeader,
} from './blob.js'
import { fromBase64, uuidToBytes, wipe } from './bytes.js'
import { MAX_ENCRYPTION_CONTEXT_BYTES } from './context.js'
import { KmsError } from './errors.js'
import { primaryVersion, type KeyRecord, type KeyVersionRecord } from './key-record.js'
import type { RootKeyring } from './root-key.js'

export interface MaterialContext {
  readonly crypto: CryptoProvider
  readonly random: RandomSource
  readonly keyring: RootKeyring
  readonly scratch: SealScratch
}

/**
 * Per-engine buffers reused by every seal/open, which are synchronous, so no call can
 * observe another's contents. They hold only headers, nonces and contexts (no secrets).
 */
export class SealScratch {
  readonly aad = new Uint8Array(BLOB_HEADER_LENGTH + MAX_ENCRYPTION_CONTEXT_BYTES)
  readonly nonce = new Uint8Array(BLOB_NONCE_LENGTH)
  readonly openNonce = new Uint8Array(BLOB_NONCE_LENGTH)
}

interface EncryptEpoch {
  readonly keyVersionId: string
  /** The blob header for this epoch, nonce field zero. */
  readonly header: Uint8Array
  readonly subkey: Uint8Array
  remaining: number
}

interface DecryptSubkey {
  readonly epoch: Uint8Array
  readonly subkey: Uint8Array
}

/** Decryption subkeys kept per key version: enough for many epochs, bounded against hostile blobs. */
const MAX_DECRYPT_SUBKEYS = 16

export class KeyEntry {
  readonly record: KeyRecord
  readonly revision: number
  readonly keyIdBytes: Uint8Array
  #materials: Map<string, Uint8Array>
  /** Per version, most recently used first. */
  #subkeys: Map<string, DecryptSubkey[]>
  #epoch: EncryptEpoch | undefined
  readonly #publicKeys = new Map<string, Uint8Array>()

  constructor(record: KeyRecord, revision: number, previous?: KeyEntry) {
    this.record = record
    this.revision = revision
    this.keyIdBytes = uuidToBytes(record.keyId)
    this.#materials = new Map()
    this.#subkeys = new Map()
    if (previous !== undefined && previous.record.keyId === record.keyId) this.#takeOver(previous)
  }

  /** Moves unwrapped material from the entry this one replaces, when the versions agree. */
  #takeOver(previous: KeyEntry): void {
    const wrapped = new Map(this.record.versions.map((v) => [v.keyVersionId, v.wrappedMaterial]))
    const same = previous.record.versions.every((v) => wrapped.get(v.keyVersionId) === v.wrappedMaterial)
    if (!same) return
    this.#materials = previous.#materials
    this.#subkeys = previous.#subkeys
    if (previous.#epoch?.keyVersionId === primaryVersion(this.record)?.keyVersionId) this.#epoch = previous.#epoch
    previous.#materials = new Map()
    previous.#subkeys = new Map()
    previous.#epoch = undefined
  }

  version(keyVersionId: string): KeyVersionRecord | undefined {
    const versions = this.record.versions
    for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.keyVersionId === keyVersionId) return versions[i]
    return undefined
  }

  /** The version's public key (SubjectPublicKeyInfo DER), decoded once. */
  publicKey(version: KeyVersionRecord): Uint8Array {
    let key = this.#publicKeys.get(version.keyVersionId)
    if (key === undefined) {
      key = fromBase64(version.publicKey ?? '')
      if (key === undefined || key.length === 0) throw new KmsError('CorruptRecord', `key ${this.record.keyId} version ${version.keyVersionId} has no readable public key`)
      this.#publicKeys.set(version.keyVersionId, key)
    }
    return key
  }

  /** The version's unwrapped material (cached; the caller must not keep or wipe it). */
  material(version: KeyVersionRecord, context: MaterialContext): Uint8Array {
    let material = this.#materials.get(version.keyVersionId)
    if (material === undefined) {
      material = context.keyring.unwrapMaterial(this.record.keyId, version.keyVersionId, version.wrappedMaterial)
      this.#materials.set(version.keyVersionId, material)
    }
    return material
  }

  #currentEpoch(context: MaterialContext): EncryptEpoch {
    const epoch = this.#epoch
    if (epoch !== undefined && epoch.remaining > 0) return epoch
    const version = primaryVersion(this.record)
    if (version === undefined) throw new KmsError('InternalFailure', `key ${this.record.keyId} has no material`)
    const material = this.material(version, context)
    const versionIdBytes = uuidToBytes(version.keyVersionId)
    const salt = context.random.fill(new Uint8Array(BLOB_EPOCH_LENGTH))
    const subkey = deriveEpochSubkey(context.crypto, material, salt, this.keyIdBytes, versionIdBytes)
    const header = new Uint8Array(BLOB_HEADER_LENGTH)
    writeBlobHeader(header, algorithmForMaterial(material), this.keyIdBytes, versionIdBytes, salt)
    if (epoch !== undefined) wipe(epoch.subkey)
    // Blobs of this epoch usually come back to this engine: let decrypt find the subkey.
    this.#cacheSubkey(version.keyVersionId, salt, subkey.slice())
    this.#epoch = { keyVersionId: version.keyVersionId, header, subkey, remaining: MESSAGES_PER_EPOCH }
    return this.#epoch
  }

  /** Encrypts under the primary version; returns the blob (header ‖ ciphertext ‖ tag). */
  seal(plaintext: Uint8Array, encodedContext: Uint8Array, context: MaterialContext): { blob: Uint8Array; keyVersionId: string } {
    const epoch = this.#currentEpoch(context)
    epoch.remaining--
    const { scratch } = context
    // Each blob owns its ArrayBuffer: callers may transfer it (postMessage, Electron IPC).
    const blob = new Uint8Array(plaintext.length + BLOB_OVERHEAD)
    const nonce = context.random.fill(scratch.nonce)
    // AAD = header ‖ context, assembled in scratch from the epoch's header template and the
    // nonce (no views of the blob needed), then the header is copied into the blob once.
    const aad = scratch.aad
    aad.set(epoch.header, 0)
    aad.set(nonce, BLOB_NONCE_OFFSET)
    aad.set(encodedContext, BLOB_HEADER_LENGTH)
    blob.set(aad.subarray(0, BLOB_HEADER_LENGTH), 0)
    context.crypto.aesGcmEncrypt(epoch.subkey, nonce, plaintext, aad.subarray(0, BLOB_HEADER_LENGTH + encodedContext.length), blob.subarray(BLOB_HEADER_LENGTH))
    return { blob, keyVersionId: epoch.keyVersionId }
  }

  /**
   * Decrypts a blob of this key (its key id already checked; `keyVersionId` read from it),
   * reading every other header field in place; `undefined` when it is not authentic or
   * names no version here.
   */
  openBlob(blob: Uint8Array, keyVersionId: string, encodedContext: Uint8Array, context: MaterialContext): Uint8Array | undefined {
    const version = this.version(keyVersionId)
    if (version === undefined) return undefined
    const material = this.material(version, context)
    if (algorithmForMaterial(material) !== blob[1]) return undefined
    let subkey = this.#findSubkeyAt(keyVersionId, blob, BLOB_EPOCH_OFFSET)
    if (subkey === undefined) {
      const epoch = blob.slice(BLOB_EPOCH_OFFSET, BLOB_EPOCH_OFFSET + BLOB_EPOCH_LENGTH)
      subkey = deriveEpochSubkey(context.crypto, material, epoch, this.keyIdBytes, uuidToBytes(keyVersionId))
      this.#cacheSubkey(keyVersionId, epoch, subkey)
    }
    // Nonce and AAD (header ‖ context) are copied into scratch; only the sealed part is a view.
    const { scratch } = context
    const nonce = scratch.openNonce
    for (let i = 0; i < BLOB_NONCE_LENGTH; i++) nonce[i] = blob[BLOB_NONCE_OFFSET + i]!
    const aad = scratch.aad
    for (let i = 0; i < BLOB_HEADER_LENGTH; i++) aad[i] = blob[i]!
    aad.set(encodedContext, BLOB_HEADER_LENGTH)
    return context.crypto.aesGcmDecrypt(subkey, nonce, blob.subarray(BLOB_HEADER_LENGTH), aad.subarray(0, BLOB_HEADER_LENGTH + encodedContext.length))
  }

  #findSubkeyAt(keyVersionId: string, blob: Uint8Array, offset: number): Uint8Array | undefined {
    const list = this.#subkeys.get(keyVersionId)
    if (list === undefined) return undefined
    outer: for (const candidate of list) {
      for (let i = 0; i < BLOB_EPOCH_LENGTH; i++) if (candidate.epoch[i] !== blob[offset + i]) continue outer
      return candidate.subkey
    }
    return undefined
  }

  #cacheSubkey(keyVersionId: string, epoch: Uint8Array, subkey: Uint8Array): void {
    let list = this.#subkeys.get(keyVersionId)
    if (list === undefined) this.#subkeys.set(keyVersionId, (list = []))
    list.unshift({ epoch, subkey })
    if (list.length > MAX_DECRYPT_SUBKEYS) wipe(list.pop()?.subkey)
  }

  /** Overwrites every unwrapped secret this entry holds. */
  wipe(): void {
    for (const m of this.#materials.values()) wipe(m)
    for (const list of this.#subkeys.values()) for (const s of list) wipe(s.subkey)
    wipe(this.#epoch?.subkey)
    this.#materials.clear()
    this.#subkeys.clear()
    this.#epoch = undefined
  }
}
