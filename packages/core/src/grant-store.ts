/**
 * Grants: delegations of some of a key's operations to one principal, as AWS KMS grants
 * are — the record, its rules (which engine action each grant operation covers, the
 * encryption-context constraints), grant tokens, and where grants live
 * (`grant/<keyId>/<grantId>`, one record each, cached per key in memory).
 *
 * ```ts
 * const grant = grants.allowing(await grants.forKey(keyId), 'Decrypt', 'alice', accountId, { tenant: 'acme' })
 * const token = grants.token(keyId, grantId)     // what createGrant returns
 * grants.openToken(token)                        // { keyId, grantId }, or InvalidGrantToken
 * ```
 *
 * A grant token proves that this keystore issued a grant (an HMAC under a key derived from
 * the root key), so a forged or mangled token is refused before anything is read. The
 * engine's store is consistent, so a grant is usable as soon as createGrant returns;
 * a token names its grant, which is then read from storage past any cache.
 */
import { Lru } from '@strongroom/crypto'
import { concatBytes, fromBase64, fromHex, toBase64, toHex, utf8Decode, utf8Encode, uuidFromBytes, uuidToBytes } from './bytes.js'
import type { EncryptionContext } from './context.js'
import { KmsError } from './errors.js'
import type { KeyStore, Transaction } from './key-store.js'
import { awsPrincipalMatches } from './policy/principals.js'
import { EVERYTHING_CHANGED, type StorageAdapter, type StoredRecord } from './storage.js'

export const GRANT_PREFIX = 'grant/'

/** AWS's grant operations (GrantOperation in the AWS KMS API). */
export const GRANT_OPERATIONS = [
  'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'Sign', 'Verify',
  'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac', 'VerifyMac',
] as const
export type GrantOperation = (typeof GRANT_OPERATIONS)[number]

/** Operations that take an encryption context: the only ones a constrained grant may name besides the three below. */
const CONTEXT_OPERATIONS: ReadonlySet<string> = new Set([
  'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo',
  'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
])
/** AWS: "the constraint doesn't apply to these operations" — a constrained grant may include them. */
const UNCONSTRAINED_OPERATIONS: ReadonlySet<string> = new Set(['CreateGrant', 'DescribeKey', 'RetireGrant'])

/** The engine's action names that a grant operation of another name covers (the engine's asymmetric family). */
const ACTION_GRANT_OPERATION: Readonly<Record<string, GrantOperation>> = {
  AsymmetricEncrypt: 'Encrypt',
  AsymmetricDecrypt: 'Decrypt',
  AsymmetricSign: 'Sign',
  AsymmetricVerify: 'Verify',
}
const GRANT_OPERATION_SET: ReadonlySet<string> = new Set(GRANT_OPERATIONS)

/** The grant operation an engine action is, if any can be granted (key management never can). */
export function grantOperationOf(action: string): GrantOperation | undefined {
  return ACTION_GRANT_OPERATION[action] ?? (GRANT_OPERATION_SET.has(action) ? action as GrantOperation : undefined)
}

export interface GrantConstraints {
  /** The request's encryption context must contain these pairs (and may have more). */
  readonly encryptionContextSubset?: Readonly<Record<string, string>>
  /** The request's encryption context must be exactly this. */
  readonly encryptionContextEquals?: Readonly<Record<string, string>>
}

export interface GrantRecord {
  readonly schema: 1
  readonly grantId: string
  readonly keyId: string
  readonly name?: string
  readonly granteePrincipal: string
  readonly retiringPrincipal?: string
  /** Who created the grant. */
  readonly issuingPrincipal: string
  /** Unique, in the order given. */
  readonly operations: readonly GrantOperation[]
  readonly constraints?: GrantConstraints
  /** Epoch ms. */
  readonly creationDate: number
}

/** AWS: 50,000 grants per key. */
export const MAX_GRANTS_PER_KEY = 50_000
/** AWS: at most 10 grant tokens per request. */
export const MAX_GRANT_TOKENS = 10
const MAX_GRANT_TOKEN_LENGTH = 8192
/** Grant ids: 64 hex digits (as AWS's). */
const GRANT_ID = /^[0-9a-f]{64}$/
const GRANTS_CACHED = 10_000
const TOKEN_VERSION = 1
const TOKEN_MAC_BYTES = 16

