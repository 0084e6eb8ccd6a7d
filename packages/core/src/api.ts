/**
 * Request and response shapes of the engine API: the reference model's (Alibaba Cloud KMS
 * 2016-01-20) operations and field names in camelCase, binary values as `Uint8Array`,
 * dates as ISO 8601 UTC strings (`2026-01-01T00:00:00Z`). Every response carries a
 * `requestId`. Every `keyId` parameter accepts a key id, a key resource name
 * (`acs:kms:<region>:<account>:key/<id>`) or an alias (`alias/<name>`).
 */
import type { EncryptionContext } from './context.js'
import type { PolicyDocument } from './policy.js'
import type { KeyOrigin, KeySpec, KeyState, KeyUsage } from './key-record.js'

export interface KmsResponse {
  readonly requestId: string
}

export interface Tag {
  readonly tagKey: string
  readonly tagValue: string
}

export interface KeyMetadata {
  readonly keyId: string
  /** Resource name: `acs:kms:<region>:<account>:key/<keyId>`. */
  readonly arn: string
  readonly description: string
  readonly keyUsage: KeyUsage
  readonly keySpec: KeySpec
  readonly keyState: KeyState
  readonly origin: KeyOrigin
  readonly protectionLevel: 'SOFTWARE'
  readonly creator: string
  readonly creationDate: string
  /** When a PendingDeletion key will be purged. */
  readonly deleteDate?: string
  /** Id of the version new encryptions use; absent while PendingImport. */
  readonly primaryKeyVersion?: string
  readonly automaticRotation: 'Enabled' | 'Disabled'
  /** e.g. `604800s`, when automatic rotation is enabled. */
  readonly rotationInterval?: string
  readonly lastRotationDate?: string
  readonly nextRotationDate?: string
  readonly deletionProtection: 'Enabled' | 'Disabled'
  readonly deletionProtectionDescription?: string
  /** When the key last encrypted, decrypted or made a data key (from the audit trail; describeKey only). */
  readonly lastUsedDate?: string
}

export interface KeyVersion {
  readonly keyId: string
  readonly keyVersionId: string
  readonly creationDate: string
}

export interface KeyRequest {
  readonly keyId: string
}

export interface Paging {
  /** From 1. */
  readonly pageNumber?: number
  /** 1-100, default 10. */
  readonly pageSize?: number
}

export interface PagedResponse extends KmsResponse {
  readonly totalCount: number
  readonly pageNumber: number
  readonly pageSize: number
}

export interface CreateKeyRequest {
  readonly description?: string
  /** Default `Aliyun_AES_256`. */
  readonly keySpec?: KeySpec
  /** Default `ENCRYPT/DECRYPT`. */
  readonly keyUsage?: KeyUsage
  /** Default `Aliyun_KMS`; `EXTERNAL` creates a key in PendingImport awaiting your material. */
  readonly origin?: KeyOrigin
  readonly protectionLevel?: 'SOFTWARE'
  readonly enableAutomaticRotation?: boolean
  /** `7d`-`365d`, or in `h`, `m`, `s` units, or a number of seconds. Default `365d` when rotation is enabled. */
  readonly rotationInterval?: string | number
  readonly tags?: readonly Tag[]
}

export interface KeyMetadataResponse extends KmsResponse {
  readonly keyMetadata: KeyMetadata
}

export interface ListKeysResponse extends PagedResponse {
  readonly keys: readonly { readonly keyId: string; readonly keyArn: string }[]
}

export interface UpdateKeyDescriptionRequest extends KeyRequest {
  readonly description: string
}

export interface ScheduleKeyDeletionRequest extends KeyRequest {
  /** 7-366 days. */
  readonly pendingWindowInDays: number
}

export interface SetDeletionProtectionRequest extends KeyRequest {
  readonly enableDeletionProtection: boolean
  readonly deletionProtectionDescription?: string
}

export interface DescribeRegionsResponse extends KmsResponse {
  readonly regions: readonly { readonly regionId: string }[]
}

export interface EncryptRequest extends KeyRequest {
  /** At most 6 KiB; larger data belongs in envelope encryption (generateDataKey). */
  readonly plaintext: Uint8Array
  readonly encryptionContext?: EncryptionContext
}

