/**
 * Cryptographic operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
 * GenerateDataKeyWithoutPlaintext and GenerateRandom.
 *
 * ```ts
 * const { CiphertextBlob } = await Encrypt({ KeyId: 'alias/app', Plaintext: 'c2VjcmV0', EncryptionContext: { tenant: 'acme' } }, context)
 * await Decrypt({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } }, context)   // KeyId is optional, as in AWS
 * await Encrypt({ KeyId: rsaKey, Plaintext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }, context)   // engine asymmetricEncrypt
 * ```
 *
 * As on AWS, Encrypt and Decrypt serve RSA keys too: an `EncryptionAlgorithm` of
 * `RSAES_OAEP_SHA_1` or `RSAES_OAEP_SHA_256` runs the engine's asymmetricEncrypt /
 * asymmetricDecrypt (plain RSAES-OAEP ciphertext, which any RSA tool makes from the public
 * key); Decrypt then needs `KeyId`, and neither takes an encryption context. Without one
 * (or with `SYMMETRIC_DEFAULT`) the call is symmetric, and an RSA key refuses it with
 * InvalidKeyUsageException, as AWS does.
 *
 * AWS limits hold here even where the engine is more generous: Plaintext 1–4096 bytes
 * (the engine takes 6 KiB), CiphertextBlob 1–6144, data keys by exactly one of KeySpec or
 * NumberOfBytes (1–1024). Responses name keys by ARN and report the engine's key version
 * as `KeyMaterialId`. Plaintext and data keys we decoded or received are wiped once
 * encoded; the JSON text carrying them cannot be (JavaScript strings are immutable).
 *
 * `DryRun: true` runs the operation (so every check — state, context, authorization —
 * happens), discards the result, and answers DryRunOperationException (412), as AWS does
 * when the request would have succeeded.
 */
import { KmsError, parseBlob } from '@strongroom/core'
import { optionalOperation } from '../engine.js'
import { AwsError, unsupported, validation } from '../errors.js'
import { AWS_DATA_KEY_SPEC_VALUES, AWS_ENCRYPTION_ALGORITHM_VALUES, type EngineEncryptionAlgorithm } from '../specs.js'
import {
  base64, grantTokens, optionalBoolean, optionalEnum, optionalInteger, optionalString, optionalStringList,
  optionalStringMap, requiredBlob, type JsonObject,
} from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { keyRef } from './members.js'

const PLAINTEXT_MAX = 4096
const CIPHERTEXT_MAX = 6144
/** The longest ciphertext the engine's asymmetricDecrypt takes; every RSA ciphertext (≤ 512 bytes) is shorter. */
const ENGINE_RSA_CIPHERTEXT_MAX = 1024
const SYMMETRIC_DEFAULT = 'SYMMETRIC_DEFAULT'

/** The RSAES-OAEP algorithm a request names, if any; `undefined` means symmetric (absent or SYMMETRIC_DEFAULT). */
function encryptionAlgorithm(input: JsonObject, name: string): EngineEncryptionAlgorithm | undefined {
  const algorithm = optionalEnum(input, name, AWS_ENCRYPTION_ALGORITHM_VALUES)
  if (algorithm === undefined || algorithm === SYMMETRIC_DEFAULT) return undefined
  // No key here is an SM2 key, so SM2PKE is incompatible with every one of them, as AWS would answer.
  if (algorithm === 'SM2PKE') throw new AwsError('InvalidKeyUsageException', `${name} SM2PKE needs an SM2 key; this engine has none`)
  return algorithm
}

/** An encryption context only binds symmetric ciphertexts; AWS does not take one with RSA keys. */
function noContextForRsa(encryptionContext: Readonly<Record<string, string>> | undefined): void {
  if (encryptionContext !== undefined && Object.keys(encryptionContext).length > 0) {
    throw validation('EncryptionContext is supported only with symmetric encryption keys (SYMMETRIC_DEFAULT), not with RSAES_OAEP algorithms')
  }
}

export function noRecipient(input: JsonObject): void {
  if (Object.hasOwn(input, 'Recipient') && input['Recipient'] !== null) {
    throw unsupported('Recipient (Nitro Enclaves attestation) is not supported')
  }
}

