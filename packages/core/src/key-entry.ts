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
  BLOB_EPOCH_LENGTH, BLOB_HEADER_LENGTH, BLOB_OVERHEAD, MESSAGES_PER_EPOCH, algorithmForMaterial, blobAad,
  blobNonceField, deriveEpochSubkey, writeBlobHeader, type ParsedBlob,
} from './blob.js'
import { toHex, uuidToBytes, wipe } from './bytes.js'
import { KmsError } from './errors.js'
import { primaryVersion, type KeyRecord, type KeyVersionRecord } from './key-record.js'
import type { RootKeyring } from './root-key.js'

export interface MaterialContext {
  readonly crypto: CryptoProvider
  readonly random: RandomSource
  readonly keyring: RootKeyring
}

interface EncryptEpoch {
  readonly keyVersionId: string
  readonly versionIdBytes: Uint8Array
  readonly algorithm: number
  readonly epoch: Uint8Array
  readonly subkey: Uint8Array
  remaining: number
}

/** Decryption subkeys kept per key: enough for many epochs, bounded against hostile blobs. */
const MAX_DECRYPT_SUBKEYS = 64

export class KeyEntry {
  readonly record: KeyRecord
  readonly revision: number
  readonly keyIdBytes: Uint8Array
  #materials: Map<string, Uint8Array>
  #subkeys: Map<string, Uint8Array>
  #epoch: EncryptEpoch | undefined

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
    return this.record.versions.find((v) => v.keyVersionId === keyVersionId)
  }

  #material(version: KeyVersionRecord, context: MaterialContext): Uint8Array {
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
    const material = this.#material(version, context)
    const versionIdBytes = uuidToBytes(version.keyVersionId)
    const salt = context.random.fill(new Uint8Array(BLOB_EPOCH_LENGTH))
    const subkey = deriveEpochSubkey(context.crypto, material, salt, this.keyIdBytes, versionIdBytes)
    if (epoch !== undefined) wipe(epoch.subkey)
    // Blobs of this epoch usually come back to this engine: let decrypt find the subkey.
    this.#cacheSubkey(version.keyVersionId + toHex(salt), subkey.slice())
    this.#epoch = {
      keyVersionId: version.keyVersionId, versionIdBytes, algorithm: algorithmForMaterial(material),
      epoch: salt, subkey, remaining: MESSAGES_PER_EPOCH,
    }
    return this.#epoch
  }

  /** Encrypts under the primary version; returns the blob (header ‖ ciphertext ‖ tag). */
  seal(plaintext: Uint8Array, encodedContext: Uint8Array, context: MaterialContext): { blob: Uint8Array; keyVersionId: string } {
    const epoch = this.#currentEpoch(context)
    epoch.remaining--
    const blob = new Uint8Array(plaintext.length + BLOB_OVERHEAD)
    writeBlobHeader(blob, epoch.algorithm, this.keyIdBytes, epoch.versionIdBytes, epoch.epoch)
    const nonce = blobNonceField(blob)
    context.random.fill(nonce)
    const header = blob.subarray(0, BLOB_HEADER_LENGTH)
    context.crypto.aesGcmEncrypt(epoch.subkey, nonce, plaintext, blobAad(header, encodedContext), blob.subarray(BLOB_HEADER_LENGTH))
    return { blob, keyVersionId: epoch.keyVersionId }
  }

  /** Decrypts a parsed blob of this key; `undefined` when it is not authentic (or names no version here). */
  open(parsed: ParsedBlob, encodedContext: Uint8Array, context: MaterialContext): Uint8Array | undefined {
    const version = this.version(parsed.keyVersionId)
    if (version === undefined) return undefined
    const material = this.#material(version, context)
    if (algorithmForMaterial(material) !== parsed.algorithm) return undefined
    const cacheKey = parsed.keyVersionId + toHex(parsed.epoch)
    let subkey = this.#subkeys.get(cacheKey)
    if (subkey === undefined) {
      subkey = deriveEpochSubkey(context.crypto, material, parsed.epoch, this.keyIdBytes, uuidToBytes(parsed.keyVersionId))
      this.#cacheSubkey(cacheKey, subkey)
    }
    return context.crypto.aesGcmDecrypt(subkey, parsed.nonce, parsed.sealed, blobAad(parsed.header, encodedContext))
  }

  #cacheSubkey(cacheKey: string, subkey: Uint8Array): void {
    if (this.#subkeys.size >= MAX_DECRYPT_SUBKEYS) {
      const oldest = this.#subkeys.keys().next().value as string
      wipe(this.#subkeys.get(oldest))
      this.#subkeys.delete(oldest)
    }
    this.#subkeys.set(cacheKey, subkey)
  }

  /** Overwrites every unwrapped secret this entry holds. */
  wipe(): void {
    for (const m of this.#materials.values()) wipe(m)
    for (const s of this.#subkeys.values()) wipe(s)
    wipe(this.#epoch?.subkey)
    this.#materials.clear()
    this.#subkeys.clear()
    this.#epoch = undefined
  }
}
