/**
 * Keys and their lifecycle: createKey, describeKey, listKeys, updateKeyDescription, enableKey,
 * disableKey, scheduleKeyDeletion, cancelKeyDeletion, setDeletionProtection, describeRegions.
 *
 * ```ts
 * const { keyMetadata } = await kms.createKey({ description: 'orders', keySpec: 'Aliyun_AES_256' })
 * await kms.scheduleKeyDeletion({ keyId: keyMetadata.keyId, pendingWindowInDays: 7 })
 * ```
 *
 * Each state change is one pure transition (transitions.ts) applied through `changeKey`;
 * the state × operation rules are checked there, after authorization.
 */
import type * as api from '../api.js'
import { isUuid, utf8Decode, utf8Encode } from '../bytes.js'
import type { Call } from '../call.js'
import { formatDate } from '../clock.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { keyStateChange } from '../events.js'
import {
  isHmacSpec, isSymmetricSpec, KEY_ORIGINS, KEY_RECORD_SCHEMA, KEY_SPEC_USAGES, KEY_SPECS, KEY_USAGES, MAX_PENDING_WINDOW_DAYS,
  MIN_PENDING_WINDOW_DAYS, stampVersion, type KeyRecord,
} from '../key-record.js'
import { countKey, decodeCount, decodeJson, keyIndexKey, type KeyIndexEntry } from '../key-index.js'
import type { Transaction } from '../key-store.js'
import { isValidRegion, keyArn } from '../names.js'
import * as transitions from '../transitions.js'
import { booleanParam, integerParam, oneOf, optionalString, requestObject, stringParam } from '../validate.js'
import { duePurges } from './due.js'
import { listIndex, listingParams } from './listing.js'
import { rotationIntervalParam, tagsParam } from './params.js'
import { keyMetadataView } from './views.js'

/** What this module needs from the engine (engine/context.ts). */
export type KeysContext = Pick<
  EngineContext,
  'accountId' | 'audit' | 'authorize' | 'changeKey' | 'clock' | 'generateMaterial' | 'keys' | 'newId' |
  'region' | 'transact' | 'use'
>

const MAX_DESCRIPTION_LENGTH = 8192