export function dryRun(input: JsonObject): boolean {
  return optionalBoolean(input, 'DryRun') === true
}

export function dryRunSucceeded(): AwsError {
  return new AwsError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.')
}

/** Wipes every buffer, whatever happens to the operation. */
export function wiping<T>(buffers: readonly (Uint8Array | undefined)[], work: () => Promise<T>): Promise<T> {
  return work().finally(() => {
    for (const b of buffers) b?.fill(0)
  })
}

export const Encrypt: Operation = async (input, { client, names }) => {
  const keyId = keyRef(input, names)
  const plaintext = requiredBlob(input, 'Plaintext', 1, PLAINTEXT_MAX)
  return wiping([plaintext], async () => {
    const encryptionContext = optionalStringMap(input, 'EncryptionContext')
    grantTokens(input)
    const algorithm = encryptionAlgorithm(input, 'EncryptionAlgorithm')
    const isDryRun = dryRun(input)
    if (algorithm !== undefined) {
      noContextForRsa(encryptionContext)
      if (typeof client.asymmetricEncrypt !== 'function') throw unsupported('RSA encryption is not supported by this engine')
      const result = await client.asymmetricEncrypt({ keyId, algorithm, plaintext })
      if (isDryRun) throw dryRunSucceeded()
      return { CiphertextBlob: base64(result.ciphertextBlob), KeyId: names.keyArn(result.keyId), EncryptionAlgorithm: algorithm }
    }
    const result = await client.encrypt({ keyId, plaintext, ...(encryptionContext === undefined ? {} : { encryptionContext }) })
    if (isDryRun) throw dryRunSucceeded()
    return { CiphertextBlob: base64(result.ciphertextBlob), KeyId: names.keyArn(result.keyId), EncryptionAlgorithm: SYMMETRIC_DEFAULT }
  })
}

/**
 * The key id a ciphertext must belong to when the request names one. A key id or ARN is
 * compared as is; an alias is resolved through the engine first.
 */
async function expectedKeyId(ref: string, { client, names }: OperationContext): Promise<string> {
  const parsed = names.parse(ref)
  if (parsed.kind === 'key') return parsed.keyId
  return (await client.describeKey({ keyId: parsed.aliasName })).keyMetadata.keyId
}

/**
 * RSA decryption: AWS requires the KeyId (an RSA ciphertext does not name its key). A
 * ciphertext longer than the engine takes is longer than any RSA ciphertext, so it is
 * replaced by one byte that no key decrypts: every check still runs, and the answer is
 * InvalidCiphertextException, as on AWS.
 */
async function decryptRsa(
  algorithm: EngineEncryptionAlgorithm, keyIdMember: string | undefined, ciphertextBlob: Uint8Array,
  encryptionContext: Readonly<Record<string, string>> | undefined, isDryRun: boolean, { client, names }: OperationContext,
): Promise<JsonObject> {
  if (keyIdMember === undefined) throw validation(`KeyId is required to decrypt with EncryptionAlgorithm ${algorithm} (an asymmetric KMS key)`)
  noContextForRsa(encryptionContext)
  if (typeof client.asymmetricDecrypt !== 'function') throw unsupported('RSA decryption is not supported by this engine')
  const ciphertext = ciphertextBlob.length > ENGINE_RSA_CIPHERTEXT_MAX ? new Uint8Array(1) : ciphertextBlob
  const result = await client.asymmetricDecrypt({ keyId: names.keyRef(keyIdMember), algorithm, ciphertextBlob: ciphertext })
  return wiping([result.plaintext], async () => {
    if (isDryRun) throw dryRunSucceeded()
    return { KeyId: names.keyArn(result.keyId), Plaintext: base64(result.plaintext), EncryptionAlgorithm: algorithm }
  })
}

/**
 * Decrypt needs only the blob (it names its key); a KeyId, when given, must be the key
 * the blob was encrypted under, else IncorrectKeyException — checked before decrypting,
 * as AWS does, from the blob's header (which decryption then authenticates). With an
 * RSAES_OAEP algorithm it is RSA decryption under the KeyId.
 */
