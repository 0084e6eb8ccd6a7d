/**
 * Symmetric cryptography under a key: encrypt, decrypt, reEncrypt (from and to RSA keys
 * too), generateDataKey and generateDataKeyWithoutPlaintext.
 *
 * ```ts
 * const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext, encryptionContext: { tenant: 'acme' } })
 * const { plaintext: back } = await kms.decrypt({ ciphertextBlob, encryptionContext: { tenant: 'acme' } })
 * ```
 *
 * The hot path: on a cached key, encrypt, decrypt and generateDataKey answer synchronously
 * (`useCached`), so the dispatcher wraps the answer in its one promise; no closure or
 * extra await is added per call.
 */
import type * as api from '../api.js'
import { blobKeyId } from '../blob.js'
import { wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { KeyEntry } from '../key-entry.js'
import { encryptionAlgorithms, rsaOaepMaxPlaintextLength, type AsymmetricEncryptionAlgorithm } from '@strongroom/crypto'
import { primaryVersion, type AsymmetricKeySpec } from '../key-record.js'
import { bytesParam, oneOf, requestObject } from '../validate.js'
import { dataKeyRequest, invalidCiphertext, openBlob, openWithKey, type Opened } from './ciphertext.js'
import { cryptoCall } from './provider-errors.js'

/** What this module needs from the engine (engine/context.ts). */
export type CryptographyContext = Pick<EngineContext, 'material' | 'random' | 'resolveKeyId' | 'use' | 'useCached'>

/** The largest plaintext `encrypt` takes, as in the reference model; larger data belongs in envelope encryption. */
export const MAX_ENCRYPT_PLAINTEXT_BYTES = 6144

/**
 * Synchronous when the key is cached (no promise of its own: each one costs about a tenth
 * of a 1 KiB encryption); otherwise a promise that loads the key first.
 */
export function encrypt(ctx: CryptographyContext, call: Call, request: api.EncryptRequest): api.EncryptResponse | Promise<api.EncryptResponse> {
  requestObject(request, 'encrypt')
  const plaintext = bytesParam(request.plaintext, 'plaintext', 1, MAX_ENCRYPT_PLAINTEXT_BYTES,
    '; for larger data use envelope encryption: generateDataKey, encrypt locally, keep only the wrapped data key')
  const context = encodeEncryptionContext(request.encryptionContext)
  if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
  // No closure here: one per call would be garbage on the hottest path.
  const cached = ctx.useCached(call, request.keyId, 'encrypt')
  if (cached !== undefined) return encrypted(ctx, call, cached, plaintext, context)
  return ctx.use(call, request.keyId, 'encrypt').then((entry) => encrypted(ctx, call, entry, plaintext, context))
}

function encrypted(ctx: CryptographyContext, call: Call, entry: KeyEntry, plaintext: Uint8Array, context: Uint8Array): api.EncryptResponse {
  const { blob, keyVersionId } = entry.seal(plaintext, context, ctx.material)
  call.keyVersionId = keyVersionId
  call.keyUse = true
  return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
}

/** Synchronous when the blob's key is cached, like encrypt(). */
export function decrypt(ctx: CryptographyContext, call: Call, request: api.DecryptRequest): api.DecryptResponse | Promise<api.DecryptResponse> {
  requestObject(request, 'decrypt')
  const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
  const context = encodeEncryptionContext(request.encryptionContext)
  if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
  const keyId = blobKeyId(blob)
  const cached = keyId === undefined ? undefined : ctx.useCached(call, keyId, 'decrypt', true)
  if (cached !== undefined) return decrypted(call, openWithKey(ctx, cached, blob, context))
  return openBlob(ctx, call, blob, context, 'decrypt', 'Decrypt').then((opened) => decrypted(call, opened))
}

function decrypted(call: Call, { entry, keyVersionId, plaintext }: Opened): api.DecryptResponse {
  call.keyVersionId = keyVersionId
  call.keyUse = true
  return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, plaintext }
}

