/**
 * Asymmetric keys on `node:crypto` (OpenSSL): every spec, EC_P256, EC_P384, EC_P521,
 * EC_P256K, ED25519 and RSA_2048/3072/4096. Part of the node provider, loaded at its first
 * asymmetric use (lazy.ts).
 *
 * ```ts
 * const crypto = nodeCryptoProvider()
 * const { privateKey, publicKey } = await crypto.generateKeyPair('RSA_2048')   // off-thread
 * const ciphertext = crypto.rsaEncrypt('RSA_2048', 'RSAES_OAEP_SHA_256', publicKey, dataKey)
 * ```
 *
 * How each operation maps onto OpenSSL:
 * - message mode is `crypto.sign`/`crypto.verify` with the algorithm's hash (PSS: salt as long as the digest);
 * - RSA digest mode applies the raw RSA operation (`privateEncrypt`/`publicDecrypt`) to the
 *   RFC 8017 encoding of the digest: PKCS#1 v1.5 `DigestInfo`, or EMSA-PSS built in emsa.ts;
 * - ECDSA digest mode: OpenSSL cannot sign or verify a prehash through Node (`crypto.sign(null, …)`
 *   still hashes), so both go to @noble/curves, as in the noble provider; signing
 *   is hedged with 32 fresh bytes from OpenSSL's CSPRNG (RFC 6979 §3.6), so signatures are
 *   randomised as in message mode. Message mode stays entirely inside OpenSSL.
 * - Ed25519ph (ED25519_PH): OpenSSL 3.0, which Node 20 ships, has no Ed25519ph; it goes to
 *   @noble/curves in both modes, as in the noble provider (deterministic, so the same bytes).
 *
 * Parsing a DER key costs OpenSSL 3 about 0.15–0.5 ms, ten times a P-256 signature, so
 * parsed keys are kept in a small LRU cache keyed by SHA-256 of (spec, DER). The cache holds
 * up to 128 `KeyObject`s, including private keys, until evicted and collected.
 */
import { Lru } from './lru.js'
import {
  constants,
  createECDH,
  ECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as nodeGenerateKeyPair,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomFillSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto'
import { assertBytes } from './assert.js'
import {
  assertKeySpec,
  assertOptionalRandomSource,
  assertRsaDecryptInput,
  assertRsaEncryptInput,
  assertSignatureInput,
  drawKeySeed,
  rsaModulusBits,
  signingDigestLength,
  signingHash,
} from './asymmetric.js'
import { bytesEqual } from './bytes.js'
import {
  type AsymmetricEncryptionAlgorithm,
  type AsymmetricKeyPair,
  type AsymmetricKeySpec,
  type RandomSource,
  type SigningAlgorithm,
} from './contract.js'
import {
  decodeEcPrivateKey,
  decodeEcdsaSignature,
  decodeEd25519PrivateKey,
  decodeEd25519PublicKey,
  ecCurve,
  encodeEcdsaSignature,
  encodeEcPrivateKey,
  encodeEcPublicKey,
  encodeEd25519PrivateKey,
  isOneDerSequence,
  scalarFromSeed,
  type EcCurve,
} from './der.js'
import { digestInfo, emsaPkcs1Encode, emsaPssEncode, emsaPssVerify } from './emsa.js'
import { ecdsaSign, ecdsaVerify, ecPublicKeyPoint, ed25519phSign, ed25519phVerify } from './noble-asymmetric.js'

const OAEP_HASHES = { RSAES_OAEP_SHA_256: 'sha256', RSAES_OAEP_SHA_1: 'sha1' } as const

/** A plain Uint8Array over the Buffer's bytes: no copy. */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/** A Buffer over the array's bytes, for the node:crypto signatures that are typed Buffer-only: no copy. */
function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** The hash function `name` as `(data) => digest`, for the EMSA encodings. */
function hashFunction(name: string): (data: Uint8Array) => Uint8Array {
  return (data) => view(createHash(name).update(data).digest())
}

function isPss(algorithm: SigningAlgorithm): boolean {
  return algorithm.startsWith('RSA_PSS_')
}

// --- parsed keys ---

const KEY_CACHE_SIZE = 128
const keyCache = new Lru<string, KeyObject>(KEY_CACHE_SIZE)

function matchesSpec(key: KeyObject, spec: AsymmetricKeySpec): boolean {
  const curve = ecCurve(spec)
  if (curve !== undefined) return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curve.opensslName
  if (spec === 'ED25519') return key.asymmetricKeyType === 'ed25519'
  return key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === rsaModulusBits(spec)
}

/**
 * The last KeyObject parsed from each byte array: callers (the engine) pass the same array
 * for the same key every time, so this avoids even hashing the DER (a few µs for an RSA
 * key). The entry keeps a copy of the bytes and is used only while they still match.
 */
const byArray = new WeakMap<Uint8Array, { readonly spec: AsymmetricKeySpec; readonly kind: 'private' | 'public'; readonly der: Buffer; readonly key: KeyObject }>()

/** The KeyObject of a PKCS#8 (`private`) or SPKI (`public`) DER of `spec`; RangeError if it is not one. */
function keyObject(kind: 'private' | 'public', spec: AsymmetricKeySpec, der: Uint8Array): KeyObject {
  const known = byArray.get(der)
  if (known !== undefined && known.spec === spec && known.kind === kind && known.der.equals(der)) return known.key
  const key = parsedKeyObject(kind, spec, der)
  byArray.set(der, { spec, kind, der: Buffer.from(der), key })
  return key
}

function parsedKeyObject(kind: 'private' | 'public', spec: AsymmetricKeySpec, der: Uint8Array): KeyObject {
  const id = `${spec} ${kind} ${createHash('sha256').update(der).digest('base64')}`
  const cached = keyCache.get(id)
  if (cached !== undefined) return cached
  const message = kind === 'private' ? `privateKey is not an ${spec} PKCS#8 private key` : `publicKey is not an ${spec} SubjectPublicKeyInfo`
  if (!isOneDerSequence(der)) throw new RangeError(message)
  let key: KeyObject
  try {
    key =
      kind === 'private'
        ? createPrivateKey({ key: buffer(der), format: 'der', type: 'pkcs8' })
        : createPublicKey({ key: buffer(der), format: 'der', type: 'spki' })
  } catch {
    throw new RangeError(message) // OpenSSL's own message says nothing more useful
  }
  if (!matchesSpec(key, spec)) throw new RangeError(message)
  keyCache.set(id, key)
  return key
}

// --- key pairs ---

/** The uncompressed point d·G, computed by OpenSSL. */
function ecPoint(curve: EcCurve, scalar: Uint8Array): Uint8Array {
  const ecdh = createECDH(curve.opensslName)
  ecdh.setPrivateKey(scalar)
  return view(ecdh.getPublicKey())
}

function exportSpki(key: KeyObject): Uint8Array {
  return view(createPublicKey(key).export({ type: 'spki', format: 'der' }))
}

function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const key = createPrivateKey({ key: buffer(encodeEd25519PrivateKey(seed)), format: 'der', type: 'pkcs8' })
  return exportSpki(key)
}

