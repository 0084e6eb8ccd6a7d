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
 * promise per primitive call would double the cost of a 1 KiB encrypt. Only the two
 * deliberately slow operations are asynchronous, so they can run off-thread: the
 * passphrase KDF and key-pair generation (an RSA-4096 key takes seconds).
 *
 * Asymmetric keys travel as DER: PKCS#8 for private keys, SubjectPublicKeyInfo for public
 * keys, the forms `node:crypto`, OpenSSL, AWS KMS `GetPublicKey` and WebCrypto all read.
 *
 * ```ts
 * const { privateKey, publicKey } = await crypto.generateKeyPair('EC_P256')
 * const signature = crypto.sign('EC_P256', 'ECDSA_SHA_256', privateKey, digest, true)
 * crypto.verify('EC_P256', 'ECDSA_SHA_256', publicKey, digest, true, signature)  // true
 * ```
 */
import type {
  AsymmetricEncryptionAlgorithm,
  AsymmetricKeyPair,
  AsymmetricKeySpec,
  HmacAlgorithm,
  SigningAlgorithm,
} from './asymmetric.js'
import type { RandomSource } from './random.js'

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
 * - a failed authentication is `undefined` (or `false` from `verify`), never an exception;
 * - a spec the provider does not implement (absent from `asymmetricSpecs`) throws
 *   `UnsupportedAlgorithmError`, after the argument checks, so validation is the same everywhere.
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
   * SHA-256 of `data` (bytes, or the UTF-8 encoding of a string) as 64 lower-case hex
   * digits. The audit trail hashes one line per record; on Node this one call is about
   * three times cheaper than `sha256` followed by hex encoding (Node 20's one-shot hash
   * returns hex far faster than a buffer). Throws TypeError for anything else; lone
   * surrogates are encoded as U+FFFD, as TextEncoder does.
   */
  sha256Hex(data: string | Uint8Array): string

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

  /**
   * HMAC (RFC 2104) with SHA-256, SHA-384 or SHA-512; the full 32-, 48- or 64-byte output.
   * Any key length (longer than the hash block is hashed first, as the RFC says). Verify a
   * MAC by recomputing it and comparing with `timingSafeEqual`.
   */
  hmac(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array

  /** The asymmetric key specs this provider implements (the node provider: all; noble: no RSA). */
  readonly asymmetricSpecs: readonly AsymmetricKeySpec[]

  /**
   * A new key pair: PKCS#8 private key and SubjectPublicKeyInfo public key, DER.
   *
   * EC_P256/EC_P256K/ED25519 keys are derived from bytes drawn from `random` (default: the
   * platform CSPRNG): 48 bytes reduced to a scalar in [1, n − 1] (FIPS 186-5 §A.2.1), or the
   * 32-byte RFC 8032 seed. So a seeded source gives the same key on every run and from every
   * provider (identical DER). The bytes are drawn synchronously, before the promise is
   * returned, so concurrent calls consume a seeded stream in call order.
   *
   * RSA keys come from the platform's own generator (OpenSSL), which cannot take a byte
   * source: `random` is ignored and RSA keys are never reproducible. The promise settles
   * off the main thread where the platform allows (RSA-4096 takes about 1–2 s).
   * Rejects with RangeError for an unknown spec, TypeError for a `random` without `fill`.
   */
  generateKeyPair(spec: AsymmetricKeySpec, random?: RandomSource): Promise<AsymmetricKeyPair>

  /**
   * The SubjectPublicKeyInfo of a PKCS#8 private key of `spec`, recomputed from the private
   * key (an embedded public key that does not match it is refused). Use it to validate
   * imported key material. RangeError for a key that is malformed or of another spec.
   */
  publicKeyFromPrivateKey(spec: AsymmetricKeySpec, privateKey: Uint8Array): Uint8Array

  /**
   * Signs `input` with a PKCS#8 private key of `spec`.
   *
   * `inputIsDigest` true (the reference model's default): `input` is the 32-byte SHA-256
   * digest of the message; false: `input` is the message itself, hashed here. Both modes
   * give signatures that any standard verifier accepts for the message. ED25519 only signs
   * messages (RangeError in digest mode).
   *
   * Output: ECDSA as DER `SEQUENCE { r, s }`, secp256k1 signatures normalised to low S
   * (s ≤ n/2), P-256 not normalised (as OpenSSL); Ed25519 64 bytes; RSA the modulus length.
   * ECDSA from the node provider is randomised, from noble deterministic (RFC 6979); Ed25519
   * and RSA_PKCS1 are deterministic; RSA_PSS uses a fresh 32-byte salt.
   *
   * TypeError for wrong types; RangeError for an algorithm that does not belong to the
   * spec, a digest that is not 32 bytes, or a key that is malformed or of another spec.
   */
  sign(
    spec: AsymmetricKeySpec,
    algorithm: SigningAlgorithm,
    privateKey: Uint8Array,
    input: Uint8Array,
    inputIsDigest: boolean,
  ): Uint8Array

  /**
   * Whether `signature` is a valid signature of `input` (message or 32-byte digest, as in
   * `sign`) under a SubjectPublicKeyInfo of `spec`. Never throws for a bad signature of any
   * length or content: that is `false`. ECDSA accepts high and low S on both curves, as
   * OpenSSL does; Ed25519 is verified strictly as RFC 8032 §5.1.7 specifies (canonical S).
   * Throws like `sign` for wrong arguments or a malformed public key.
   */
  verify(
    spec: AsymmetricKeySpec,
    algorithm: SigningAlgorithm,
    publicKey: Uint8Array,
    input: Uint8Array,
    inputIsDigest: boolean,
    signature: Uint8Array,
  ): boolean

  /**
   * RSAES-OAEP encryption (RFC 8017 §7.1.1, MGF1 over the same hash, empty label) under an
   * RSA SubjectPublicKeyInfo. Returns the modulus length in bytes; randomised. RangeError
   * for a plaintext longer than `rsaOaepMaxPlaintextLength(spec, algorithm)`.
   */
  rsaEncrypt(
    spec: AsymmetricKeySpec,
    algorithm: AsymmetricEncryptionAlgorithm,
    publicKey: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array

  /**
   * RSAES-OAEP decryption with an RSA PKCS#8 private key. Returns the plaintext, or
   * `undefined` for any ciphertext that does not decrypt (wrong key, wrong hash, modified,
   * wrong length): never throws for bad ciphertext bytes.
   */
  rsaDecrypt(
    spec: AsymmetricKeySpec,
    algorithm: AsymmetricEncryptionAlgorithm,
    privateKey: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined
}
