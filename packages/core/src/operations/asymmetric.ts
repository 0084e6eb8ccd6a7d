/**
 * Asymmetric keys and MACs: asymmetricSign/Verify, asymmetricEncrypt/Decrypt (RSA-OAEP),
 * getPublicKey, generateMac and verifyMac.
 *
 * ```ts
 * const { value } = await kms.asymmetricSign({ keyId, algorithm: 'ECDSA_SHA_256', digest })
 * const { macValid } = await kms.verifyMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message, mac })
 * ```
 *
 * Signing and verifying answer synchronously on a cached key, like encrypt.
 */
import {
  encryptionAlgorithms, HMAC_ALGORITHMS, publicKeyPem, rsaOaepMaxPlaintextLength, signingAlgorithms,
  signingDigestLength, signingHash, type HmacAlgorithm, type SigningAlgorithm,
} from '@strongroom/crypto'
import type * as api from '../api.js'
import { fromBase64, isUuid } from '../bytes.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { KeyEntry } from '../key-entry.js'
import { primaryVersion, type AsymmetricKeySpec, type KeyVersionRecord } from '../key-record.js'
import type { KeyOperation } from '../transitions.js'
import { bytesParam, oneOf, requestObject, stringParam } from '../validate.js'
import { invalidCiphertext } from './ciphertext.js'
import { cryptoCall } from './provider-errors.js'

/** What this module needs from the engine (engine/context.ts). */
export type AsymmetricContext = Pick<EngineContext, 'material' | 'use' | 'useCached'>

/** Largest message asymmetricSign/Verify and generateMac/verifyMac take; sign longer ones by digest. */
const MAX_SIGNING_MESSAGE_BYTES = 4096

/** Runs `work` on the key: at once when it is cached (no promise of its own), else once loaded. */
function withKey<T>(ctx: AsymmetricContext, call: Call, ref: unknown, operation: KeyOperation, work: (entry: KeyEntry) => T): T | Promise<T> {
  const cached = ctx.useCached(call, ref, operation)
  return cached !== undefined ? work(cached) : ctx.use(call, ref, operation).then(work)
}

