/**
 * The pure helpers over asymmetric key specs that every provider shares: which algorithm
 * goes with which spec, the RSA-OAEP plaintext limits, PEM encoding, and the preconditions
 * of the asymmetric operations. The specs and algorithm names themselves are in contract.ts.
 *
 * ```ts
 * import { signingAlgorithms, publicKeyPem, UnsupportedAlgorithmError } from '@strongroom/crypto'
 * signingAlgorithms('EC_P384')            // ['ECDSA_SHA_384']
 * signingDigestLength('RSA_PSS_SHA_512')  // 64
 * const { publicKey } = await crypto.generateKeyPair('EC_P256')
 * publicKeyPem(publicKey)                 // '-----BEGIN PUBLIC KEY-----\nMFkw…'
 * ```
 *
 * Names follow the reference model (Alibaba Cloud KMS 2016-01-20), which AWS KMS shares
 * for these specs: EC_P256 is NIST P-256 (FIPS 186-5), EC_P384 and EC_P521 are NIST P-384 and
 * P-521 (AWS's ECC_NIST_P384/P521; the reference model has no name for them), EC_P256K is secp256k1 (SEC 2),
 * ED25519 is RFC 8032, RSA_n has an n-bit modulus and public exponent 65537.
 */
import { assertBytes } from './assert.js'
import { toBase64 } from './bytes.js'
import {
  ASYMMETRIC_KEY_SPECS,
  EC_SEED_LENGTHS,
  ED25519_KEY_LENGTH,
  HMAC_ALGORITHMS,
  type AsymmetricEncryptionAlgorithm,
  type AsymmetricKeySpec,
  type HmacAlgorithm,
  type RandomSource,
  type SigningAlgorithm,
} from './contract.js'

const RSA_SIGNING: readonly SigningAlgorithm[] = Object.freeze([
  'RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256', 'RSA_PSS_SHA_384', 'RSA_PKCS1_SHA_384', 'RSA_PSS_SHA_512', 'RSA_PKCS1_SHA_512',
])
const RSA_ENCRYPTION: readonly AsymmetricEncryptionAlgorithm[] = Object.freeze(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'])
/** One ECDSA hash per curve, the pairing AWS KMS offers (and FIPS 186-5 recommends: a hash as strong as the curve). */
const ECDSA: Readonly<Record<string, readonly SigningAlgorithm[]>> = {
  EC_P256: Object.freeze(['ECDSA_SHA_256']),
  EC_P256K: Object.freeze(['ECDSA_SHA_256']),
  EC_P384: Object.freeze(['ECDSA_SHA_384']),
  EC_P521: Object.freeze(['ECDSA_SHA_512']),
}
const EDDSA: readonly SigningAlgorithm[] = Object.freeze(['ED25519', 'ED25519_PH'])
const NONE: readonly never[] = Object.freeze([])

/** The hash each signing algorithm applies to the message (Ed25519 hashes with SHA-512 inside). */
export type SigningHash = 'sha256' | 'sha384' | 'sha512'
const SIGNING_HASH: Readonly<Record<SigningAlgorithm, SigningHash>> = {
  ECDSA_SHA_256: 'sha256', ECDSA_SHA_384: 'sha384', ECDSA_SHA_512: 'sha512',
  ED25519: 'sha512', ED25519_PH: 'sha512',
  RSA_PSS_SHA_256: 'sha256', RSA_PSS_SHA_384: 'sha384', RSA_PSS_SHA_512: 'sha512',
  RSA_PKCS1_SHA_256: 'sha256', RSA_PKCS1_SHA_384: 'sha384', RSA_PKCS1_SHA_512: 'sha512',
}
const HASH_LENGTH: Readonly<Record<SigningHash, number>> = { sha256: 32, sha384: 48, sha512: 64 }

const RSA_MODULUS_BITS: Readonly<Record<string, number>> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 }
const OAEP_HASH_LENGTH: Readonly<Record<AsymmetricEncryptionAlgorithm, number>> = { RSAES_OAEP_SHA_256: 32, RSAES_OAEP_SHA_1: 20 }
const HMAC_LENGTH: Readonly<Record<HmacAlgorithm, number>> = { HMAC_SHA_224: 28, HMAC_SHA_256: 32, HMAC_SHA_384: 48, HMAC_SHA_512: 64 }

