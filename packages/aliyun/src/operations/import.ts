/**
 * Bring your own key: GetParametersForImport, ImportKeyMaterial, DeleteKeyMaterial.
 *
 * ```ts
 * const { ImportToken, PublicKey } = await GetParametersForImport(
 *   parameters({ KeyId: id, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }), context)
 * // wrap 32 bytes of material with PublicKey (Base64 DER), then:
 * await ImportKeyMaterial(parameters({ KeyId: id, ImportToken, EncryptedKeyMaterial: wrapped }), context)
 * ```
 *
 * The wrapping key is RSA_2048 with RSAES-OAEP (SHA-256 or SHA-1); Alibaba's
 * RSAES_PKCS1_V1_5 and SM2 wrapping are refused as unsupported.
 */
import { unsupported } from '../errors.js'
import { base64, optionalInteger, requiredBlob, requiredEnum, requiredString } from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam } from './members.js'

export const GetParametersForImport: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const algorithm = requiredEnum(params, 'WrappingAlgorithm', ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSAES_PKCS1_V1_5', 'SM2PKE'] as const)
  const spec = requiredEnum(params, 'WrappingKeySpec', ['RSA_2048', 'EC_SM2'] as const)
  if (algorithm === 'RSAES_PKCS1_V1_5' || algorithm === 'SM2PKE' || spec === 'EC_SM2') {
    throw unsupported(`wrapping with ${algorithm} / ${spec} is not supported: use RSAES_OAEP_SHA_256 (or _SHA_1) with RSA_2048`)
  }
  const result = await client.getParametersForImport({ keyId, wrappingAlgorithm: algorithm, wrappingKeySpec: spec })
  return { KeyId: result.keyId, ImportToken: result.importToken, PublicKey: base64(result.publicKeyDer), TokenExpireTime: result.tokenExpireTime }
}

export const ImportKeyMaterial: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const importToken = requiredString(params, 'ImportToken', 1, 8192)
  const encryptedKeyMaterial = requiredBlob(params, 'EncryptedKeyMaterial', 1, 1024)
  const keyMaterialExpireUnix = optionalInteger(params, 'KeyMaterialExpireUnix', 0, 2 ** 40)
  await client.importKeyMaterial({
    keyId, importToken, encryptedKeyMaterial, ...(keyMaterialExpireUnix === undefined ? {} : { keyMaterialExpireUnix }),
  })
  return {}
}

export const DeleteKeyMaterial: Operation = async (params, { client }) => {
  await client.deleteKeyMaterial({ keyId: keyIdParam(params) })
  return {}
}