/** The RSAES-OAEP algorithms (RSA keys run both). */
const RSA_OAEP: readonly AsymmetricEncryptionAlgorithm[] = encryptionAlgorithms('RSA_2048')

/**
 * Decrypts and re-encrypts under `destinationKeyId` inside the engine; the plaintext never
 * reaches the caller. Authorized as `kms:ReEncryptFrom` on the source key and
 * `kms:ReEncryptTo` on the destination, so each side can be granted on its own. Either side
 * may be an RSA ENCRYPT/DECRYPT key (`sourceAlgorithm` / `destinationAlgorithm`), as AWS's
 * ReEncrypt allows; an RSA key has no encryption context, and uses its primary version.
 */
export async function reEncrypt(ctx: CryptographyContext, call: Call, request: api.ReEncryptRequest): Promise<api.ReEncryptResponse> {
  requestObject(request, 'reEncrypt')
  const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
  const sourceContext = encodeEncryptionContext(request.sourceEncryptionContext)
  const destinationContext = encodeEncryptionContext(request.destinationEncryptionContext)
  const destinationRef = request.destinationKeyId
  if (destinationRef === undefined) throw new KmsError('InvalidParameter', 'destinationKeyId is required')
  const sourceAlgorithm = request.sourceAlgorithm === undefined ? undefined : oneOf(request.sourceAlgorithm, 'sourceAlgorithm', RSA_OAEP)
  const destinationAlgorithm = request.destinationAlgorithm === undefined ? undefined : oneOf(request.destinationAlgorithm, 'destinationAlgorithm', RSA_OAEP)
  if (sourceAlgorithm !== undefined && request.sourceEncryptionContext !== undefined) {
    throw new KmsError('InvalidParameter', 'an RSA ciphertext has no encryption context: omit sourceEncryptionContext')
  }
  if (destinationAlgorithm !== undefined && request.destinationEncryptionContext !== undefined) {
    throw new KmsError('InvalidParameter', 'RSA encryption takes no encryption context: omit destinationEncryptionContext')
  }
  if (request.sourceEncryptionContext !== undefined) call.encryptionContext = request.sourceEncryptionContext
  const source = sourceAlgorithm === undefined
    ? await openBlob(ctx, call, blob, sourceContext, 'reEncrypt', 'ReEncryptFrom',
      request.sourceKeyId === undefined ? undefined : await ctx.resolveKeyId(call, request.sourceKeyId, 'ReEncryptFrom'))
    : await openRsa(ctx, call, request.sourceKeyId, sourceAlgorithm, blob)
  try {
    call.sourceKeyId = source.entry.record.keyId
    if (request.destinationEncryptionContext !== undefined) call.encryptionContext = request.destinationEncryptionContext
    else delete call.encryptionContext
    const sealed = destinationAlgorithm === undefined
      ? await sealSymmetric(ctx, call, destinationRef, source.plaintext, destinationContext)
      : await sealRsa(ctx, call, destinationRef, destinationAlgorithm, source.plaintext)
    call.keyVersionId = sealed.keyVersionId
    call.keyUse = true
    return {
      requestId: call.requestId, keyId: sealed.keyId, keyVersionId: sealed.keyVersionId, ciphertextBlob: sealed.blob,
      sourceKeyId: source.entry.record.keyId, sourceKeyVersionId: source.keyVersionId,
    }
  } finally {
    wipe(source.plaintext)
  }
}

async function sealSymmetric(
  ctx: CryptographyContext, call: Call, keyRef: string, plaintext: Uint8Array, context: Uint8Array,
): Promise<{ keyId: string; keyVersionId: string; blob: Uint8Array }> {
  const entry = await ctx.use(call, keyRef, 'reEncrypt', 'ReEncryptTo')
  return { keyId: entry.record.keyId, ...entry.seal(plaintext, context, ctx.material) }
}