/** The signing algorithms valid for `spec`. Throws RangeError for an unknown spec. */
export function signingAlgorithms(spec: AsymmetricKeySpec): readonly SigningAlgorithm[] {
  assertKeySpec(spec)
  if (spec === 'ED25519') return EDDSA
  return isRsaSpec(spec) ? RSA_SIGNING : ECDSA[spec]!
}

/** The hash a signing algorithm applies to the message (its name in `node:crypto` and OpenSSL). */
export function signingHash(algorithm: SigningAlgorithm): SigningHash {
  const hash = SIGNING_HASH[algorithm]
  if (hash === undefined) throw new RangeError(`unknown signing algorithm ${JSON.stringify(String(algorithm).slice(0, 32))}`)
  return hash
}

/** Length in bytes of the digest a signing algorithm takes in digest mode: 32, 48 or 64. */
export function signingDigestLength(algorithm: SigningAlgorithm): number {
  return HASH_LENGTH[signingHash(algorithm)]
}

/** The encryption algorithms valid for `spec`: the RSAES-OAEP pair for RSA, none for elliptic curves. */
export function encryptionAlgorithms(spec: AsymmetricKeySpec): readonly AsymmetricEncryptionAlgorithm[] {
  assertKeySpec(spec)
  return isRsaSpec(spec) ? RSA_ENCRYPTION : NONE
}

/** Whether `spec` is an RSA spec (the ones that need `node:crypto` or WebCrypto). */
export function isRsaSpec(spec: AsymmetricKeySpec): boolean {
  return RSA_MODULUS_BITS[spec] !== undefined
}

/** Modulus length in bits of an RSA spec. Throws RangeError for any other spec. */
export function rsaModulusBits(spec: AsymmetricKeySpec): number {
  assertKeySpec(spec)
  const bits = RSA_MODULUS_BITS[spec]
  if (bits === undefined) throw new RangeError(`${spec} is not an RSA key spec`)
  return bits
}

/**
 * Largest plaintext RSAES-OAEP can encrypt under `spec`: k − 2·hLen − 2 bytes (RFC 8017 §7.1.1),
 * where k is the modulus length in bytes. RSA_2048: 190 (SHA-256) or 214 (SHA-1).
 */
export function rsaOaepMaxPlaintextLength(spec: AsymmetricKeySpec, algorithm: AsymmetricEncryptionAlgorithm): number {
  assertEncryptionAlgorithm(spec, algorithm)
  return rsaModulusBits(spec) / 8 - 2 * OAEP_HASH_LENGTH[algorithm] - 2
}

/** Length in bytes of an HMAC output (the full digest). */
export function hmacLength(algorithm: HmacAlgorithm): number {
  assertHmacAlgorithm(algorithm)
  return HMAC_LENGTH[algorithm]
}

/**
 * PEM encoding of a DER `SubjectPublicKeyInfo` (RFC 7468 §13): the label `PUBLIC KEY`,
 * base64 in lines of 64 characters, and a final newline: byte for byte what OpenSSL and
 * `KeyObject.export({ type: 'spki', format: 'pem' })` write. Does not parse the DER.
 */
export function publicKeyPem(spki: Uint8Array): string {
  assertBytes(spki, 'spki')
  if (spki.length === 0) throw new RangeError('spki must not be empty')
  const base64 = toBase64(spki)
  let body = ''
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + '\n'
  return `-----BEGIN PUBLIC KEY-----\n${body}-----END PUBLIC KEY-----\n`
}

// --- Preconditions shared by every provider (internal: not exported from the package index) ---

/** Precondition: a known key spec. TypeError for a non-string, RangeError for an unknown name. */
export function assertKeySpec(spec: unknown): asserts spec is AsymmetricKeySpec {
  if (typeof spec !== 'string') throw new TypeError('spec must be a string')
  if (!(ASYMMETRIC_KEY_SPECS as readonly string[]).includes(spec)) {
    throw new RangeError(`unknown key spec ${JSON.stringify(spec.slice(0, 32))}`)
  }
}

/** Precondition: `algorithm` is a signing algorithm of `spec`. */
export function assertSigningAlgorithm(spec: unknown, algorithm: unknown): asserts algorithm is SigningAlgorithm {
  assertKeySpec(spec)
  if (typeof algorithm !== 'string') throw new TypeError('algorithm must be a string')
  if (!(signingAlgorithms(spec) as readonly string[]).includes(algorithm)) {
    throw new RangeError(`${JSON.stringify(algorithm.slice(0, 32))} is not a signing algorithm of ${spec}`)
  }
}

