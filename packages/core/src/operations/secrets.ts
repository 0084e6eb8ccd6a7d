/**
 * Secrets and their lifecycle: createSecret, describeSecret, updateSecret, listSecrets,
 * deleteSecret (recovery window or forced), restoreSecret, updateSecretRotationPolicy and
 * tags on secrets (tagResource / untagResource / listResourceTags with `secretName`).
 *
 * ```ts
 * await kms.createSecret({ secretName: 'db/password', versionId: 'v1', secretData: 'hunter2' })
 * await kms.deleteSecret({ secretName: 'db/password', recoveryWindowInDays: 7 })
 * await kms.restoreSecret({ secretName: 'db/password' })
 * ```
 *
 * Each change is one transaction on the secret's metadata record (secret-record.ts has the
 * pure transitions and the invariant); values are read and written in secret-values.ts.
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { parseKeyReference } from '../names.js'
import {
  DEFAULT_RECOVERY_WINDOW_DAYS, isSecretPurgeDue, MAX_RECOVERY_WINDOW_DAYS, MAX_TAGS_PER_SECRET, MIN_RECOVERY_WINDOW_DAYS,
  SECRET_RECORD_PREFIX, SECRET_RECORD_SCHEMA, decodeSecretRecord, secretStorageKey, labelParam, restoreSecret as restoreTransition, scheduleSecretDeletion,
  secretArn, secretNameParam, secretValueStorageKey, updateSecretRotation, type SecretRecord,
} from '../secret-record.js'
import type { PendingEvent, SecretChangedEvent } from '../events.js'

type SecretChange = SecretChangedEvent['change']
import { booleanParam, integerParam, optionalString, requestObject, stringParam } from '../validate.js'
import { tagsParam } from './params.js'
import {
  defaultSecretsKeyId, purgeSecret, putSecret, secretKey, secretMetadataView, secretRotationIntervalParam,
  rotationInfo, sealSecretValue, secretValueParam, stageVersionValue, txExistingSecret, useSecret, type SecretAccessContext, type SecretEntry,
} from './secret-access.js'

/** What this module needs from the engine (engine/context.ts). */
export type SecretsContext = SecretAccessContext & Pick<EngineContext, 'resolveKeyId'>

const MAX_DESCRIPTION_LENGTH = 1024

