/**
 * Request and response shapes of the engine API: the reference model's (Alibaba Cloud KMS
 * 2016-01-20) operations and field names in camelCase, binary values as `Uint8Array`,
 * dates as ISO 8601 UTC strings (`2026-01-01T00:00:00Z`). Every response carries a
 * `requestId`. Every `keyId` parameter accepts a key id, a key resource name
 * (`acs:kms:<region>:<account>:key/<id>`) or an alias (`alias/<name>`).
 */
import type { EncryptionContext } from './context.js'
import type { PolicyDocument } from './policy.js'
import type { GrantConstraints, GrantOperation } from './grant-store.js'
import type {
  AsymmetricEncryptionAlgorithm, HmacAlgorithm, SigningAlgorithm,
} from '@strongroom/crypto'
import type { AsymmetricKeySpec, KeyOrigin, KeySpec, KeyState, KeyUsage } from './key-record.js'

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
  /** EXTERNAL keys: when the imported material expires and the key returns to PendingImport. */
  readonly materialExpireTime?: string
  /** When the key last encrypted, decrypted or made a data key (from the audit trail; describeKey only). */
  readonly lastUsedDate?: string
}

export interface KeyVersion {
  readonly keyId: string
  readonly keyVersionId: string
  readonly creationDate: string
  /**
   * Set on versions a rotation made: `manual` (createKeyVersion) or `automatic` (the
   * rotation schedule). Absent on a key's first version, imported material, and versions
   * stored before releases that record it.
   */
  readonly rotation?: 'manual' | 'automatic'
}

/**
 * Grant tokens (createGrant returns one) any call may carry: each must have been issued by
 * this keystore (else InvalidGrantToken), and the grants they name are considered at once.
 */
export interface GrantTokensParam {
  /** At most 10. */
  readonly grantTokens?: readonly string[]
}

export interface KeyRequest extends GrantTokensParam {
  readonly keyId: string
}

export interface Paging {
  /** From 1 (Alibaba's paging). Not together with `marker`. */
  readonly pageNumber?: number
  /** 1-100, default 10. */
  readonly pageSize?: number
  /** The previous page's `nextMarker` (AWS's paging): the page after it, whatever changed meanwhile. */
  readonly marker?: string | undefined
}

export interface PagedResponse extends KmsResponse {
  /** Every entry the listing would show over all its pages. */
  readonly totalCount: number
  /** The page asked for; with `marker`, the page this one would be by position. */
  readonly pageNumber: number
  readonly pageSize: number
  /** Present when more entries follow: pass it as `marker` for the next page. */
  readonly nextMarker?: string
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
  /**
   * A key id of your choosing (a UUID not yet in use), instead of a random one: with
   * imported material this gives a test suite a fixed key id and fixed material.
   */
  readonly keyId?: string
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

export interface DecryptRequest extends GrantTokensParam {
  readonly ciphertextBlob: Uint8Array
  readonly encryptionContext?: EncryptionContext
}

export interface DecryptResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly plaintext: Uint8Array
}

