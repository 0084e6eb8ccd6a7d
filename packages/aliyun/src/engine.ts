/**
 * What the facade needs of the engine, structurally: the `Kms` operations it maps, the
 * engine's region and account, and `kms.as(principal)` for callers with an identity.
 *
 * ```ts
 * const clients = new PrincipalClients(kms)
 * const client = clients.for('alice')          // kms.as('alice'), cached; `kms` itself for undefined
 * ```
 */
import { KmsError, type Kms } from '@strongroom/core'

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
  | 'setKeyPolicy' | 'getKeyPolicy' | 'getRandomPassword' | 'getParametersForImport' | 'importKeyMaterial' | 'deleteKeyMaterial'>

/** The engine handed to the facade: a `Kms` (or anything shaped like one). */
export interface Engine extends EngineClient {
  readonly region: string
  readonly accountId: string
  /** A client bound to a principal, with the same operations (authorized and audited as that principal). */
  readonly as?: (principal: string) => EngineClient
}

/** How many principals' clients are kept; `as()` builds a client object per call, so reuse them. */
const MAX_CACHED_PRINCIPALS = 1000

/** The engine client each request runs on: the owner's, or the caller's principal's. */
export class PrincipalClients {
  readonly #engine: Engine
  readonly #clients = new Map<string, EngineClient>()

  constructor(engine: Engine) {
    this.#engine = engine
  }

  for(principal: string | undefined): EngineClient {
    if (principal === undefined) return this.#engine
    const cached = this.#clients.get(principal)
    if (cached !== undefined) return cached
    const as = this.#engine.as
    // Fail closed: running a named principal's call as the owner would grant it everything.
    if (typeof as !== 'function') throw new KmsError('Forbidden.NoPermission', 'this engine has no authorization (kms.as); it cannot act for a principal')
    const client = as.call(this.#engine, principal)
    if (this.#clients.size >= MAX_CACHED_PRINCIPALS) this.#clients.clear()
    this.#clients.set(principal, client)
    return client
  }
}
