/**
 * The dispatcher: the single door every call goes through. It gives the call its request
 * id, runs the family's handler (which validates, resolves the key, authorizes, checks the
 * state rules and runs its transaction), records the call in the audit trail whatever the
 * outcome, schedules the group commit of those records, and emits events after commits.
 *
 * ```ts
 * const engine = new KeyAccess(options, opened)   // a Dispatcher with key loading on top
 * engine.bind(operationHandlers(engine))
 * await engine.invoke(ROOT_PRINCIPAL, 'encrypt', { keyId, plaintext })
 * ```
 *
 * Written without `async` where a cached key answers synchronously: such a call costs one
 * promise in all (each extra await costs about a tenth of a 1 KiB encryption).
 */
import type { RandomSource } from '@strongroom/crypto'
import type { SecretRotationFunction } from '../api-secrets.js'
import { AUDIT_CONTEXT_LABEL, AUDIT_MAC_LABEL, AuditTrail } from '../audit.js'
import { uuidV4FromRandom } from '../bytes.js'
import { Call, OPERATIONS, type OperationName } from '../call.js'
import type { Clock } from '../clock.js'
import { KmsError } from '../errors.js'
import { createEventEmitter, emitCommitted, emitSafely, type KmsEventEmitter } from '../events.js'
import { SealScratch, type MaterialContext } from '../key-entry.js'
import type { KeyRecord } from '../key-record.js'
import { DEFAULT_KEY_CACHE_BYTES, DEFAULT_KEY_CACHE_SIZE, KeyStore, type Transaction } from '../key-store.js'
import { encryptionContextConditions, evaluate, type AuthorizationRequest, type Decision, type PolicyAttachment } from '../policy.js'
import { PolicyStore, ROOT_PRINCIPAL, SYSTEM_PRINCIPAL } from '../policy-store.js'
import { awsPrincipalArn, callerAccount } from '../policy/principals.js'
import { GrantStore, grantAllowing, grantTokensParam, type GrantRecord } from '../grant-store.js'
import type { SealedStorage } from '../sealed-storage.js'
import type { OperationHandlers } from './context.js'
import type { KmsOptions, OpenedKeystore } from './open.js'

/** Condition keys an operation adds for its policies (e.g. `kms:GrantOperations` for createGrant). */
export type ConditionValues = Readonly<Record<string, string | readonly string[]>>

type Handler<R> = (call: Call, request: unknown) => R | Promise<R>

export class Dispatcher {
  /** Lifecycle events; see events.ts. */
  readonly events: KmsEventEmitter
  readonly region: string
  readonly accountId: string
  readonly storage: SealedStorage
  readonly keys: KeyStore
  readonly material: MaterialContext
  readonly random: RandomSource
  readonly clock: Clock
  readonly policies: PolicyStore
  readonly grants: GrantStore
  /** Authenticates grant tokens (derived from the root key; wiped on close). */
  readonly #grantTokenKey: Uint8Array
  readonly audit: AuditTrail | undefined
  readonly secretRotation: SecretRotationFunction | undefined
  readonly #requestIdPrefix: string
  #requestCounter = 0
  #closed = false
  #handlers: OperationHandlers | undefined
  readonly #auditSync: boolean
  readonly #auditMaxPending: number
  readonly #auditIntervalMs: number
  #auditTimer: ReturnType<typeof setTimeout> | undefined
  #auditFlushing: Promise<void> | undefined
  /** Set when a flush failed: the engine refuses calls until a flush succeeds (fail closed). */
  #auditFailure: unknown
  /** Calls under way in run(); close() waits for them so that their records make the last flush. */
  #running = 0
  #idle: (() => void) | undefined

