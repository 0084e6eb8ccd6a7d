/**
 * The engine client each request runs on: the owner's engine for an anonymous caller, or
 * `kms.as(principal)` for a caller with an identity — cached, since `as()` builds a client
 * object per call. Fails closed: an engine without `as` cannot act for a principal, and
 * the facade says so in its own error (never runs the call as the owner).
 *
 * ```ts
 * const clients = new PrincipalClients<EngineClient>(kms, () => new AwsError('AccessDeniedException', '…'))
 * const client = clients.for('alice')          // kms.as('alice'), cached; `kms` itself for undefined
 * ```
 */

/** An engine as a facade sees it: a client, and perhaps `as(principal)` for another. */
export type PrincipalEngine<Client> = Client & { readonly as?: (principal: string) => Client }

/** How many principals' clients are kept; `as()` builds a client object per call, so reuse them. */
export const MAX_CACHED_PRINCIPALS = 1000

/** The message of the error thrown when the engine has no `as`. */
export const NO_AUTHORIZATION_MESSAGE = 'this engine has no authorization (kms.as); it cannot act for a principal'

export class PrincipalClients<Client> {
  readonly #engine: PrincipalEngine<Client>
  readonly #noAuthorization: (message: string) => Error
  readonly #clients = new Map<string, Client>()

  /** `noAuthorization` builds the facade's error for an engine without `as`. */
  constructor(engine: PrincipalEngine<Client>, noAuthorization: (message: string) => Error) {
    this.#engine = engine
    this.#noAuthorization = noAuthorization
  }

  for(principal: string | undefined): Client {
    if (principal === undefined) return this.#engine
    const cached = this.#clients.get(principal)
    if (cached !== undefined) return cached
    const as = this.#engine.as
    // Fail closed: running a named principal's call as the owner would grant it everything.
    if (typeof as !== 'function') throw this.#noAuthorization(NO_AUTHORIZATION_MESSAGE)
    const client = as.call(this.#engine, principal)
    if (this.#clients.size >= MAX_CACHED_PRINCIPALS) this.#clients.clear()
    this.#clients.set(principal, client)
    return client
  }
}

/** Who may call a facade, and what it reports: the options every facade's protocol takes. */
export interface CallerOptions<Keys> {
  /**
   * Require the protocol's signature from one of these access keys; each names the principal
   * its requests run as (`kms.as(principal)`). Without it, requests are not authenticated.
   */
  readonly credentials?: Keys
  /**
   * Without `credentials`: the principal for the access key id a request claims (not
   * verified — for tests where every caller is trusted code). `undefined` runs the call as
   * the engine's owner.
   */
  readonly principalFor?: (accessKeyId: string) => string | undefined
  /** Wall-clock milliseconds for signature freshness. Default `Date.now`; never the engine's (test) clock. */
  readonly now?: () => number
  /**
   * Called with every server fault (5xx) — the caller only sees a generic message — so the
   * host can log it, with the operation the request named. Never receives plaintext.
   */
  readonly onError?: (error: unknown, operation: string) => void
}

/**
 * The principal a request runs as: verified by its signature (`credentials`), claimed
 * (`principalFor`), or none (the owner). Refuses options that give both: a verified and an
 * unverified identity cannot both decide.
 *
 * ```ts
 * const principalOf = principalResolver(options,
 *   (credentials, request: AwsRequest) => verifySigV4(request, credentials, now()).key.principal,
 *   (request: AwsRequest) => claimedAccessKeyId(request.headers))
 * ```
 */
export function principalResolver<Keys, Args extends unknown[]>(
  options: CallerOptions<Keys>,
  verified: (credentials: Keys, ...args: Args) => string | undefined,
  claimedAccessKeyId: (...args: Args) => string | undefined,
): (...args: Args) => string | undefined {
  const { credentials, principalFor } = options
  if (credentials !== undefined && principalFor !== undefined) {
    throw new TypeError('pass either credentials (verified) or principalFor (unverified), not both')
  }
  return (...args) => {
    if (credentials !== undefined) return verified(credentials, ...args)
    if (principalFor === undefined) return undefined
    const accessKeyId = claimedAccessKeyId(...args)
    return accessKeyId === undefined ? undefined : principalFor(accessKeyId)
  }
}
