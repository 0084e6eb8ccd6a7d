/**
 * Asymmetric and HMAC keys: Sign, Verify, GetPublicKey, GenerateMac and VerifyMac, on the
 * engine's asymmetricSign / asymmetricVerify / getPublicKey / generateMac / verifyMac.
 *
 * ```ts
 * const { Signature } = await Sign({ KeyId, Message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }, context)
 * await Verify({ KeyId, Message, Signature, SigningAlgorithm: 'ECDSA_SHA_256' }, context)   // { SignatureValid: true }
 * const { PublicKey } = await GetPublicKey({ KeyId }, context)                               // SubjectPublicKeyInfo DER
 * const { Mac } = await GenerateMac({ KeyId, Message, MacAlgorithm: 'HMAC_SHA_256' }, context)
 * ```
 *
 * Algorithms are AWS's names: ECDSA_SHA_256/384/512 (P-256 and secp256k1, P-384, P-521),
 * RSASSA_PSS_SHA_256/384/512 (salt as long as the digest, as AWS), RSASSA_PKCS1_V1_5_SHA_256/
 * 384/512, ED25519_SHA_512 (pure Ed25519) and ED25519_PH_SHA_512 (Ed25519ph); HMAC_SHA_224/
 * 256/384/512. ML-DSA and SM2 are UnsupportedOperationException (valid AWS input that this
 * engine cannot run). An algorithm the key's spec does not run (ECDSA with an RSA key,
 * ECDSA_SHA_384 with a P-256 key) is InvalidKeyUsageException, as on AWS.
 *
 * `MessageType` RAW (the default) signs the message itself, up to 4096 bytes; DIGEST takes
 * the digest under the algorithm's hash, exactly as long as that hash's output (32, 48 or 64
 * bytes; another length is a ValidationException). As AWS documents for Ed25519 keys,
 * ED25519_SHA_512 takes RAW only and ED25519_PH_SHA_512 DIGEST only, and with DIGEST KMS
 * still applies Ed25519ph's SHA-512 prehash to the 64 bytes given (so the signature is
 * Ed25519ph of those bytes as a message). As AWS does, a signature that does not verify is
 * KMSInvalidSignatureException and a MAC that does not match is KMSInvalidMacException:
 * success answers `SignatureValid` / `MacValid` true, never false.
 */
import { KmsError, signingDigestLength } from '@strongroom/core'
import { AwsError, unsupported, validation } from '../errors.js'
import {
  AWS_MAC_ALGORITHM_VALUES, AWS_MESSAGE_TYPE_VALUES, AWS_SIGNING_ALGORITHM_VALUES, awsKeySpec, awsKeyUsage,
  engineSigningAlgorithm, isLegacySpec, keyAlgorithms, type AwsSigningAlgorithm, type EngineMacAlgorithm,
  type EngineSigningAlgorithm,
} from '../specs.js'
import { base64, grantTokens, optionalEnum, requiredBlob, requiredEnum, type JsonObject } from '../wire.js'
import type { Operation } from './context.js'
import { dryRun, dryRunSucceeded } from './crypto.js'
import { keyRef } from './members.js'

/** AWS's Message limit, for Sign, Verify, GenerateMac and VerifyMac alike (the engine's too). */
const MESSAGE_MAX = 4096
/** AWS's limits on Signature and Mac members. */
const SIGNATURE_MAX = 6144
const MAC_MAX = 6144
/** The longest signature / MAC the engine takes; every real one is shorter (RSA-4096: 512 bytes; HMAC-SHA-512: 64). */
const ENGINE_SIGNATURE_MAX = 1024
const ENGINE_MAC_MAX = 64

interface SigningRequest {
  readonly keyId: string
  readonly awsAlgorithm: AwsSigningAlgorithm
  readonly algorithm: EngineSigningAlgorithm
  readonly input: { readonly digest: Uint8Array } | { readonly message: Uint8Array }
}

/** The members Sign and Verify share, checked before the engine sees them. */
function signingRequest(input: JsonObject, context: Parameters<Operation>[1]): SigningRequest {
  const keyId = keyRef(input, context.names)
  const message = requiredBlob(input, 'Message', 1, MESSAGE_MAX)
  const messageType = optionalEnum(input, 'MessageType', AWS_MESSAGE_TYPE_VALUES) ?? 'RAW'
  const awsAlgorithm = requiredEnum(input, 'SigningAlgorithm', AWS_SIGNING_ALGORITHM_VALUES)
  grantTokens(input)
  const algorithm = engineSigningAlgorithm(awsAlgorithm)
  if (algorithm === undefined) {
    throw unsupported(`SigningAlgorithm ${awsAlgorithm} is not supported by this engine (it has no ML-DSA or SM2 keys)`)
  }
  if (messageType === 'EXTERNAL_MU') throw unsupported('MessageType EXTERNAL_MU is for ML-DSA keys, which this engine does not have')
  if (awsAlgorithm === 'ED25519_SHA_512' && messageType !== 'RAW') throw validation('ED25519_SHA_512 requires MessageType RAW')
  if (awsAlgorithm === 'ED25519_PH_SHA_512' && messageType !== 'DIGEST') throw validation('ED25519_PH_SHA_512 requires MessageType DIGEST')
  if (messageType === 'DIGEST') {
    const length = signingDigestLength(algorithm)
    if (message.length !== length) {
      throw validation(`with MessageType DIGEST, Message must be the ${length}-byte digest ${awsAlgorithm} takes, not ${message.length} bytes`)
    }
    // Ed25519ph: AWS still applies the SHA-512 prehash to the digest given, so it is the message.
    return { keyId, awsAlgorithm, algorithm, input: algorithm === 'ED25519_PH' ? { message } : { digest: message } }
  }
  return { keyId, awsAlgorithm, algorithm, input: { message } }
}

