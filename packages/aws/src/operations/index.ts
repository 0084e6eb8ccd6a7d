/**
 * The operation table: every operation of the AWS KMS API (TrentService, 2014-11-01),
 * each either mapped onto the engine or answered with UnsupportedOperationException and
 * the reason. This is the one place an operation joins when core gains it: replace its
 * `unsupported` row with `{ run, needs: 'engineMethod' }`; `needs` keeps the row
 * answering UnsupportedOperationException on engines that lack the method.
 *
 * ```ts
 * const entry = AWS_OPERATIONS['Encrypt']          // { run: Encrypt }
 * AWS_OPERATIONS['Sign']                           // { unsupported: 'asymmetric keys …' }
 * ```
 *
 * A target that is not an AWS KMS operation at all is UnknownOperationException (see
 * protocol.ts); an AWS operation listed here as unsupported is never a crash.
 */
import type { OperationEntry } from './context.js'
import { CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from './aliases.js'
import { Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateRandom, ReEncrypt } from './crypto.js'
import {
  CancelKeyDeletion, CreateKey, DescribeKey, DisableKey, EnableKey, ListKeys, ScheduleKeyDeletion, UpdateKeyDescription,
} from './keys.js'
import { DisableKeyRotation, EnableKeyRotation, GetKeyRotationStatus, ListKeyRotations, RotateKeyOnDemand } from './rotation.js'
import { GetKeyLastUsage, GetKeyPolicy, ListKeyPolicies, PutKeyPolicy } from './policies.js'
import { ListResourceTags, TagResource, UntagResource } from './tags.js'

const ASYMMETRIC = 'asymmetric keys are not supported yet (engine: asymmetricSign / asymmetricVerify / getPublicKey)'
const MAC = 'HMAC keys are not supported yet (engine: generateMac / verifyMac)'
const IMPORT = 'importing key material is not supported yet (engine: getParametersForImport / importKeyMaterial / deleteKeyMaterial)'
const GRANTS = 'grants are not supported'
const CUSTOM_KEY_STORES = 'custom key stores (CloudHSM, external) are not supported'
const MULTI_REGION = 'multi-Region keys are not supported'
const KEY_AGREEMENT = 'key agreement and KEM keys are not supported'

/** A bad tag is a TagException in the tag operations, as on AWS. */
const TAG_ERRORS = { InvalidParameter: 'TagException' } as const
/** A policy the engine refuses is a MalformedPolicyDocumentException (the key reference is checked before the engine sees it). */
const POLICY_ERRORS = { InvalidParameter: 'MalformedPolicyDocumentException' } as const
/** A bad alias name is an InvalidAliasNameException (TargetKeyId is checked before the engine sees it). */
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
  GenerateDataKey: { run: GenerateDataKey },
  GenerateDataKeyWithoutPlaintext: { run: GenerateDataKeyWithoutPlaintext },
  GenerateRandom: { run: GenerateRandom, needs: 'generateRandom' },
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
  // Key policies (Strongroom's policy language) and usage
  PutKeyPolicy: { run: PutKeyPolicy, errors: POLICY_ERRORS },
  GetKeyPolicy: { run: GetKeyPolicy },
  ListKeyPolicies: { run: ListKeyPolicies },
  GetKeyLastUsage: { run: GetKeyLastUsage },

  // Not available yet: each answers UnsupportedOperationException with its reason.
  GenerateDataKeyPair: { unsupported: ASYMMETRIC },
  GenerateDataKeyPairWithoutPlaintext: { unsupported: ASYMMETRIC },
  Sign: { unsupported: ASYMMETRIC },
  Verify: { unsupported: ASYMMETRIC },
  GetPublicKey: { unsupported: ASYMMETRIC },
  GenerateMac: { unsupported: MAC },
  VerifyMac: { unsupported: MAC },
  GetParametersForImport: { unsupported: IMPORT },
  ImportKeyMaterial: { unsupported: IMPORT },
  DeleteImportedKeyMaterial: { unsupported: IMPORT },
  CreateGrant: { unsupported: GRANTS },
  ListGrants: { unsupported: GRANTS },
  ListRetirableGrants: { unsupported: GRANTS },
  RetireGrant: { unsupported: GRANTS },
  RevokeGrant: { unsupported: GRANTS },
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