export interface ReEncryptRequest extends GrantTokensParam {
  readonly ciphertextBlob: Uint8Array
  readonly destinationKeyId: string
  readonly sourceEncryptionContext?: EncryptionContext
  readonly destinationEncryptionContext?: EncryptionContext
  /** When given, the blob must have been encrypted under this key (else IncorrectKey). */
  readonly sourceKeyId?: string
  /**
   * The blob is an RSAES-OAEP ciphertext (asymmetricEncrypt's, or any made with the key's
   * public key) of the RSA ENCRYPT/DECRYPT key `sourceKeyId`, which is then required;
   * decrypted with its primary version. No source encryption context.
   */
  readonly sourceAlgorithm?: AsymmetricEncryptionAlgorithm
  /**
   * Re-encrypt to an RSA ENCRYPT/DECRYPT destination key with RSAES-OAEP under its primary
   * version's public key: the plaintext must fit (rsaOaepMaxPlaintextLength). No
   * destination encryption context.
   */
  readonly destinationAlgorithm?: AsymmetricEncryptionAlgorithm
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

/**
 * The key pair specs generateDataKeyPair makes (AWS's DataKeyPairSpec, in the engine's
 * names): RSA_2048/3072/4096, EC_P256, EC_P384, EC_P521, EC_P256K and ED25519.
 */
export type DataKeyPairSpec = AsymmetricKeySpec

export interface GenerateDataKeyPairRequest extends KeyRequest {
  readonly keyPairSpec: DataKeyPairSpec
  /** Bound to the encrypted private key, as with generateDataKey. */
  readonly encryptionContext?: EncryptionContext
}

export interface GenerateDataKeyPairWithoutPlaintextResponse extends KmsResponse {
  /** The symmetric key that encrypted the private key, and its version. */
  readonly keyId: string
  readonly keyVersionId: string
  readonly keyPairSpec: DataKeyPairSpec
  /** The public key: X.509 SubjectPublicKeyInfo, DER. */
  readonly publicKey: Uint8Array
  /** The private key (PKCS#8 DER) encrypted under the key: a ciphertext blob that `decrypt` opens. */
  readonly privateKeyCiphertextBlob: Uint8Array
}

export interface GenerateDataKeyPairResponse extends GenerateDataKeyPairWithoutPlaintextResponse {
  /** The private key, PKCS#8 DER: use it, then wipe it (`fill(0)`); keep only privateKeyCiphertextBlob. */
  readonly privateKeyPlaintext: Uint8Array
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
  /** Present when any secret was purged, rotated or failed its rotation. */
  readonly secrets?: {
    readonly purged: readonly string[]
    readonly rotated: readonly string[]
    /** Automatic rotations whose function failed (audited as RotationFailed); tried again next time. */
    readonly rotationFailed: readonly string[]
  }
}

export interface SetKeyPolicyRequest extends KeyRequest {
  /**
   * A policy document (object or JSON string) with `Principal` in every statement: the
   * reference model's language (`Version: "1"`) or IAM-style JSON (`Version: "2012-10-17"`).
   */
  readonly policy: unknown
  /**
   * AWS's lockout safety check: unless this is true, a principal other than the owner may
   * set only a policy that still lets it set the key policy (else InvalidParameter).
   */
  readonly bypassPolicyLockoutSafetyCheck?: boolean
}

export interface GetKeyPolicyResponse extends KmsResponse {
  /** The normalised key policy; absent when none is set (the key then behaves as under AWS's default key policy). */
  readonly policy?: PolicyDocument
  /** The policy exactly as it was set, when it was set as JSON text of at most 32 KiB. */
  readonly policyText?: string
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

/**
 * Signing input: exactly one of the `digest` (the reference model's input) or the `message`.
 * The digest is the message's hash under the algorithm's hash: 32 bytes for the `_SHA_256`
 * algorithms, 48 for `_SHA_384`, 64 for `_SHA_512` and `ED25519_PH` (SHA-512).
 */
export interface SigningInput {
  readonly digest?: Uint8Array
  /** 1 B – 4 KiB; sign longer messages by digest. ED25519 (pure) signs messages only. */
  readonly message?: Uint8Array
}

export interface AsymmetricSignRequest extends KeyRequest, SigningInput {
  /** Default: the primary version. */
  readonly keyVersionId?: string
  readonly algorithm: SigningAlgorithm
}

export interface AsymmetricSignResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly algorithm: SigningAlgorithm
  /** The signature: DER for ECDSA, 64 bytes for Ed25519, the modulus length for RSA. */
  readonly value: Uint8Array
}

export interface AsymmetricVerifyRequest extends AsymmetricSignRequest {
  /** The signature to check. */
  readonly value: Uint8Array
}

export interface AsymmetricVerifyResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly algorithm: SigningAlgorithm
  /** Whether the signature is valid. */
  readonly value: boolean
}

export interface AsymmetricEncryptRequest extends KeyRequest {
  readonly keyVersionId?: string
  readonly algorithm: AsymmetricEncryptionAlgorithm
  readonly plaintext: Uint8Array
}

export interface AsymmetricEncryptResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly algorithm: AsymmetricEncryptionAlgorithm
  /** Plain RSAES-OAEP ciphertext (not a Strongroom blob): pass the same keyVersionId to decrypt. */
  readonly ciphertextBlob: Uint8Array
}

export interface AsymmetricDecryptRequest extends KeyRequest {
  /** Default: the primary version. */
  readonly keyVersionId?: string
  readonly algorithm: AsymmetricEncryptionAlgorithm
  readonly ciphertextBlob: Uint8Array
}

export interface AsymmetricDecryptResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly algorithm: AsymmetricEncryptionAlgorithm
  readonly plaintext: Uint8Array
}

export interface GetPublicKeyRequest extends KeyRequest {
  readonly keyVersionId?: string
}

export interface GetPublicKeyResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly keySpec: AsymmetricKeySpec
  readonly keyUsage: KeyUsage
  /** PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKey: string
  /** X.509 SubjectPublicKeyInfo, DER. */
  readonly publicKeyDer: Uint8Array
  readonly signingAlgorithms?: readonly SigningAlgorithm[]
  readonly encryptionAlgorithms?: readonly AsymmetricEncryptionAlgorithm[]
}

export interface GenerateMacRequest extends KeyRequest {
  /** 1 B – 4 KiB. */
  readonly message: Uint8Array
  /** Must match the key spec (an HMAC_SHA_256 key computes HMAC_SHA_256). */
  readonly macAlgorithm: HmacAlgorithm
}

export interface GenerateMacResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  readonly macAlgorithm: HmacAlgorithm
  readonly mac: Uint8Array
}

export interface VerifyMacRequest extends GenerateMacRequest {
  readonly mac: Uint8Array
  /** Default: every version of the key, newest first. */
  readonly keyVersionId?: string
}

export interface VerifyMacResponse extends KmsResponse {
  readonly keyId: string
  /** The version whose MAC matched (the primary version when none did). */
  readonly keyVersionId: string
  readonly macAlgorithm: HmacAlgorithm
  readonly macValid: boolean
}

