/**
 * Asymmetric keys: AsymmetricSign, AsymmetricVerify, AsymmetricEncrypt,
 * AsymmetricDecrypt, GetPublicKey.
 *
 * ```ts
 * await AsymmetricSign(parameters({ KeyId: id, KeyVersionId: v, Algorithm: 'ECDSA_SHA_256', Digest: sha256Base64 }), context)
 * // { KeyId, KeyVersionId, Value: '…base64 DER signature…' }
 * ```
 *
 * As on Alibaba, signing takes the SHA-256 `Digest` of the message (Base64) and names the
 * key version; the algorithms have Alibaba's names (RSA_PSS_SHA_256, RSA_PKCS1_SHA_256,
 * ECDSA_SHA_256). SM2 (SM2DSA, SM2PKE) is refused as unsupported.
 */
import type { AsymmetricSignRequest } from '@strongroom/core'
import { unsupported } from '../errors.js'
import { base64, optionalString, requiredBlob, requiredEnum, requiredString, wiping, type Params } from '../params.js'
import type { Operation } from './context.js'
import { ENCRYPTION_ALGORITHMS } from './crypto.js'
import { keyIdParam } from './members.js'

const SIGNING_ALGORITHMS = ['RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256', 'ECDSA_SHA_256', 'SM2DSA'] as const
type EngineSigningAlgorithm = AsymmetricSignRequest['algorithm']
const RSA_PLAINTEXT_MAX = 470
const RSA_CIPHERTEXT_MAX = 512

function noSm2(algorithm: string): void {
  if (algorithm.startsWith('SM2')) throw unsupported('SM2 keys are not supported')
}

function signingParams(params: Params) {
  const keyId = keyIdParam(params)
  const keyVersionId = requiredString(params, 'KeyVersionId', 1, 128)
  const algorithm = requiredEnum(params, 'Algorithm', SIGNING_ALGORITHMS)
  noSm2(algorithm)
  // A SHA-256 digest is 32 bytes; the engine checks the length against the algorithm.
  const digest = requiredBlob(params, 'Digest', 1, 64)
  return { keyId, keyVersionId, algorithm: algorithm as EngineSigningAlgorithm, digest }
}

export const AsymmetricSign: Operation = async (params, { client }) => {
  const result = await client.asymmetricSign(signingParams(params))
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, Value: base64(result.value) }
}

export const AsymmetricVerify: Operation = async (params, { client }) => {
  const request = signingParams(params)
  const value = requiredBlob(params, 'Value', 1, 1024)
  const result = await client.asymmetricVerify({ ...request, value })
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, Value: result.value }
}

function encryptionAlgorithm(params: Params) {
  const algorithm = requiredEnum(params, 'Algorithm', [...ENCRYPTION_ALGORITHMS, 'SM2PKE'] as const)
  noSm2(algorithm)
  return algorithm as (typeof ENCRYPTION_ALGORITHMS)[number]
}

export const AsymmetricEncrypt: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const keyVersionId = requiredString(params, 'KeyVersionId', 1, 128)
  const algorithm = encryptionAlgorithm(params)
  const plaintext = requiredBlob(params, 'Plaintext', 1, RSA_PLAINTEXT_MAX)
  return wiping([plaintext], async () => {
    const result = await client.asymmetricEncrypt({ keyId, keyVersionId, algorithm, plaintext })
    return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, CiphertextBlob: base64(result.ciphertextBlob) }
  })
}

export const AsymmetricDecrypt: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const keyVersionId = requiredString(params, 'KeyVersionId', 1, 128)
  const algorithm = encryptionAlgorithm(params)
  const ciphertextBlob = requiredBlob(params, 'CiphertextBlob', 1, RSA_CIPHERTEXT_MAX)
  const result = await client.asymmetricDecrypt({ keyId, keyVersionId, algorithm, ciphertextBlob })
  return wiping([result.plaintext], async () => ({ KeyId: result.keyId, KeyVersionId: result.keyVersionId, Plaintext: base64(result.plaintext) }))
}

/** The public key as PEM (`-----BEGIN PUBLIC KEY-----`), as Alibaba returns it. */
export const GetPublicKey: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const keyVersionId = optionalString(params, 'KeyVersionId', 1, 128)
  const result = await client.getPublicKey({ keyId, ...(keyVersionId === undefined ? {} : { keyVersionId }) })
  return { KeyId: result.keyId, KeyVersionId: result.keyVersionId, PublicKey: result.publicKey }
}
