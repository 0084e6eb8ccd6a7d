/**
 * What the secrets families share: resolving and authorizing a secret, loading it (inside
 * a transaction or not), purging it when its recovery window has ended, the default
 * secrets key, and sealing and opening values.
 *
 * ```ts
 * const { record } = await useSecret(ctx, call, request.secretName)      // authorized, or not found
 * const key = await secretKey(ctx, call, record, 'decrypt')
 * const value = openSecretValue(ctx, key, record, versionId, stored)
 * ```
 *
 * Value format (one record per version): `1 ‖ type ‖ u16 wrapped-key length ‖ wrapped data
 * key ‖ 12-byte nonce ‖ AES-256-GCM(value) ‖ tag`. The data key is a fresh 32 random bytes
 * per version, wrapped by the master key (a ciphertext blob, like generateDataKey's), and
 * both the wrap and the value are bound to the encryption context `{ SecretArn,
 * SecretVersionId, SecretDataType }`: a value copied under another secret or version, or
 * with its type flipped, does not open.
 *
 * Secret values are never put on a Call, an event or an error: the audit trail records the
 * secret's resource name (in `keyId`) and the version id (in `keyVersionId`) only.
 */
import type * as api from '../api.js'
import { Lru } from '@strongroom/crypto'
import { utf8Decode, utf8Encode, wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { formatDate, SECOND_MS } from '../clock.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import type { KeyEntry } from '../key-entry.js'
import type { Transaction } from '../key-store.js'
import type { StoredRecord } from '../storage.js'
import { SYSTEM_PRINCIPAL } from '../policy-store.js'
import {
  decodeSecretRecord, isSecretPurgeDue, MAX_SECRET_DATA_BYTES, MAX_SECRET_ROTATION_MS, MIN_SECRET_ROTATION_MS, nextSecretRotationDate,
  secretArn, secretNameParam, secretStorageKey, secretValueStorageKey, SECRET_DATA_TYPES, type SecretDataType, type SecretRecord,
} from '../secret-record.js'
import { oneOf } from '../validate.js'
import { openWithKey } from './ciphertext.js'
import { durationParam } from './params.js'

/** What this module needs from the engine (engine/context.ts). */
export type SecretAccessContext = Pick<
  EngineContext,
  'accountId' | 'authorize' | 'clock' | 'invoke' | 'keys' | 'material' | 'random' | 'region' | 'systemCall' | 'transact' | 'use' | 'useCached'
>

export interface SecretEntry {
  readonly record: SecretRecord
  readonly revision: number
}

const VALUE_FORMAT = 1
const NONCE_BYTES = 12
const DATA_KEY_BYTES = 32

export function secretNotFound(secretName: string): KmsError {
  return new KmsError('Forbidden.ResourceNotFound', `secret ${secretName} does not exist`)
}

/** A secret name, or this engine's resource name of one (`acs:kms:<region>:<account>:secret/<name>`). */
export function secretRef(ctx: Pick<EngineContext, 'accountId' | 'region'>, value: unknown): string {
  if (typeof value === 'string' && value.startsWith('acs:kms:')) {
    const prefix = secretArn(ctx.region, ctx.accountId, '')
    if (!value.startsWith(prefix)) throw new KmsError('Forbidden.ResourceNotFound', 'the secret belongs to another region or account')
    return secretNameParam(value.slice(prefix.length))
  }
  return secretNameParam(value)
}

/** Condition keys a policy can test about a secret: its tags as `kms:tag/<key>`. */
export function secretConditions(record: SecretRecord | undefined, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const conditions: Record<string, string> = { ...extra }
  if (record !== undefined) for (const [k, v] of Object.entries(record.tags)) conditions[`kms:tag/${k}`] = v
  return conditions
}

/** Decoded secret records by the stored record they came from (the store's record cache keeps those objects while they are current). */
const decoded = new WeakMap<object, SecretEntry>()

async function readSecret(ctx: SecretAccessContext, secretName: string): Promise<SecretEntry | undefined> {
  const key = secretStorageKey(ctx.region, secretName)
  const stored = await ctx.keys.readCachedRecord(key)
  if (stored === undefined) return undefined
  let entry = decoded.get(stored)
  if (entry === undefined) {
    entry = { record: decodeSecretRecord(stored.value, key), revision: stored.revision }
    decoded.set(stored, entry)
  }
  return entry
}

/** Loads a secret inside a transaction; one whose recovery window has ended counts as gone. */
export async function txSecret(ctx: Pick<EngineContext, 'region'>, tx: Transaction, secretName: string, now: number): Promise<SecretEntry | undefined> {
  const key = secretStorageKey(ctx.region, secretName)
  const stored = await tx.record(key)
  if (stored === undefined) return undefined
  const record = decodeSecretRecord(stored.value, key)
  return isSecretPurgeDue(record, now) ? undefined : { record, revision: stored.revision }
}

/** As txSecret, but absence is Forbidden.ResourceNotFound. */
export async function txExistingSecret(ctx: Pick<EngineContext, 'region'>, tx: Transaction, secretName: string, now: number): Promise<SecretEntry> {
  const entry = await txSecret(ctx, tx, secretName, now)
  if (entry === undefined) throw secretNotFound(secretName)
  return entry
}

export function putSecret(ctx: Pick<EngineContext, 'region'>, tx: Transaction, before: SecretEntry | undefined, record: SecretRecord): void {
  tx.putRecord(secretStorageKey(ctx.region, record.secretName), encodeSecretRecordChecked(record), before?.revision ?? null)
}

function encodeSecretRecordChecked(record: SecretRecord): Uint8Array {
  const value = utf8Encode(JSON.stringify(record))
  // Decoding what is about to be stored runs the invariant (assertSecretRecord) on it.
  decodeSecretRecord(value, secretStorageKey(record.region, record.secretName))
  return value
}

/** Stages a new version's value, and deletes the values of the versions dropped to make room for it. */
export async function stageVersionValue(
  ctx: Pick<EngineContext, 'region'>, tx: Transaction, secretName: string, versionId: string, sealed: Uint8Array, dropped: readonly string[],
): Promise<void> {
  const key = secretValueStorageKey(ctx.region, secretName, versionId)
  const stale = await tx.record(key)
  tx.putRecord(key, sealed, stale?.revision ?? null)
  for (const id of dropped) {
    const droppedKey = secretValueStorageKey(ctx.region, secretName, id)
    const old = await tx.record(droppedKey)
    if (old !== undefined) tx.deleteRecord(droppedKey, old.revision)
  }
}

/**
 * The secret for an operation: purged first if its recovery window has ended, then
 * authorized as `action` on its resource name (with its tags as conditions). A missing
 * secret is reported only to those who may act on it, as for keys.
 */
export async function useSecret(ctx: SecretAccessContext, call: Call, ref: unknown, action = call.eventName): Promise<SecretEntry> {
  const secretName = secretRef(ctx, ref)
  const arn = secretArn(ctx.region, ctx.accountId, secretName)
  call.keyId = arn
  let entry = await readSecret(ctx, secretName)
  if (entry !== undefined && isSecretPurgeDue(entry.record, ctx.clock.now())) {
    await purgeSecret(ctx, secretName)
    entry = undefined
  }
  if (entry === undefined) {
    await ctx.authorize(call, action, arn, secretName)
    throw secretNotFound(secretName)
  }
  await ctx.authorize(call, action, arn, secretName, undefined, secretConditions(entry.record))
  return entry
}

/** Deletes a secret and every version's value, if its window has ended (or `force`); audited as the engine's PurgeSecret. */
export async function purgeSecret(ctx: SecretAccessContext, secretName: string, force = false, call?: Call): Promise<boolean> {
  const purgeCall = call ?? ctx.systemCall('PurgeSecret', secretArn(ctx.region, ctx.accountId, secretName))
  return ctx.transact(purgeCall, async (tx, now) => {
    const key = secretStorageKey(ctx.region, secretName)
    const stored = await tx.record(key)
    if (stored === undefined) return false
    const record = decodeSecretRecord(stored.value, key)
    if (!force && !isSecretPurgeDue(record, now)) return false
    for (const v of record.versions) {
      const valueKey = secretValueStorageKey(ctx.region, secretName, v.versionId)
      const value = await tx.record(valueKey)
      if (value !== undefined) tx.deleteRecord(valueKey, value.revision)
    }
    tx.deleteRecord(key, stored.revision)
    tx.emit({ name: 'secretChanged', payload: { secretName, change: 'purged', time: now } })
    return true
  })
}

/** Where the id of this region's default secrets key is kept. */
const DEFAULT_KEY_RECORD_PREFIX = 'meta/secrets-key/'
/** One creation at a time per engine: concurrent first secrets share the one key. */
const creatingDefaultKey = new WeakMap<object, Promise<string>>()

/**
 * The region's default secrets key, created (as the engine, with deletion protection) by
 * the first secret that names no key. Its id is kept in a small record of its own.
 */
export async function defaultSecretsKeyId(ctx: SecretAccessContext): Promise<string> {
  const recordKey = DEFAULT_KEY_RECORD_PREFIX + ctx.region
  const stored = await ctx.keys.readRecord(recordKey)
  if (stored !== undefined) return parseDefaultKeyRecord(stored.value)
  let creating = creatingDefaultKey.get(ctx)
  if (creating === undefined) {
    creating = createDefaultKey(ctx, recordKey).finally(() => creatingDefaultKey.delete(ctx))
    creatingDefaultKey.set(ctx, creating)
  }
  return creating
}

function parseDefaultKeyRecord(value: Uint8Array): string {
  try {
    const parsed = JSON.parse(utf8Decode(value)) as { schema?: unknown; keyId?: unknown }
    if (parsed.schema === 1 && typeof parsed.keyId === 'string') return parsed.keyId
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', 'the default secrets key record is unreadable')
}

async function createDefaultKey(ctx: SecretAccessContext, recordKey: string): Promise<string> {
  const created = await ctx.invoke<api.KeyMetadataResponse>(SYSTEM_PRINCIPAL, 'createKey', { description: 'Default key for secrets (made by the engine)' })
  const keyId = created.keyMetadata.keyId
  await ctx.invoke(SYSTEM_PRINCIPAL, 'setDeletionProtection', {
    keyId, enableDeletionProtection: true, deletionProtectionDescription: 'protects the values of secrets',
  })
  return ctx.transact(ctx.systemCall('CreateSecretsKey', keyId), async (tx) => {
    const existing = await tx.record(recordKey)
    // Another engine on the store made one first: use it (the key made here stays, unused).
    if (existing !== undefined) return parseDefaultKeyRecord(existing.value)
    tx.putRecord(recordKey, utf8Encode(JSON.stringify({ schema: 1, keyId })), null)
    return keyId
  })
}

/**
 * The master key of a secret, loaded for `operation`. A key the caller named must allow
 * them kms:GenerateDataKey (writing a value) or kms:Decrypt (reading one), as in the
 * reference model; the default secrets key is the engine's and needs no grant.
 */
export async function secretKey(
  ctx: SecretAccessContext, call: Call, record: Pick<SecretRecord, 'defaultKey' | 'encryptionKeyId'>, operation: 'generateDataKey' | 'decrypt',
): Promise<KeyEntry> {
  const keyId = record.encryptionKeyId
  if (record.defaultKey) {
    // The engine's own key, used as the engine (unrestricted): the cached hot path when it can.
    const system = ctx.systemCall(call.eventName, keyId)
    return ctx.useCached(system, keyId, operation, true) ?? ctx.use(system, keyId, operation)
  }
  const secret = call.keyId
  try {
    return ctx.useCached(call, keyId, operation, true) ?? await ctx.use(call, keyId, operation, operation === 'decrypt' ? 'Decrypt' : 'GenerateDataKey')
  } finally {
    // The call's audit record names the secret, not the key that protects it.
    if (secret !== undefined) call.keyId = secret
  }
}

/** Encoded value contexts, remembered: a hot secret is read on every request and encoding costs more than the AES-GCM call. */
const valueContexts = new Lru<string, Uint8Array>(4096)

/** The encryption context that binds a value to its secret, version and type. */
function valueContext(record: Pick<SecretRecord, 'region' | 'account' | 'secretName'>, versionId: string, dataType: SecretDataType): Uint8Array {
  const arn = secretArn(record.region, record.account, record.secretName)
  const memo = `${arn}\u0000${versionId}\u0000${dataType}`
  let context = valueContexts.get(memo)
  if (context === undefined) {
    context = encodeEncryptionContext({ SecretArn: arn, SecretVersionId: versionId, SecretDataType: dataType })
    valueContexts.set(memo, context)
  }
  return context
}

/** Encrypts a value for storage: a fresh data key wrapped by `key`, the value under the data key. */
export function sealSecretValue(
  ctx: SecretAccessContext, key: KeyEntry, record: Pick<SecretRecord, 'region' | 'account' | 'secretName'>, versionId: string,
  dataType: SecretDataType, plaintext: Uint8Array,
): Uint8Array {
  const context = valueContext(record, versionId, dataType)
  const dataKey = ctx.random.fill(new Uint8Array(DATA_KEY_BYTES))
  try {
    const { blob } = key.seal(dataKey, context, ctx.material)
    if (blob.length > 0xffff) throw new KmsError('InternalFailure', 'wrapped data key too long')
    const out = new Uint8Array(4 + blob.length + NONCE_BYTES + plaintext.length + 16)
    out[0] = VALUE_FORMAT
    out[1] = dataType === 'binary' ? 1 : 0
    out[2] = blob.length >>> 8
    out[3] = blob.length & 0xff
    out.set(blob, 4)
    const nonce = ctx.random.fill(out.subarray(4 + blob.length, 4 + blob.length + NONCE_BYTES))
    ctx.material.crypto.aesGcmEncrypt(dataKey, nonce, plaintext, context, out.subarray(4 + blob.length + NONCE_BYTES))
    return out
  } finally {
    wipe(dataKey)
  }
}

/** Decrypts a stored value; anything that does not authenticate is CorruptRecord (the store's bytes were changed or moved). */
export function openSecretValue(
  ctx: SecretAccessContext, key: KeyEntry, record: Pick<SecretRecord, 'region' | 'account' | 'secretName'>, versionId: string,
  dataType: SecretDataType, stored: StoredRecord,
): Uint8Array {
  const corrupt = (): KmsError => new KmsError('CorruptRecord', `the value of secret ${record.secretName} version ${versionId} does not authenticate`)
  const bytes = stored.value
  if (bytes.length < 4 || bytes[0] !== VALUE_FORMAT || bytes[1] !== (dataType === 'binary' ? 1 : 0)) throw corrupt()
  const wrappedLength = (bytes[2]! << 8) | bytes[3]!
  if (bytes.length < 4 + wrappedLength + NONCE_BYTES + 16) throw corrupt()
  const context = valueContext(record, versionId, dataType)
  const cache = ctx.keys.secretDataKeys
  // The master key's id is part of the name: a data key is only reused under the key that unwrapped it.
  const cacheKey = `${key.record.keyId}\u0000${stored.key}\u0000${stored.revision}`
  let dataKey = cache.get(cacheKey)
  const cached = dataKey !== undefined
  if (dataKey === undefined) {
    try {
      dataKey = openWithKey(ctx, key, bytes.subarray(4, 4 + wrappedLength), context).plaintext
    } catch {
      throw corrupt()
    }
  }
  const start = 4 + wrappedLength
  const plaintext = ctx.material.crypto.aesGcmDecrypt(dataKey, bytes.subarray(start, start + NONCE_BYTES), bytes.subarray(start + NONCE_BYTES), context)
  if (plaintext === undefined) {
    if (cached) cache.delete(cacheKey)
    else wipe(dataKey)
    throw corrupt()
  }
  if (!cached) cache.set(cacheKey, dataKey)
  return plaintext
}

/** The value of a request, as its type and bytes (text as UTF-8); at most 30720 bytes. */
export function secretValueParam(request: api.SecretValueInput): { dataType: SecretDataType; bytes: Uint8Array } {
  const data = request.secretData
  if (data === undefined) throw new KmsError('InvalidParameter', 'secretData is required')
  const given = request.secretDataType === undefined ? undefined : oneOf(request.secretDataType, 'secretDataType', SECRET_DATA_TYPES)
  let dataType: SecretDataType
  let bytes: Uint8Array
  if (typeof data === 'string') {
    if (given === 'binary') throw new KmsError('InvalidParameter', 'a binary secretData must be a Uint8Array')
    dataType = 'text'
    bytes = utf8Encode(data)
  } else if (data instanceof Uint8Array) {
    if (given === 'text') throw new KmsError('InvalidParameter', 'a text secretData must be a string')
    dataType = 'binary'
    bytes = data
  } else {
    throw new TypeError('secretData must be a string or a Uint8Array')
  }
  // Sizes only: the value itself is never part of a message.
  if (bytes.length === 0 || bytes.length > MAX_SECRET_DATA_BYTES) {
    throw new KmsError('InvalidParameter', `secretData must be 1-${MAX_SECRET_DATA_BYTES} bytes, got ${bytes.length}`)
  }
  return { dataType, bytes }
}

/** Stored bytes back to the caller's form: text as a string, binary as bytes. */
export function secretValueView(dataType: SecretDataType, bytes: Uint8Array): api.SecretValue {
  if (dataType === 'binary') return { secretDataType: 'binary', secretData: bytes }
  try {
    return { secretDataType: 'text', secretData: utf8Decode(bytes) }
  } finally {
    wipe(bytes)
  }
}

/** A secret's automatic rotation interval: 6 hours to 365 days. */
export function secretRotationIntervalParam(value: unknown): number {
  return durationParam(value, 'rotationInterval', MIN_SECRET_ROTATION_MS, MAX_SECRET_ROTATION_MS, '6 hours to 365 days')
}

/** Views of a record, remembered per decoded record (records are never mutated: a change makes a new one). */
const rotationInfos = new WeakMap<SecretRecord, api.SecretRotationInfo>()

export function rotationInfo(record: SecretRecord): api.SecretRotationInfo {
  let info = rotationInfos.get(record)
  if (info === undefined) rotationInfos.set(record, (info = rotationInfoOf(record)))
  return info
}

function rotationInfoOf(record: SecretRecord): api.SecretRotationInfo {
  const next = nextSecretRotationDate(record)
  return {
    automaticRotation: record.rotationIntervalMs === undefined ? 'Disabled' : 'Enabled',
    ...(record.rotationIntervalMs === undefined ? {} : { rotationInterval: `${record.rotationIntervalMs / SECOND_MS}s` }),
    ...(record.lastRotationDate === undefined ? {} : { lastRotationDate: formatDate(record.lastRotationDate) }),
    ...(next === undefined ? {} : { nextRotationDate: formatDate(next) }),
  }
}

export function secretMetadataView(record: SecretRecord): api.SecretMetadata {
  return {
    arn: secretArn(record.region, record.account, record.secretName),
    secretName: record.secretName,
    secretType: record.secretType,
    description: record.description,
    encryptionKeyId: record.encryptionKeyId,
    createTime: formatDate(record.creationDate),
    updateTime: formatDate(record.updateDate),
    ...(record.deleteDate === undefined ? {} : { plannedDeleteTime: formatDate(record.deleteDate) }),
    tags: Object.entries(record.tags).map(([tagKey, tagValue]) => ({ tagKey, tagValue })),
    ...rotationInfo(record),
  }
}
