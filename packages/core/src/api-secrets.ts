/**
 * Request and response shapes of the secrets operations: the reference model's
 * (Alibaba Cloud KMS 2016-01-20) secrets API in camelCase. A `text` value is a string, a
 * `binary` value a `Uint8Array`; dates are ISO 8601 UTC strings.
 *
 * ```ts
 * await kms.createSecret({ secretName: 'db/password', versionId: 'v1', secretData: 'hunter2' })
 * const { secretData } = await kms.getSecretValue({ secretName: 'db/password' })  // ACSCurrent
 * ```
 */
import type { KmsResponse, Tag } from './api.js'
import type { SecretDataType } from './secret-record.js'

export type { SecretDataType }

/** A value as the caller gives it and gets it back: text as a string, binary as bytes. */
export type SecretValue =
  | { readonly secretDataType: 'text'; readonly secretData: string }
  | { readonly secretDataType: 'binary'; readonly secretData: Uint8Array }

export interface SecretRequest {
  /** 1-192 of letters, digits and `_ / + = . @ -`; a secret's resource name is accepted too. */
  readonly secretName: string
}

export interface SecretValueInput {
  /** A string (text, at most 30720 UTF-8 bytes) or bytes (binary, at most 30720). */
  readonly secretData: string | Uint8Array
  /** Default: `binary` for bytes, `text` for a string; when given it must agree with `secretData`. */
  readonly secretDataType?: SecretDataType
}

export interface CreateSecretRequest extends SecretRequest, SecretValueInput {
  /** The first version's id (1-64 of letters, digits, `_ . -`); it becomes ACSCurrent. */
  readonly versionId: string
  /** The master key (id, resource name or alias) whose data keys protect the values; default: the engine's secrets key. */
  readonly encryptionKeyId?: string
  readonly description?: string
  readonly tags?: readonly Tag[]
  readonly enableAutomaticRotation?: boolean
  /** `6h` to `365d` (or seconds), needs enableAutomaticRotation. */
  readonly rotationInterval?: string | number
}

export interface SecretRotationInfo {
  readonly automaticRotation: 'Enabled' | 'Disabled'
  /** e.g. `86400s`, when automatic rotation is enabled. */
  readonly rotationInterval?: string
  readonly lastRotationDate?: string
  readonly nextRotationDate?: string
}

export interface CreateSecretResponse extends KmsResponse, SecretRotationInfo {
  /** `acs:kms:<region>:<account>:secret/<name>`. */
  readonly arn: string
  readonly secretName: string
  readonly versionId: string
  readonly secretType: 'Generic'
}

export interface GetSecretValueRequest extends SecretRequest {
  readonly versionId?: string
  /** Default `ACSCurrent` (when no versionId is given). */
  readonly versionStage?: string
}

export type GetSecretValueResponse = KmsResponse & SecretValue & SecretRotationInfo & {
  readonly arn: string
  readonly secretName: string
  readonly secretType: 'Generic'
  readonly versionId: string
  readonly versionStages: readonly string[]
  readonly createTime: string
}

export interface PutSecretValueRequest extends SecretRequest, SecretValueInput {
  readonly versionId: string
  /** Stages for the new version (at most 7); default `['ACSCurrent']`. */
  readonly versionStages?: readonly string[]
}

export interface PutSecretValueResponse extends KmsResponse {
  readonly secretName: string
  readonly versionId: string
  readonly versionStages: readonly string[]
}

export interface UpdateSecretVersionStageRequest extends SecretRequest {
  readonly versionStage: string
  /** The version that has the stage now (required when it has one). */
  readonly removeFromVersion?: string
  readonly moveToVersion?: string
}

export interface SecretNameResponse extends KmsResponse {
  readonly secretName: string
}

export interface ListSecretVersionIdsRequest extends SecretRequest {
  /** Include versions without a stage. Default false. */
  readonly includeDeprecated?: boolean
  readonly pageNumber?: number
  readonly pageSize?: number
}