function generateRsaKeyPair(spec: AsymmetricKeySpec): Promise<AsymmetricKeyPair> {
  return new Promise((resolve, reject) => {
    // The callback form generates on libuv's thread pool; the event loop stays free.
    nodeGenerateKeyPair(
      'rsa',
      {
        modulusLength: rsaModulusBits(spec),
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      },
      (error, publicKey, privateKey) => {
        if (error) reject(error)
        else resolve({ privateKey: view(privateKey), publicKey: view(publicKey) })
      },
    )
  })
}

export async function generateKeyPair(
  spec: AsymmetricKeySpec,
  random: RandomSource | undefined,
  randomFill: (target: Uint8Array) => Uint8Array,
): Promise<AsymmetricKeyPair> {
  assertKeySpec(spec)
  assertOptionalRandomSource(random)
  const curve = ecCurve(spec)
  if (curve === undefined && spec !== 'ED25519') return generateRsaKeyPair(spec)
  const seed = drawKeySeed(spec, random, randomFill)
  try {
    if (curve === undefined) return { privateKey: encodeEd25519PrivateKey(seed), publicKey: ed25519PublicKey(seed) }
    const scalar = scalarFromSeed(curve, seed)
    const point = ecPoint(curve, scalar)
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
  const mismatch = `privateKey's embedded public key does not match its private key`
  const curve = ecCurve(spec)
  if (curve !== undefined) {
    const { scalar, point } = decodeEcPrivateKey(curve, privateKey)
    const computed = ecPoint(curve, scalar)
    scalar.fill(0)
    if (point !== undefined) {
      let embedded: Uint8Array
      try {
        // Decodes (and validates) a compressed or uncompressed point into the uncompressed form.
        embedded = view(ECDH.convertKey(buffer(point), curve.opensslName, undefined, undefined, 'uncompressed') as Buffer)
      } catch {
        throw new RangeError(mismatch)
      }
      if (!bytesEqual(embedded, computed)) throw new RangeError(mismatch)
    }
    return encodeEcPublicKey(curve, computed)
  }
  if (spec === 'ED25519') {
    const { seed, publicKey } = decodeEd25519PrivateKey(privateKey)
    const spki = ed25519PublicKey(seed)
    seed.fill(0)
    if (publicKey !== undefined && !bytesEqual(publicKey, spki.subarray(spki.length - publicKey.length))) {
      throw new RangeError(mismatch)
    }
    return spki
  }
  return exportSpki(keyObject('private', spec, privateKey))
}

// --- signatures ---

/** s → n − s when s > n/2: the same signature, in the form Bitcoin and Ethereum require. */
function normaliseLowS(curve: EcCurve, signature: Uint8Array): Uint8Array {
  const parsed = decodeEcdsaSignature(signature)
  if (parsed === undefined) throw new Error('OpenSSL returned a malformed ECDSA signature')
  return parsed.s > curve.n >> 1n ? encodeEcdsaSignature(parsed.r, curve.n - parsed.s) : signature
}

export function sign(
  spec: AsymmetricKeySpec,
  algorithm: SigningAlgorithm,
  privateKey: Uint8Array,
  input: Uint8Array,
  inputIsDigest: boolean,
): Uint8Array {
  assertSignatureInput(spec, algorithm, privateKey, input, inputIsDigest)
  const curve = ecCurve(spec)
  const hash = signingHash(algorithm)
  if (curve !== undefined) {
    // Node signs messages only; a digest goes to @noble/curves, hedged with fresh OpenSSL randomness.
    if (inputIsDigest) return ecdsaSign(curve, privateKey, input, true, randomFillSync(new Uint8Array(32)))
    const signature = view(nodeSign(hash, input, keyObject('private', spec, privateKey)))
    return curve.lowS ? normaliseLowS(curve, signature) : signature
  }
  if (algorithm === 'ED25519_PH') {
    const { seed } = decodeEd25519PrivateKey(privateKey)
    try {
      return ed25519phSign(seed, input, inputIsDigest)
    } finally {
      seed.fill(0)
    }
  }
  const key = keyObject('private', spec, privateKey)
  if (spec === 'ED25519') return view(nodeSign(null, input, key))
  const pss = isPss(algorithm)
  const saltLength = signingDigestLength(algorithm) // PSS salt as long as the digest, as AWS KMS uses
  if (!inputIsDigest) {
    const padding = pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING
    return view(nodeSign(hash, input, { key, padding, saltLength }))
  }
  if (!pss) return view(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(input)))
  const salt = randomFillSync(new Uint8Array(saltLength))
  const encoded = emsaPssEncode(hashFunction(hash), input, salt, rsaModulusBits(spec) - 1)
  return view(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, encoded))
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
  const curve = ecCurve(spec)
  const hash = signingHash(algorithm)
  if (curve !== undefined && inputIsDigest) {
    return ecdsaVerify(curve, ecPublicKeyPoint(curve, publicKey), input, true, signature)
  }
  const key = keyObject('public', spec, publicKey)
  if (algorithm === 'ED25519_PH') return ed25519phVerify(decodeEd25519PublicKey(publicKey), input, inputIsDigest, signature)
  try {
    if (curve !== undefined) return nodeVerify(hash, input, key, signature)
    if (spec === 'ED25519') return nodeVerify(null, input, key, signature)
    const pss = isPss(algorithm)
    if (!inputIsDigest) {
      const padding = pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING
      return nodeVerify(hash, input, { key, padding, saltLength: signingDigestLength(algorithm) }, signature)
    }
    const bits = rsaModulusBits(spec)
    if (signature.length !== bits / 8) return false
    // RSAVP1 (throws when the signature is not below the modulus), then encode-and-compare.
    const encoded = view(publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, signature))
    return pss ? emsaPssVerify(hashFunction(hash), input, encoded, bits - 1) : bytesEqual(encoded, emsaPkcs1Encode(input, bits / 8))
  } catch {
    return false
  }
}

// --- RSA encryption ---

export function rsaEncrypt(
  spec: AsymmetricKeySpec,
  algorithm: AsymmetricEncryptionAlgorithm,
  publicKey: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  assertRsaEncryptInput(spec, algorithm, publicKey, plaintext)
  const key = keyObject('public', spec, publicKey)
  return view(publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASHES[algorithm] }, plaintext))
}

export function rsaDecrypt(
  spec: AsymmetricKeySpec,
  algorithm: AsymmetricEncryptionAlgorithm,
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array | undefined {
  assertRsaDecryptInput(spec, algorithm, privateKey, ciphertext)
  const key = keyObject('private', spec, privateKey)
  if (ciphertext.length !== rsaModulusBits(spec) / 8) return undefined
  try {
    return view(privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASHES[algorithm] }, ciphertext))
  } catch {
    return undefined // OpenSSL's OAEP decoding is constant-time up to this single failure
  }
}