/** Precondition: `algorithm` is an encryption algorithm of `spec` (RSA specs only). */
export function assertEncryptionAlgorithm(
  spec: unknown,
  algorithm: unknown,
): asserts algorithm is AsymmetricEncryptionAlgorithm {
  assertKeySpec(spec)
  if (typeof algorithm !== 'string') throw new TypeError('algorithm must be a string')
  if (!(encryptionAlgorithms(spec) as readonly string[]).includes(algorithm)) {
    throw new RangeError(`${JSON.stringify(algorithm.slice(0, 32))} is not an encryption algorithm of ${spec}`)
  }
}

/** Precondition: a known HMAC algorithm. */
export function assertHmacAlgorithm(algorithm: unknown): asserts algorithm is HmacAlgorithm {
  if (typeof algorithm !== 'string') throw new TypeError('algorithm must be a string')
  if (!(HMAC_ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new RangeError(`unknown HMAC algorithm ${JSON.stringify(algorithm.slice(0, 32))}`)
  }
}

/**
 * Preconditions of `sign` and `verify`: spec and algorithm go together, the key and input are
 * bytes, `inputIsDigest` is a boolean, and a digest is as long as the algorithm's hash output.
 * ED25519 signs messages, never digests (RFC 8032 pure Ed25519; ED25519_PH is the prehash variant).
 */
export function assertSignatureInput(
  spec: unknown,
  algorithm: unknown,
  key: unknown,
  input: unknown,
  inputIsDigest: unknown,
): void {
  assertSigningAlgorithm(spec, algorithm)
  assertBytes(key, 'key')
  assertBytes(input, 'input')
  if (typeof inputIsDigest !== 'boolean') throw new TypeError('inputIsDigest must be a boolean')
  if (!inputIsDigest) return
  if (algorithm === 'ED25519') {
    throw new RangeError('ED25519 signs messages, not digests: pass the message with inputIsDigest false')
  }
  const length = signingDigestLength(algorithm)
  if (input.length !== length) {
    throw new RangeError(`a ${algorithm} digest must be ${length} bytes, got ${input.length}`)
  }
}

/** Precondition: `random` is absent or has a `fill` method. */
export function assertOptionalRandomSource(random: unknown): asserts random is RandomSource | undefined {
  if (random !== undefined && typeof (random as RandomSource | null)?.fill !== 'function') {
    throw new TypeError('random must be a RandomSource')
  }
}

/**
 * The bytes an EC or Ed25519 key is derived from, drawn from `random` or, without one, from
 * `randomFill` (the provider's CSPRNG): the curve's seed length for EC (see `scalarFromSeed`), 32 for Ed25519.
 */
export function drawKeySeed(
  spec: AsymmetricKeySpec,
  random: RandomSource | undefined,
  randomFill: (target: Uint8Array) => Uint8Array,
): Uint8Array {
  const seed = new Uint8Array(EC_SEED_LENGTHS[spec] ?? ED25519_KEY_LENGTH)
  if (random === undefined) randomFill(seed)
  else random.fill(seed)
  return seed
}

/** Preconditions of `rsaEncrypt`: an RSA spec with one of its algorithms, bytes, and a plaintext OAEP can hold. */
export function assertRsaEncryptInput(spec: unknown, algorithm: unknown, publicKey: unknown, plaintext: unknown): void {
  assertEncryptionAlgorithm(spec, algorithm)
  assertBytes(publicKey, 'publicKey')
  assertBytes(plaintext, 'plaintext')
  const max = rsaOaepMaxPlaintextLength(spec as AsymmetricKeySpec, algorithm)
  if (plaintext.length > max) {
    throw new RangeError(`plaintext must be at most ${max} bytes for ${String(spec)} with ${algorithm}, got ${plaintext.length}`)
  }
}

/** Preconditions of `rsaDecrypt`. The ciphertext's length is not checked: a wrong one decrypts to `undefined`. */
export function assertRsaDecryptInput(spec: unknown, algorithm: unknown, privateKey: unknown, ciphertext: unknown): void {
  assertEncryptionAlgorithm(spec, algorithm)
  assertBytes(privateKey, 'privateKey')
  assertBytes(ciphertext, 'ciphertext')
}