/** Where to export a data key: an RSA public key (SubjectPublicKeyInfo DER, or PEM) and how to wrap for it. */
export interface DataKeyExport {
  readonly publicKeyBlob: Uint8Array | string
  readonly wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096'
  readonly wrappingAlgorithm: AsymmetricEncryptionAlgorithm
}

export interface ExportDataKeyRequest extends DataKeyExport {
  /** A data key's ciphertextBlob (from generateDataKey or generateDataKeyWithoutPlaintext). */
  readonly ciphertextBlob: Uint8Array
  readonly encryptionContext?: EncryptionContext
}

export interface ExportDataKeyResponse extends KmsResponse {
  readonly keyId: string
  readonly keyVersionId: string
  /** The data key under RSA-OAEP for the holder of the private key. */
  readonly exportedDataKey: Uint8Array
}

export interface GenerateAndExportDataKeyRequest extends GenerateDataKeyRequest, DataKeyExport {}

export interface GenerateAndExportDataKeyResponse extends ExportDataKeyResponse {
  readonly ciphertextBlob: Uint8Array
}

export interface GenerateRandomRequest {
  /** 1-1024. */
  readonly numberOfBytes: number
}

export interface GenerateRandomResponse extends KmsResponse {
  readonly plaintext: Uint8Array
}

export interface GetRandomPasswordRequest {
  /** 8-128, default 32. */
  readonly passwordLength?: number
  readonly excludeCharacters?: string
  readonly excludeLowercase?: boolean
  readonly excludeUppercase?: boolean
  readonly excludeNumbers?: boolean
  readonly excludePunctuation?: boolean
  /** Default true: at least one character of each included class. */
  readonly requireEachIncludedType?: boolean
}

export interface GetRandomPasswordResponse extends KmsResponse {
  readonly randomPassword: string
}

export interface GetParametersForImportRequest extends KeyRequest {
  readonly wrappingAlgorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'
  readonly wrappingKeySpec: 'RSA_2048'
}

export interface GetParametersForImportResponse extends KmsResponse {
  readonly keyId: string
  /** Pass to importKeyMaterial; single use. */
  readonly importToken: string
  /** The wrapping public key, PEM. */
  readonly publicKey: string
  /** The wrapping public key, SubjectPublicKeyInfo DER. */
  readonly publicKeyDer: Uint8Array
  readonly wrappingAlgorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'
  readonly wrappingKeySpec: 'RSA_2048'
  /** 24 hours after the call, by the engine's clock. */
  readonly tokenExpireTime: string
}

export interface ImportKeyMaterialRequest extends KeyRequest {
  readonly importToken: string
  /** The key material, RSA-OAEP-encrypted under the token's wrapping public key. */
  readonly encryptedKeyMaterial: Uint8Array
  /** When the material expires, in Unix seconds; absent or 0: never. */
  readonly keyMaterialExpireUnix?: number
}

// ---------------------------------------------------------------------------------------
// Grants (AWS KMS's model: see grant-store.ts)

export interface CreateGrantRequest extends KeyRequest {
  /** Who may use the grant: an engine principal name or an IAM ARN (policy/principals.ts). */
  readonly granteePrincipal: string
  /** Who may retire it, besides the grantee (with RetireGrant) and the owner. */
  readonly retiringPrincipal?: string
  readonly operations: readonly GrantOperation[]
  /** At most one of the two; only with operations that take an encryption context. */
  readonly constraints?: GrantConstraints
  /** Retries with the same name and parameters return the same grant, not a second one. */
  readonly name?: string
}

export interface CreateGrantResponse extends KmsResponse {
  readonly grantId: string
  readonly grantToken: string
}

export interface GrantInfo {
  readonly keyId: string
  readonly grantId: string
  readonly name?: string
  readonly creationDate: string
  readonly granteePrincipal: string
  readonly retiringPrincipal?: string
  readonly issuingPrincipal: string
  readonly operations: readonly GrantOperation[]
  readonly constraints?: GrantConstraints
}

export interface GrantPaging {
  /** 1-1000, default 50. */
  readonly limit?: number
  /** `nextCursor` of the previous page. */
  readonly cursor?: string
}

export interface ListGrantsRequest extends KeyRequest, GrantPaging {
  readonly grantId?: string
  readonly granteePrincipal?: string
}

export interface ListGrantsResponse extends KmsResponse {
  readonly grants: readonly GrantInfo[]
  /** Present when more grants follow. */
  readonly nextCursor?: string
}

export interface ListRetirableGrantsRequest extends GrantPaging {
  readonly retiringPrincipal: string
}

/** By `grantToken`, or by `keyId` and `grantId`. */
export interface RetireGrantRequest extends GrantTokensParam {
  readonly grantToken?: string
  readonly keyId?: string
  readonly grantId?: string
}

export interface RevokeGrantRequest extends KeyRequest {
  readonly grantId: string
}

export type * from './api-secrets.js'
