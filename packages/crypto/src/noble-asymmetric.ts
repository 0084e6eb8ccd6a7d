/**
 * Asymmetric keys in pure JS on @noble/curves: EC_P256, EC_P384, EC_P521, EC_P256K and
 * ED25519 (pure and prehashed), loaded at the provider's first asymmetric use (lazy.ts); RSA is refused with `UnsupportedAlgorithmError` (pure-JS RSA private
 * operations cannot be made constant-time, and the contract is synchronous, which rules out
 * WebCrypto). Part of the noble provider; never imports `node:crypto`.
 *
 * ```ts
 * const crypto = nobleCryptoProvider()
 * const { privateKey, publicKey } = await crypto.generateKeyPair('ED25519', seededRandom('fixture'))
 * crypto.sign('ED25519', 'ED25519', privateKey, message, false)    // 64 bytes, deterministic
 * ```
 *
 * ECDSA here is deterministic (RFC 6979, no extra entropy): the same key and input always
 * give the same signature. Ed25519 verification is strict RFC 8032 (`zip215: false`), the
 * rule OpenSSL applies, so both providers accept exactly the same signatures.
 */
import { eddsa } from '@noble/curves/abstract/edwards.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { p256, p384, p521 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { assertBytes } from './assert.js'
import {
  assertKeySpec,
  assertOptionalRandomSource,
  assertRsaDecryptInput,
  assertRsaEncryptInput,
  assertSignatureInput,
  drawKeySeed,
  isRsaSpec,
} from './asymmetric.js'
import { bytesEqual } from './bytes.js'
import {
  UnsupportedAlgorithmError,
  type AsymmetricEncryptionAlgorithm,
  type AsymmetricKeyPair,
  type AsymmetricKeySpec,
  type RandomSource,
  type SigningAlgorithm,
} from './contract.js'
import {
  decodeEcPrivateKey,
  decodeEcPublicKey,
  decodeEd25519PrivateKey,
  decodeEd25519PublicKey,
  ecCurve,
  encodeEcPrivateKey,
  encodeEcPublicKey,
  encodeEd25519PrivateKey,
  encodeEd25519PublicKey,
  P256,
  P384,
  P521,
  scalarFromSeed,
  type EcCurve,
} from './der.js'

const NAME = 'noble'

/** RFC 8032 §5.1 dom2(phflag = 1, context = empty): the prefix Ed25519ph hashes before R and the message. */
const DOM2_PH = Uint8Array.of(...new TextEncoder().encode('SigEd25519 no Ed25519 collisions'), 1, 0)

/**
 * Ed25519ph (RFC 8032 §5.1) over a SHA-512 digest the caller already has: @noble/curves'
 * `ed25519ph` takes the message and hashes it itself, so this is the same scheme with the
 * prehash step left out (PH(M) is the digest given). The scalar clamping is RFC 8032 §5.1.5's.
 * A test checks it signs exactly what `ed25519ph` signs for the message.
 */
const ed25519phDigest = eddsa(ed25519.Point, sha512, {
  adjustScalarBytes: (bytes: Uint8Array) => {
    bytes[0]! &= 248
    bytes[31]! &= 127
    bytes[31]! |= 64
    return bytes
  },
  domain: (data: Uint8Array, context: Uint8Array, prehashed: boolean) => {
    if (context.length !== 0 || !prehashed) throw new Error('Ed25519ph here has an empty context')
    const out = new Uint8Array(DOM2_PH.length + data.length)
    out.set(DOM2_PH)
    out.set(data, DOM2_PH.length)
    return out
  },
  prehash: (digest: Uint8Array) => digest,
  zip215: false,
})

/**
 * Ed25519ph signature (64 bytes, deterministic) of a message, or of its 64-byte SHA-512
 * digest. Both providers sign Ed25519ph here: OpenSSL 3.0, which Node 20 ships, has no Ed25519ph.
 */
export function ed25519phSign(seed: Uint8Array, input: Uint8Array, inputIsDigest: boolean): Uint8Array {
  return ed25519phDigest.sign(inputIsDigest ? input : sha512(input), seed)
}

