/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext, on the engine's
 * generateDataKeyPair / generateDataKeyPairWithoutPlaintext.
 *
 * ```ts
 * await GenerateDataKeyPair({ KeyId, KeyPairSpec: 'ECC_NIST_P256', EncryptionContext: { app: 'signer' } }, context)
 * // { PrivateKeyCiphertextBlob, PrivateKeyPlaintext, PublicKey, KeyId, KeyPairSpec, KeyMaterialId }
 * ```
 *
 * As on AWS: `KeyPairSpec` RSA_2048/3072/4096, ECC_NIST_P256/P384/P521, ECC_SECG_P256K1 and
 * ECC_NIST_EDWARDS25519; the private key is PKCS#8 DER and the public key
 * SubjectPublicKeyInfo DER (base64 on the wire), the private key encrypted under a
 * symmetric encryption key with the encryption context, so Decrypt opens it. SM2 is for
 * AWS's China Regions only, and this engine has no SM2: UnsupportedOperationException, as
 * CreateKey answers for SM2 keys. An asymmetric or HMAC key is InvalidKeyUsageException.
 * `Recipient` (Nitro Enclaves) is UnsupportedOperationException.
 */
import type { DataKeyPairSpec } from '@strongroom/core'
import { unsupported } from '../errors.js'
import { AWS_DATA_KEY_PAIR_SPEC_VALUES, awsKeySpec, engineKeySpec } from '../specs.js'
import { base64, grantTokens, optionalStringMap, requiredEnum, type JsonObject } from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { dryRun, dryRunSucceeded, noRecipient, wiping } from './crypto.js'
import { keyRef } from './members.js'

/** The engine request both operations share. */
function keyPairRequest(input: JsonObject, context: OperationContext) {
  const keyId = keyRef(input, context.names)
  const encryptionContext = optionalStringMap(input, 'EncryptionContext')
  const awsSpec = requiredEnum(input, 'KeyPairSpec', AWS_DATA_KEY_PAIR_SPEC_VALUES)
  grantTokens(input)
  // Every DataKeyPairSpec but SM2 is an asymmetric spec the engine creates keys of.
  const keyPairSpec = engineKeySpec(awsSpec) as DataKeyPairSpec | undefined
  if (keyPairSpec === undefined) throw unsupported(`KeyPairSpec ${awsSpec} is not supported: SM2 is for AWS's China Regions, and this engine has no SM2`)
  return { keyId, keyPairSpec, ...(encryptionContext === undefined ? {} : { encryptionContext }) }
}

export const GenerateDataKeyPair: Operation = async (input, context) => {
  const request = keyPairRequest(input, context)
  noRecipient(input)
  const isDryRun = dryRun(input)
  const result = await context.client.generateDataKeyPair(request)
  return wiping([result.privateKeyPlaintext], async () => {
    if (isDryRun) throw dryRunSucceeded()
    return {
      PrivateKeyCiphertextBlob: base64(result.privateKeyCiphertextBlob), PrivateKeyPlaintext: base64(result.privateKeyPlaintext),
      PublicKey: base64(result.publicKey), KeyId: context.names.keyArn(result.keyId), KeyPairSpec: awsKeySpec(result.keyPairSpec),
      KeyMaterialId: result.keyVersionId,
    }
  })
}

export const GenerateDataKeyPairWithoutPlaintext: Operation = async (input, context) => {
  const request = keyPairRequest(input, context)
  const isDryRun = dryRun(input)
  const result = await context.client.generateDataKeyPairWithoutPlaintext(request)
  if (isDryRun) throw dryRunSucceeded()
  return {
    PrivateKeyCiphertextBlob: base64(result.privateKeyCiphertextBlob), PublicKey: base64(result.publicKey),
    KeyId: context.names.keyArn(result.keyId), KeyPairSpec: awsKeySpec(result.keyPairSpec), KeyMaterialId: result.keyVersionId,
  }
}
