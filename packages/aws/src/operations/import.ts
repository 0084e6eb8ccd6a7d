/**
 * Importing key material (BYOK): GetParametersForImport, ImportKeyMaterial and
 * DeleteImportedKeyMaterial, on the engine's getParametersForImport / importKeyMaterial /
 * deleteKeyMaterial.
 *
 * ```ts
 * const { ImportToken, PublicKey } = await GetParametersForImport({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }, context)
 * // EncryptedKeyMaterial = RSA-OAEP(PublicKey, 32 bytes of material)
 * await ImportKeyMaterial({ KeyId, ImportToken, EncryptedKeyMaterial, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }, context)
 * ```
 *
 * The engine imports into SYMMETRIC_DEFAULT and HMAC keys (CreateKey with `Origin: EXTERNAL`;
 * HMAC material from the digest length to the block size, as AWS takes it), wraps
 * with an RSA_2048 key under RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256 (AWS's other wrapping
 * algorithms and specs are UnsupportedOperationException), and its tokens last 24 hours by
 * the engine's clock. The engine's import token is a string: on the wire it is that string's
 * UTF-8 bytes (AWS's tokens are opaque bytes, so callers only ever pass them back).
 */
import { unsupported, validation } from '../errors.js'
import {
  AWS_EXPIRATION_MODEL_VALUES, AWS_IMPORT_TYPE_VALUES, AWS_WRAPPING_ALGORITHM_VALUES, AWS_WRAPPING_KEY_SPEC_VALUES,
} from '../specs.js'
import {
  base64, epochSeconds, optionalEnum, optionalString, optionalTimestamp, requiredBlob, requiredEnum, requiredString,
} from '../wire.js'
import type { Operation } from './context.js'
import { describeQuietly } from './keys.js'
import { KEY_ID_MAX, keyIdParam } from './members.js'

/** AWS's limits on ImportToken and EncryptedKeyMaterial. */
const TOKEN_MAX = 6144
const MATERIAL_MAX = 6144
/** The longest token / wrapped material the engine takes; anything longer cannot be one of its tokens or an RSA-2048 ciphertext. */
const ENGINE_TOKEN_MAX = 64
const ENGINE_MATERIAL_MAX = 1024
/** Not a token the engine ever issues (they are UUIDs): the engine answers InvalidImportToken for it, after its key checks. */
const NOT_A_TOKEN = 'not-an-import-token'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** The engine token an ImportToken blob carries; bytes that cannot be one still reach the engine, which refuses them in order. */
function engineToken(bytes: Uint8Array): string {
  if (bytes.length > ENGINE_TOKEN_MAX) return NOT_A_TOKEN
  try {
    return decoder.decode(bytes)
  } catch {
    return NOT_A_TOKEN
  }
}

export const GetParametersForImport: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  const wrappingAlgorithm = requiredEnum(input, 'WrappingAlgorithm', AWS_WRAPPING_ALGORITHM_VALUES)
  const wrappingKeySpec = requiredEnum(input, 'WrappingKeySpec', AWS_WRAPPING_KEY_SPEC_VALUES)
  if (wrappingAlgorithm !== 'RSAES_OAEP_SHA_1' && wrappingAlgorithm !== 'RSAES_OAEP_SHA_256') {
    throw unsupported(`WrappingAlgorithm ${wrappingAlgorithm} is not supported; use RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1`)
  }
  if (wrappingKeySpec !== 'RSA_2048') throw unsupported(`WrappingKeySpec ${wrappingKeySpec} is not supported; use RSA_2048`)
  const result = await client.getParametersForImport({ keyId, wrappingAlgorithm, wrappingKeySpec })
  return {
    KeyId: names.keyArn(result.keyId),
    ImportToken: base64(encoder.encode(result.importToken)),
    PublicKey: base64(result.publicKeyDer),
    ParametersValidTo: epochSeconds(result.tokenExpireTime),
  }
}

/**
 * AWS's expiration rules: `ExpirationModel` defaults to KEY_MATERIAL_EXPIRES, which needs
 * `ValidTo`; KEY_MATERIAL_DOES_NOT_EXPIRE forbids it. `ValidTo` becomes the engine's
 * `keyMaterialExpireUnix` (whole seconds, rounded up); the engine refuses a time in its
 * past. `ImportType` is accepted (the engine's rule holds either way: the first import fixes
 * the key's material, and only the same material can be imported again, else
 * IncorrectKeyMaterialException); `KeyMaterialDescription` is accepted and not kept;
 * `KeyMaterialId` is UnsupportedOperationException.
 */
export const ImportKeyMaterial: Operation = async (input, context) => {
  const ref = requiredString(input, 'KeyId', 1, KEY_ID_MAX)
  const keyId = context.names.keyId(ref)
  const token = requiredBlob(input, 'ImportToken', 1, TOKEN_MAX)
  const encrypted = requiredBlob(input, 'EncryptedKeyMaterial', 1, MATERIAL_MAX)
  const validTo = optionalTimestamp(input, 'ValidTo')
  const expirationModel = optionalEnum(input, 'ExpirationModel', AWS_EXPIRATION_MODEL_VALUES) ?? 'KEY_MATERIAL_EXPIRES'
  optionalEnum(input, 'ImportType', AWS_IMPORT_TYPE_VALUES)
  optionalString(input, 'KeyMaterialDescription', 0, 256)
  if (optionalString(input, 'KeyMaterialId', 1, 64) !== undefined) {
    throw unsupported('KeyMaterialId is not supported: a key here has one imported material')
  }
  if (expirationModel === 'KEY_MATERIAL_EXPIRES' && validTo === undefined) {
    throw validation('ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES (the default)')
  }
  if (expirationModel === 'KEY_MATERIAL_DOES_NOT_EXPIRE' && validTo !== undefined) {
    throw validation('ValidTo is not valid when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE')
  }
  // 0 means "never" to the engine, so a time at or before 1970 must not reach it as one.
  if (validTo !== undefined && validTo <= 0) throw validation('ValidTo must be a future date and time')
  await context.client.importKeyMaterial({
    keyId,
    importToken: engineToken(token),
    // Longer than an RSA-2048 ciphertext: one byte, which no wrapping key decrypts (InvalidCiphertextException, in order).
    encryptedKeyMaterial: encrypted.length > ENGINE_MATERIAL_MAX ? new Uint8Array(1) : encrypted,
    ...(validTo === undefined ? {} : { keyMaterialExpireUnix: Math.ceil(validTo) }),
  })
  const after = await describeQuietly(context, ref)
  return {
    ...(after.keyId === undefined ? {} : { KeyId: context.names.keyArn(after.keyId) }),
    ...(after.metadata?.primaryKeyVersion === undefined ? {} : { KeyMaterialId: after.metadata.primaryKeyVersion }),
  }
}

/** The key returns to PendingImport. The answer names the material deleted, learnt by a DescribeKey before. */
export const DeleteImportedKeyMaterial: Operation = async (input, context) => {
  const ref = requiredString(input, 'KeyId', 1, KEY_ID_MAX)
  const keyId = context.names.keyId(ref)
  if (optionalString(input, 'KeyMaterialId', 1, 64) !== undefined) {
    throw unsupported('KeyMaterialId is not supported: a key here has one imported material')
  }
  const before = await describeQuietly(context, ref)
  await context.client.deleteKeyMaterial({ keyId })
  return {
    ...(before.keyId === undefined ? {} : { KeyId: context.names.keyArn(before.keyId) }),
    ...(before.metadata?.primaryKeyVersion === undefined ? {} : { KeyMaterialId: before.metadata.primaryKeyVersion }),
  }
}