export async function createKey(ctx: KeysContext, call: Call, request: api.CreateKeyRequest = {}): Promise<api.KeyMetadataResponse> {
  requestObject(request, 'createKey')
  const description = optionalString(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH) ?? ''
  const keySpec = request.keySpec === undefined ? 'Aliyun_AES_256' : oneOf(request.keySpec, 'keySpec', KEY_SPECS)
  const keyUsage = request.keyUsage === undefined ? KEY_SPEC_USAGES[keySpec][0]! : oneOf(request.keyUsage, 'keyUsage', KEY_USAGES)
  if (!KEY_SPEC_USAGES[keySpec].includes(keyUsage)) {
    throw new KmsError('InvalidParameter', `a ${keySpec} key is for ${KEY_SPEC_USAGES[keySpec].join(' or ')}, not ${keyUsage}`)
  }
  const origin = request.origin === undefined ? 'Aliyun_KMS' : oneOf(request.origin, 'origin', KEY_ORIGINS)
  if (origin === 'EXTERNAL' && !isSymmetricSpec(keySpec) && !isHmacSpec(keySpec)) {
    throw new KmsError('Rejected.UnsupportedOperation', 'imported material (origin EXTERNAL) is supported for AES and HMAC keys')
  }
  if (request.protectionLevel !== undefined) oneOf(request.protectionLevel, 'protectionLevel', ['SOFTWARE'])
  const rotate = request.enableAutomaticRotation === undefined ? false : booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
  if (!rotate && request.rotationInterval !== undefined) {
    throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
  }
  const rotationIntervalMs = rotate ? rotationIntervalParam(request.rotationInterval ?? '365d') : undefined
  if (rotate && origin === 'EXTERNAL') {
    throw new KmsError('Rejected.UnsupportedOperation', 'keys with imported material do not rotate automatically')
  }
  if (rotate && !isSymmetricSpec(keySpec)) throw new KmsError('Rejected.UnsupportedOperation', `${keySpec} keys do not rotate automatically`)
  const tags = request.tags === undefined ? {} : tagsParam(request.tags)
  let chosenId: string | undefined
  if (request.keyId !== undefined) {
    chosenId = stringParam(request.keyId, 'keyId', 36, 36).toLowerCase()
    if (!isUuid(chosenId)) throw new KmsError('InvalidParameter', 'keyId must be a UUID')
  }
  const requestTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`kms:RequestTag/${k}`, v]))
  await ctx.authorize(call, 'CreateKey', '*', '*', undefined, { 'kms:KeySpec': keySpec, 'kms:KeyUsage': keyUsage, 'kms:KeyOrigin': origin, ...requestTags })
  // Material is made before the transaction: an RSA key pair can take a second to generate.
  const keyId = chosenId ?? ctx.newId()
  const material = origin === 'EXTERNAL' ? undefined : await ctx.generateMaterial(keyId, keySpec)
  const record = await ctx.transact(call, async (tx, now) => {
    if (chosenId !== undefined && (await tx.key(keyId)) !== undefined) throw new KmsError('AlreadyExists', `key ${keyId} already exists`)
    const versions = material === undefined ? [] : [stampVersion(material, now)]
    const created: KeyRecord = {
      schema: KEY_RECORD_SCHEMA, keyId, region: ctx.region, account: ctx.accountId, description, keySpec, keyUsage, origin,
      keyState: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled', creationDate: now, deletionProtection: false,
      ...(rotationIntervalMs === undefined ? {} : { rotationIntervalMs }),
      tags, aliases: [], versions,
    }
    tx.putKey(undefined, created)
    await registerRegion(ctx, tx)
    call.keyId = keyId
    tx.emit({
      name: 'keyCreated',
      payload: { keyId, keyState: created.keyState, time: now, ...(versions[0] ? { keyVersionId: versions[0].keyVersionId } : {}) },
    })
    return created
  })
  return { requestId: call.requestId, keyMetadata: keyMetadataView(record) }
}

export async function describeKey(ctx: KeysContext, call: Call, request: api.KeyRequest): Promise<api.KeyMetadataResponse> {
  requestObject(request, 'describeKey')
  const entry = await ctx.use(call, request.keyId, 'describeKey')
  const lastUsed = await ctx.audit?.lastUsed(entry.record.keyId)
  const keyMetadata = keyMetadataView(entry.record)
  return { requestId: call.requestId, keyMetadata: lastUsed === undefined ? keyMetadata : { ...keyMetadata, lastUsedDate: formatDate(lastUsed) } }
}

/**
 * Keys in id order, from the key index (key-index.ts): a page reads its own index entries
 * and nothing else. Keys whose pending window has ended are hidden, not purged (purging is
 * maintenance's, or happens when the key is named); totalCount is the region's counter.
 */
export async function listKeys(ctx: KeysContext, call: Call, request: api.Paging = {}): Promise<api.ListKeysResponse> {
  requestObject(request, 'listKeys')
  const paging = listingParams(request)
  await ctx.authorize(call, 'ListKeys', '*', '*')
  const [due, count] = await Promise.all([duePurges(ctx.keys, ctx.region, ctx.clock.now()), ctx.keys.readRecord(countKey(ctx.region, 'keys'))])
  const page = await listIndex(ctx.keys, { prefix: keyIndexKey(ctx.region, ''), paging, hidden: (keyId) => due.has(keyId) })
  return {
    requestId: call.requestId, totalCount: Math.max(0, decodeCount(count) - due.size), pageNumber: page.pageNumber, pageSize: paging.pageSize,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    keys: page.items.map(({ name, record }) => ({
      keyId: name, keyArn: keyArn(ctx.region, decodeJson<KeyIndexEntry>(record, 'key index entry').account, name),
    })),
  }
}

