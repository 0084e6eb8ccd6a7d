/**
 * The tables that must stay complete: every engine error code has an AWS exception, every
 * exception we answer with is one the SDK models (or a protocol-level name AWS uses), and
 * every operation of the AWS KMS API has a row in the operation table.
 */
import * as sdk from '@aws-sdk/client-kms'
import { ERROR_CODES, KmsError, OPERATIONS, type OperationName } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { AWS_ERRORS, AWS_OPERATIONS, AwsError, ENGINE_ERROR_MAP, toAwsError } from '@strongroom/aws'

/**
 * Names AWS answers with that the KMS model does not declare: protocol and authentication
 * errors, and NotAuthorizedException (CreateAlias with the reserved `alias/aws/` prefix).
 */
const PROTOCOL_ERRORS = [
  'SerializationException', 'ValidationException', 'UnknownOperationException', 'RequestEntityTooLargeException',
  'UnsupportedMediaTypeException', 'MethodNotAllowedException', 'MissingAuthenticationTokenException',
  'IncompleteSignatureException', 'InvalidSignatureException', 'UnrecognizedClientException', 'AccessDeniedException',
  'NotAuthorizedException',
]

describe('error mapping', () => {
  it('maps every engine error code', () => {
    expect(Object.keys(ERROR_CODES).filter((code) => !Object.hasOwn(ENGINE_ERROR_MAP, code))).toEqual([])
  })

  it('answers only with exceptions the SDK models, or AWS protocol errors', () => {
    for (const type of Object.keys(AWS_ERRORS)) {
      if (PROTOCOL_ERRORS.includes(type)) continue
      expect(typeof (sdk as Record<string, unknown>)[type], type).toBe('function')
    }
  })

  it('client faults are 4xx and only our own faults are 5xx', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const status = toAwsError(new KmsError(code as keyof typeof ERROR_CODES)).status
      if (info.kind === 'caller' && code !== 'Closed' && code !== 'RootKeyMismatch') expect(status, code).toBeLessThan(500)
      if (info.kind === 'internal') expect(status, code).toBeGreaterThanOrEqual(500)
    }
  })

  it('internal faults keep their details out of the message', () => {
    const error = toAwsError(new KmsError('CorruptRecord', 'key record 1234 is inconsistent: wrapped material abc'))
    expect(error.type).toBe('KMSInternalException')
    expect(error.message).not.toContain('1234')
    expect(toAwsError(new Error('boom at /home/secret')).message).not.toContain('secret')
    expect(toAwsError(new TypeError('tags must be an array')).type).toBe('ValidationException')
  })

  it('a code core adds later falls back by its kind', () => {
    const future = (kind: string): KmsError =>
      Object.defineProperties(new KmsError('InvalidParameter'), { code: { value: 'Something.New' }, kind: { value: kind } })
    expect(toAwsError(future('caller')).type).toBe('ValidationException')
    expect(toAwsError(future('internal')).type).toBe('KMSInternalException')
    const overridden = toAwsError(new KmsError('InvalidParameter'), { InvalidParameter: 'TagException' })
    expect(overridden).toBeInstanceOf(AwsError)
    expect(overridden.type).toBe('TagException')
  })
})

/**
 * Every engine operation and the AWS operations that run on it, or why none does. A new
 * engine operation fails the test below until it is placed here, so "every engine
 * operation with an AWS counterpart is mapped" stays true.
 */