/** Creates a secret with its first version (ACSCurrent), its value sealed under the named key or the default secrets key. */
export async function createSecret(ctx: SecretsContext, call: Call, request: api.CreateSecretRequest): Promise<api.CreateSecretResponse> {
  requestObject(request, 'createSecret')
  const secretName = secretNameParam(request.secretName, true)
  const versionId = labelParam(request.versionId, 'versionId')
  const { dataType, bytes } = secretValueParam(request)
  const description = optionalString(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH) ?? ''
  const tags = request.tags === undefined ? {} : tagsParam(request.tags, MAX_TAGS_PER_SECRET)
  const rotate = request.enableAutomaticRotation === undefined ? false : booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
  if (!rotate && request.rotationInterval !== undefined) throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
  const rotationIntervalMs = rotate ? secretRotationIntervalParam(request.rotationInterval) : undefined
  if (request.encryptionKeyId !== undefined) parseKeyReference(request.encryptionKeyId, ctx.region, ctx.accountId)
  const arn = secretArn(ctx.region, ctx.accountId, secretName)
  call.keyId = arn
  call.keyVersionId = versionId
  const requestTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`kms:RequestTag/${k}`, v]))
  await ctx.authorize(call, 'CreateSecret', arn, secretName, undefined, requestTags)
  const defaultKey = request.encryptionKeyId === undefined
  let encryptionKeyId: string
  if (defaultKey) {
    encryptionKeyId = await defaultSecretsKeyId(ctx)
  } else {
    encryptionKeyId = await ctx.resolveKeyId(call, request.encryptionKeyId, 'GenerateDataKey')
    call.keyId = arn
  }
  const identity = { region: ctx.region, account: ctx.accountId, secretName }
  const key = await secretKey(ctx, call, { defaultKey, encryptionKeyId }, 'generateDataKey')
  if (key.record.keySpec !== 'Aliyun_AES_256' && key.record.keySpec !== 'Aliyun_AES_128') {
    throw new KmsError('InvalidKeyUsage', 'secrets are encrypted under a symmetric (ENCRYPT/DECRYPT) key')
  }
  const stored = sealSecretValue(ctx, key, identity, versionId, dataType, bytes)
  const record = await ctx.transact(call, async (tx, now) => {
    const storageKey = secretStorageKey(ctx.region, secretName)
    const existing = await tx.record(storageKey)
    if (existing !== undefined) {
      const old = decodeSecretRecord(existing.value, storageKey)
      if (!isSecretPurgeDue(old, now)) throw new KmsError('AlreadyExists', `secret ${secretName} already exists`)
      // A secret whose recovery window has ended is purged by this commit: its values go with it.
      for (const v of old.versions) {
        const oldValue = await tx.record(secretValueStorageKey(ctx.region, secretName, v.versionId))
        if (oldValue !== undefined) tx.deleteRecord(secretValueStorageKey(ctx.region, secretName, v.versionId), oldValue.revision)
      }
    }
    const created: SecretRecord = {
      schema: SECRET_RECORD_SCHEMA, ...identity, secretType: 'Generic', description, encryptionKeyId, defaultKey,
      creationDate: now, updateDate: now, tags, versions: [{ versionId, creationDate: now, dataType, stages: ['ACSCurrent'] }],
      ...(rotationIntervalMs === undefined ? {} : { rotationIntervalMs }),
    }
    putSecret(ctx, tx, existing === undefined ? undefined : { record: created, revision: existing.revision }, created)
    await stageVersionValue(ctx, tx, secretName, versionId, stored, [])
    tx.emit({ name: 'secretChanged', payload: { secretName, change: 'created', versionId, time: now } })
    return created
  })
  return { requestId: call.requestId, arn, secretName, versionId, secretType: 'Generic', ...rotationInfo(record) }
}

export async function describeSecret(ctx: SecretsContext, call: Call, request: api.SecretRequest): Promise<api.DescribeSecretResponse> {
  requestObject(request, 'describeSecret')
  const { record } = await useSecret(ctx, call, request.secretName)
  return { requestId: call.requestId, ...secretMetadataView(record) }
}

/**
 * Applies one pure change to an authorized secret in one transaction (re-read inside it, so
 * a concurrent change is never lost) and emits `secretChanged`.
 */
async function changeSecret(
  ctx: SecretsContext, call: Call, ref: unknown, change: (record: SecretRecord, now: number) => SecretRecord,
  describe: SecretChange,
): Promise<SecretRecord> {
  const { record } = await useSecret(ctx, call, ref)
  return ctx.transact(call, async (tx, now) => {
    const entry = await txExistingSecret(ctx, tx, record.secretName, now)
    const next = change(entry.record, now)
    if (next === entry.record) return next
    putSecret(ctx, tx, entry, next)
    tx.emit(secretEvent(record.secretName, describe, now))
    return next
  })
}

function secretEvent(secretName: string, change: SecretChange, time: number): PendingEvent {
  return { name: 'secretChanged', payload: { secretName, change, time } }
}

export async function updateSecret(ctx: SecretsContext, call: Call, request: api.UpdateSecretRequest): Promise<api.SecretNameResponse> {
  requestObject(request, 'updateSecret')
  const description = stringParam(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH)
  const record = await changeSecret(ctx, call, request.secretName, (r, now) => ({ ...r, description, updateDate: now }), 'description')
  return { requestId: call.requestId, secretName: record.secretName }
}

const MAX_FILTERS = 10
const FILTER_KEYS = ['SecretName', 'Description', 'TagKey', 'TagValue'] as const

