/**
 * Data key pairs: generateDataKeyPair and generateDataKeyPairWithoutPlaintext, AWS's
 * GenerateDataKeyPair for code that signs or decrypts outside the engine: a fresh key pair,
 * its private key (PKCS#8 DER) encrypted under a symmetric key with an encryption context.
 *
 * ```ts
 * const pair = await kms.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P256', encryptionContext: { app: 'signer' } })
 * // pair.publicKey: SubjectPublicKeyInfo DER; pair.privateKeyPlaintext: PKCS#8 DER (wipe it after use)
 * const { plaintext } = await kms.decrypt({ ciphertextBlob: pair.privateKeyCiphertextBlob, encryptionContext: { app: 'signer' } })
 * ```
 *
 * The private key is encrypted exactly as generateDataKey encrypts a data key, so
 * `decrypt` opens it. Pairs come from the crypto provider with the engine's random source
 * (EC and Ed25519 pairs are reproducible under a seeded engine; RSA pairs never are). The
 * audit record and authorization are generateDataKey's, with `kms:DataKeyPairSpec` as a
 * condition key (AWS's).
 */
import type * as api from '../api.js'
import { wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { KeyEntry } from '../key-entry.js'
import { ASYMMETRIC_KEY_SPECS } from '../key-record.js'
import { oneOf, requestObject } from '../validate.js'

/** What this module needs from the engine (engine/context.ts). */
export type DataKeyPairsContext = Pick<EngineContext, 'material' | 'random' | 'use'>

type Operation = 'generateDataKeyPair' | 'generateDataKeyPairWithoutPlaintext'

/** Validates the request, loads and authorizes the key, makes the pair and encrypts its private key. */
async function makePair(
  ctx: DataKeyPairsContext, call: Call, request: api.GenerateDataKeyPairRequest, operation: Operation,
): Promise<{ entry: KeyEntry; keyVersionId: string; spec: api.DataKeyPairSpec; pair: { privateKey: Uint8Array; publicKey: Uint8Array }; blob: Uint8Array }> {
  requestObject(request, operation)
  const spec = oneOf(request.keyPairSpec, 'keyPairSpec', ASYMMETRIC_KEY_SPECS)
  const context = encodeEncryptionContext(request.encryptionContext)
  if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
  const entry = await ctx.use(call, request.keyId, operation, call.eventName, { 'kms:DataKeyPairSpec': spec })
  const { crypto } = ctx.material
  if (!crypto.asymmetricSpecs.includes(spec)) {
    throw new KmsError('Rejected.UnsupportedOperation', `${spec} key pairs need node:crypto or WebCrypto; the ${crypto.name} crypto provider cannot make them`)
  }
  const pair = await crypto.generateKeyPair(spec, ctx.random)
  try {
    const { blob, keyVersionId } = entry.seal(pair.privateKey, context, ctx.material)
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { entry, keyVersionId, spec, pair, blob }
  } catch (error) {
    wipe(pair.privateKey)
    throw error
  }
}

export async function generateDataKeyPair(
  ctx: DataKeyPairsContext, call: Call, request: api.GenerateDataKeyPairRequest,
): Promise<api.GenerateDataKeyPairResponse> {
  const { entry, keyVersionId, spec, pair, blob } = await makePair(ctx, call, request, 'generateDataKeyPair')
  return {
    requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, keyPairSpec: spec,
    publicKey: pair.publicKey, privateKeyCiphertextBlob: blob, privateKeyPlaintext: pair.privateKey,
  }
}

export async function generateDataKeyPairWithoutPlaintext(
  ctx: DataKeyPairsContext, call: Call, request: api.GenerateDataKeyPairRequest,
): Promise<api.GenerateDataKeyPairWithoutPlaintextResponse> {
  const { entry, keyVersionId, spec, pair, blob } = await makePair(ctx, call, request, 'generateDataKeyPairWithoutPlaintext')
  wipe(pair.privateKey)
  return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, keyPairSpec: spec, publicKey: pair.publicKey, privateKeyCiphertextBlob: blob }
}