/**
 * Every member the engine's asymmetricSign/Verify check is checked above, except whether
 * the key's spec runs the algorithm: an InvalidParameter from the engine is that, which AWS
 * answers with InvalidKeyUsageException.
 */
function algorithmForSpec(error: unknown, awsAlgorithm: string): unknown {
  return KmsError.is(error, 'InvalidParameter')
    ? new AwsError('InvalidKeyUsageException', `SigningAlgorithm ${awsAlgorithm} is not compatible with the key's KeySpec`, { cause: error })
    : error
}

export const Sign: Operation = async (input, context) => {
  const { keyId, awsAlgorithm, algorithm, input: signingInput } = signingRequest(input, context)
  const isDryRun = dryRun(input)
  const result = await context.client.asymmetricSign({ keyId, algorithm, ...signingInput }).catch((error: unknown) => {
    throw algorithmForSpec(error, awsAlgorithm)
  })
  if (isDryRun) throw dryRunSucceeded()
  return { KeyId: context.names.keyArn(result.keyId), Signature: base64(result.value), SigningAlgorithm: awsAlgorithm }
}

/**
 * A signature longer than the engine takes is longer than any real one: it is replaced by
 * one byte no key accepts, so every check still runs and the answer is
 * KMSInvalidSignatureException, as AWS gives for any signature that does not verify.
 */
export const Verify: Operation = async (input, context) => {
  const { keyId, awsAlgorithm, algorithm, input: signingInput } = signingRequest(input, context)
  const signature = requiredBlob(input, 'Signature', 1, SIGNATURE_MAX)
  const isDryRun = dryRun(input)
  const value = signature.length > ENGINE_SIGNATURE_MAX ? new Uint8Array(1) : signature
  const result = await context.client.asymmetricVerify({ keyId, algorithm, value, ...signingInput }).catch((error: unknown) => {
    throw algorithmForSpec(error, awsAlgorithm)
  })
  if (!result.value) throw new AwsError('KMSInvalidSignatureException', 'The signature is not valid for this message, key and signing algorithm.')
  if (isDryRun) throw dryRunSucceeded()
  return { KeyId: context.names.keyArn(result.keyId), SignatureValid: true, SigningAlgorithm: awsAlgorithm }
}

/** The public key as SubjectPublicKeyInfo DER (base64 on the wire), with the key's spec, usage and algorithms. */
export const GetPublicKey: Operation = async (input, { client, names }) => {
  const keyId = keyRef(input, names)
  grantTokens(input)
  const result = await client.getPublicKey({ keyId })
  const spec = awsKeySpec(result.keySpec)
  const { EncryptionAlgorithms, SigningAlgorithms } = keyAlgorithms(result.keySpec, result.keyUsage)
  return {
    KeyId: names.keyArn(result.keyId),
    PublicKey: base64(result.publicKeyDer),
    ...(isLegacySpec(spec) ? { CustomerMasterKeySpec: spec } : {}),
    KeySpec: spec,
    KeyUsage: awsKeyUsage(result.keyUsage),
    ...(EncryptionAlgorithms === undefined ? {} : { EncryptionAlgorithms }),
    ...(SigningAlgorithms === undefined ? {} : { SigningAlgorithms }),
  }
}

/** The members GenerateMac and VerifyMac share. */
function macRequest(input: JsonObject, context: Parameters<Operation>[1]) {
  const message = requiredBlob(input, 'Message', 1, MESSAGE_MAX)
  const keyId = keyRef(input, context.names)
  const macAlgorithm = requiredEnum(input, 'MacAlgorithm', AWS_MAC_ALGORITHM_VALUES)
  grantTokens(input)
  return { keyId, message, macAlgorithm: macAlgorithm satisfies EngineMacAlgorithm }
}

export const GenerateMac: Operation = async (input, context) => {
  const request = macRequest(input, context)
  const isDryRun = dryRun(input)
  const result = await context.client.generateMac(request)
  if (isDryRun) throw dryRunSucceeded()
  return { Mac: base64(result.mac), MacAlgorithm: request.macAlgorithm, KeyId: context.names.keyArn(result.keyId) }
}

/** As Verify: an over-long MAC cannot match, so it is checked as one byte, which never does. */
export const VerifyMac: Operation = async (input, context) => {
  const request = macRequest(input, context)
  const mac = requiredBlob(input, 'Mac', 1, MAC_MAX)
  const isDryRun = dryRun(input)
  const result = await context.client.verifyMac({ ...request, mac: mac.length > ENGINE_MAC_MAX ? new Uint8Array(1) : mac })
  if (!result.macValid) throw new AwsError('KMSInvalidMacException', 'The MAC is not valid for this message, key and MAC algorithm.')
  if (isDryRun) throw dryRunSucceeded()
  return { KeyId: context.names.keyArn(result.keyId), MacValid: true, MacAlgorithm: request.macAlgorithm }
}
