/**
 * What the facade needs of the engine, structurally: the `Kms` operations it maps, the
 * engine's region and account (for ARNs), `kms.as(principal)` for callers with an
 * identity, and — feature-detected at run time, so this package works before and after
 * core gains them — operations still being built (`generateRandom`, …).
 *
 * ```ts
 * const clients = new PrincipalClients(kms)
 * const client = clients.for('alice')          // kms.as('alice'), cached; `kms` itself for undefined
 * const generateRandom = optionalOperation<GenerateRandom>(client, 'generateRandom')
 * ```
 */
import type { Kms } from '@strongroom/core'
import { AwsError } from './errors.js'

/** The engine operations AWS operations map onto today. */
export type EngineClient = Pick<Kms,
  | 'createKey' | 'describeKey' | 'listKeys' | 'updateKeyDescription' | 'enableKey' | 'disableKey'
  | 'scheduleKeyDeletion' | 'cancelKeyDeletion' | 'encrypt' | 'decrypt' | 'reEncrypt' | 'generateDataKey'
  | 'generateDataKeyWithoutPlaintext' | 'createKeyVersion' | 'listKeyVersions' | 'updateRotationPolicy'
  | 'createAlias' | 'updateAlias' | 'deleteAlias' | 'listAliases' | 'listAliasesByKeyId' | 'tagResource'
  | 'untagResource' | 'listResourceTags' | 'setKeyPolicy' | 'getKeyPolicy'
  | 'asymmetricSign' | 'asymmetricVerify' | 'asymmetricEncrypt' | 'asymmetricDecrypt' | 'getPublicKey'
  | 'generateMac' | 'verifyMac' | 'getParametersForImport' | 'importKeyMaterial' | 'deleteKeyMaterial'>

/** The engine handed to the facade: a `Kms` (or anything shaped like one). */
export interface Engine extends EngineClient {
  readonly region: string
  readonly accountId: string
  /** Core's authorization (being added): a client bound to a principal, with the same operations. */
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
    if (typeof as !== 'function') {
      throw new AwsError('AccessDeniedException', 'this engine has no authorization (kms.as); it cannot act for a principal')
    }
    const client = as.call(this.#engine, principal)
    if (this.#clients.size >= MAX_CACHED_PRINCIPALS) this.#clients.clear()
    this.#clients.set(principal, client)
    return client
  }
}

/** An engine operation that may not exist yet; `undefined` when this engine lacks it. */
export function optionalOperation<F extends (request: never) => Promise<unknown>>(client: EngineClient, name: string): F | undefined {
  const candidate = (client as unknown as Record<string, unknown>)[name]
  return typeof candidate === 'function' ? (candidate.bind(client) as F) : undefined
}