export const Decrypt: Operation = async (input, context) => {
  const { client, names } = context
  const ciphertextBlob = requiredBlob(input, 'CiphertextBlob', 1, CIPHERTEXT_MAX)
  const encryptionContext = optionalStringMap(input, 'EncryptionContext')
  const keyIdMember = optionalString(input, 'KeyId', 1, 2048)
  grantTokens(input)
  const algorithm = encryptionAlgorithm(input, 'EncryptionAlgorithm')
  noRecipient(input)
  const isDryRun = dryRun(input)
  const ignoreCiphertext = optionalStringList(input, 'DryRunModifiers', 10, 1, 64)?.includes('IGNORE_CIPHERTEXT') === true
  try {
    if (algorithm !== undefined) return await decryptRsa(algorithm, keyIdMember, ciphertextBlob, encryptionContext, isDryRun, context)
    if (keyIdMember !== undefined) {
      const expected = await expectedKeyId(keyIdMember, context)
      const blobKeyId = parseBlob(ciphertextBlob)?.keyId
      if (blobKeyId !== undefined && blobKeyId !== expected) {
        throw new AwsError('IncorrectKeyException', 'The key ID in the request does not identify the KMS key that was used to encrypt the ciphertext.')
      }
    }
    const result = await client.decrypt({ ciphertextBlob, ...(encryptionContext === undefined ? {} : { encryptionContext }) })
    return wiping([result.plaintext], async () => {
      if (isDryRun) throw dryRunSucceeded()
      return {
        KeyId: names.keyArn(result.keyId), Plaintext: base64(result.plaintext), EncryptionAlgorithm: SYMMETRIC_DEFAULT,
        KeyMaterialId: result.keyVersionId,
      }
    })
  } catch (error) {
    // IGNORE_CIPHERTEXT: a dry run that only asks "may I decrypt?" does not care whether this blob opens.
    if (isDryRun && ignoreCiphertext && KmsError.is(error, 'InvalidCiphertext')) throw dryRunSucceeded()
    throw error
  }
}

/**
 * As AWS documents: either side may be an RSA key. An RSA source ciphertext needs
 * `SourceKeyId` and `SourceEncryptionAlgorithm`; an RSA destination needs
 * `DestinationEncryptionAlgorithm`, and the plaintext must fit RSAES-OAEP. Neither RSA side
 * takes an encryption context. The key material ids are answered for symmetric sides only,
 * as AWS answers them.
 */
export const ReEncrypt: Operation = async (input, { client, names }) => {
  const ciphertextBlob = requiredBlob(input, 'CiphertextBlob', 1, CIPHERTEXT_MAX)
  const sourceEncryptionContext = optionalStringMap(input, 'SourceEncryptionContext')
  const sourceRef = optionalString(input, 'SourceKeyId', 1, 2048)
  const destinationKeyId = keyRef(input, names, 'DestinationKeyId')
  const destinationEncryptionContext = optionalStringMap(input, 'DestinationEncryptionContext')
  const sourceAlgorithm = encryptionAlgorithm(input, 'SourceEncryptionAlgorithm')
  const destinationAlgorithm = encryptionAlgorithm(input, 'DestinationEncryptionAlgorithm')
  grantTokens(input)
  const isDryRun = dryRun(input)
  optionalStringList(input, 'DryRunModifiers', 10, 1, 64)
  if (sourceAlgorithm !== undefined) {
    if (sourceRef === undefined) throw validation('SourceKeyId is required when the ciphertext was encrypted under an asymmetric KMS key')
    noContextForRsa(sourceEncryptionContext)
  }
  if (destinationAlgorithm !== undefined) noContextForRsa(destinationEncryptionContext)
  const result = await client.reEncrypt({
    ciphertextBlob, destinationKeyId,
    ...(sourceRef === undefined ? {} : { sourceKeyId: names.keyRef(sourceRef) }),
    ...(sourceEncryptionContext === undefined || sourceAlgorithm !== undefined ? {} : { sourceEncryptionContext }),
    ...(destinationEncryptionContext === undefined || destinationAlgorithm !== undefined ? {} : { destinationEncryptionContext }),
    ...(sourceAlgorithm === undefined ? {} : { sourceAlgorithm }),
    ...(destinationAlgorithm === undefined ? {} : { destinationAlgorithm }),
  })
  if (isDryRun) throw dryRunSucceeded()
  return {
    CiphertextBlob: base64(result.ciphertextBlob), SourceKeyId: names.keyArn(result.sourceKeyId), KeyId: names.keyArn(result.keyId),
    SourceEncryptionAlgorithm: sourceAlgorithm ?? SYMMETRIC_DEFAULT, DestinationEncryptionAlgorithm: destinationAlgorithm ?? SYMMETRIC_DEFAULT,
    ...(sourceAlgorithm === undefined ? { SourceKeyMaterialId: result.sourceKeyVersionId } : {}),
    ...(destinationAlgorithm === undefined ? { DestinationKeyMaterialId: result.keyVersionId } : {}),
  }
}

