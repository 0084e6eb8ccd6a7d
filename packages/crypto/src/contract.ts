/**
 * The CryptoProvider contract: the few primitives the engine needs, as small synchronous
 * functions over `Uint8Array`, and the names and constants they speak in (key specs,
 * algorithms, nonce and digest lengths, `RandomSource`, `UnsupportedAlgorithmError`).
 * Every provider must produce bytes the others accept.
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

// This module is the package's leaf: it imports nothing, so every other module can import
// the contract without forming a cycle (a test in test/imports.test.ts keeps it that way).

/** The asymmetric key specs this package knows. A provider lists those it implements in `asymmetricSpecs`. */
export type AsymmetricKeySpec = 'EC_P256' | 'EC_P384' | 'EC_P521' | 'EC_P256K' | 'ED25519' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096'

/**
 * Signature algorithms; the suffix names the hash (FIPS 180-4) of the message or digest.
 * - `ECDSA_SHA_n`: FIPS 186-5 ECDSA, signature DER-encoded (`SEQUENCE { r, s }`) as AWS and
 *   Alibaba return it; SHA-256 with P-256 and secp256k1, SHA-384 with P-384, SHA-512 with P-521
 *   (the pairs AWS KMS offers);
 * - `ED25519`: RFC 8032 pure Ed25519, 64-byte signature, messages only (no digest mode);
 * - `ED25519_PH`: RFC 8032 Ed25519ph, which signs the 64-byte SHA-512 digest of the message
 *   (AWS's ED25519_PH_SHA_512); a digest or the message itself;
 * - `RSA_PSS_SHA_n`: RFC 8017 RSASSA-PSS, MGF1 over the same hash, salt as long as the digest;
 * - `RSA_PKCS1_SHA_n`: RFC 8017 RSASSA-PKCS1-v1_5.
 */
export type SigningAlgorithm =
  | 'ECDSA_SHA_256' | 'ECDSA_SHA_384' | 'ECDSA_SHA_512'
  | 'ED25519' | 'ED25519_PH'
  | 'RSA_PSS_SHA_256' | 'RSA_PSS_SHA_384' | 'RSA_PSS_SHA_512'
  | 'RSA_PKCS1_SHA_256' | 'RSA_PKCS1_SHA_384' | 'RSA_PKCS1_SHA_512'

/** RSAES-OAEP (RFC 8017 §7.1) with MGF1 over the same hash and an empty label. */
export type AsymmetricEncryptionAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'

/** HMAC (RFC 2104) over SHA-2; the output is the full digest, never truncated. */
export type HmacAlgorithm = 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512'

/** A key pair as DER bytes: PKCS#8 `PrivateKeyInfo` (RFC 5208) and X.509 `SubjectPublicKeyInfo` (RFC 5280). */
export interface AsymmetricKeyPair {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
}

/** Every spec, in a stable order. */
export const ASYMMETRIC_KEY_SPECS: readonly AsymmetricKeySpec[] = Object.freeze([
  'EC_P256',
  'EC_P256K',
  'ED25519',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  // Added later, so kept after the first six: the order is part of what seeded tests see.
  'EC_P384',
  'EC_P521',
])

/** Every HMAC algorithm, in a stable order. */
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = Object.freeze(['HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512', 'HMAC_SHA_224'])

/**
 * Length in bytes of the digest that digest-mode signing takes with the SHA-256 algorithms;
 * `signingDigestLength(algorithm)` gives it for every algorithm (48 for SHA-384, 64 for SHA-512).
 */
export const SIGNING_DIGEST_LENGTH = 32

/** Length of an Ed25519 private key (the RFC 8032 seed) and of its public key. */
export const ED25519_KEY_LENGTH = 32

/**
 * How many random bytes make an EC private key on the 256-bit curves: the group size plus half
 * of it, 48, so the reduction has a bias of about 2^-128 (FIPS 186-5 §A.2.1 asks for 64 extra
 * bits; this is what @noble/curves' `mapHashToField` and `keygen(seed)` use). P-384 draws 72
 * bytes and P-521 99 by the same rule.
 */
export const EC_SEED_LENGTH = 48

/** The seed length of each elliptic-curve spec by that rule (der.ts's curves use it too). */
export const EC_SEED_LENGTHS: Readonly<Partial<Record<AsymmetricKeySpec, number>>> = Object.freeze({
  EC_P256: EC_SEED_LENGTH, EC_P256K: EC_SEED_LENGTH, EC_P384: 72, EC_P521: 99,
})

/** Where the engine draws key material, nonces and ids from. */
export interface RandomSource {
  /** Fills `target` with the next random bytes and returns it. */
  fill(target: Uint8Array): Uint8Array
}