export function grantKey(keyId: string, grantId: string): string {
  return `${GRANT_PREFIX}${keyId}/${grantId}`
}

export function grantPrefix(keyId: string): string {
  return `${GRANT_PREFIX}${keyId}/`
}

export function assertGrantId(value: unknown, name = 'grantId'): asserts value is string {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (!GRANT_ID.test(value)) throw new KmsError('InvalidGrantId', `${name} is not a grant id (64 hexadecimal digits)`)
}

/** `request.grantTokens`: up to 10 non-empty strings (checked for authenticity by `openToken`). */
export function grantTokensParam(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new TypeError('grantTokens must be an array of strings')
  if (value.length > MAX_GRANT_TOKENS) throw new KmsError('LimitExceeded', `at most ${MAX_GRANT_TOKENS} grant tokens per request`)
  for (const token of value) {
    if (typeof token !== 'string') throw new TypeError('grantTokens must be an array of strings')
    if (token.length === 0 || token.length > MAX_GRANT_TOKEN_LENGTH) throw new KmsError('InvalidGrantToken', `a grant token is 1-${MAX_GRANT_TOKEN_LENGTH} characters`)
  }
  return value as readonly string[]
}

/** Exactly equal as sets of pairs. */
function sameContext(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && b[k] === a[k])
}

function sameOptionalContext(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameContext(a, b)
}

/** The same constraint (or both none). */
export function sameConstraints(a: GrantConstraints | undefined, b: GrantConstraints | undefined): boolean {
  return sameOptionalContext(a?.encryptionContextEquals, b?.encryptionContextEquals)
    && sameOptionalContext(a?.encryptionContextSubset, b?.encryptionContextSubset)
}

function containsContext(request: Readonly<Record<string, string>>, subset: Readonly<Record<string, string>>): boolean {
  return Object.keys(subset).every((k) => Object.hasOwn(request, k) && request[k] === subset[k])
}

/** Whether the grant's constraints let a call with this encryption context through (AWS's comparison: case-sensitive). */
export function constraintsAllow(constraints: GrantConstraints | undefined, operation: GrantOperation, context: EncryptionContext | undefined): boolean {
  if (constraints === undefined || UNCONSTRAINED_OPERATIONS.has(operation)) return true
  const requestContext = context ?? {}
  if (constraints.encryptionContextEquals !== undefined && !sameContext(requestContext, constraints.encryptionContextEquals)) return false
  if (constraints.encryptionContextSubset !== undefined && !containsContext(requestContext, constraints.encryptionContextSubset)) return false
  return true
}

/** A constrained grant may name only operations that take an encryption context (and the three it does not apply to). */
export function assertConstrainable(operations: readonly GrantOperation[]): void {
  const bad = operations.find((o) => !CONTEXT_OPERATIONS.has(o) && !UNCONSTRAINED_OPERATIONS.has(o))
  if (bad !== undefined) {
    throw new KmsError('InvalidParameter', `an encryption context constraint cannot govern ${bad}, which takes no encryption context`)
  }
}

/** The first grant that lets `principal` perform `action` with this encryption context. */
export function grantAllowing(
  grants: readonly GrantRecord[], action: string, principal: string, account: string, context: EncryptionContext | undefined,
): GrantRecord | undefined {
  const operation = grantOperationOf(action)
  if (operation === undefined) return undefined
  return grants.find((g) => g.operations.includes(operation)
    && awsPrincipalMatches(g.granteePrincipal, principal, account)
    && constraintsAllow(g.constraints, operation, context))
}

