/**
 * Where policies live: identity policies (`policy/<name>`) and their attachments to
 * principals (`principal/<name>`), persisted through the storage contract and cached in
 * memory. Key policies live in their key's record. Writes go through the engine's
 * transactions so each change commits atomically with its audit record.
 *
 * ```ts
 * const documents = await policies.forPrincipal('alice')   // what evaluate() needs
 * ```
 *
 * The cache is dropped whenever the storage announces a change under these prefixes
 * (including another engine's), so a detached policy stops granting at once.
 */
import { Lru } from '@strongroom/crypto'
import { utf8Decode, utf8Encode } from './bytes.js'
import { KmsError } from './errors.js'
import { parsePolicyDocument, type PolicyDocument } from './policy.js'
import { EVERYTHING_CHANGED, type StorageAdapter, type StoredRecord } from './storage.js'
import type { KeyStore, Transaction } from './key-store.js'

export const POLICY_PREFIX = 'policy/'
export const PRINCIPAL_PREFIX = 'principal/'

const POLICY_NAME = /^[A-Za-z0-9._-]{1,128}$/
/** Principal names: letters, digits and `+=,.@_/:-` (no wildcards, so a key policy's patterns stay unambiguous). */
const PRINCIPAL_NAME = /^[A-Za-z0-9+=,.@_/:-]{1,128}$/
/** The engine owner; calls without `kms.as()` run as root and are never restricted. */
export const ROOT_PRINCIPAL = 'root'
/** Changes the engine makes by itself (purges, automatic rotation) are audited as this principal. */
export const SYSTEM_PRINCIPAL = 'system'
export const MAX_POLICIES_PER_PRINCIPAL = 20
/** Policies and principals' attachments kept in memory (each), least recently used dropped first. */
const POLICY_CACHE_SIZE = 10_000

export interface PolicyRecord {
  readonly schema: 1
  readonly policyName: string
  readonly description: string
  readonly document: PolicyDocument
  readonly createDate: number
  readonly updateDate: number
}

export interface AttachmentRecord {
  readonly schema: 1
  readonly principal: string
  /** Sorted, unique. */
  readonly policyNames: readonly string[]
}

export function assertPolicyName(value: unknown): asserts value is string {
  if (value === undefined) throw new KmsError('InvalidParameter', 'policyName is required')
  if (typeof value !== 'string') throw new TypeError('policyName must be a string')
  if (!POLICY_NAME.test(value)) throw new KmsError('InvalidParameter', 'policyName must be 1-128 of letters, digits, . _ -')
}

export function assertPrincipalName(value: unknown): asserts value is string {
  if (value === undefined) throw new KmsError('InvalidParameter', 'principal is required')
  if (typeof value !== 'string') throw new TypeError('principal must be a string')
  if (!PRINCIPAL_NAME.test(value)) throw new KmsError('InvalidParameter', 'principal must be 1-128 of letters, digits, + = , . @ _ / : -')
  if (value === ROOT_PRINCIPAL || value === SYSTEM_PRINCIPAL) {
    throw new KmsError('InvalidParameter', `"${value}" is reserved for the engine owner and the engine itself`)
  }
}