/** A named version of the key, or its primary version. */
function chosenVersion(entry: KeyEntry, keyVersionId: unknown): KeyVersionRecord {
  if (keyVersionId === undefined) {
    const primary = primaryVersion(entry.record)
    if (primary === undefined) throw new KmsError('Rejected.InvalidState', `key ${entry.record.keyId} has no material`)
    return primary
  }
  const id = stringParam(keyVersionId, 'keyVersionId', 36, 36)
  const version = isUuid(id) ? entry.version(id) : undefined
  if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${id}`)
  return version
}

/**
 * Digest (the reference model's input: the message's hash under the algorithm's hash, e.g. a
 * 32-byte SHA-256) or raw message (up to 4 KiB), exactly one.
 */
function signingInput(request: api.SigningInput, algorithm: SigningAlgorithm): { input: Uint8Array; isDigest: boolean } {
  if ((request.digest === undefined) === (request.message === undefined)) {
    throw new KmsError('InvalidParameter', 'pass exactly one of digest (the hash of the message) or message')
  }
  if (request.digest !== undefined) {
    if (algorithm === 'ED25519') throw new KmsError('InvalidParameter', 'ED25519 signs messages, not digests: pass message')
    const length = signingDigestLength(algorithm)
    const hash = signingHash(algorithm).toUpperCase().replace('SHA', 'SHA-')
    return { input: bytesParam(request.digest, 'digest', length, length, ` (a ${hash} digest for ${algorithm})`), isDigest: true }
  }
  return { input: bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES, '; sign longer messages by their SHA-256 digest'), isDigest: false }
}

export function asymmetricSign(
  ctx: AsymmetricContext, call: Call, request: api.AsymmetricSignRequest,
): api.AsymmetricSignResponse | Promise<api.AsymmetricSignResponse> {
  requestObject(request, 'asymmetricSign')
  return withKey(ctx, call, request.keyId, 'asymmetricSign', (entry) => {
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
    const { input, isDigest } = signingInput(request, algorithm)
    const version = chosenVersion(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const privateKey = entry.material(version, ctx.material)
    const value = cryptoCall('asymmetricSign', () => ctx.material.crypto.sign(spec, algorithm, privateKey, input, isDigest))
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
  })
}

export function asymmetricVerify(
  ctx: AsymmetricContext, call: Call, request: api.AsymmetricVerifyRequest,
): api.AsymmetricVerifyResponse | Promise<api.AsymmetricVerifyResponse> {
  requestObject(request, 'asymmetricVerify')
  return withKey(ctx, call, request.keyId, 'asymmetricVerify', (entry) => {
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
    const { input, isDigest } = signingInput(request, algorithm)
    const signature = bytesParam(request.value, 'value', 1, 1024)
    const version = chosenVersion(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const publicKey = entry.publicKey(version)
    const value = cryptoCall('asymmetricVerify', () => ctx.material.crypto.verify(spec, algorithm, publicKey, input, isDigest, signature))
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
  })
}

export function asymmetricEncrypt(
  ctx: AsymmetricContext, call: Call, request: api.AsymmetricEncryptRequest,
): api.AsymmetricEncryptResponse | Promise<api.AsymmetricEncryptResponse> {
  requestObject(request, 'asymmetricEncrypt')
  return withKey(ctx, call, request.keyId, 'asymmetricEncrypt', (entry) => {
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
    const plaintext = bytesParam(request.plaintext, 'plaintext', 1, rsaOaepMaxPlaintextLength(spec, algorithm), ` (the most ${algorithm} takes with ${spec})`)
    const version = chosenVersion(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const publicKey = entry.publicKey(version)
    const ciphertextBlob = cryptoCall('asymmetricEncrypt', () => ctx.material.crypto.rsaEncrypt(spec, algorithm, publicKey, plaintext))
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, ciphertextBlob }
  })
}

export function asymmetricDecrypt(
  ctx: AsymmetricContext, call: Call, request: api.AsymmetricDecryptRequest,
): api.AsymmetricDecryptResponse | Promise<api.AsymmetricDecryptResponse> {
  requestObject(request, 'asymmetricDecrypt')
  return withKey(ctx, call, request.keyId, 'asymmetricDecrypt', (entry) => {
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
    const ciphertext = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 1, 1024)
    const version = chosenVersion(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const privateKey = entry.material(version, ctx.material)
    const plaintext = cryptoCall('asymmetricDecrypt', () => ctx.material.crypto.rsaDecrypt(spec, algorithm, privateKey, ciphertext))
    if (plaintext === undefined) throw invalidCiphertext()
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, plaintext }
  })
}

/** The version's public key, as PEM and as SubjectPublicKeyInfo DER, for any standard tool. */
export async function getPublicKey(ctx: AsymmetricContext, call: Call, request: api.GetPublicKeyRequest): Promise<api.GetPublicKeyResponse> {
  requestObject(request, 'getPublicKey')
  const entry = await ctx.use(call, request.keyId, 'getPublicKey')
  const spec = entry.record.keySpec as AsymmetricKeySpec
  const version = chosenVersion(entry, request.keyVersionId)
  call.keyVersionId = version.keyVersionId
  const publicKeyDer = fromBase64(version.publicKey!)!
  return {
    requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, keySpec: spec, keyUsage: entry.record.keyUsage,
    publicKey: publicKeyPem(publicKeyDer), publicKeyDer,
    ...(entry.record.keyUsage === 'SIGN/VERIFY' ? { signingAlgorithms: signingAlgorithms(spec) } : { encryptionAlgorithms: encryptionAlgorithms(spec) }),
  }
}

function macAlgorithmOf(entry: KeyEntry, value: unknown): HmacAlgorithm {
  const algorithm = oneOf(value, 'macAlgorithm', HMAC_ALGORITHMS)
  if (algorithm !== entry.record.keySpec) throw new KmsError('InvalidKeyUsage', `a ${entry.record.keySpec} key computes ${entry.record.keySpec}, not ${algorithm}`)
  return algorithm
}

export async function generateMac(ctx: AsymmetricContext, call: Call, request: api.GenerateMacRequest): Promise<api.GenerateMacResponse> {
  requestObject(request, 'generateMac')
  const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
  const entry = await ctx.use(call, request.keyId, 'generateMac')
  const macAlgorithm = macAlgorithmOf(entry, request.macAlgorithm)
  const version = chosenVersion(entry, undefined)
  call.keyVersionId = version.keyVersionId
  const mac = ctx.material.crypto.hmac(macAlgorithm, entry.material(version, ctx.material), message)
  call.keyUse = true
  return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, macAlgorithm, mac }
}

/**
 * Recomputes the MAC under the named version (or under each version, newest first, so a
 * MAC made before a rotation still verifies) and compares in constant time.
 */
export async function verifyMac(ctx: AsymmetricContext, call: Call, request: api.VerifyMacRequest): Promise<api.VerifyMacResponse> {
  requestObject(request, 'verifyMac')
  const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
  const mac = bytesParam(request.mac, 'mac', 1, 64)
  const entry = await ctx.use(call, request.keyId, 'verifyMac')
  const macAlgorithm = macAlgorithmOf(entry, request.macAlgorithm)
  const versions = request.keyVersionId === undefined ? [...entry.record.versions].reverse() : [chosenVersion(entry, request.keyVersionId)]
  const { crypto } = ctx.material
  let matched: KeyVersionRecord | undefined
  for (const version of versions) {
    const expected = crypto.hmac(macAlgorithm, entry.material(version, ctx.material), message)
    if (crypto.timingSafeEqual(expected, mac)) matched ??= version
  }
  const keyVersionId = (matched ?? versions[0]!).keyVersionId
  call.keyVersionId = keyVersionId
  call.keyUse = true
  return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, macAlgorithm, macValid: matched !== undefined }
}
