/**
 * The CryptoProvider contract: the few primitives the engine needs, as small synchronous
 * functions over `Uint8Array`. Every provider must produce bytes the others accept.
 *
 * ```ts
 * import { nodeCryptoProvider } from '@strongroom/crypto/node'
 * const crypto = nodeCryptoProvider()
 * const sealed = crypto.aesGcmEncrypt(key, nonce, plaintext, aad)   // ciphertext ‖ 16-byte tag
 * const opened = crypto.aesGcmDecrypt(key, nonce, sealed, aad)      // undefined when not authentic
 * ```
 *
 * Why synchronous: `node:crypto` and the pure-JS primitives are synchronous, and a
 * promise per primitive call would double the cost of a 1 KiB encrypt. Only the
 * passphrase KDF, which is deliberately slow, is asynchronous so it can run off-thread.
 */

/** Length in bytes of the AES-GCM nonce every provider uses (NIST SP 800-38D §8.2: 96 bits). */
export const GCM_NONCE_LENGTH = 12
/** Length in bytes of the AES-GCM authentication tag (the full 128 bits, never truncated). */
export const GCM_TAG_LENGTH = 16

/** scrypt cost parameters (RFC 7914). */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number
  /** Block size. */
  readonly r: number
  /** Parallelisation. */
  readonly p: number
  /** Output length in bytes. */
  readonly dkLen: number
}

/**
 * Rules every implementation follows (the conformance suite in test/provider-suite.ts checks them):
 * - results are plain `Uint8Array`s (not Buffers), freshly allocated unless `output` is given;
 * - a wrong argument type throws TypeError, a wrong size or count throws RangeError,
 *   and messages never contain input bytes;
 * - a failed authentication is `undefined`, never an exception.
 */
export interface CryptoProvider {
  /** A short stable name, e.g. `node` or `noble`. */
  readonly name: string

  /**
   * AES-GCM encryption with a 16- or 32-byte key and a 12-byte nonce.
   * Returns `ciphertext ‖ tag` (plaintext.length + 16 bytes). When `output` is given it
   * must be exactly that long; the result is written into it and it is returned, which
   * lets the caller build a blob without an extra copy. `output` may overlap `plaintext`
   * (encrypt in place). An empty `aad` is the same as none (SP 800-38D).
   */
  aesGcmEncrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    plaintext: Uint8Array,
    aad?: Uint8Array,
    output?: Uint8Array,
  ): Uint8Array

  /**
   * AES-GCM decryption of `ciphertext ‖ tag`. Returns the plaintext, or `undefined` when
   * the input is not authentic (wrong key, nonce, AAD, or any modified byte) or shorter
   * than a tag. Never throws for bad input bytes; throws RangeError for a bad key or nonce length.
   */
  aesGcmDecrypt(
    key: Uint8Array,
    nonce: Uint8Array,
    sealed: Uint8Array,
    aad?: Uint8Array,
  ): Uint8Array | undefined

  /** SHA-256 digest (FIPS 180-4). */
  sha256(data: Uint8Array): Uint8Array

  /**
   * SHA-256 of the UTF-8 encoding of `text`, as 64 lower-case hex digits. The audit trail
   * hashes one line of text per record; on Node this form allocates no byte buffers and is
   * several times cheaper than encoding, hashing and hex-encoding separately. Throws
   * TypeError for a non-string; lone surrogates are encoded as U+FFFD, as TextEncoder does.
   */
  sha256Hex(text: string): string

  /** HMAC-SHA-256 (RFC 2104). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array

  /**
   * HKDF-SHA-256 extract-and-expand (RFC 5869). `length` is an integer in 1…255 × 32;
   * `info` is at most 1024 bytes (OpenSSL's limit, enforced by every provider). An empty
   * salt means HashLen zero bytes, as the RFC specifies.
   */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array

  /**
   * scrypt (RFC 7914), asynchronous so a provider may run it off the main thread.
   * Invalid parameters (N not a power of two > 1, N ≥ 2^(16·r), r·p ≥ 2^30, dkLen < 1)
   * reject the promise with RangeError. How costly N may be is the caller's policy.
   */
  scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array>

  /** Fills `target` from the platform CSPRNG and returns it (any length). */
  randomFill(target: Uint8Array): Uint8Array

  /** Constant-time equality; false for different lengths. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean
}