  constructor(options: KmsOptions, opened: OpenedKeystore) {
    const { storage, keyring, crypto, random, clock, region, accountId } = opened
    this.events = createEventEmitter()
    this.region = region
    this.accountId = accountId
    this.storage = storage
    this.keys = new KeyStore(storage, {
      cacheSize: options.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE, cacheBytes: options.keyCacheBytes ?? DEFAULT_KEY_CACHE_BYTES, region,
    })
    this.material = { crypto, random, keyring, scratch: new SealScratch() }
    this.#requestIdPrefix = uuidV4FromRandom(random.fill(new Uint8Array(16))).slice(0, 24)
    this.random = random
    this.clock = clock
    this.policies = new PolicyStore(storage, this.keys)
    this.#grantTokenKey = keyring.deriveKey('grant-token/v1')
    this.grants = new GrantStore(storage, this.keys, (data) => crypto.hmacSha256(this.#grantTokenKey, data), (a, b) => crypto.timingSafeEqual(a, b))
    if (options.secretRotation !== undefined && typeof options.secretRotation !== 'function') throw new TypeError('secretRotation must be a function')
    this.secretRotation = options.secretRotation
    const auditOptions = options.audit === false ? undefined : options.audit ?? {}
    this.#auditSync = auditOptions?.durability === 'sync'
    this.#auditMaxPending = auditOptions?.maxPendingRecords ?? 1024
    this.#auditIntervalMs = auditOptions?.flushIntervalMs ?? 100
    if (auditOptions === undefined) {
      this.audit = undefined
    } else {
      const eventIdPrefix = uuidV4FromRandom(random.fill(new Uint8Array(16))).slice(0, 24)
      let eventCounter = 0
      const audit = new AuditTrail({
        storage, crypto,
        // A chain of this engine's own, so engines sharing the store never append to the same records.
        chainId: eventIdPrefix.replace(/-/g, '').slice(0, 16),
        macKey: keyring.deriveKey(AUDIT_MAC_LABEL), contextKey: keyring.deriveKey(AUDIT_CONTEXT_LABEL),
        region, accountId, settings: auditOptions,
        newEventId: () => eventIdPrefix + (eventCounter = (eventCounter + 1) % 2 ** 48).toString(16).padStart(12, '0'),
        emit: (record) => emitSafely(this.events, 'audit', record),
        listening: () => this.events.listenerCount('audit') > 0,
      })
      this.audit = audit
      this.keys.setParticipant(audit)
    }
  }

  /** Sets the operation table (operations/index.ts); once, right after construction. */
  bind(handlers: OperationHandlers): void {
    this.#handlers = handlers
  }

  get closed(): boolean {
    return this.#closed
  }

  assertOpen(): void {
    if (this.#closed) throw new KmsError('Closed', 'the engine is closed')
  }

  /**
   * Request ids only need to be unique, not secret: a random per-engine UUID prefix and a
   * counter in the last 48 bits, instead of 16 fresh random bytes per call.
   */
  requestId(): string {
    const counter = (this.#requestCounter = (this.#requestCounter + 1) % 2 ** 48)
    return this.#requestIdPrefix + counter.toString(16).padStart(12, '0')
  }

  newId(): string {
    return uuidV4FromRandom(this.random.fill(new Uint8Array(16)))
  }

  /** Runs one operation as `principal`: the single door every call goes through, so every call is audited. */
  invoke<R>(principal: string, name: OperationName, request: unknown): Promise<R> {
    if (this.#closed) return Promise.reject(new KmsError('Closed', 'the engine is closed'))
    const call = new Call(OPERATIONS[name], principal, this.requestId(), this.clock.now())
    return this.#run(call, this.#handlers![name] as Handler<R>, request)
  }

  /**
   * Runs a handler and records the call, whatever the outcome. Written without `async` so
   * that a handler answering synchronously (a cached key) costs one promise in all.
   */
  #run<R>(call: Call, handler: Handler<R>, request: unknown): Promise<R> {
    if (this.#auditFailure !== undefined) {
      // Fail closed: try to commit what is pending; only then run the call.
      return this.flushAudit().then(() => this.#run(call, handler, request))
    }
    this.#running++
    let result: R | Promise<R>
    try {
      if (typeof request === 'object' && request !== null && 'grantTokens' in request) this.#acceptGrantTokens(call, request.grantTokens)
      result = handler(call, request)
    } catch (error) {
      return this.#failed(call, error)
    }
    if (result instanceof Promise) return result.then((value) => this.#succeeded(call, value), (error: unknown) => this.#failed(call, error))
    return this.#succeeded(call, result)
  }

  #succeeded<R>(call: Call, value: R): Promise<R> {
    this.record(call)
    this.#callDone()
    return this.#auditSync ? this.flushAudit().then(() => value) : Promise.resolve(value)
  }

  /** Never throws: a refused call is always recorded, answered with a rejected promise, and counted done (or close() would wait forever). */
  #failed(call: Call, error: unknown): Promise<never> {
    call.errorCode = KmsError.is(error) ? error.code : error instanceof Error ? error.name : 'InternalFailure'
    try {
      this.record(call)
    } catch {
      // The request was malformed in a way that also defeats recording its details (e.g. a
      // context that is not an object): record the refusal without them.
      delete call.encryptionContext
      delete call.contextJson
      this.record(call)
    }
    this.#callDone()
    // 'sync' durability covers refused and failed calls too (a denial is what an auditor
    // looks for). The call's own error is the one to report; a failed flush is kept in
    // #auditFailure and refuses later calls.
    if (this.#auditSync) return this.flushAudit().catch(() => undefined).then(() => Promise.reject(error))
    return Promise.reject(error)
  }

  #callDone(): void {
    if (--this.#running === 0) this.#idle?.()
  }

  /** Queues the call's audit record (unless it was committed with the call's state change). */
  record(call: Call): void {
    const audit = this.audit
    if (audit === undefined || call.audited) return
    audit.append(call)
    this.#scheduleAuditFlush(audit)
  }

  /** Starts a group commit when enough records wait, or arms the timer that bounds their wait. */
  #scheduleAuditFlush(audit: AuditTrail): void {
    if (audit.pendingCount >= this.#auditMaxPending) {
      // One group commit at a time: calls arriving meanwhile join the next one.
      if (this.#auditFlushing === undefined) {
        this.#auditFlushing = this.flushAudit()
          .catch(() => undefined) // a failure is kept in #auditFailure and refuses later calls
          .finally(() => {
            this.#auditFlushing = undefined
            // Records that arrived during this commit found it in flight and armed nothing:
            // without this they could wait for the next call, beyond the flushIntervalMs bound.
            // (After a failure the next call retries instead; re-flushing here would spin.)
            if (this.#auditFailure === undefined && !this.#closed && audit.pendingCount > 0) this.#scheduleAuditFlush(audit)
          })
      }
    } else if (this.#auditTimer === undefined && !this.#auditSync) {
      this.#auditTimer = setTimeout(() => {
        this.#auditTimer = undefined
        this.flushAudit().catch(() => undefined)
      }, this.#auditIntervalMs)
      ;(this.#auditTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Commits every pending audit record. A failure makes the engine fail closed until a flush succeeds. */
  async flushAudit(): Promise<void> {
    if (this.audit === undefined) return
    try {
      await this.keys.flushParticipant()
      this.#auditFailure = undefined
    } catch (error) {
      this.#auditFailure = error
      throw new KmsError('AuditFailure', 'the audit trail could not be written; calls are refused until it can', { cause: error })
    }
  }

  /** A change the engine makes by itself (purge, automatic rotation), audited as `system`. */
  systemCall(action: string, keyId: string): Call {
    const call = new Call(action, SYSTEM_PRINCIPAL, this.requestId(), this.clock.now())
    call.keyId = keyId
    return call
  }

  /** Runs a transaction; its call's audit record commits atomically with whatever it changes. */
  async transact<T>(call: Call, work: (tx: Transaction, now: number) => Promise<T>): Promise<T> {
    // A call that passed its open-check before close() began must not start writing after
    // close() drained the queue: it would commit (and emit) after close() resolved.
    this.assertOpen()
    const audit = this.audit
    const { result, events, audited } = await this.keys.transact(async (tx) => {
      const value = await work(tx, this.clock.now())
      if (audit !== undefined && tx.staged.size > 0) tx.audit.push(call)
      return value
    })
    if (audited) call.audited = true
    emitCommitted(this.events, events)
    return result
  }

  /** Checks the request's grant tokens (each must have been issued here) and notes the grants they name. */
  #acceptGrantTokens(call: Call, tokens: unknown): void {
    const list = grantTokensParam(tokens)
    if (list !== undefined && list.length > 0) call.grantRefs = list.map((t) => this.grants.openToken(t))
  }

  /** Condition keys a policy can test, from the call, the key and anything operation-specific. */
  #conditions(call: Call, record: KeyRecord | undefined, extra: ConditionValues = {}): Record<string, string | readonly string[]> {
    const context: Record<string, string | readonly string[]> = {
      'acs:CurrentTime': new Date(call.time).toISOString(),
      'acs:PrincipalName': call.principal,
      // AWS's names for who is calling; kms:ViaService is never present (no AWS service calls here).
      'aws:CurrentTime': new Date(call.time).toISOString(),
      'aws:PrincipalArn': awsPrincipalArn(call.principal, this.accountId),
      'kms:CallerAccount': callerAccount(call.principal, this.accountId),
      ...extra,
    }
    if (call.aliasName !== undefined) context['kms:RequestAlias'] = call.aliasName
    if (call.encryptionContext !== undefined) Object.assign(context, encryptionContextConditions(call.encryptionContext))
    if (record !== undefined) {
      context['kms:KeySpec'] = record.keySpec
      context['kms:KeyUsage'] = record.keyUsage
      context['kms:KeyOrigin'] = record.origin
      context['kms:KeyState'] = record.keyState
      for (const [k, v] of Object.entries(record.tags)) context[`kms:tag/${k}`] = v
      for (const [k, v] of Object.entries(record.tags)) context[`aws:ResourceTag/${k}`] = v
      if (record.aliases.length > 0) context['kms:ResourceAliases'] = record.aliases
    }
    return context
  }

  /**
   * Least privilege: the owner (root) and the engine itself are never restricted; any other
   * principal needs an Allow — from its identity policies, the key's policy or a grant —
   * and no Deny (AWS's order: an explicit deny in any policy wins, grants cannot override
   * it). An IAM-style key policy (Version "2012-10-17") lets identity policies allow only
   * when it allows the account itself (AWS's "Enable IAM User Permissions" statement),
   * as on AWS; a key without a policy, or with a native one, always lets them.
   * The message names the action and the resource the caller referred to, nothing more.
   */
  async authorize(call: Call, action: string, resource: string, reported: string, record?: KeyRecord, extra?: ConditionValues): Promise<void> {
    if (call.principal === ROOT_PRINCIPAL || call.principal === SYSTEM_PRINCIPAL) return
    const request: AuthorizationRequest = {
      principal: call.principal, action: `kms:${action}`, resource, account: this.accountId, context: this.#conditions(call, record, extra),
    }
    const decision = this.#decide(request, await this.policies.forPrincipal(call.principal), record)
    if (decision.allowed) return
    if (decision.reason === 'no-allow' && record !== undefined) {
      const grant = await this.#grantAllowing(call, action, record)
      if (grant !== undefined) {
        call.grantId = grant.grantId
        return
      }
    }
    throw new KmsError('Forbidden.NoPermission', `${call.principal} is not allowed to perform kms:${action} on ${reported}`)
  }

  #decide(request: AuthorizationRequest, identity: PolicyAttachment[], record: KeyRecord | undefined): Decision {
    const document = record?.keyPolicy
    if (document === undefined) return evaluate(request, identity)
    const keyPolicy: PolicyAttachment = { name: `key-policy:${record!.keyId}`, kind: 'key', document }
    const decision = evaluate(request, [...identity, keyPolicy])
    if (!decision.allowed || document.Version === '1' || decision.by.policy === keyPolicy.name) return decision
    // Allowed by an identity policy alone: only if the key policy delegates to them.
    if (evaluate({ ...request, principal: ROOT_PRINCIPAL }, [keyPolicy]).allowed) return decision
    return evaluate(request, [keyPolicy])
  }

  /** A grant on the key that allows the call: the key's grants, and those the request's tokens name (read past any cache). */
  async #grantAllowing(call: Call, action: string, record: KeyRecord): Promise<GrantRecord | undefined> {
    const grants = [...await this.grants.forKey(record.keyId)]
    for (const ref of call.grantRefs ?? []) {
      if (ref.keyId !== record.keyId) continue
      const grant = await this.grants.read(ref.keyId, ref.grantId)
      if (grant !== undefined) grants.push(grant)
    }
    return grantAllowing(grants, action, call.principal, this.accountId, call.encryptionContext)
  }

  /**
   * Refuses new calls, waits for those under way and for in-flight changes, commits the
   * pending audit records, wipes the root key and closes the storage when `closeStorage`.
   */
  async close(closeStorage: boolean): Promise<void> {
    this.#closed = true
    if (this.#auditTimer !== undefined) clearTimeout(this.#auditTimer)
    // Calls already under way (new ones are refused) finish first, or a record they queue
    // after the last flush would be lost (and their storage reads would meet a closed store).
    if (this.#running > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    await this.keys.drain()
    let auditError: unknown
    // A clean close loses no audit record.
    if (this.audit !== undefined && this.audit.pendingCount > 0) await this.flushAudit().catch((error: unknown) => { auditError = error })
    this.policies.close()
    this.grants.close()
    this.#grantTokenKey.fill(0)
    this.keys.close()
    this.material.keyring.wipe()
    if (closeStorage) await this.storage.close()
    // Closed all the same, but the caller must learn that pending audit records were lost.
    if (auditError !== undefined) throw auditError
  }
}