function filtersParam(value: unknown): ((r: SecretRecord) => boolean)[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new TypeError('filters must be an array of { key, values }')
  if (value.length > MAX_FILTERS) throw new KmsError('InvalidParameter', `filters must hold at most ${MAX_FILTERS} entries`)
  return (value as unknown[]).map((f) => {
    if (f === null || typeof f !== 'object') throw new TypeError('each filter must be { key, values }')
    const { key, values } = f as { key?: unknown; values?: unknown }
    if (typeof key !== 'string' || !(FILTER_KEYS as readonly string[]).includes(key)) {
      throw new KmsError('InvalidParameter', `filter key must be one of ${FILTER_KEYS.join(', ')}`)
    }
    if (!Array.isArray(values) || values.length === 0 || values.length > 10) throw new KmsError('InvalidParameter', 'filter values must hold 1-10 strings')
    const wanted = values.map((v) => stringParam(v, 'filter value', 1, 256))
    switch (key) {
      case 'SecretName': return (r) => wanted.some((w) => r.secretName.includes(w))
      case 'Description': return (r) => wanted.some((w) => r.description.includes(w))
      case 'TagKey': return (r) => wanted.some((w) => Object.hasOwn(r.tags, w))
      default: return (r) => wanted.some((w) => Object.values(r.tags).includes(w))
    }
  })
}

/**
 * Secrets in name order, a page at a time: each call reads only the records of its page
 * (plus those a filter passes over), never the values. `nextToken` is the last name returned.
 */
export async function listSecrets(ctx: SecretsContext, call: Call, request: api.ListSecretsRequest = {}): Promise<api.ListSecretsResponse> {
  requestObject(request, 'listSecrets')
  const pageSize = request.pageSize === undefined ? 10 : integerParam(request.pageSize, 'pageSize', 1, 100)
  const after = request.nextToken === undefined ? undefined : secretNameParam(request.nextToken)
  const filters = filtersParam(request.filters)
  await ctx.authorize(call, 'ListSecrets', '*', '*')
  const prefix = `${SECRET_RECORD_PREFIX}${ctx.region}/`
  const now = ctx.clock.now()
  const found: SecretRecord[] = []
  let cursor = after === undefined ? undefined : prefix + after
  let more = true
  while (found.length < pageSize && more) {
    const page = await ctx.keys.scanPage(prefix, cursor, Math.max(pageSize - found.length + 1, 16))
    for (const stored of page.records) {
      const record = decodeSecretRecord(stored.value, stored.key)
      cursor = stored.key
      if (isSecretPurgeDue(record, now) || !filters.every((f) => f(record))) continue
      found.push(record)
      if (found.length === pageSize) break
    }
    more = page.cursor !== undefined && page.records.length > 0
  }
  // One more look decides whether a token is due, so the last page does not promise another.
  let nextToken: string | undefined
  if (found.length === pageSize) {
    const last = found[found.length - 1]!.secretName
    const peek = await ctx.keys.scanPage(prefix, prefix + last, 1)
    if (peek.records.length > 0) nextToken = last
  }
  return {
    requestId: call.requestId, pageSize, secretList: found.map(secretMetadataView),
    ...(nextToken === undefined ? {} : { nextToken }),
  }
}

/**
 * Schedules deletion after a recovery window of 7-30 days (default 30), or purges at once
 * with `forceDeleteWithoutRecovery` (also for a secret already pending deletion).
 */