export interface EncryptResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly ciphertextBlob: Uint8Array
}

export interface DecryptRequest {
  readonly ciphertextBlob: Uint8Array
  readonly encryptionContext?: EncryptionContext
}

export interface DecryptResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly plaintext: Uint8Array
}

export interface ReEncryptRequest {
  readonly ciphertextBlob: Uint8Array
  readonly destinationKeyId: string
  readonly sourceEncryptionContext?: EncryptionContext
  readonly destinationEncryptionContext?: EncryptionContext
  /** When given, the blob must have been encrypted under this key (else IncorrectKey). */
  readonly sourceKeyId?: string
}

export interface ReEncryptResponse extends EncryptResponse {
  readonly sourceKeyId: string
  readonly sourceKeyVersionId: string
}

export interface GenerateDataKeyRequest extends KeyRequest {
  /** `AES_256` (default) or `AES_128`. */
  readonly keySpec?: 'AES_256' | 'AES_128'
  /** 1-1024 bytes; takes precedence over keySpec, as in the reference model. */
  readonly numberOfBytes?: number
  readonly encryptionContext?: EncryptionContext
}

export interface GenerateDataKeyResponse extends EncryptResponse {
  /** The data key: use it, then wipe it (`plaintext.fill(0)`); keep only ciphertextBlob. */
  readonly plaintext: Uint8Array
}

export interface KeyVersionResponse extends KmsResponse {
  readonly keyVersion: KeyVersion
}

export interface DescribeKeyVersionRequest extends KeyRequest {
  readonly keyVersionId: string
}

export interface ListKeyVersionsRequest extends KeyRequest, Paging {}

export interface ListKeyVersionsResponse extends PagedResponse {
  readonly keyVersions: readonly KeyVersion[]
}

export interface UpdateRotationPolicyRequest extends KeyRequest {
  readonly enableAutomaticRotation: boolean
  /** Required when enabling: `7d`-`365d` (also `h`, `m`, `s` units) or seconds. */
  readonly rotationInterval?: string | number
}

export interface AliasRequest {
  readonly aliasName: string
}

export interface AliasTargetRequest extends AliasRequest, KeyRequest {}

export interface Alias {
  readonly aliasName: string
  readonly aliasArn: string
  readonly keyId: string
}

export interface ListAliasesResponse extends PagedResponse {
  readonly aliases: readonly Alias[]
}

export interface ListAliasesByKeyIdRequest extends KeyRequest, Paging {}

export interface TagResourceRequest extends KeyRequest {
  readonly tags: readonly Tag[]
}

export interface UntagResourceRequest extends KeyRequest {
  readonly tagKeys: readonly string[]
}

export interface ListResourceTagsResponse extends KmsResponse {
  readonly tags: readonly (Tag & { readonly keyId: string })[]
}

export interface MaintenanceResult {
  /** Keys whose pending window had ended and that are now purged. */
  readonly purged: readonly string[]
  /** Keys that received a new version because automatic rotation was due. */
  readonly rotated: readonly string[]
}

export interface SetKeyPolicyRequest extends KeyRequest {
  /** A policy document (object or JSON string) with `Principal` in every statement. */
  readonly policy: unknown
}

export interface GetKeyPolicyResponse extends KmsResponse {
  /** The normalised key policy; absent when none is set. */
  readonly policy?: PolicyDocument
}

export interface PolicyNameRequest {
  readonly policyName: string
}

export interface PutPolicyRequest extends PolicyNameRequest {
  /** A policy document (object or JSON string) without `Principal`. */
  readonly policyDocument: unknown
  readonly description?: string
}

export interface PolicyInfo {
  readonly policyName: string
  readonly description: string
  readonly createDate: string
  readonly updateDate: string
  /** getPolicy only: the normalised document. */
  readonly policyDocument?: PolicyDocument
}

export interface PolicyResponse extends KmsResponse {
  readonly policy: PolicyInfo
}

export interface ListPoliciesResponse extends PagedResponse {
  readonly policies: readonly PolicyInfo[]
}

export interface PrincipalRequest {
  readonly principal: string
}

export interface PolicyAttachmentRequest extends PolicyNameRequest, PrincipalRequest {}
