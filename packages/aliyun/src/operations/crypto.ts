/**
 * Symmetric cryptography: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext, ExportDataKey, GenerateAndExportDataKey.
 *
 * ```ts
 * await Encrypt(parameters({ KeyId: 'alias/app', Plaintext: 'aGVsbG8=', EncryptionContext: '{"app":"web"}' }), context)
 * // { KeyId, KeyVersionId, CiphertextBlob: '…base64…' }
 * ```
 *
 * `Plaintext` is Base64 both ways, as the API reference requires of Encrypt's input: the
 * engine encrypts the decoded bytes and Decrypt answers them Base64-encoded, so a
 * canonical Base64 plaintext comes back exactly as sent, and decrypting a data key's
 * `CiphertextBlob` answers the same Base64 data key GenerateDataKey returned (as on
 * Alibaba). Plaintexts and data keys are wiped from memory once encoded.
 */
import { invalidParameter, unsupported } from '../errors.js'
import {
  base64, optionalEnum, optionalInteger, optionalString, optionalStringMap, requiredBlob, requiredEnum, requiredString,
  wiping, type Params,
} from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam } from './members.js'

/** Encrypt takes at most 6 KiB (Alibaba's limit); larger data belongs in envelope encryption. */
const PLAINTEXT_MAX = 6144
const CIPHERTEXT_MAX = 16384
const PUBLIC_KEY_MAX = 4096
export const ENCRYPTION_ALGORITHMS = ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] as const
/** Alibaba's other wrapping choices (SM2), which this engine cannot do. */
const SM2_ALGORITHMS = ['SM2PKE']

/** `EncryptionContext` as the engine request member (absent when not sent). */
function contextParam(params: Params): { encryptionContext?: Record<string, string> } {
  const encryptionContext = optionalStringMap(params, 'EncryptionContext')
  return encryptionContext === undefined ? {} : { encryptionContext }
}

export const Encrypt: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const plaintext = requiredBlob(params, 'Plaintext', 1, PLAINTEXT_MAX)
  return wiping([plaintext], async () => {
    const result = await client.encrypt({ keyId, plaintext, ...contextParam(params) })
    return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob) }
  })
}

export const Decrypt: Operation = async (params, { client }) => {
  const ciphertextBlob = requiredBlob(params, 'CiphertextBlob', 1, CIPHERTEXT_MAX)
  const result = await client.decrypt({ ciphertextBlob, ...contextParam(params) })
  return wiping([result.plaintext], async () => ({ KeyId: result.keyId, KeyVersionId: result.keyVersionId, Plaintext: base64(result.plaintext) }))
}

/**
 * ReEncrypt of a symmetric ciphertext (the blob names its key), or — with
 * `SourceEncryptionAlgorithm` — of an RSA ciphertext under `SourceKeyId` and
 * `SourceKeyVersionId`, which is decrypted and encrypted again without the plaintext
 * leaving the server.
 */
export const ReEncrypt: Operation = async (params, { client }) => {
  const ciphertextBlob = requiredBlob(params, 'CiphertextBlob', 1, CIPHERTEXT_MAX)
  const destinationKeyId = keyIdParam(params, 'DestinationKeyId')
  const sourceKeyId = optionalString(params, 'SourceKeyId', 1, 2048)
  const sourceKeyVersionId = optionalString(params, 'SourceKeyVersionId', 1, 128)
  const algorithm = optionalEnum(params, 'SourceEncryptionAlgorithm', [...ENCRYPTION_ALGORITHMS, ...SM2_ALGORITHMS])
  const destinationEncryptionContext = optionalStringMap(params, 'DestinationEncryptionContext')
  if (algorithm !== undefined) {
    if (algorithm === 'SM2PKE') throw unsupported('SM2 keys are not supported')
    if (sourceKeyId === undefined || sourceKeyVersionId === undefined) {
      throw invalidParameter('SourceKeyId and SourceKeyVersionId are required with SourceEncryptionAlgorithm')
    }
    const decrypted = await client.asymmetricDecrypt({
      keyId: sourceKeyId, keyVersionId: sourceKeyVersionId, algorithm: algorithm as (typeof ENCRYPTION_ALGORITHMS)[number], ciphertextBlob,
    })
    return wiping([decrypted.plaintext], async () => {
      const result = await client.encrypt({
        keyId: destinationKeyId, plaintext: decrypted.plaintext,
        ...(destinationEncryptionContext === undefined ? {} : { encryptionContext: destinationEncryptionContext }),
      })
      return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob) }
    })
  }
  const sourceEncryptionContext = optionalStringMap(params, 'SourceEncryptionContext')
  const result = await client.reEncrypt({
    ciphertextBlob, destinationKeyId,
    ...(sourceKeyId === undefined ? {} : { sourceKeyId }),
    ...(sourceEncryptionContext === undefined ? {} : { sourceEncryptionContext }),
    ...(destinationEncryptionContext === undefined ? {} : { destinationEncryptionContext }),
  })
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob) }
}

/** KeySpec (AES_256 default, AES_128) and NumberOfBytes (1-1024; wins over KeySpec, as on Alibaba). */
function dataKeyParams(params: Params) {
  const keySpec = optionalEnum(params, 'KeySpec', ['AES_256', 'AES_128'] as const)
  const numberOfBytes = optionalInteger(params, 'NumberOfBytes', 1, 1024)
  return {
    keyId: keyIdParam(params),
    ...(keySpec === undefined ? {} : { keySpec }),
    ...(numberOfBytes === undefined ? {} : { numberOfBytes }),
    ...contextParam(params),
  }
}

export const GenerateDataKey: Operation = async (params, { client }) => {
  const result = await client.generateDataKey(dataKeyParams(params))
  return wiping([result.plaintext], async () => ({
    KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob), Plaintext: base64(result.plaintext),
  }))
}

export const GenerateDataKeyWithoutPlaintext: Operation = async (params, { client }) => {
  const result = await client.generateDataKeyWithoutPlaintext(dataKeyParams(params))
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob) }
}

/** PublicKeyBlob (Base64 DER SubjectPublicKeyInfo), WrappingKeySpec, WrappingAlgorithm: where a data key is exported to. */
function exportParams(params: Params) {
  const publicKeyBlob = requiredBlob(params, 'PublicKeyBlob', 1, PUBLIC_KEY_MAX)
  const wrappingKeySpec = requiredString(params, 'WrappingKeySpec', 1, 32)
  const wrappingAlgorithm = requiredString(params, 'WrappingAlgorithm', 1, 32)
  if (wrappingKeySpec === 'EC_SM2' || SM2_ALGORITHMS.includes(wrappingAlgorithm)) {
    throw unsupported('SM2 wrapping keys are not supported')
  }
  return {
    publicKeyBlob,
    wrappingKeySpec: requiredEnum(params, 'WrappingKeySpec', ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const),
    wrappingAlgorithm: requiredEnum(params, 'WrappingAlgorithm', ENCRYPTION_ALGORITHMS),
  }
}

export const ExportDataKey: Operation = async (params, { client }) => {
  const ciphertextBlob = requiredBlob(params, 'CiphertextBlob', 1, CIPHERTEXT_MAX)
  const result = await client.exportDataKey({ ciphertextBlob, ...exportParams(params), ...contextParam(params) })
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, ExportedDataKey: base64(result.exportedDataKey) }
}

export const GenerateAndExportDataKey: Operation = async (params, { client }) => {
  const result = await client.generateAndExportDataKey({ ...dataKeyParams(params), ...exportParams(params) })
  return {
    KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob),
    ExportedDataKey: base64(result.exportedDataKey),
  }
}

