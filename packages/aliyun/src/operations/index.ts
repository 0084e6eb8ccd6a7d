/**
 * The action table: the actions of Alibaba Cloud KMS 2016-01-20 this endpoint serves, each
 * mapped onto the engine, and those it does not, each answered with
 * Rejected.UnsupportedOperation and the reason. An action in neither list is
 * InvalidAction.NotFound (see protocol.ts).
 *
 * ```ts
 * ALIYUN_ACTIONS['Encrypt']          // { run: Encrypt }
 * ALIYUN_ACTIONS['CreateCertificate'] // { unsupported: 'certificates are not part of this service' }
 * ```
 */
import type { OperationEntry } from './context.js'
import { CreateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId, UpdateAlias } from './aliases.js'
import { AsymmetricDecrypt, AsymmetricEncrypt, AsymmetricSign, AsymmetricVerify, GetPublicKey } from './asymmetric.js'
import {
  Decrypt, Encrypt, ExportDataKey, GenerateAndExportDataKey, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncrypt,
} from './crypto.js'
import { DeleteKeyMaterial, GetParametersForImport, ImportKeyMaterial } from './import.js'
import {
  CancelKeyDeletion, CreateKey, DescribeKey, DescribeRegions, DisableKey, EnableKey, ListKeys, ScheduleKeyDeletion,
  SetDeletionProtection, UpdateKeyDescription,
} from './keys.js'
import { GetKeyPolicy, SetKeyPolicy } from './policies.js'
import { GetRandomPassword } from './random.js'
import {
  CreateSecret, DeleteSecret, DescribeSecret, GetSecretValue, ListSecrets, ListSecretVersionIds, PutSecretValue, RestoreSecret, RotateSecret,
  UpdateSecret, UpdateSecretRotationPolicy, UpdateSecretVersionStage,
} from './secrets.js'
import { ListResourceTags, ListTagResources, TagResource, TagResources, UntagResource, UntagResources } from './tags.js'
import { CreateKeyVersion, DescribeKeyVersion, ListKeyVersions, UpdateRotationPolicy } from './versions.js'

const CERTIFICATES = 'certificates are not part of this service'
const INSTANCES = 'KMS instances, application access points and network rules are not part of this service'

export const ALIYUN_ACTIONS: Readonly<Record<string, OperationEntry>> = {
  // Keys
  CreateKey: { run: CreateKey },
  DescribeKey: { run: DescribeKey },
  ListKeys: { run: ListKeys },
  UpdateKeyDescription: { run: UpdateKeyDescription },
  EnableKey: { run: EnableKey },
  DisableKey: { run: DisableKey },
  ScheduleKeyDeletion: { run: ScheduleKeyDeletion },
  CancelKeyDeletion: { run: CancelKeyDeletion },
  SetDeletionProtection: { run: SetDeletionProtection },
  DescribeRegions: { run: DescribeRegions },
  // Cryptography
  Encrypt: { run: Encrypt },
  Decrypt: { run: Decrypt },
  ReEncrypt: { run: ReEncrypt },
  GenerateDataKey: { run: GenerateDataKey },
  GenerateDataKeyWithoutPlaintext: { run: GenerateDataKeyWithoutPlaintext },
  ExportDataKey: { run: ExportDataKey },
  GenerateAndExportDataKey: { run: GenerateAndExportDataKey },
  // Versions and rotation
  CreateKeyVersion: { run: CreateKeyVersion },
  ListKeyVersions: { run: ListKeyVersions },
  DescribeKeyVersion: { run: DescribeKeyVersion },
  UpdateRotationPolicy: { run: UpdateRotationPolicy },
  // Aliases and tags
  CreateAlias: { run: CreateAlias },
  UpdateAlias: { run: UpdateAlias },
  DeleteAlias: { run: DeleteAlias },
  ListAliases: { run: ListAliases },
  ListAliasesByKeyId: { run: ListAliasesByKeyId },
  TagResource: { run: TagResource },
  UntagResource: { run: UntagResource },
  ListResourceTags: { run: ListResourceTags },
  TagResources: { run: TagResources },
  UntagResources: { run: UntagResources },
  ListTagResources: { run: ListTagResources },
  // Asymmetric keys
  AsymmetricSign: { run: AsymmetricSign },
  AsymmetricVerify: { run: AsymmetricVerify },
  AsymmetricEncrypt: { run: AsymmetricEncrypt },
  AsymmetricDecrypt: { run: AsymmetricDecrypt },
  GetPublicKey: { run: GetPublicKey },
  // Random and key import
  GetRandomPassword: { run: GetRandomPassword },
  GetParametersForImport: { run: GetParametersForImport },
  ImportKeyMaterial: { run: ImportKeyMaterial },
  DeleteKeyMaterial: { run: DeleteKeyMaterial },
  // Secrets (generic secrets)
  CreateSecret: { run: CreateSecret },
  GetSecretValue: { run: GetSecretValue },
  PutSecretValue: { run: PutSecretValue },
  UpdateSecretVersionStage: { run: UpdateSecretVersionStage },
  ListSecretVersionIds: { run: ListSecretVersionIds },
  DescribeSecret: { run: DescribeSecret },
  UpdateSecret: { run: UpdateSecret },
  ListSecrets: { run: ListSecrets },
  DeleteSecret: { run: DeleteSecret },
  RestoreSecret: { run: RestoreSecret },
  RotateSecret: { run: RotateSecret },
  UpdateSecretRotationPolicy: { run: UpdateSecretRotationPolicy },
  // Key policies (Strongroom's policy language, in Alibaba's RAM shape)
  SetKeyPolicy: { run: SetKeyPolicy },
  GetKeyPolicy: { run: GetKeyPolicy },

  // Not available: each answers Rejected.UnsupportedOperation with its reason.
  CreateCertificate: { unsupported: CERTIFICATES },
  DeleteCertificate: { unsupported: CERTIFICATES },
  DescribeCertificate: { unsupported: CERTIFICATES },
  CertificatePrivateKeySign: { unsupported: CERTIFICATES },
  CertificatePublicKeyVerify: { unsupported: CERTIFICATES },
  CertificatePublicKeyEncrypt: { unsupported: CERTIFICATES },
  CertificatePrivateKeyDecrypt: { unsupported: CERTIFICATES },
  ExportCertificate: { unsupported: CERTIFICATES },
  GetCertificate: { unsupported: CERTIFICATES },
  UploadCertificate: { unsupported: CERTIFICATES },
  UpdateCertificateStatus: { unsupported: CERTIFICATES },
  ListKmsInstances: { unsupported: INSTANCES },
  GetKmsInstance: { unsupported: INSTANCES },
  CreateApplicationAccessPoint: { unsupported: INSTANCES },
  CreateClientKey: { unsupported: INSTANCES },
  CreateNetworkRule: { unsupported: INSTANCES },
  CreatePolicy: { unsupported: INSTANCES },
  ConnectKmsInstance: { unsupported: INSTANCES },
  OpenKmsService: { unsupported: 'the service is always open: there is nothing to activate' },
  DescribeAccountKmsStatus: { unsupported: 'the service is always open: there is no account status' },
  DescribeService: { unsupported: 'describe the service from the README; key specs are listed there' },
}