export async function updateKeyDescription(ctx: KeysContext, call: Call, request: api.UpdateKeyDescriptionRequest): Promise<api.KmsResponse> {
  requestObject(request, 'updateKeyDescription')
  const description = stringParam(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH)
  await ctx.changeKey(call, request.keyId, (r) => transitions.updateKeyDescription(r, description),
    (r, _next, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'description', time } }))
  return { requestId: call.requestId }
}

export async function enableKey(ctx: KeysContext, call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'enableKey')
  await ctx.changeKey(call, request.keyId, transitions.enableKey, keyStateChange)
  return { requestId: call.requestId }
}

export async function disableKey(ctx: KeysContext, call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'disableKey')
  await ctx.changeKey(call, request.keyId, transitions.disableKey, keyStateChange)
  return { requestId: call.requestId }
}

/** Purges the key after `pendingWindowInDays` (7-366) unless cancelled; until then it cannot be used. */
export async function scheduleKeyDeletion(ctx: KeysContext, call: Call, request: api.ScheduleKeyDeletionRequest): Promise<api.KmsResponse> {
  requestObject(request, 'scheduleKeyDeletion')
  const days = integerParam(request.pendingWindowInDays, 'pendingWindowInDays', MIN_PENDING_WINDOW_DAYS, MAX_PENDING_WINDOW_DAYS)
  await ctx.changeKey(call, request.keyId, (r, now) => transitions.scheduleKeyDeletion(r, days, now),
    keyStateChange)
  return { requestId: call.requestId }
}

export async function cancelKeyDeletion(ctx: KeysContext, call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'cancelKeyDeletion')
  await ctx.changeKey(call, request.keyId, transitions.cancelKeyDeletion, keyStateChange)
  return { requestId: call.requestId }
}

export async function setDeletionProtection(ctx: KeysContext, call: Call, request: api.SetDeletionProtectionRequest): Promise<api.KmsResponse> {
  requestObject(request, 'setDeletionProtection')
  const enabled = booleanParam(request.enableDeletionProtection, 'enableDeletionProtection')
  const description = optionalString(request.deletionProtectionDescription, 'deletionProtectionDescription', 0, 1024)
  await ctx.changeKey(call, request.keyId, (r) => transitions.setDeletionProtection(r, enabled, description),
    (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'deletionProtection', time } }))
  return { requestId: call.requestId }
}

/** This engine's region first, then every other region that has keys on the store (from its small registry record). */
export async function describeRegions(ctx: KeysContext, call: Call): Promise<api.DescribeRegionsResponse> {
  const stored = await ctx.keys.readRecord(REGIONS_RECORD_KEY)
  const others = stored === undefined ? [] : decodeRegions(stored.value).filter((r) => r !== ctx.region)
  return { requestId: call.requestId, regions: [ctx.region, ...others].map((regionId) => ({ regionId })) }
}

/** The store's registry of regions that have keys (describeRegions); sealed like every record. */
const REGIONS_RECORD_KEY = 'meta/regions'
/** Engines whose region is known to be in the registry (later keys need not look). */
const registered = new WeakSet<object>()

function decodeRegions(value: Uint8Array): string[] {
  try {
    const parsed = JSON.parse(utf8Decode(value)) as { schema?: unknown; regions?: unknown }
    if (parsed.schema === 1 && Array.isArray(parsed.regions) && parsed.regions.every((r) => typeof r === 'string' && isValidRegion(r))) return parsed.regions as string[]
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', 'the region registry (meta/regions) is unreadable')
}

/** Adds the engine's region to the store's registry with its first key. */
async function registerRegion(ctx: KeysContext, tx: Transaction): Promise<void> {
  if (registered.has(ctx)) return
  const stored = await tx.record(REGIONS_RECORD_KEY)
  const regions = stored === undefined ? [] : decodeRegions(stored.value)
  if (regions.includes(ctx.region)) {
    registered.add(ctx)
    return
  }
  tx.putRecord(REGIONS_RECORD_KEY, utf8Encode(JSON.stringify({ schema: 1, regions: [...regions, ctx.region].sort() })), stored?.revision ?? null)
}