/** Strict RFC 8032 Ed25519ph verification (canonical S, as pure Ed25519 here); `false` for any bad signature. */
export function ed25519phVerify(publicKey: Uint8Array, input: Uint8Array, inputIsDigest: boolean, signature: Uint8Array): boolean {
  try {
    return ed25519phDigest.verify(signature, inputIsDigest ? input : sha512(input), publicKey, { zip215: false })
  } catch {
    return false
  }
}

function ecdsa(curve: EcCurve): typeof p256 {
  return curve === P256 ? p256 : curve === P384 ? p384 : curve === P521 ? p521 : secp256k1
}

function refuseRsa(spec: AsymmetricKeySpec, what: string): void {
  if (isRsaSpec(spec)) {
    throw new UnsupportedAlgorithmError(NAME, spec, `RSA needs node:crypto or WebCrypto; this provider (${NAME}) cannot ${what} ${spec} keys`)
  }
}

/** An encoded EC point that must be on the curve; RangeError otherwise. */
function assertEcPoint(curve: EcCurve, point: Uint8Array, message: string): void {
  try {
    ecdsa(curve).Point.fromBytes(point).assertValidity()
  } catch {
    throw new RangeError(message)
  }
}

/** The EC scalar's uncompressed public point, after checking an embedded point matches it. */
function ecPublicPoint(curve: EcCurve, privateKey: Uint8Array): Uint8Array {
  const { scalar, point } = decodeEcPrivateKey(curve, privateKey)
  try {
    const computed = ecdsa(curve).getPublicKey(scalar, false)
    if (point !== undefined) {
      const message = `privateKey's embedded public key does not match its private key`
      assertEcPoint(curve, point, message)
      if (!ecdsa(curve).Point.fromBytes(point).equals(ecdsa(curve).Point.fromBytes(computed))) throw new RangeError(message)
    }
    return computed
  } finally {
    scalar.fill(0)
  }
}

function ed25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const { seed, publicKey } = decodeEd25519PrivateKey(privateKey)
  try {
    const computed = ed25519.getPublicKey(seed)
    if (publicKey !== undefined && !bytesEqual(publicKey, computed)) {
      throw new RangeError(`privateKey's embedded public key does not match its private key`)
    }
    return computed
  } finally {
    seed.fill(0)
  }
}

/**
 * `generateKeyPair` of the contract, drawing from `randomFill` (the provider's CSPRNG) when no
 * `random` is given. `async` so that invalid arguments reject the promise rather than throw.
 */
export async function generateKeyPair(
  spec: AsymmetricKeySpec,
  random: RandomSource | undefined,
  randomFill: (target: Uint8Array) => Uint8Array,
): Promise<AsymmetricKeyPair> {
  assertKeySpec(spec)
  assertOptionalRandomSource(random)
  refuseRsa(spec, 'generate')
  const seed = drawKeySeed(spec, random, randomFill)
  try {
    const curve = ecCurve(spec)
    if (curve === undefined) {
      return { privateKey: encodeEd25519PrivateKey(seed), publicKey: encodeEd25519PublicKey(ed25519.getPublicKey(seed)) }
    }
    const scalar = scalarFromSeed(curve, seed)
    const point = ecdsa(curve).getPublicKey(scalar, false)
    const privateKey = encodeEcPrivateKey(curve, scalar, point)
    scalar.fill(0)
    return { privateKey, publicKey: encodeEcPublicKey(curve, point) }
  } finally {
    seed.fill(0)
  }
}

export function publicKeyFromPrivateKey(spec: AsymmetricKeySpec, privateKey: Uint8Array): Uint8Array {
  assertKeySpec(spec)
  assertBytes(privateKey, 'privateKey')
  refuseRsa(spec, 'read')
  const curve = ecCurve(spec)
  if (curve === undefined) return encodeEd25519PublicKey(ed25519PublicKey(privateKey))
  return encodeEcPublicKey(curve, ecPublicPoint(curve, privateKey))
}

export function sign(
  spec: AsymmetricKeySpec,
  algorithm: SigningAlgorithm,
  privateKey: Uint8Array,
  input: Uint8Array,
  inputIsDigest: boolean,
): Uint8Array {
  assertSignatureInput(spec, algorithm, privateKey, input, inputIsDigest)
  refuseRsa(spec, 'sign with')
  const curve = ecCurve(spec)
  if (curve === undefined) {
    const { seed } = decodeEd25519PrivateKey(privateKey)
    try {
      return algorithm === 'ED25519_PH' ? ed25519phSign(seed, input, inputIsDigest) : ed25519.sign(input, seed)
    } finally {
      seed.fill(0)
    }
  }
  return ecdsaSign(curve, privateKey, input, inputIsDigest)
}

