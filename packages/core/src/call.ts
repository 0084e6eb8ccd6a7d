/**
 * One call into the engine: which operation, who made it, its request id, and the facts
 * the audit record needs (key, version, alias, context) as the handler learns them.
 *
 * ```ts
 * const call = new Call('Encrypt', 'alice', requestId, clock.now())
 * call.keyId = entry.record.keyId       // filled in while the call runs
 * ```
 *
 * A Call is itself the AuditEntry the trail commits, so recording a call allocates nothing.
 */
import type { AuditEntry } from './audit.js'
import type { EncryptionContext } from './context.js'

/** Every operation a client (`kms` or `kms.as(principal)`) offers, with its action name. */
export const OPERATIONS = {
  createKey: 'CreateKey',
  describeKey: 'DescribeKey',
  listKeys: 'ListKeys',
  updateKeyDescription: 'UpdateKeyDescription',
  enableKey: 'EnableKey',
  disableKey: 'DisableKey',
  scheduleKeyDeletion: 'ScheduleKeyDeletion',
  cancelKeyDeletion: 'CancelKeyDeletion',
  setDeletionProtection: 'SetDeletionProtection',
  describeRegions: 'DescribeRegions',
  encrypt: 'Encrypt',
  decrypt: 'Decrypt',
  reEncrypt: 'ReEncrypt',
  generateDataKey: 'GenerateDataKey',
  generateDataKeyWithoutPlaintext: 'GenerateDataKeyWithoutPlaintext',
  generateDataKeyPair: 'GenerateDataKeyPair',
  generateDataKeyPairWithoutPlaintext: 'GenerateDataKeyPairWithoutPlaintext',
  createKeyVersion: 'CreateKeyVersion',
  listKeyVersions: 'ListKeyVersions',
  describeKeyVersion: 'DescribeKeyVersion',
  updateRotationPolicy: 'UpdateRotationPolicy',
  createAlias: 'CreateAlias',
  updateAlias: 'UpdateAlias',
  deleteAlias: 'DeleteAlias',
  listAliases: 'ListAliases',
  listAliasesByKeyId: 'ListAliasesByKeyId',
  tagResource: 'TagResource',
  untagResource: 'UntagResource',
  listResourceTags: 'ListResourceTags',
  setKeyPolicy: 'SetKeyPolicy',
  getKeyPolicy: 'GetKeyPolicy',
  createGrant: 'CreateGrant',
  listGrants: 'ListGrants',
  listRetirableGrants: 'ListRetirableGrants',
  retireGrant: 'RetireGrant',
  revokeGrant: 'RevokeGrant',
  createPolicy: 'CreatePolicy',
  updatePolicy: 'UpdatePolicy',
  getPolicy: 'GetPolicy',
  deletePolicy: 'DeletePolicy',
  listPolicies: 'ListPolicies',
  attachPolicy: 'AttachPolicy',
  detachPolicy: 'DetachPolicy',
  listPoliciesForPrincipal: 'ListPoliciesForPrincipal',
  asymmetricSign: 'AsymmetricSign',
  asymmetricVerify: 'AsymmetricVerify',
  asymmetricEncrypt: 'AsymmetricEncrypt',
  asymmetricDecrypt: 'AsymmetricDecrypt',
  getPublicKey: 'GetPublicKey',
  generateMac: 'GenerateMac',
  verifyMac: 'VerifyMac',
  exportDataKey: 'ExportDataKey',
  generateAndExportDataKey: 'GenerateAndExportDataKey',
  generateRandom: 'GenerateRandom',
  getRandomPassword: 'GetRandomPassword',
  getParametersForImport: 'GetParametersForImport',
  importKeyMaterial: 'ImportKeyMaterial',
  deleteKeyMaterial: 'DeleteKeyMaterial',
  createSecret: 'CreateSecret',
  getSecretValue: 'GetSecretValue',
  putSecretValue: 'PutSecretValue',
  updateSecretVersionStage: 'UpdateSecretVersionStage',
  listSecretVersionIds: 'ListSecretVersionIds',
  describeSecret: 'DescribeSecret',
  updateSecret: 'UpdateSecret',
  listSecrets: 'ListSecrets',
  deleteSecret: 'DeleteSecret',
  restoreSecret: 'RestoreSecret',
  rotateSecret: 'RotateSecret',
  updateSecretRotationPolicy: 'UpdateSecretRotationPolicy',
} as const

export type OperationName = keyof typeof OPERATIONS

export class Call implements AuditEntry {
  // `declare`: set only when known, so constructing a Call defines just the fields below
  // (one Call per engine call: its construction is on the hot path).
  declare keyId?: string
  declare keyVersionId?: string
  declare sourceKeyId?: string
  declare aliasName?: string
  declare encryptionContext?: EncryptionContext
  /** A cryptographic use of the key (moves its last-used date). */
  declare keyUse?: boolean
  declare errorCode?: string
  /** The grant that authorized the call, when no policy did. */
  declare grantId?: string
  /** The grants the request's grant tokens name, checked before the call runs (grant-store.ts). */
  declare grantRefs?: readonly { readonly keyId: string; readonly grantId: string }[]
  declare contextJson?: string
  /** The record was committed with the call's state change; nothing more to append. */
  audited = false

  constructor(
    readonly eventName: string,
    readonly principal: string,
    readonly requestId: string,
    readonly time: number,
  ) {}
}