function decodeGrant(stored: StoredRecord): GrantRecord {
  try {
    const value = JSON.parse(utf8Decode(stored.value)) as GrantRecord
    if (value.schema === 1 && typeof value.grantId === 'string') return value
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', `grant record ${stored.key} is unreadable`)
}

export function encodeGrant(grant: GrantRecord): Uint8Array {
  return utf8Encode(JSON.stringify(grant))
}

export class GrantStore {
  readonly #keys: KeyStore
  readonly #mac: (data: Uint8Array) => Uint8Array
  readonly #timingSafeEqual: (a: Uint8Array, b: Uint8Array) => boolean
  readonly #byKey = new Lru<string, readonly GrantRecord[]>(GRANTS_CACHED)
  readonly #unwatch: (() => void) | undefined
  /** As PolicyStore's: a read in flight across a change is used once, not cached, or a revocation could be lost. */
  #generation = 0

  constructor(storage: StorageAdapter, keys: KeyStore, mac: (data: Uint8Array) => Uint8Array, timingSafeEqual: (a: Uint8Array, b: Uint8Array) => boolean) {
    this.#keys = keys
    this.#mac = mac
    this.#timingSafeEqual = timingSafeEqual
    this.#unwatch = storage.watch?.((changes) => {
      for (const { key } of changes) {
        if (key === EVERYTHING_CHANGED.key) {
          this.#generation++
          this.#byKey.clear()
        } else if (key.startsWith(GRANT_PREFIX)) {
          this.#generation++
          this.#byKey.delete(key.slice(GRANT_PREFIX.length, key.lastIndexOf('/')))
        }
      }
    })
  }

  /** Every grant on a key (cached while the storage can announce changes). */
  async forKey(keyId: string): Promise<readonly GrantRecord[]> {
    const cached = this.#unwatch === undefined ? undefined : this.#byKey.get(keyId)
    if (cached !== undefined) return cached
    const generation = this.#generation
    const grants = (await this.#keys.scanRecords(grantPrefix(keyId))).map(decodeGrant)
    if (generation === this.#generation) this.#byKey.set(keyId, grants)
    return grants
  }

  /** Every grant on a key, read from storage (past the cache), in grant id order. */
  async list(keyId: string): Promise<GrantRecord[]> {
    return (await this.#keys.scanRecords(grantPrefix(keyId))).map(decodeGrant)
  }

  /** Every grant of every key, in key then grant id order (listRetirableGrants). */
  async all(): Promise<GrantRecord[]> {
    return (await this.#keys.scanRecords(GRANT_PREFIX)).map(decodeGrant)
  }

  /** One grant, read from storage (past the cache). */
  async read(keyId: string, grantId: string): Promise<GrantRecord | undefined> {
    const stored = await this.#keys.readRecord(grantKey(keyId, grantId))
    return stored === undefined ? undefined : decodeGrant(stored)
  }

  async inTx(tx: Transaction, keyId: string, grantId: string): Promise<{ record: GrantRecord; revision: number } | undefined> {
    const stored = await tx.record(grantKey(keyId, grantId))
    return stored === undefined ? undefined : { record: decodeGrant(stored), revision: stored.revision }
  }

  /** Every stored grant record of a key, with revisions (to delete them with the key). */
  storedForKey(keyId: string): Promise<StoredRecord[]> {
    return this.#keys.scanRecords(grantPrefix(keyId))
  }

  /** Drops a key's cached grants (this engine's own commits; not every adapter watches). */
  forget(keyId: string): void {
    this.#byKey.delete(keyId)
  }

  /** The grant token for a grant: version, key id and grant id, authenticated by this keystore. */
  token(keyId: string, grantId: string): string {
    const body = concatBytes(Uint8Array.of(TOKEN_VERSION), uuidToBytes(keyId), fromHex(grantId))
    return toBase64(concatBytes(body, this.#mac(body).subarray(0, TOKEN_MAC_BYTES)))
  }

  /** The grant a token names; InvalidGrantToken when it is malformed or was not issued here. */
  openToken(token: string): { keyId: string; grantId: string } {
    const bytes = fromBase64(token)
    if (bytes === undefined || bytes.length !== 1 + 16 + 32 + TOKEN_MAC_BYTES || bytes[0] !== TOKEN_VERSION) throw invalidToken()
    const body = bytes.subarray(0, 49)
    if (!this.#timingSafeEqual(this.#mac(body).subarray(0, TOKEN_MAC_BYTES), bytes.subarray(49))) throw invalidToken()
    const keyId = uuidFromBytes(body.subarray(1, 17))
    return { keyId, grantId: toHex(body.subarray(17, 49)) }
  }

  close(): void {
    this.#unwatch?.()
    this.#byKey.clear()
  }
}

function invalidToken(): KmsError {
  return new KmsError('InvalidGrantToken', 'the grant token is malformed or was not issued by this keystore')
}
