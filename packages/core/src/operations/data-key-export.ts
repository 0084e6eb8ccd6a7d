/**
 * Data-key export: exportDataKey and generateAndExportDataKey hand a data key to the
 * holder of an RSA public key; the caller never sees it in the clear.
 *
 * ```ts
 * const { exportedDataKey } = await kms.exportDataKey({ ciphertextBlob, publicKeyBlob: pem, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' })
 * ```
 *
 * The public key may be PEM text or SubjectPublicKeyInfo DER.
 */
import { encryptionAlgorithms, type AsymmetricEncryptionAlgorithm } from '@strongroom/crypto'
import type * as api from '../api.js'
import { fromBase64, wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { AsymmetricKeySpec } from '../key-record.js'
import { bytesParam, oneOf, requestObject } from '../validate.js'
import { dataKeyRequest, openBlob } from './ciphertext.js'
import { cryptoCall } from './provider-errors.js'

/** What this module needs from the engine (engine/context.ts). */
export type DataKeyExportContext = Pick<EngineContext, 'material' | 'random' | 'use' | 'useCached'>

/** A caller's RSA public key to export a data key to. */
interface WrappingKey {
  readonly spki: Uint8Array
  readonly spec: AsymmetricKeySpec
  readonly algorithm: AsymmetricEncryptionAlgorithm
}

/** An RSA public key from the caller (SubjectPublicKeyInfo DER, or PEM text) to wrap a data key for. */
function wrappingKey(request: api.DataKeyExport): WrappingKey {
  const spec = oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const)
  const algorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms(spec))
  const blob = request.publicKeyBlob
  let spki: Uint8Array | undefined
  if (typeof blob === 'string') {
    const body = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(blob.trim())?.[1]
    spki = body === undefined ? undefined : fromBase64(body.replace(/\s+/g, ''))
    if (spki === undefined) throw new KmsError('InvalidParameter', 'publicKeyBlob is not a PEM public key')
  } else {
    spki = bytesParam(blob, 'publicKeyBlob', 1, 4096)
  }
  return { spki, spec, algorithm }
}

function exportTo(ctx: DataKeyExportContext, wrapping: WrappingKey, dataKey: Uint8Array): Uint8Array {
  return cryptoCall('exportDataKey', () => ctx.material.crypto.rsaEncrypt(wrapping.spec, wrapping.algorithm, wrapping.spki, dataKey))
}

/** Re-wraps a data key (a generateDataKey blob) under the caller's RSA public key; the caller never sees it. */
export async function exportDataKey(ctx: DataKeyExportContext, call: Call, request: api.ExportDataKeyRequest): Promise<api.ExportDataKeyResponse> {
  requestObject(request, 'exportDataKey')
  const wrapping = wrappingKey(request)
  const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
  const context = encodeEncryptionContext(request.encryptionContext)
  if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
  const { entry, keyVersionId, plaintext } = await openBlob(ctx, call, blob, context, 'exportDataKey', 'ExportDataKey')
  try {
    call.keyVersionId = keyVersionId
    const exportedDataKey = exportTo(ctx, wrapping, plaintext)
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, exportedDataKey }
  } finally {
    wipe(plaintext)
  }
}

/** A new data key, wrapped under the CMK and under the caller's RSA public key; never in the clear outside. */
export async function generateAndExportDataKey(
  ctx: DataKeyExportContext, call: Call, request: api.GenerateAndExportDataKeyRequest,
): Promise<api.GenerateAndExportDataKeyResponse> {
  requestObject(request, 'generateAndExportDataKey')
  const wrapping = wrappingKey(request)
  const { length, conditions, context } = dataKeyRequest(call, request)
  const entry = await ctx.use(call, request.keyId, 'generateAndExportDataKey', call.eventName, conditions)
  const dataKey = ctx.random.fill(new Uint8Array(length))
  try {
    const exportedDataKey = exportTo(ctx, wrapping, dataKey)
    const { blob, keyVersionId } = entry.seal(dataKey, context, ctx.material)
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, exportedDataKey }
  } finally {
    wipe(dataKey)
  }
}