function decode<T>(stored: StoredRecord, what: string): T {
  try {
    const value = JSON.parse(utf8Decode(stored.value)) as T & { schema?: unknown }
    if (value.schema === 1) return value
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', `${what} ${stored.key} is unreadable`)
}

export function encodeRecord(value: PolicyRecord | AttachmentRecord): Uint8Array {
  return utf8Encode(JSON.stringify(value))
}

export class PolicyStore {
  readonly #keys: KeyStore
  readonly #policies = new Lru<string, PolicyRecord | null>(POLICY_CACHE_SIZE)
  readonly #attachments = new Lru<string, readonly string[]>(POLICY_CACHE_SIZE)
  readonly #unwatch: (() => void) | undefined
  /**
   * Moves on every announced change under these prefixes. A read that was in flight while
   * it moved may hold the value from before the change (whose notification found nothing
   * to drop yet): such a read is used once but not cached, or a revocation would be lost.
   */
  #generation = 0

  constructor(storage: StorageAdapter, keys: KeyStore) {
    this.#keys = keys
    this.#unwatch = storage.watch?.((changes) => {
      for (const { key } of changes) {
        if (key === EVERYTHING_CHANGED.key) {
          this.#generation++
          this.#policies.clear()
          this.#attachments.clear()
        } else if (key.startsWith(POLICY_PREFIX)) {
          this.#generation++
          this.#policies.delete(key.slice(POLICY_PREFIX.length))
        } else if (key.startsWith(PRINCIPAL_PREFIX)) {
          this.#generation++
          this.#attachments.delete(key.slice(PRINCIPAL_PREFIX.length))
        }
      }
    })
  }

  /** The identity policies attached to a principal, as evaluate() takes them. */
  async forPrincipal(principal: string): Promise<{ name: string; kind: 'identity'; document: PolicyDocument }[]> {
    const names = await this.#attached(principal)
    const out: { name: string; kind: 'identity'; document: PolicyDocument }[] = []
    for (const name of names) {
      const policy = await this.#policy(name)
      if (policy !== undefined) out.push({ name, kind: 'identity', document: policy.document })
    }
    return out
  }

  async #attached(principal: string): Promise<readonly string[]> {
    const cached = this.#unwatch === undefined ? undefined : this.#attachments.get(principal)
    if (cached !== undefined) return cached
    const generation = this.#generation
    const stored = await this.#keys.readRecord(PRINCIPAL_PREFIX + principal)
    const names = stored === undefined ? [] : decode<AttachmentRecord>(stored, 'attachment record').policyNames
    if (generation === this.#generation) this.#attachments.set(principal, names)
    return names
  }

  async #policy(name: string): Promise<PolicyRecord | undefined> {
    const cached = this.#unwatch === undefined ? undefined : this.#policies.get(name)
    if (cached !== undefined) return cached ?? undefined
    const generation = this.#generation
    const stored = await this.#keys.readRecord(POLICY_PREFIX + name)
    const policy = stored === undefined ? undefined : decode<PolicyRecord>(stored, 'policy record')
    if (generation === this.#generation) this.#policies.set(name, policy ?? null)
    return policy
  }

  /** Reads a policy inside a transaction, with its revision. */
  async policyInTx(tx: Transaction, name: string): Promise<{ record: PolicyRecord; revision: number } | undefined> {
    const stored = await tx.record(POLICY_PREFIX + name)
    return stored === undefined ? undefined : { record: decode<PolicyRecord>(stored, 'policy record'), revision: stored.revision }
  }

  async attachmentInTx(tx: Transaction, principal: string): Promise<{ record: AttachmentRecord; revision: number } | undefined> {
    const stored = await tx.record(PRINCIPAL_PREFIX + principal)
    return stored === undefined ? undefined : { record: decode<AttachmentRecord>(stored, 'attachment record'), revision: stored.revision }
  }

  /** The policy of this name, or undefined. */
  get(name: string): Promise<PolicyRecord | undefined> {
    return this.#policy(name)
  }

  /** A policy record read by a listing. */
  static decodePolicy(stored: StoredRecord): PolicyRecord {
    return decode<PolicyRecord>(stored, 'policy record')
  }

  /** Every principal that has the policy attached. */
  async principalsWith(name: string): Promise<string[]> {
    return (await this.#keys.scanRecords(PRINCIPAL_PREFIX))
      .map((r) => decode<AttachmentRecord>(r, 'attachment record'))
      .filter((a) => a.policyNames.includes(name))
      .map((a) => a.principal)
  }

  /** Drops cached entries this engine just changed (its own commits notify it too, but not all adapters watch). */
  forget(policyName?: string, principal?: string): void {
    if (policyName !== undefined) this.#policies.delete(policyName)
    if (principal !== undefined) this.#attachments.delete(principal)
  }

  static parse(document: unknown, kind: 'identity' | 'key'): PolicyDocument {
    return parsePolicyDocument(document, kind)
  }

  close(): void {
    this.#unwatch?.()
    this.#policies.clear()
    this.#attachments.clear()
  }
}