export async function deleteSecret(ctx: SecretsContext, call: Call, request: api.DeleteSecretRequest): Promise<api.DeleteSecretResponse> {
  requestObject(request, 'deleteSecret')
  const force = request.forceDeleteWithoutRecovery === undefined ? false : booleanParam(request.forceDeleteWithoutRecovery, 'forceDeleteWithoutRecovery')
  if (force && request.recoveryWindowInDays !== undefined) {
    throw new KmsError('InvalidParameter', 'recoveryWindowInDays and forceDeleteWithoutRecovery cannot both be given')
  }
  const days = request.recoveryWindowInDays === undefined
    ? DEFAULT_RECOVERY_WINDOW_DAYS
    : integerParam(request.recoveryWindowInDays, 'recoveryWindowInDays', MIN_RECOVERY_WINDOW_DAYS, MAX_RECOVERY_WINDOW_DAYS)
  if (force) {
    const { record } = await useSecret(ctx, call, request.secretName)
    if (!(await purgeSecret(ctx, record.secretName, true, call))) throw new KmsError('Forbidden.ResourceNotFound', `secret ${record.secretName} does not exist`)
    return { requestId: call.requestId, secretName: record.secretName }
  }
  const record = await changeSecret(ctx, call, request.secretName, (r, now) => scheduleSecretDeletion(r, days, now), 'deletionScheduled')
  return { requestId: call.requestId, secretName: record.secretName, plannedDeleteTime: secretMetadataView(record).plannedDeleteTime! }
}

export async function restoreSecret(ctx: SecretsContext, call: Call, request: api.SecretRequest): Promise<api.SecretNameResponse> {
  requestObject(request, 'restoreSecret')
  const record = await changeSecret(ctx, call, request.secretName, restoreTransition, 'restored')
  return { requestId: call.requestId, secretName: record.secretName }
}

/** Turns automatic rotation on (6 hours to 365 days, due by the engine's clock) or off. */
export async function updateSecretRotationPolicy(ctx: SecretsContext, call: Call, request: api.UpdateSecretRotationPolicyRequest): Promise<api.SecretNameResponse> {
  requestObject(request, 'updateSecretRotationPolicy')
  const enable = booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
  if (!enable && request.rotationInterval !== undefined) throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
  const intervalMs = enable ? secretRotationIntervalParam(request.rotationInterval) : undefined
  const record = await changeSecret(ctx, call, request.secretName, (r, now) => updateSecretRotation(r, intervalMs, now), 'rotationPolicy')
  return { requestId: call.requestId, secretName: record.secretName }
}

/** tagResource with a secretName: adds or overwrites tags (at most 20 per secret). */
export async function tagSecret(ctx: SecretsContext, call: Call, request: api.TagSecretRequest): Promise<api.KmsResponse> {
  requestObject(request, 'tagResource')
  const tags = tagsParam(request.tags, MAX_TAGS_PER_SECRET)
  await changeSecret(ctx, call, request.secretName, (r, now) => {
    const merged = { ...r.tags, ...tags }
    if (Object.keys(merged).length > MAX_TAGS_PER_SECRET) throw new KmsError('LimitExceeded', `a secret has at most ${MAX_TAGS_PER_SECRET} tags`)
    return { ...r, tags: merged, updateDate: now }
  }, 'tags')
  return { requestId: call.requestId }
}

export async function untagSecret(ctx: SecretsContext, call: Call, request: api.UntagSecretRequest): Promise<api.KmsResponse> {
  requestObject(request, 'untagResource')
  if (!Array.isArray(request.tagKeys)) throw new TypeError('tagKeys must be an array of strings')
  if (request.tagKeys.length === 0 || request.tagKeys.length > MAX_TAGS_PER_SECRET) {
    throw new KmsError('InvalidParameter', `tagKeys must hold 1-${MAX_TAGS_PER_SECRET} entries`)
  }
  const tagKeys = request.tagKeys.map((k) => stringParam(k, 'tagKey', 1, 128))
  await changeSecret(ctx, call, request.secretName, (r, now) => {
    const tags = Object.fromEntries(Object.entries(r.tags).filter(([k]) => !tagKeys.includes(k)))
    return { ...r, tags, updateDate: now }
  }, 'tags')
  return { requestId: call.requestId }
}

export async function listSecretTags(ctx: SecretsContext, call: Call, request: api.SecretRequest): Promise<api.ListSecretTagsResponse> {
  requestObject(request, 'listResourceTags')
  const { record }: SecretEntry = await useSecret(ctx, call, request.secretName)
  return {
    requestId: call.requestId,
    tags: Object.entries(record.tags).map(([tagKey, tagValue]) => ({ secretName: record.secretName, tagKey, tagValue })),
  }
}
