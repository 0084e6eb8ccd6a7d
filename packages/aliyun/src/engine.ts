/**
 * What the facade needs of the engine, structurally: the `Kms` operations it maps, the
 * engine's region and account, and `kms.as(principal)` for callers with an identity.
 *
 * ```ts
 * const clients = principalClients(kms)
 * const client = clients.for('alice')          // kms.as('alice'), cached; `kms` itself for undefined
 * ```
 */
import { KmsError, type Kms } from '@strongroom/core'
import { PrincipalClients } from '@strongroom/facade'

/** The engine operations Alibaba KMS actions map onto. */
export type EngineClient = Pick<Kms,
  | 'createKey' | 'describeKey' | 'listKeys' | 'updateKeyDescription' | 'enableKey' | 'disableKey'
  | 'scheduleKeyDeletion' | 'cancelKeyDeletion' | 'setDeletionProtection' | 'describeRegions'
  | 'encrypt' | 'decrypt' | 'reEncrypt' | 'generateDataKey' | 'generateDataKeyWithoutPlaintext'
  | 'exportDataKey' | 'generateAndExportDataKey'
  | 'createKeyVersion' | 'listKeyVersions' | 'describeKeyVersion' | 'updateRotationPolicy'
  | 'createAlias' | 'updateAlias' | 'deleteAlias' | 'listAliases' | 'listAliasesByKeyId'
  | 'tagResource' | 'untagResource' | 'listResourceTags'
  | 'asymmetricSign' | 'asymmetricVerify' | 'asymmetricEncrypt' | 'asymmetricDecrypt' | 'getPublicKey'
  | 'setKeyPolicy' | 'getKeyPolicy' | 'getRandomPassword' | 'getParametersForImport' | 'importKeyMaterial' | 'deleteKeyMaterial'
  | 'createSecret' | 'getSecretValue' | 'putSecretValue' | 'updateSecretVersionStage' | 'listSecretVersionIds' | 'describeSecret'
  | 'updateSecret' | 'listSecrets' | 'deleteSecret' | 'restoreSecret' | 'rotateSecret' | 'updateSecretRotationPolicy'>

/** The engine handed to the facade: a `Kms` (or anything shaped like one). */
export interface Engine extends EngineClient {
  readonly region: string
  readonly accountId: string
  /** A client bound to a principal, with the same operations (authorized and audited as that principal). */
  readonly as?: (principal: string) => EngineClient
}

/** The engine client each request runs on: the owner's, or the caller's principal's (cached; fails closed without `as`). */
export function principalClients(engine: Engine): PrincipalClients<EngineClient> {
  return new PrincipalClients<EngineClient>(engine, (message) => new KmsError('Forbidden.NoPermission', message))
}
