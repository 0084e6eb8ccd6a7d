/**
 * The ciphertext blob: self-describing bytes that `decrypt` needs nothing else to open
 * (besides the encryption context). Format version 1, all integers big-endian:
 *
 * | offset | length | field                                                        |
 * |-------:|-------:|--------------------------------------------------------------|
 * |      0 |      1 | format version = 0x01                                        |
 * |      1 |      1 | algorithm: 0x01 AES-256-GCM, 0x02 AES-128-GCM (on a subkey)  |
 * |      2 |     16 | key id (UUID bytes)                                          |
 * |     18 |     16 | key version id (UUID bytes)                                  |
 * |     34 |     16 | epoch salt                                                   |
 * |     50 |     12 | GCM nonce                                                    |
 * |     62 |      n | ciphertext                                                   |
 * |   62+n |     16 | GCM tag                                                      |
 *
 * AAD = bytes 0‥61 (the whole header) ‖ canonical encryption context (see context.ts),
 * so no header field can be changed without failing authentication.
 *
 * Message keys. The GCM key is not the key version's material itself but a subkey
 * `HKDF-SHA-256(ikm = material, salt = epoch, info = "strongroom/blob/v1" ‖ keyId ‖ versionId)`.
 * An engine draws a fresh random 16-byte epoch per key version and uses its subkey for
 * at most 2^28 messages, then draws another. With random 96-bit nonces the chance of a
 * nonce repeating under one subkey is below q²/2^97 = 2^-41 for q = 2^28, and epochs are
 * 128-bit random so subkeys do not repeat; one key version therefore stays safe for far
 * more than 2^32 messages (NIST SP 800-38D §8.3 caps a single GCM key with random nonces at
 * 2^32). The derivation costs one HKDF per epoch, not per message, and decrypt caches
 * subkeys by epoch.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { concatBytes, utf8Encode, uuidFromBytes, uuidFromBytesAt } from './bytes.js'

export const BLOB_FORMAT_VERSION = 1
export const BLOB_ALGORITHM_AES_256_GCM = 1
export const BLOB_ALGORITHM_AES_128_GCM = 2
export const BLOB_EPOCH_LENGTH = 16
export const BLOB_NONCE_LENGTH = 12
export const BLOB_TAG_LENGTH = 16
export const BLOB_HEADER_LENGTH = 62
/** Bytes a blob adds to its plaintext. */
export const BLOB_OVERHEAD = BLOB_HEADER_LENGTH + BLOB_TAG_LENGTH
/** Messages one epoch subkey may encrypt before the engine draws a new epoch. */
export const MESSAGES_PER_EPOCH = 2 ** 28

const OFFSET_ALGORITHM = 1
const OFFSET_KEY_ID = 2
const OFFSET_VERSION_ID = 18
const OFFSET_EPOCH = 34
const OFFSET_NONCE = 50
export const BLOB_NONCE_OFFSET = OFFSET_NONCE

const SUBKEY_INFO_LABEL = utf8Encode('strongroom/blob/v1')

export interface ParsedBlob {
  readonly algorithm: number
  readonly keyId: string
  readonly keyVersionId: string
  readonly epoch: Uint8Array
  readonly nonce: Uint8Array
  /** Bytes 0‥61, the authenticated header. */
  readonly header: Uint8Array
  /** Ciphertext ‖ tag. */
  readonly sealed: Uint8Array
}

/** Splits a blob into its fields, or `undefined` when it cannot be a version-1 blob. */
export function parseBlob(blob: Uint8Array): ParsedBlob | undefined {
  if (blob.length < BLOB_OVERHEAD || blob[0] !== BLOB_FORMAT_VERSION) return undefined
  const algorithm = blob[OFFSET_ALGORITHM]!
  if (algorithm !== BLOB_ALGORITHM_AES_256_GCM && algorithm !== BLOB_ALGORITHM_AES_128_GCM) return undefined
  return {
    algorithm,
    keyId: uuidFromBytes(blob.subarray(OFFSET_KEY_ID, OFFSET_VERSION_ID)),
    keyVersionId: uuidFromBytes(blob.subarray(OFFSET_VERSION_ID, OFFSET_EPOCH)),
    epoch: blob.subarray(OFFSET_EPOCH, OFFSET_NONCE),
    nonce: blob.subarray(OFFSET_NONCE, BLOB_HEADER_LENGTH),
    header: blob.subarray(0, BLOB_HEADER_LENGTH),
    sealed: blob.subarray(BLOB_HEADER_LENGTH),
  }
}

/**
 * The key id of a blob that can be a version-1 blob, without building a ParsedBlob (the
 * decrypt hot path reads the other fields in place); `undefined` otherwise.
 */
export function blobKeyId(blob: Uint8Array): string | undefined {
  if (blob.length < BLOB_OVERHEAD || blob[0] !== BLOB_FORMAT_VERSION) return undefined
  const algorithm = blob[OFFSET_ALGORITHM]
  if (algorithm !== BLOB_ALGORITHM_AES_256_GCM && algorithm !== BLOB_ALGORITHM_AES_128_GCM) return undefined
  return uuidFromBytesAt(blob, OFFSET_KEY_ID)
}

export const BLOB_VERSION_ID_OFFSET = OFFSET_VERSION_ID
export const BLOB_EPOCH_OFFSET = OFFSET_EPOCH

/** The blob algorithm for key material of this length. */
export function algorithmForMaterial(material: Uint8Array): number {
  return material.length === 16 ? BLOB_ALGORITHM_AES_128_GCM : BLOB_ALGORITHM_AES_256_GCM
}

/** Writes the 62-byte header's fields except the nonce, which the caller draws per message. */
export function writeBlobHeader(
  blob: Uint8Array,
  algorithm: number,
  keyIdBytes: Uint8Array,
  versionIdBytes: Uint8Array,
  epoch: Uint8Array,
): void {
  blob[0] = BLOB_FORMAT_VERSION
  blob[OFFSET_ALGORITHM] = algorithm
  blob.set(keyIdBytes, OFFSET_KEY_ID)
  blob.set(versionIdBytes, OFFSET_VERSION_ID)
  blob.set(epoch, OFFSET_EPOCH)
}

/** The per-epoch GCM subkey; same length as the material (16 or 32 bytes). */
export function deriveEpochSubkey(
  crypto: CryptoProvider,
  material: Uint8Array,
  epoch: Uint8Array,
  keyIdBytes: Uint8Array,
  versionIdBytes: Uint8Array,
): Uint8Array {
  const info = concatBytes(SUBKEY_INFO_LABEL, keyIdBytes, versionIdBytes)
  return crypto.hkdfSha256(material, epoch, info, material.length)
}
