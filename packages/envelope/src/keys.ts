/**
 * Per-message keys: from one data key and the message's random id, HKDF-SHA-256 derives
 * the frame key and the key commitment; the header tag is AES-256-GCM over the header
 * with an empty plaintext (GMAC) under the frame key and frame number 0.
 *
 * ```ts
 * const keys = deriveMessageKeys(crypto, dataKey, messageId)  // { frameKey, commitment }
 * sealHeader(crypto, keys.frameKey, headerBytes)              // writes the last 16 bytes
 * verifyHeader(crypto, keys, header)                          // commitment, then tag; throws InvalidCiphertext
 * ```
 *
 * Why a derived key: the message id (32 random bytes) is the HKDF salt, so every message
 * has its own frame key even when a cached data key seals many messages; frame nonces
 * can then be counters (no nonce is ever reused under a key) and frames of one message
 * are useless in another. Why a commitment: AES-GCM is not key-committing — a crafted
 * ciphertext can authenticate under two keys — so with several recipients a sender
 * could wrap different data keys for different readers and show each a different
 * plaintext. The header stores HKDF output that only the true data key reproduces
 * (finding another would need an HMAC-SHA-256 collision), and every reader checks it
 * before decrypting anything; the AWS Encryption SDK's committing suites do the same.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { invalidEnvelope } from './errors.js'
import {
  COMMITMENT_BYTES, DATA_KEY_BYTES, SUITE_AES_256_GCM_HKDF_SHA256_COMMIT, TAG_BYTES, writeNonce, type EnvelopeHeader,
} from './format.js'

/** HKDF info: "strongroom/envelope/v1" ‖ suite byte. */
export const KDF_INFO = Uint8Array.from([...new TextEncoder().encode('strongroom/envelope/v1'), SUITE_AES_256_GCM_HKDF_SHA256_COMMIT])

export interface MessageKeys {
  /** AES-256-GCM key of the header tag and every frame. Wipe when the message is done. */
  readonly frameKey: Uint8Array
  /** Public: stored in the header. */
  readonly commitment: Uint8Array
}

const EMPTY = new Uint8Array(0)

/** OKM = HKDF-SHA-256(data key, salt = message id, info, 64); frame key = OKM[0‥32], commitment = OKM[32‥64]. */
export function deriveMessageKeys(crypto: CryptoProvider, dataKey: Uint8Array, messageId: Uint8Array): MessageKeys {
  // Precondition: suite 1 data keys are AES-256 keys; anything else means a foreign or broken wrap.
  if (dataKey.length !== DATA_KEY_BYTES) throw invalidEnvelope('the wrapped data key has the wrong length')
  const okm = crypto.hkdfSha256(dataKey, messageId, KDF_INFO, DATA_KEY_BYTES + COMMITMENT_BYTES)
  // Two views of the fresh output, no copies: wiping the frame key leaves the commitment alone.
  return { frameKey: okm.subarray(0, DATA_KEY_BYTES), commitment: okm.subarray(DATA_KEY_BYTES) }
}

/** The header tag's nonce: frame number 0. Read-only (providers never write their nonce). */
const HEADER_NONCE = new Uint8Array(12)
writeNonce(HEADER_NONCE, 0)

function headerTag(crypto: CryptoProvider, frameKey: Uint8Array, authenticated: Uint8Array): Uint8Array {
  return crypto.aesGcmEncrypt(frameKey, HEADER_NONCE, EMPTY, authenticated)
}

/** Fills in the last 16 bytes of an encoded header. */
export function sealHeader(crypto: CryptoProvider, frameKey: Uint8Array, header: Uint8Array): void {
  const tagOffset = header.length - TAG_BYTES
  header.set(headerTag(crypto, frameKey, header.subarray(0, tagOffset)), tagOffset)
}

/** Checks the key commitment, then the header tag. Nothing is decrypted unless both hold. */
export function verifyHeader(crypto: CryptoProvider, keys: MessageKeys, header: EnvelopeHeader): void {
  if (!crypto.timingSafeEqual(keys.commitment, header.commitment)) {
    throw invalidEnvelope('the data key does not match the key commitment (modified header or forged recipient)')
  }
  if (crypto.aesGcmDecrypt(keys.frameKey, HEADER_NONCE, header.tag, header.authenticated) === undefined) {
    throw invalidEnvelope('header authentication failed (the header was modified)')
  }
}