/** An RSAES-OAEP ciphertext of an RSA ENCRYPT/DECRYPT key, opened with its primary version's private key. */
async function openRsa(
  ctx: CryptographyContext, call: Call, keyRef: string | undefined, algorithm: AsymmetricEncryptionAlgorithm, ciphertext: Uint8Array,
): Promise<Opened> {
  if (keyRef === undefined) throw new KmsError('InvalidParameter', 'sourceKeyId is required to re-encrypt an RSA ciphertext')
  const entry = await ctx.use(call, keyRef, 'asymmetricDecrypt', 'ReEncryptFrom')
  const version = primaryVersion(entry.record)!
  const spec = entry.record.keySpec as AsymmetricKeySpec
  const privateKey = entry.material(version, ctx.material)
  const plaintext = cryptoCall('reEncrypt', () => ctx.material.crypto.rsaDecrypt(spec, algorithm, privateKey, ciphertext))
  if (plaintext === undefined) throw invalidCiphertext()
  return { entry, keyVersionId: version.keyVersionId, plaintext }
}

/** RSAES-OAEP under an RSA ENCRYPT/DECRYPT key's primary version; the plaintext must fit. */
async function sealRsa(
  ctx: CryptographyContext, call: Call, keyRef: string, algorithm: AsymmetricEncryptionAlgorithm, plaintext: Uint8Array,
): Promise<{ keyId: string; keyVersionId: string; blob: Uint8Array }> {
  const entry = await ctx.use(call, keyRef, 'asymmetricEncrypt', 'ReEncryptTo')
  const version = primaryVersion(entry.record)!
  const spec = entry.record.keySpec as AsymmetricKeySpec
  const max = rsaOaepMaxPlaintextLength(spec, algorithm)
  if (plaintext.length > max) {
    throw new KmsError('InvalidParameter', `the plaintext is longer than ${algorithm} with ${spec} can encrypt (at most ${max} bytes)`)
  }
  const blob = cryptoCall('reEncrypt', () => ctx.material.crypto.rsaEncrypt(spec, algorithm, entry.publicKey(version), plaintext))
  return { keyId: entry.record.keyId, keyVersionId: version.keyVersionId, blob }
}

/** A fresh data key, in the clear and wrapped under the CMK, for envelope encryption of large data. */
export function generateDataKey(
  ctx: CryptographyContext, call: Call, request: api.GenerateDataKeyRequest,
): api.GenerateDataKeyResponse | Promise<api.GenerateDataKeyResponse> {
  requestObject(request, 'generateDataKey')
  const { length, conditions, context } = dataKeyRequest(call, request)
  const generate = (entry: KeyEntry): api.GenerateDataKeyResponse => {
    const plaintext = ctx.random.fill(new Uint8Array(length))
    const { blob, keyVersionId } = entry.seal(plaintext, context, ctx.material)
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, plaintext }
  }
  const cached = ctx.useCached(call, request.keyId, 'generateDataKey')
  return cached !== undefined ? generate(cached) : ctx.use(call, request.keyId, 'generateDataKey', call.eventName, conditions).then(generate)
}

/** Like generateDataKey, but only the wrapped data key is returned (decrypt it later, where it is used). */
export async function generateDataKeyWithoutPlaintext(
  ctx: CryptographyContext, call: Call, request: api.GenerateDataKeyRequest,
): Promise<api.EncryptResponse> {
  requestObject(request, 'generateDataKeyWithoutPlaintext')
  const { length, conditions, context } = dataKeyRequest(call, request)
  const entry = ctx.useCached(call, request.keyId, 'generateDataKeyWithoutPlaintext')
    ?? await ctx.use(call, request.keyId, 'generateDataKeyWithoutPlaintext', call.eventName, conditions)
  const dataKey = ctx.random.fill(new Uint8Array(length))
  try {
    const { blob, keyVersionId } = entry.seal(dataKey, context, ctx.material)
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
  } finally {
    wipe(dataKey)
  }
}
