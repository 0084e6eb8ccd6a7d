/**
 * Opening ciphertext blobs and reading data-key requests: shared by cryptography
 * (decrypt, reEncrypt, generateDataKey) and data-key export.
 *
 * ```ts
 * const { entry, keyVersionId, plaintext } = await openBlob(ctx, call, blob, context, 'decrypt', 'Decrypt')
 * ```
 *
 * Every failure to authenticate a blob is InvalidCiphertext, whatever the cause.
 */
import type * as api from '../api.js'
import { BLOB_VERSION_ID_OFFSET, blobKeyId } from '../blob.js'
import { uuidFromBytesAt } from '../bytes.js'
import type { Call } from '../call.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { KeyEntry } from '../key-entry.js'
import { integerParam, oneOf } from '../validate.js'

/** What this module needs from the engine (engine/context.ts). */
export type CiphertextContext = Pick<EngineContext, 'material' | 'use' | 'useCached'>

/** An opened ciphertext blob: its key, version and plaintext. */
export interface Opened {
  readonly entry: KeyEntry
  readonly keyVersionId: string
  readonly plaintext: Uint8Array
}

/** The one answer to a blob that does not open: its cause is never told. */
export function invalidCiphertext(): KmsError {
  return new KmsError('InvalidCiphertext')
}

const MAX_DATA_KEY_BYTES = 1024

/** Opens a blob and returns the key it belongs to; every failure to authenticate is InvalidCiphertext. */
export async function openBlob(
  ctx: CiphertextContext, call: Call, blob: Uint8Array, context: Uint8Array, operation: 'decrypt' | 'reEncrypt' | 'exportDataKey', action: string,
  expectedKeyId?: string,
): Promise<Opened> {
  const keyId = blobKeyId(blob)
  if (keyId === undefined) throw invalidCiphertext()
  if (expectedKeyId !== undefined && expectedKeyId !== keyId) {
    throw new KmsError('IncorrectKey', 'the ciphertext was not encrypted under sourceKeyId')
  }
  let entry: KeyEntry
  try {
    entry = ctx.useCached(call, keyId, operation, true) ?? await ctx.use(call, keyId, operation, action)
  } catch (error) {
    // A blob naming no key here (foreign, mangled, or purged) is simply not a valid ciphertext.
    if (KmsError.is(error, 'Forbidden.KeyNotFound')) throw invalidCiphertext()
    throw error
  }
  return openWithKey(ctx, entry, blob, context)
}

/** Opens a blob under a key already loaded (the cached path of decrypt, without an await). */
export function openWithKey(ctx: CiphertextContext, entry: KeyEntry, blob: Uint8Array, context: Uint8Array): Opened {
  const keyVersionId = uuidFromBytesAt(blob, BLOB_VERSION_ID_OFFSET)
  const plaintext = entry.openBlob(blob, keyVersionId, context, ctx.material)
  if (plaintext === undefined) throw invalidCiphertext()
  return { entry, keyVersionId, plaintext }
}

/** Data key length and the condition keys a policy can test about it (the context is validated first, then noted on the call). */
export function dataKeyRequest(
  call: Call, request: api.GenerateDataKeyRequest,
): { length: number; conditions: Record<string, string>; context: Uint8Array } {
  const context = encodeEncryptionContext(request.encryptionContext)
  if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
  if (request.numberOfBytes !== undefined) {
    const length = integerParam(request.numberOfBytes, 'numberOfBytes', 1, MAX_DATA_KEY_BYTES)
    return { length, conditions: { 'kms:NumberOfBytes': String(length) }, context }
  }
  const spec = request.keySpec === undefined ? 'AES_256' : oneOf(request.keySpec, 'keySpec', ['AES_256', 'AES_128'])
  const length = spec === 'AES_128' ? 16 : 32
  return { length, conditions: { 'kms:DataKeySpec': spec, 'kms:NumberOfBytes': String(length) }, context }
}