const ENGINE_COUNTERPARTS: Record<OperationName, readonly string[] | { readonly none: string }> = {
  createKey: ['CreateKey'],
  describeKey: ['DescribeKey', 'GetKeyRotationStatus', 'GetKeyLastUsage'],
  listKeys: ['ListKeys'],
  updateKeyDescription: ['UpdateKeyDescription'],
  enableKey: ['EnableKey'],
  disableKey: ['DisableKey', 'CancelKeyDeletion'],
  scheduleKeyDeletion: ['ScheduleKeyDeletion'],
  cancelKeyDeletion: ['CancelKeyDeletion'],
  setDeletionProtection: { none: 'AWS KMS has no deletion protection' },
  describeRegions: { none: 'regions are EC2\'s DescribeRegions, not a KMS operation' },
  encrypt: ['Encrypt'],
  decrypt: ['Decrypt'],
  reEncrypt: ['ReEncrypt'],
  generateDataKey: ['GenerateDataKey'],
  generateDataKeyWithoutPlaintext: ['GenerateDataKeyWithoutPlaintext'],
  generateDataKeyPair: ['GenerateDataKeyPair'],
  generateDataKeyPairWithoutPlaintext: ['GenerateDataKeyPairWithoutPlaintext'],
  createKeyVersion: ['RotateKeyOnDemand'],
  listKeyVersions: ['ListKeyRotations'],
  describeKeyVersion: { none: 'AWS describes key material only through ListKeyRotations' },
  updateRotationPolicy: ['EnableKeyRotation', 'DisableKeyRotation'],
  createAlias: ['CreateAlias'],
  updateAlias: ['UpdateAlias'],
  deleteAlias: ['DeleteAlias'],
  listAliases: ['ListAliases'],
  listAliasesByKeyId: ['ListAliases'],
  tagResource: ['TagResource'],
  untagResource: ['UntagResource'],
  listResourceTags: ['ListResourceTags'],
  setKeyPolicy: ['PutKeyPolicy'],
  getKeyPolicy: ['GetKeyPolicy', 'ListKeyPolicies'],
  createGrant: ['CreateGrant'],
  listGrants: ['ListGrants'],
  listRetirableGrants: ['ListRetirableGrants'],
  retireGrant: ['RetireGrant'],
  revokeGrant: ['RevokeGrant'],
  createPolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  updatePolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  getPolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  deletePolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  listPolicies: { none: 'identity policies are IAM\'s, not KMS\'s' },
  attachPolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  detachPolicy: { none: 'identity policies are IAM\'s, not KMS\'s' },
  listPoliciesForPrincipal: { none: 'identity policies are IAM\'s, not KMS\'s' },
  asymmetricSign: ['Sign'],
  asymmetricVerify: ['Verify'],
  asymmetricEncrypt: ['Encrypt'],
  asymmetricDecrypt: ['Decrypt'],
  getPublicKey: ['GetPublicKey'],
  generateMac: ['GenerateMac'],
  verifyMac: ['VerifyMac'],
  exportDataKey: { none: 'AWS has no re-wrapping of a data key under a caller\'s RSA public key' },
  generateAndExportDataKey: { none: 'AWS has no data key wrapped under a caller\'s RSA public key (GenerateDataKey\'s Recipient is Nitro Enclaves attestation)' },
  generateRandom: ['GenerateRandom'],
  getRandomPassword: { none: 'GetRandomPassword is Secrets Manager\'s, not KMS\'s' },
  getParametersForImport: ['GetParametersForImport'],
  importKeyMaterial: ['ImportKeyMaterial'],
  deleteKeyMaterial: ['DeleteImportedKeyMaterial'],
  ...Object.fromEntries(([
    'createSecret', 'getSecretValue', 'putSecretValue', 'updateSecretVersionStage', 'listSecretVersionIds', 'describeSecret',
    'updateSecret', 'listSecrets', 'deleteSecret', 'restoreSecret', 'rotateSecret', 'updateSecretRotationPolicy',
  ] as const).map((name) => [name, { none: 'secrets are Secrets Manager\'s, not KMS\'s' }])) as Record<
    'createSecret' | 'getSecretValue' | 'putSecretValue' | 'updateSecretVersionStage' | 'listSecretVersionIds' | 'describeSecret' |
    'updateSecret' | 'listSecrets' | 'deleteSecret' | 'restoreSecret' | 'rotateSecret' | 'updateSecretRotationPolicy', { readonly none: string }>,
}

describe('the operation table', () => {
  const sdkOperations = Object.keys(sdk).filter((name) => /^[A-Z]\w*Command$/.test(name)).map((name) => name.slice(0, -'Command'.length))

  it('has a row for every operation of the AWS KMS API, and no others', () => {
    expect(Object.keys(AWS_OPERATIONS).sort()).toEqual(sdkOperations.sort())
  })

  it('maps every engine operation that has an AWS counterpart', () => {
    expect(Object.keys(ENGINE_COUNTERPARTS).sort()).toEqual(Object.keys(OPERATIONS).sort())
    for (const [engine, counterparts] of Object.entries(ENGINE_COUNTERPARTS)) {
      if (!Array.isArray(counterparts)) continue
      for (const operation of counterparts as readonly string[]) {
        const entry = AWS_OPERATIONS[operation]
        expect(entry !== undefined && 'run' in entry, `${engine} → ${operation}`).toBe(true)
      }
    }
  })

  it('leaves unsupported only what the engine has no counterpart for', () => {
    const unsupported = Object.entries(AWS_OPERATIONS).filter(([, entry]) => 'unsupported' in entry).map(([operation]) => operation)
    expect(unsupported.sort()).toEqual([
      'ConnectCustomKeyStore', 'CreateCustomKeyStore', 'Decapsulate', 'DeleteCustomKeyStore', 'DeriveSharedSecret',
      'DescribeCustomKeyStores', 'DisconnectCustomKeyStore', 'Encapsulate', 'ReplicateKey', 'UpdateCustomKeyStore', 'UpdatePrimaryRegion',
    ])
  })
})