/**
 * ECDSA (FIPS 186-5 §6.4.1) with an EC PKCS#8 private key, as a DER signature, low-S where
 * the curve asks for it. The nonce is RFC 6979's, deterministic without `extraEntropy`;
 * with 32 fresh random bytes it is hedged (RFC 6979 §3.6), randomised like OpenSSL's.
 */
export function ecdsaSign(
  curve: EcCurve,
  privateKey: Uint8Array,
  input: Uint8Array,
  inputIsDigest: boolean,
  extraEntropy?: Uint8Array,
): Uint8Array {
  const { scalar } = decodeEcPrivateKey(curve, privateKey)
  try {
    // prehash: noble hashes the message with the curve's hash itself (SHA-256, SHA-384 for P-384,
    // SHA-512 for P-521: the pairings of signingAlgorithms); without it, `input` is the digest,
    // which bits2int truncates to the order's length as FIPS 186-5 says (P-521 keeps all 512 bits).
    const options = { prehash: !inputIsDigest, lowS: curve.lowS, format: 'der' } as const
    return ecdsa(curve).sign(input, scalar, extraEntropy === undefined ? options : { ...options, extraEntropy })
  } finally {
    scalar.fill(0)
  }
}

/** ECDSA verification of a DER signature against an encoded point; `false` for any bad signature. */
export function ecdsaVerify(curve: EcCurve, point: Uint8Array, input: Uint8Array, inputIsDigest: boolean, signature: Uint8Array): boolean {
  try {
    // lowS false: a high-S signature is valid ECDSA, and OpenSSL accepts it too.
    return ecdsa(curve).verify(signature, input, point, { prehash: !inputIsDigest, lowS: false, format: 'der' })
  } catch {
    return false
  }
}

/** The point of an EC SubjectPublicKeyInfo, checked to be on the curve (RangeError otherwise, as OpenSSL refuses it). */
export function ecPublicKeyPoint(curve: EcCurve, publicKey: Uint8Array): Uint8Array {
  const point = decodeEcPublicKey(curve, publicKey)
  assertEcPoint(curve, point, `publicKey is not an ${curve.spec} SubjectPublicKeyInfo`)
  return point
}

export function verify(
  spec: AsymmetricKeySpec,
  algorithm: SigningAlgorithm,
  publicKey: Uint8Array,
  input: Uint8Array,
  inputIsDigest: boolean,
  signature: Uint8Array,
): boolean {
  assertSignatureInput(spec, algorithm, publicKey, input, inputIsDigest)
  assertBytes(signature, 'signature')
  refuseRsa(spec, 'verify with')
  const curve = ecCurve(spec)
  if (curve !== undefined) return ecdsaVerify(curve, ecPublicKeyPoint(curve, publicKey), input, inputIsDigest, signature)
  // Like OpenSSL, only the DER is checked here; a key that is not a valid point verifies nothing.
  const key = decodeEd25519PublicKey(publicKey)
  if (algorithm === 'ED25519_PH') return ed25519phVerify(key, input, inputIsDigest, signature)
  try {
    return ed25519.verify(signature, input, key, { zip215: false })
  } catch {
    return false
  }
}

export function rsaEncrypt(
  spec: AsymmetricKeySpec,
  algorithm: AsymmetricEncryptionAlgorithm,
  publicKey: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  assertRsaEncryptInput(spec, algorithm, publicKey, plaintext)
  refuseRsa(spec, 'encrypt with')
  throw new Error('unreachable: every spec with an encryption algorithm is RSA')
}

export function rsaDecrypt(
  spec: AsymmetricKeySpec,
  algorithm: AsymmetricEncryptionAlgorithm,
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array | undefined {
  assertRsaDecryptInput(spec, algorithm, privateKey, ciphertext)
  refuseRsa(spec, 'decrypt with')
  throw new Error('unreachable: every spec with an encryption algorithm is RSA')
}
