/**
 * Secret values, versions and stages: getSecretValue, putSecretValue,
 * updateSecretVersionStage, listSecretVersionIds and rotateSecret.
 *
 * ```ts
 * await kms.putSecretValue({ secretName: 'db/password', versionId: 'v2', secretData: 'correct horse' })
 * const { secretData } = await kms.getSecretValue({ secretName: 'db/password', versionStage: 'ACSPrevious' })
 * ```
 *
 * A read needs kms:GetSecretValue on the secret (and kms:Decrypt on its key when the caller
 * chose that key); a write kms:PutSecretValue (and kms:GenerateDataKey on a chosen key).
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import { formatDate } from '../clock.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import {
  addSecretVersion, CURRENT_STAGE, findVersion, labelParam, MAX_STAGES_PER_VERSION, moveSecretStage, requireActive, secretArn,
  secretValueStorageKey, versionWithStage, type SecretRecord, type SecretVersionRecord,
} from '../secret-record.js'
import { booleanParam, requestObject } from '../validate.js'
import { listingParams, listPage } from './listing.js'
import {
  openSecretValue, putSecret, rotationInfo, sealSecretValue, secretKey, secretValueParam, secretValueView, stageVersionValue,
  txExistingSecret, useSecret,
} from './secret-access.js'
import { rotateWithFunction, type SecretRotationContext } from './secret-rotation.js'

/** What this module needs from the engine (engine/context.ts). */
export type SecretValuesContext = SecretRotationContext & Pick<EngineContext, 'newId'>

const createTimes = new WeakMap<SecretVersionRecord, string>()

/** A version's creation time as the API shows it, formatted once per decoded record. */
function createTime(version: SecretVersionRecord): string {
  let time = createTimes.get(version)
  if (time === undefined) createTimes.set(version, (time = formatDate(version.creationDate)))
  return time
}

function versionNotFound(secretName: string, what: string): KmsError {
  return new KmsError('Forbidden.ResourceNotFound', `secret ${secretName} has no ${what}`)
}

/** The version a read names: by id, by stage, or ACSCurrent. */
function chosenVersion(record: SecretRecord, versionId: string | undefined, stage: string | undefined): SecretVersionRecord {
  if (versionId !== undefined) {
    const version = findVersion(record, versionId)
    if (version === undefined) throw versionNotFound(record.secretName, `version ${versionId}`)
    if (stage !== undefined && !version.stages.includes(stage)) throw versionNotFound(record.secretName, `version ${versionId} with stage ${stage}`)
    return version
  }
  const version = versionWithStage(record, stage ?? CURRENT_STAGE)
  if (version === undefined) throw versionNotFound(record.secretName, `version with stage ${stage}`)
  return version
}

/** The value of a version (default: ACSCurrent), opened with the secret's master key. */
export async function getSecretValue(ctx: SecretValuesContext, call: Call, request: api.GetSecretValueRequest): Promise<api.GetSecretValueResponse> {
  requestObject(request, 'getSecretValue')
  const versionId = request.versionId === undefined ? undefined : labelParam(request.versionId, 'versionId')
  const stage = request.versionStage === undefined ? undefined : labelParam(request.versionStage, 'versionStage')
  const { record } = await useSecret(ctx, call, request.secretName)
  requireActive(record, 'getSecretValue')
  const version = chosenVersion(record, versionId, stage)
  call.keyVersionId = version.versionId
  const stored = await ctx.keys.readCachedRecord(secretValueStorageKey(ctx.region, record.secretName, version.versionId))
  // Dropped by a concurrent putSecretValue (beyond 10 versions) between the two reads.
  if (stored === undefined) throw versionNotFound(record.secretName, `version ${version.versionId} any more`)
  const key = await secretKey(ctx, call, record, 'decrypt')
  const value = secretValueView(version.dataType, openSecretValue(ctx, key, record, version.versionId, version.dataType, stored))
  return {
    requestId: call.requestId, arn: secretArn(record.region, record.account, record.secretName), secretName: record.secretName,
    secretType: record.secretType, versionId: version.versionId, versionStages: version.stages, createTime: createTime(version),
    ...value, ...rotationInfo(record),
  }
}

function stagesParam(value: unknown): string[] {
  if (value === undefined) return [CURRENT_STAGE]
  if (!Array.isArray(value)) throw new TypeError('versionStages must be an array of strings')
  if (value.length === 0 || value.length > MAX_STAGES_PER_VERSION) {
    throw new KmsError('InvalidParameter', `versionStages must hold 1-${MAX_STAGES_PER_VERSION} stages`)
  }
  const stages = value.map((s) => labelParam(s, 'versionStage'))
  if (new Set(stages).size !== stages.length) throw new KmsError('InvalidParameter', 'versionStages names a stage twice')
  return stages
}

/**
 * Stores a new version (ACSCurrent by default; the former current version becomes
 * ACSPrevious). Repeating a call with the same version id and value changes nothing; the
 * same id with another value is AlreadyExists, as in the reference model.
 */
