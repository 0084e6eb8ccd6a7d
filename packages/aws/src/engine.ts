/**
 * What the facade needs of the engine, structurally: the `Kms` operations it maps, the
 * engine's region and account (for ARNs), `kms.as(principal)` for callers with an
 * identity, and — feature-detected at run time, so this package works before and after
 * core gains them — operations still being built (`generateRandom`, …).
 *
 * ```ts
 * const clients = principalClients(kms)
 * const client = clients.for('alice')          // kms.as('alice'), cached; `kms` itself for undefined
 * const generateRandom = optionalOperation<GenerateRandom>(client, 'generateRandom')
 * ```
 */
import type { Kms } from '@strongroom/core'
import { PrincipalClients } from '@strongroom/facade'
import { AwsError } from './errors.js'

/** The engine operations AWS operations map onto today. */
export type EngineClient = Pick<Kms,
  | 'createKey' | 'describeKey' | 'listKeys' | 'updateKeyDescription' | 'enableKey' | 'disableKey'
  | 'scheduleKeyDeletion' | 'cancelKeyDeletion' | 'encrypt' | 'decrypt' | 'reEncrypt' | 'generateDataKey'
  | 'generateDataKeyWithoutPlaintext' | 'generateDataKeyPair' | 'generateDataKeyPairWithoutPlaintext' | 'createKeyVersion' | 'listKeyVersions' | 'updateRotationPolicy'
  | 'createAlias' | 'updateAlias' | 'deleteAlias' | 'listAliases' | 'listAliasesByKeyId' | 'tagResource'
  | 'untagResource' | 'listResourceTags' | 'setKeyPolicy' | 'getKeyPolicy'
  | 'createGrant' | 'listGrants' | 'listRetirableGrants' | 'retireGrant' | 'revokeGrant'
  | 'asymmetricSign' | 'asymmetricVerify' | 'asymmetricEncrypt' | 'asymmetricDecrypt' | 'getPublicKey'
  | 'generateMac' | 'verifyMac' | 'getParametersForImport' | 'importKeyMaterial' | 'deleteKeyMaterial' | 'getRandomPassword'
  | 'createSecret' | 'getSecretValue' | 'putSecretValue' | 'updateSecretVersionStage' | 'listSecretVersionIds' | 'describeSecret'
  | 'updateSecret' | 'listSecrets' | 'deleteSecret' | 'restoreSecret' | 'rotateSecret' | 'updateSecretRotationPolicy'>

/** The engine handed to the facade: a `Kms` (or anything shaped like one). */
export interface Engine extends EngineClient {
  readonly region: string
  readonly accountId: string
  /** Core's authorization (being added): a client bound to a principal, with the same operations. */
  readonly as?: (principal: string) => EngineClient
}

/** The engine client each request runs on: the owner's, or the caller's principal's (cached; fails closed without `as`). */
export function principalClients(engine: Engine): PrincipalClients<EngineClient> {
  return new PrincipalClients<EngineClient>(engine, (message) => new AwsError('AccessDeniedException', message))
}

/** An engine operation that may not exist yet; `undefined` when this engine lacks it. */
export function optionalOperation<F extends (request: never) => Promise<unknown>>(client: EngineClient, name: string): F | undefined {
  const candidate = (client as unknown as Record<string, unknown>)[name]
  return typeof candidate === 'function' ? (candidate.bind(client) as F) : undefined
}

/**
 * The client for a request that carries `GrantTokens`: every engine call it makes carries
 * them too (a request may make several, e.g. Decrypt with a KeyId describes the key
 * first), so no operation has to thread them through by hand.
 */
export function withGrantTokens(client: EngineClient, grantTokens: readonly string[]): EngineClient {
  // An empty target: a `kms.as()` client is frozen, and a proxy of it may not answer its methods differently.
  return new Proxy({} as EngineClient, {
    get(_target, name) {
      const value: unknown = Reflect.get(client, name)
      if (typeof value !== 'function') return value
      return (request: unknown) => (value as (r: unknown) => unknown).call(client,
        typeof request === 'object' && request !== null ? { ...request, grantTokens } : request)
    },
  })
}