/** The engine request for a data key: AWS wants exactly one of KeySpec and NumberOfBytes. */
function dataKeyRequest(input: JsonObject, context: OperationContext) {
  const keyId = keyRef(input, context.names)
  const encryptionContext = optionalStringMap(input, 'EncryptionContext')
  const keySpec = optionalEnum(input, 'KeySpec', AWS_DATA_KEY_SPEC_VALUES)
  const numberOfBytes = optionalInteger(input, 'NumberOfBytes', 1, 1024)
  grantTokens(input)
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw new AwsError('ValidationException', 'specify either KeySpec or NumberOfBytes, but not both')
  }
  return {
    keyId,
    ...(keySpec === undefined ? {} : { keySpec }),
    ...(numberOfBytes === undefined ? {} : { numberOfBytes }),
    ...(encryptionContext === undefined ? {} : { encryptionContext }),
  }
}

export const GenerateDataKey: Operation = async (input, context) => {
  const request = dataKeyRequest(input, context)
  noRecipient(input)
  const isDryRun = dryRun(input)
  const result = await context.client.generateDataKey(request)
  return wiping([result.plaintext], async () => {
    if (isDryRun) throw dryRunSucceeded()
    return {
      CiphertextBlob: base64(result.ciphertextBlob), Plaintext: base64(result.plaintext), KeyId: context.names.keyArn(result.keyId),
      KeyMaterialId: result.keyVersionId,
    }
  })
}

export const GenerateDataKeyWithoutPlaintext: Operation = async (input, context) => {
  const request = dataKeyRequest(input, context)
  const isDryRun = dryRun(input)
  const result = await context.client.generateDataKeyWithoutPlaintext(request)
  if (isDryRun) throw dryRunSucceeded()
  return { CiphertextBlob: base64(result.ciphertextBlob), KeyId: context.names.keyArn(result.keyId), KeyMaterialId: result.keyVersionId }
}

/**
 * The engine call GenerateRandom maps onto once core has it (feature-detected by the
 * operation table): `generateRandom({ numberOfBytes })` → `{ plaintext }`.
 */
export type EngineGenerateRandom = (request: { numberOfBytes: number }) => Promise<{ readonly plaintext: Uint8Array }>

export const GenerateRandom: Operation = async (input, { client }) => {
  const numberOfBytes = optionalInteger(input, 'NumberOfBytes', 1, 1024)
  if (numberOfBytes === undefined) throw new AwsError('ValidationException', 'NumberOfBytes is required')
  if (optionalString(input, 'CustomKeyStoreId', 1, 64) !== undefined) throw unsupported('custom key stores are not supported')
  noRecipient(input)
  const generateRandom = optionalOperation<EngineGenerateRandom>(client, 'generateRandom')
  if (generateRandom === undefined) throw unsupported('GenerateRandom is not supported by this engine yet')
  const { plaintext } = await generateRandom({ numberOfBytes })
  return wiping([plaintext], async () => {
    if (!(plaintext instanceof Uint8Array) || plaintext.length !== numberOfBytes) {
      throw new AwsError('KMSInternalException', 'the engine returned random bytes of the wrong shape')
    }
    return { Plaintext: base64(plaintext) }
  })
}
