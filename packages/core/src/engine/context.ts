/**
 * What an operation family may ask of the engine: the narrow interface between the
 * dispatcher (engine/dispatcher.ts, engine/key-access.ts) and the families under
 * operations/. A family names the part it uses, so a reader sees its reach at a glance:
 *
 * ```ts
 * type TagsContext = Pick<EngineContext, 'use' | 'changeKey'>
 * export async function tagResource(ctx: TagsContext, call: Call, request: api.TagResourceRequest) {
 *   await ctx.changeKey(call, request.keyId, (r) => transitions.tagKey(r, tags), describe)
 * }
 * ```
 */
import type { RandomSource } from '@strongroom/crypto'
import type { AuditTrail } from '../audit.js'
import type { Call, OperationName } from '../call.js'
import type { Clock } from '../clock.js'
import type { PendingEvent } from '../events.js'
import type { KeyEntry, MaterialContext } from '../key-entry.js'
import type { KeyRecord, KeySpec, KeyVersionRecord } from '../key-record.js'
import type { KeyStore, Transaction } from '../key-store.js'
import type { PolicyStore } from '../policy-store.js'
import type { GrantStore } from '../grant-store.js'
import type { ConditionValues } from './dispatcher.js'
import type { KeyOperation } from '../transitions.js'
import type { SecretRotationFunction } from '../api-secrets.js'

/** A handler may answer synchronously (the cached hot path) or with a promise. */
export type OperationHandlers = { readonly [N in OperationName]: (call: Call, request: never) => unknown }

export interface EngineContext {
  /** Region and account used in resource names. */
  readonly region: string
  readonly accountId: string
  readonly clock: Clock
  /** Randomness for ids, data keys and passwords. */
  readonly random: RandomSource
  /** The crypto provider, the root keyring and scratch space for sealing and opening. */
  readonly material: MaterialContext
  readonly keys: KeyStore
  readonly policies: PolicyStore
  /** Grants on keys, and grant tokens. */
  readonly grants: GrantStore
  /** The audit trail; undefined when auditing is off. */
  readonly audit: AuditTrail | undefined

  /** A fresh random id (UUIDv4) for a key, a version or an import token. */
  newId(): string
  /**
   * Least privilege: throws Forbidden.NoPermission unless the caller may perform `action`
   * on `resource`. `reported` is what the message names (what the caller referred to).
   */
  authorize(call: Call, action: string, resource: string, reported: string, record?: KeyRecord, extra?: ConditionValues): Promise<void>
  /** Any key reference (id, resource name, alias) as a key id; notes an alias on the call. */
  resolveKeyId(call: Call, ref: unknown, action?: string): Promise<string>
  /** The loaded key for an operation: purged, expired or rotated first if due, authorized, state-checked. */
  use(call: Call, ref: unknown, operation: KeyOperation, action?: string, extra?: ConditionValues): Promise<KeyEntry>
  /** The hot path of `use`: the owner's call on a cached key, synchronously; undefined means "take `use`". */
  useCached(call: Call, ref: unknown, operation: KeyOperation, refIsKeyId?: boolean): KeyEntry | undefined
  /** Runs a transaction; the call's audit record commits atomically with whatever it changes. */
  transact<T>(call: Call, work: (tx: Transaction, now: number) => Promise<T>): Promise<T>
  /** Loads a key inside a transaction; a key whose window has ended counts as gone. */
  txKey(tx: Transaction, keyId: string, now: number): Promise<KeyEntry>
  /** Applies one pure transition to one key and emits the event `describe` makes of it. */
  changeKey(
    call: Call, ref: unknown,
    change: (record: KeyRecord, now: number) => KeyRecord,
    describe: (before: KeyRecord, after: KeyRecord, now: number) => PendingEvent | undefined,
  ): Promise<KeyRecord>
  /** A new version's material, wrapped under the root key; stamped by the transaction that adds it. */
  generateMaterial(keyId: string, keySpec: KeySpec): Promise<Omit<KeyVersionRecord, 'creationDate'>>
  /** Adds a version (manual: createKeyVersion; automatic: when rotation is due) and returns the key after it. */
  rotate(call: Call, keyId: string, trigger: 'manual' | 'automatic', keySpec: KeySpec): Promise<KeyEntry>
  /** Purges the key if its pending window has ended; true when it was purged. */
  purge(keyId: string): Promise<boolean>
  /** Purges the key if its window has ended; true when it is gone (or never existed). */
  purgeIfDue(keyId: string): Promise<boolean>
  /** Erases imported material past its expiry, as the engine itself. */
  expireMaterial(keyId: string): Promise<void>
  /** A change the engine makes by itself (purge, automatic rotation), audited as `system`. */
  systemCall(action: string, keyId: string): Call
  /** Runs another operation through the dispatcher as `principal` (the engine's own calls use `system`). */
  invoke<R>(principal: string, name: OperationName, request: unknown): Promise<R>
  /** Queues a call's audit record (one that made no change, e.g. a failed automatic rotation). */
  record(call: Call): void
  /** Makes a secret's next value for rotateSecret; undefined when the engine was opened without one. */
  readonly secretRotation: SecretRotationFunction | undefined
}
