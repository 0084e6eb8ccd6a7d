/**
 * Plain `node:crypto`, used as the reference implementation the providers must interoperate
 * with: keys built from raw vector values through JWK (independent of src/der.ts),
 * signatures checked and made the way any Node user would, OAEP as any Node user would.
 */
import { ed25519ph } from '@noble/curves/ed25519.js'
import {
  constants,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import type { AsymmetricEncryptionAlgorithm, AsymmetricKeyPair, SigningAlgorithm } from '@strongroom/crypto'
import { hex, type SignatureVector } from './vectors.js'

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const bytes = (buffer: Buffer) => new Uint8Array(buffer)

export function privateKeyObject(pkcs8: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
}

export function publicKeyObject(spki: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
}

/** PKCS#8 and SPKI DER of a vector's raw key, written by OpenSSL from a JWK. */
export function vectorKeyPair(v: SignatureVector): AsymmetricKeyPair {
  const d = hex(v.privateKey)
  let key: KeyObject
  if (v.spec === 'ED25519') {
    key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(d), x: b64url(hex(v.publicKey)) }, format: 'jwk' })
  } else {
    const point = hex(v.publicKey)
    const crv = v.spec === 'EC_P256' ? 'P-256' : 'secp256k1'
    key = createPrivateKey({
      key: { kty: 'EC', crv, d: b64url(d), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) },
      format: 'jwk',
    })
  }
  return {
    privateKey: bytes(key.export({ type: 'pkcs8', format: 'der' })),
    publicKey: bytes(createPublicKey(key).export({ type: 'spki', format: 'der' })),
  }
}

/** The algorithm's hash by its name's suffix (`…_SHA_384` → sha384); what a reader of AWS's docs would pick. */
function hashOf(algorithm: SigningAlgorithm): string | null {
  return algorithm === 'ED25519' ? null : `sha${algorithm.startsWith('ED25519') ? '512' : algorithm.slice(-3)}`
}

function options(algorithm: SigningAlgorithm) {
  // PSS salt as long as the digest, as AWS KMS documents.
  if (algorithm.startsWith('RSA_PSS_')) return { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(algorithm.slice(-3)) / 8 }
  if (algorithm.startsWith('RSA_PKCS1_')) return { padding: constants.RSA_PKCS1_PADDING }
  return {}
}

/**
 * Verifies a signature of the MESSAGE as a plain node:crypto user would. Ed25519ph, which
 * OpenSSL 3.0 lacks, is verified by @noble/curves' own `ed25519ph` (it hashes the message itself).
 */
export function plainVerify(algorithm: SigningAlgorithm, spki: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(spki)
  if (algorithm === 'ED25519_PH') {
    try {
      return ed25519ph.verify(signature, message, spki.subarray(spki.length - 32), { zip215: false })
    } catch {
      return false
    }
  }
  return verify(hashOf(algorithm), message, { key, ...options(algorithm) }, signature)
}

/** Signs the MESSAGE as a plain node:crypto user would (Ed25519ph: with @noble/curves' `ed25519ph`). */
export function plainSign(algorithm: SigningAlgorithm, pkcs8: Uint8Array, message: Uint8Array): Uint8Array {
  const key = privateKeyObject(pkcs8)
  if (algorithm === 'ED25519_PH') return ed25519ph.sign(message, pkcs8.subarray(pkcs8.length - 32))
  return bytes(sign(hashOf(algorithm), message, { key, ...options(algorithm) }))
}

/** The digest of `message` that digest mode takes with `algorithm`. */
export function plainDigest(algorithm: SigningAlgorithm, message: Uint8Array): Uint8Array {
  return bytes(createHash(hashOf(algorithm) ?? 'sha512').update(message).digest())
}

const oaepHash = (algorithm: AsymmetricEncryptionAlgorithm) => (algorithm === 'RSAES_OAEP_SHA_256' ? 'sha256' : 'sha1')

export function plainOaepEncrypt(algorithm: AsymmetricEncryptionAlgorithm, spki: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const key = publicKeyObject(spki)
  return bytes(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(algorithm) }, plaintext))
}

export function plainOaepDecrypt(algorithm: AsymmetricEncryptionAlgorithm, pkcs8: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const key = privateKeyObject(pkcs8)
  return bytes(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash(algorithm) }, ciphertext))
}

/** The uncompressed public point of an EC scalar, computed by OpenSSL. */
export function plainEcPoint(curve: 'prime256v1' | 'secp256k1', scalar: Uint8Array): Uint8Array {
  const ecdh = createECDH(curve)
  ecdh.setPrivateKey(scalar)
  return bytes(ecdh.getPublicKey())
}
