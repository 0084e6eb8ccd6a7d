/**
 * The operation table: every operation of the AWS KMS API (TrentService, 2014-11-01),
 * each either mapped onto the engine or answered with UnsupportedOperationException and
 * the reason. This is the one place an operation joins when core gains it: replace its
 * `unsupported` row with `{ run, needs: 'engineMethod' }`; `needs` keeps the row
 * answering UnsupportedOperationException on engines that lack the method.
 *
 * ```ts
 * const entry = AWS_OPERATIONS['Encrypt']          // { run: Encrypt }
 * AWS_OPERATIONS['CreateCustomKeyStore']           // { unsupported: 'custom key stores (CloudHSM, external) are not supported' }
 * ```
 *
 * A target that is not an AWS KMS operation at all is UnknownOperationException (see
 * protocol.ts); an AWS operation listed here as unsupported is never a crash.
 */
import type { OperationEntry } from './context.js'
import { CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from './aliases.js'
import { GenerateMac, GetPublicKey, Sign, Verify, VerifyMac } from './asymmetric.js'
import { Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateRandom, ReEncrypt } from './crypto.js'
import { GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext } from './data-key-pairs.js'
import { DeleteImportedKeyMaterial, GetParametersForImport, ImportKeyMaterial } from './import.js'
import {
  CancelKeyDeletion, CreateKey, DescribeKey, DisableKey, EnableKey, ListKeys, ScheduleKeyDeletion, UpdateKeyDescription,
} from './keys.js'
import { DisableKeyRotation, EnableKeyRotation, GetKeyRotationStatus, ListKeyRotations, RotateKeyOnDemand } from './rotation.js'
import { GetKeyLastUsage, GetKeyPolicy, ListKeyPolicies, PutKeyPolicy } from './policies.js'
import { CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant } from './grants.js'
import { ListResourceTags, TagResource, UntagResource } from './tags.js'

const CUSTOM_KEY_STORES = 'custom key stores (CloudHSM, external) are not supported'
const MULTI_REGION = 'multi-Region keys are not supported'
const KEY_AGREEMENT = 'key agreement and KEM keys are not supported'

/** GetPublicKey of a symmetric or HMAC key is an UnsupportedOperationException on AWS (the engine: InvalidKeyUsage). */
const PUBLIC_KEY_ERRORS = { InvalidKeyUsage: 'UnsupportedOperationException' } as const
/** A bad tag is a TagException in the tag operations, as on AWS. */
const TAG_ERRORS = { InvalidParameter: 'TagException' } as const
/** A policy the engine refuses is a MalformedPolicyDocumentException (the key reference is checked before the engine sees it). */
const POLICY_ERRORS = { InvalidParameter: 'MalformedPolicyDocumentException' } as const
/**
 * What the engine still refuses in an alias name after the facade's AWS checks (names.ts) —
 * its own reserved `alias/acs/` prefix — is an InvalidAliasNameException.
 */
const ALIAS_ERRORS = { InvalidParameter: 'InvalidAliasNameException' } as const

export const AWS_OPERATIONS: Readonly<Record<string, OperationEntry>> = {
  // Keys
  CreateKey: { run: CreateKey },
  DescribeKey: { run: DescribeKey },
  ListKeys: { run: ListKeys },
  UpdateKeyDescription: { run: UpdateKeyDescription },
  EnableKey: { run: EnableKey },
  DisableKey: { run: DisableKey },
  ScheduleKeyDeletion: { run: ScheduleKeyDeletion },
  CancelKeyDeletion: { run: CancelKeyDeletion },
  // Cryptography
  Encrypt: { run: Encrypt },
  Decrypt: { run: Decrypt },
  ReEncrypt: { run: ReEncrypt },
  GenerateDataKeyPair: { run: GenerateDataKeyPair },
  GenerateDataKeyPairWithoutPlaintext: { run: GenerateDataKeyPairWithoutPlaintext },
  GenerateDataKey: { run: GenerateDataKey },
  GenerateDataKeyWithoutPlaintext: { run: GenerateDataKeyWithoutPlaintext },
  GenerateRandom: { run: GenerateRandom, needs: 'generateRandom' },
  // Asymmetric and HMAC keys (Encrypt and Decrypt above serve RSA keys too)
  Sign: { run: Sign, needs: 'asymmetricSign' },
  Verify: { run: Verify, needs: 'asymmetricVerify' },
  GetPublicKey: { run: GetPublicKey, needs: 'getPublicKey', errors: PUBLIC_KEY_ERRORS },
  GenerateMac: { run: GenerateMac, needs: 'generateMac' },
  VerifyMac: { run: VerifyMac, needs: 'verifyMac' },
  // Importing key material
  GetParametersForImport: { run: GetParametersForImport, needs: 'getParametersForImport' },
  ImportKeyMaterial: { run: ImportKeyMaterial, needs: 'importKeyMaterial' },
  DeleteImportedKeyMaterial: { run: DeleteImportedKeyMaterial, needs: 'deleteKeyMaterial' },
  // Rotation
  EnableKeyRotation: { run: EnableKeyRotation },
  DisableKeyRotation: { run: DisableKeyRotation },
  GetKeyRotationStatus: { run: GetKeyRotationStatus },
  RotateKeyOnDemand: { run: RotateKeyOnDemand },
  ListKeyRotations: { run: ListKeyRotations },
  // Aliases and tags
  CreateAlias: { run: CreateAlias, errors: ALIAS_ERRORS },
  UpdateAlias: { run: UpdateAlias, errors: ALIAS_ERRORS },
  DeleteAlias: { run: DeleteAlias, errors: ALIAS_ERRORS },
  ListAliases: { run: ListAliases },
  TagResource: { run: TagResource, errors: TAG_ERRORS },
  UntagResource: { run: UntagResource, errors: TAG_ERRORS },
  ListResourceTags: { run: ListResourceTags },
  // Grants (a grant's encryption-context constraint names operations that take one)
  CreateGrant: { run: CreateGrant, needs: 'createGrant' },
  ListGrants: { run: ListGrants, needs: 'listGrants' },
  ListRetirableGrants: { run: ListRetirableGrants, needs: 'listRetirableGrants' },
  RetireGrant: { run: RetireGrant, needs: 'retireGrant' },
  RevokeGrant: { run: RevokeGrant, needs: 'revokeGrant' },
  // Key policies (IAM-style JSON, or Strongroom's own language) and usage
  PutKeyPolicy: { run: PutKeyPolicy, errors: POLICY_ERRORS },
  GetKeyPolicy: { run: GetKeyPolicy },
  ListKeyPolicies: { run: ListKeyPolicies },
  GetKeyLastUsage: { run: GetKeyLastUsage },

  // Not available: each answers UnsupportedOperationException with its reason.
  ConnectCustomKeyStore: { unsupported: CUSTOM_KEY_STORES },
  CreateCustomKeyStore: { unsupported: CUSTOM_KEY_STORES },
  DeleteCustomKeyStore: { unsupported: CUSTOM_KEY_STORES },
  DescribeCustomKeyStores: { unsupported: CUSTOM_KEY_STORES },
  DisconnectCustomKeyStore: { unsupported: CUSTOM_KEY_STORES },
  UpdateCustomKeyStore: { unsupported: CUSTOM_KEY_STORES },
  ReplicateKey: { unsupported: MULTI_REGION },
  UpdatePrimaryRegion: { unsupported: MULTI_REGION },
  DeriveSharedSecret: { unsupported: KEY_AGREEMENT },
  Encapsulate: { unsupported: KEY_AGREEMENT },
  Decapsulate: { unsupported: KEY_AGREEMENT },
}