/** Carried by every UnsupportedAlgorithmError, whichever copy of this package made it (`Symbol.for` is global). */
const UNSUPPORTED_ALGORITHM_BRAND: unique symbol = Symbol.for('strongroom.UnsupportedAlgorithmError')

/**
 * Thrown when a provider does not implement a spec it was asked for, e.g. RSA on the pure-JS
 * provider. Recognised by identity, not class: `UnsupportedAlgorithmError.is(error)` and
 * `instanceof` both check the brand `Symbol.for('strongroom.UnsupportedAlgorithmError')`, the
 * name and the code, so an error from another copy of this package counts too. The engine
 * maps it to its own error code.
 */
export class UnsupportedAlgorithmError extends Error {
  override readonly name = 'UnsupportedAlgorithmError'
  /** Stable code, never changes. */
  readonly code = 'UnsupportedAlgorithm'
  /** The provider that refused, e.g. `noble`. */
  readonly provider: string
  /** The key spec it cannot implement. */
  readonly spec: AsymmetricKeySpec

  constructor(provider: string, spec: AsymmetricKeySpec, message: string) {
    super(message)
    this.provider = provider
    this.spec = spec
  }

  /** Whether `error` is an UnsupportedAlgorithmError of any copy of this package. */
  static is(error: unknown): error is UnsupportedAlgorithmError {
    if (typeof error !== 'object' || error === null) return false
    const candidate = error as { [UNSUPPORTED_ALGORITHM_BRAND]?: unknown; name?: unknown; code?: unknown }
    return (
      candidate[UNSUPPORTED_ALGORITHM_BRAND] === true &&
      candidate.name === 'UnsupportedAlgorithmError' &&
      candidate.code === 'UnsupportedAlgorithm'
    )
  }

  /** `instanceof` means the same as `is`, so it holds across copies too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return UnsupportedAlgorithmError.is(value)
  }

  // On the prototype, not enumerable: inherited by every instance, invisible to JSON and inspection.
  static {
    Object.defineProperty(this.prototype, UNSUPPORTED_ALGORITHM_BRAND, { value: true })
  }
}

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
   * HMAC (RFC 2104) with SHA-224, SHA-256, SHA-384 or SHA-512; the full 28-, 32-, 48- or 64-byte output.
   * Any key length (longer than the hash block is hashed first, as the RFC says). Verify a
   * MAC by recomputing it and comparing with `timingSafeEqual`.
   */
  hmac(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array

  /** The asymmetric key specs this provider implements (the node provider: all; noble: no RSA). */
  readonly asymmetricSpecs: readonly AsymmetricKeySpec[]

  /**
   * Loads the code behind the asymmetric operations, which providers may keep out of
   * start-up (the node and noble providers do: DER, EMSA and @noble/curves are about 30
   * modules). Resolves once it is loaded; later calls resolve at once. Until then `sign`,
   * `verify`, `publicKeyFromPrivateKey`, `rsaEncrypt` and `rsaDecrypt` throw an Error;
   * `generateKeyPair` loads by itself. The engine calls it before its first asymmetric
   * operation. A provider whose asymmetric operations are always ready omits it.
   */
  loadAsymmetric?(): Promise<void>

  /**
   * A new key pair: PKCS#8 private key and SubjectPublicKeyInfo public key, DER.
   *
   * EC and ED25519 keys are derived from bytes drawn from `random` (default: the platform
   * CSPRNG): 48 bytes (72 for P-384, 99 for P-521) reduced to a scalar in [1, n − 1] (FIPS 186-5 §A.2.1), or the
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
   * `inputIsDigest` true (the reference model's default): `input` is the digest of the
   * message under the algorithm's hash (`signingDigestLength`: 32, 48 or 64 bytes); false:
   * `input` is the message itself, hashed here. Both modes give signatures that any standard verifier accepts for the message. ED25519 only signs
   * messages (RangeError in digest mode).
   *
   * Output: ECDSA as DER `SEQUENCE { r, s }`, secp256k1 signatures normalised to low S
   * (s ≤ n/2), the NIST curves not normalised (as OpenSSL); Ed25519 64 bytes; RSA the modulus length.
   * ECDSA from the node provider is randomised, from noble deterministic (RFC 6979); Ed25519
   * and RSA_PKCS1 are deterministic; RSA_PSS uses a fresh salt as long as the digest.
   *
   * TypeError for wrong types; RangeError for an algorithm that does not belong to the
   * spec, a digest of the wrong length, or a key that is malformed or of another spec.
   */
  sign(
    spec: AsymmetricKeySpec,
    algorithm: SigningAlgorithm,
    privateKey: Uint8Array,
    input: Uint8Array,
    inputIsDigest: boolean,
  ): Uint8Array

  /**
   * Whether `signature` is a valid signature of `input` (message or digest, as in
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