export async function putSecretValue(ctx: SecretValuesContext, call: Call, request: api.PutSecretValueRequest): Promise<api.PutSecretValueResponse> {
  requestObject(request, 'putSecretValue')
  const versionId = labelParam(request.versionId, 'versionId')
  const { dataType, bytes } = secretValueParam(request)
  const stages = stagesParam(request.versionStages)
  const { record } = await useSecret(ctx, call, request.secretName)
  requireActive(record, 'putSecretValue')
  call.keyVersionId = versionId
  const existing = findVersion(record, versionId)
  if (existing !== undefined) {
    const same = existing.dataType === dataType && await sameValue(ctx, call, record, existing, bytes)
    if (!same) throw new KmsError('AlreadyExists', `secret ${record.secretName} already has a version ${versionId} with another value`)
    return { requestId: call.requestId, secretName: record.secretName, versionId, versionStages: existing.stages }
  }
  const key = await secretKey(ctx, call, record, 'generateDataKey')
  const sealed = sealSecretValue(ctx, key, record, versionId, dataType, bytes)
  const added = await ctx.transact(call, async (tx, now) => {
    const entry = await txExistingSecret(ctx, tx, record.secretName, now)
    requireActive(entry.record, 'putSecretValue')
    const next = addSecretVersion(entry.record, { versionId, dataType }, stages, now)
    putSecret(ctx, tx, entry, next.record)
    await stageVersionValue(ctx, tx, record.secretName, versionId, sealed, next.dropped)
    tx.emit({ name: 'secretChanged', payload: { secretName: record.secretName, change: 'value', versionId, time: now } })
    return next.record
  })
  return { requestId: call.requestId, secretName: record.secretName, versionId, versionStages: findVersion(added, versionId)!.stages }
}

async function sameValue(ctx: SecretValuesContext, call: Call, record: SecretRecord, version: SecretVersionRecord, bytes: Uint8Array): Promise<boolean> {
  const stored = await ctx.keys.readCachedRecord(secretValueStorageKey(ctx.region, record.secretName, version.versionId))
  if (stored === undefined) return false
  const key = await secretKey(ctx, call, record, 'decrypt')
  const old = openSecretValue(ctx, key, record, version.versionId, version.dataType, stored)
  try {
    return old.length === bytes.length && ctx.material.crypto.timingSafeEqual(old, bytes)
  } finally {
    old.fill(0)
  }
}

/** Moves a stage in one commit: off `removeFromVersion`, onto `moveToVersion` (ACSCurrent can only move). */
export async function updateSecretVersionStage(
  ctx: SecretValuesContext, call: Call, request: api.UpdateSecretVersionStageRequest,
): Promise<api.SecretNameResponse> {
  requestObject(request, 'updateSecretVersionStage')
  const stage = labelParam(request.versionStage, 'versionStage')
  const removeFrom = request.removeFromVersion === undefined ? undefined : labelParam(request.removeFromVersion, 'removeFromVersion')
  const moveTo = request.moveToVersion === undefined ? undefined : labelParam(request.moveToVersion, 'moveToVersion')
  const { record } = await useSecret(ctx, call, request.secretName)
  requireActive(record, 'updateSecretVersionStage')
  if (moveTo !== undefined) call.keyVersionId = moveTo
  await ctx.transact(call, async (tx, now) => {
    const entry = await txExistingSecret(ctx, tx, record.secretName, now)
    requireActive(entry.record, 'updateSecretVersionStage')
    const next = moveSecretStage(entry.record, stage, removeFrom, moveTo, now)
    if (next === entry.record) return
    putSecret(ctx, tx, entry, next)
    tx.emit({ name: 'secretChanged', payload: { secretName: record.secretName, change: 'stages', time: now } })
  })
  return { requestId: call.requestId, secretName: record.secretName }
}

/** Versions newest first; versions without a stage only with `includeDeprecated`. */
export async function listSecretVersionIds(
  ctx: SecretValuesContext, call: Call, request: api.ListSecretVersionIdsRequest,
): Promise<api.ListSecretVersionIdsResponse> {
  requestObject(request, 'listSecretVersionIds')
  const paging = listingParams(request)
  const includeDeprecated = request.includeDeprecated === undefined ? false : booleanParam(request.includeDeprecated, 'includeDeprecated')
  const { record } = await useSecret(ctx, call, request.secretName)
  const versions = [...record.versions].reverse().filter((v) => includeDeprecated || v.stages.length > 0)
  const page = listPage(versions, (v) => v.versionId, paging)
  return {
    requestId: call.requestId, secretName: record.secretName, totalCount: versions.length, pageNumber: page.pageNumber, pageSize: paging.pageSize,
    versionIds: page.items.map((v) => ({ versionId: v.versionId, createTime: formatDate(v.creationDate), versionStages: v.stages })),
  }
}

/** Rotates now with the engine's secretRotation function; see secret-rotation.ts. */
export async function rotateSecret(ctx: SecretValuesContext, call: Call, request: api.RotateSecretRequest): Promise<api.RotateSecretResponse> {
  requestObject(request, 'rotateSecret')
  const versionId = request.versionId === undefined ? ctx.newId() : labelParam(request.versionId, 'versionId')
  return rotateWithFunction(ctx, call, request.secretName, versionId, 'manual')
}