export interface SecretVersionInfo {
  readonly versionId: string
  readonly createTime: string
  readonly versionStages: readonly string[]
}

export interface ListSecretVersionIdsResponse extends KmsResponse {
  readonly secretName: string
  readonly totalCount: number
  readonly pageNumber: number
  readonly pageSize: number
  /** Newest first. */
  readonly versionIds: readonly SecretVersionInfo[]
}

export interface SecretMetadata extends SecretRotationInfo {
  readonly arn: string
  readonly secretName: string
  readonly secretType: 'Generic'
  readonly description: string
  /** The master key protecting the values. */
  readonly encryptionKeyId: string
  readonly createTime: string
  readonly updateTime: string
  /** When a secret pending deletion will be purged. */
  readonly plannedDeleteTime?: string
  readonly tags: readonly Tag[]
}

export interface DescribeSecretResponse extends KmsResponse, SecretMetadata {}

export interface UpdateSecretRequest extends SecretRequest {
  readonly description: string
}

export interface SecretFilter {
  /** `SecretName` and `Description` match a substring; `TagKey` and `TagValue` match exactly. */
  readonly key: 'SecretName' | 'Description' | 'TagKey' | 'TagValue'
  /** 1-10 values, any of which may match. */
  readonly values: readonly string[]
}

export interface ListSecretsRequest {
  /** 1-100, default 10. */
  readonly pageSize?: number
  /** `nextToken` of the previous page. */
  readonly nextToken?: string
  /** Every filter must match (at most 10). */
  readonly filters?: readonly SecretFilter[]
}

export interface ListSecretsResponse extends KmsResponse {
  /** In name order. */
  readonly secretList: readonly SecretMetadata[]
  readonly pageSize: number
  /** Present when more secrets may follow. */
  readonly nextToken?: string
}

export interface DeleteSecretRequest extends SecretRequest {
  /** 7-30, default 30. */
  readonly recoveryWindowInDays?: number
  /** Purge at once, with every version: it cannot be restored. */
  readonly forceDeleteWithoutRecovery?: boolean
}

export interface DeleteSecretResponse extends KmsResponse {
  readonly secretName: string
  /** Absent when the secret was purged at once. */
  readonly plannedDeleteTime?: string
}

export interface RotateSecretRequest extends SecretRequest {
  /** Id of the version the rotation makes; default: a fresh UUID. */
  readonly versionId?: string
}

export interface RotateSecretResponse extends KmsResponse {
  readonly arn: string
  readonly secretName: string
  readonly versionId: string
}

export interface UpdateSecretRotationPolicyRequest extends SecretRequest {
  readonly enableAutomaticRotation: boolean
  readonly rotationInterval?: string | number
}

export interface TagSecretRequest extends SecretRequest {
  readonly tags: readonly Tag[]
}

export interface UntagSecretRequest extends SecretRequest {
  readonly tagKeys: readonly string[]
}

export interface ListSecretTagsResponse extends KmsResponse {
  readonly tags: readonly (Tag & { readonly secretName: string })[]
}

/** What `secretRotation` (a `Kms.open` option) receives: never logged or stored by the engine. */
export interface SecretRotationInput {
  readonly secretName: string
  readonly arn: string
  /** The version the rotation will make. */
  readonly versionId: string
  /** The value that is ACSCurrent now. */
  readonly current: SecretValue & { readonly versionId: string }
  readonly tags: Readonly<Record<string, string>>
  /** `manual` for rotateSecret, `automatic` when maintenance() found the rotation due. */
  readonly trigger: 'manual' | 'automatic'
}

/**
 * Makes a secret's next value (and typically changes the password where it is used). The
 * new version becomes ACSCurrent only when this resolves; a rejection leaves every stage
 * where it was and is audited as RotationFailed.
 */
export type SecretRotationFunction = (input: SecretRotationInput) => Promise<string | Uint8Array> | string | Uint8Array
