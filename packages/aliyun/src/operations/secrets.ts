/**
 * Secrets: CreateSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage,
 * ListSecretVersionIds, DescribeSecret, UpdateSecret, ListSecrets, DeleteSecret,
 * RestoreSecret, RotateSecret and UpdateSecretRotationPolicy, with Alibaba's parameter and
 * member names (generic secrets; SecretType is `Generic`).
 *
 * ```ts
 * await CreateSecret(parameters({ SecretName: 'db', VersionId: 'v1', SecretData: 'hunter2' }), context)
 * await GetSecretValue(parameters({ SecretName: 'db' }), context)   // { SecretData: 'hunter2', VersionStages: { VersionStage: ['ACSCurrent'] }, … }
 * ```
 *
 * A binary value travels as base64 with `SecretDataType=binary`. An existing secret or
 * version is Alibaba's `Rejected.ResourceExist`; the engine's other codes are Alibaba's own.
 */
import { KmsError, type GetSecretValueResponse, type SecretFilter, type SecretMetadata, type SecretRotationInfo } from '@strongroom/core'
import { AliyunError } from '../errors.js'
import { invalidParameter } from '../errors.js'
import {
  optionalBoolean, optionalEnum, optionalInteger, optionalJson, optionalString, optionalStringList, requiredBoolean, requiredString,
  type JsonObject, type Params,
} from '../params.js'
import type { Operation } from './context.js'
import { pageOf, pagingParams, tagsJson } from './members.js'

const NAME_MAX = 192
const LABEL_MAX = 64
/** Alibaba's limit on SecretData: 30720 bytes; base64 of that many bytes is 40960 characters. */
const SECRET_DATA_MAX = 40960

/** Alibaba answers an existing secret or version with Rejected.ResourceExist. */
function secretAction(run: Operation): Operation {
  return async (params, context) => {
    try {
      return await run(params, context)
    } catch (error) {
      if (KmsError.is(error, 'AlreadyExists')) throw new AliyunError('Rejected.ResourceExist', error.message, { status: 400, cause: error })
      throw error
    }
  }
}

const secretName = (params: Params): string => requiredString(params, 'SecretName', 1, NAME_MAX)

/** SecretData and SecretDataType (`text`, default, or `binary` as base64). */
function secretValue(params: Params): { secretData: string | Uint8Array; secretDataType: 'text' | 'binary' } {
  const data = requiredString(params, 'SecretData', 1, SECRET_DATA_MAX)
  const type = optionalEnum(params, 'SecretDataType', ['text', 'binary']) ?? 'text'
  if (type === 'text') return { secretData: data, secretDataType: 'text' }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0) throw invalidParameter('SecretData of a binary secret must be base64.')
  return { secretData: new Uint8Array(Buffer.from(data, 'base64')), secretDataType: 'binary' }
}

function rotationOf(info: SecretRotationInfo): JsonObject {
  return {
    AutomaticRotation: info.automaticRotation,
    ...(info.rotationInterval === undefined ? {} : { RotationInterval: info.rotationInterval }),
    ...(info.lastRotationDate === undefined ? {} : { LastRotationDate: info.lastRotationDate }),
    ...(info.nextRotationDate === undefined ? {} : { NextRotationDate: info.nextRotationDate }),
  }
}

const stagesOf = (stages: readonly string[]): JsonObject => ({ VersionStage: [...stages] })

function metadataOf(m: SecretMetadata, withTags: boolean): JsonObject {
  return {
    Arn: m.arn, SecretName: m.secretName, SecretType: m.secretType, Description: m.description, EncryptionKeyId: m.encryptionKeyId,
    CreateTime: m.createTime, UpdateTime: m.updateTime, ...(m.plannedDeleteTime === undefined ? {} : { PlannedDeleteTime: m.plannedDeleteTime }),
    ...(withTags ? { Tags: { Tag: m.tags.map((t) => ({ TagKey: t.tagKey, TagValue: t.tagValue })) } } : {}),
    ...rotationOf(m),
  }
}

export const CreateSecret: Operation = secretAction(async (params, { client }) => {
  const encryptionKeyId = optionalString(params, 'EncryptionKeyId', 1, 2048)
  const description = optionalString(params, 'Description', 0, 1024)
  const secretType = optionalString(params, 'SecretType', 1, 32)
  if (secretType !== undefined && secretType !== 'Generic') throw invalidParameter('SecretType must be Generic: managed secrets (Rds, RAMCredentials, ECS) are not part of this service.')
  const tags = tagsJson(params, 'Tags')
  const rotate = optionalBoolean(params, 'EnableAutomaticRotation')
  const rotationInterval = optionalString(params, 'RotationInterval', 1, 32)
  const result = await client.createSecret({
    secretName: secretName(params), versionId: requiredString(params, 'VersionId', 1, LABEL_MAX), ...secretValue(params),
    ...(encryptionKeyId === undefined ? {} : { encryptionKeyId }), ...(description === undefined ? {} : { description }),
    ...(tags === undefined ? {} : { tags }), ...(rotate === undefined ? {} : { enableAutomaticRotation: rotate }),
    ...(rotationInterval === undefined ? {} : { rotationInterval }),
  })
  return { Arn: result.arn, VersionId: result.versionId, SecretName: result.secretName, SecretType: result.secretType, ...rotationOf(result) }
})

export const GetSecretValue: Operation = async (params, { client }) => {
  const versionId = optionalString(params, 'VersionId', 1, LABEL_MAX)
  const versionStage = optionalString(params, 'VersionStage', 1, LABEL_MAX)
  const r: GetSecretValueResponse = await client.getSecretValue({
    secretName: secretName(params), ...(versionId === undefined ? {} : { versionId }), ...(versionStage === undefined ? {} : { versionStage }),
  })
  return {
    SecretName: r.secretName, SecretType: r.secretType, VersionId: r.versionId, CreateTime: r.createTime,
    SecretDataType: r.secretDataType,
    SecretData: r.secretDataType === 'binary' ? Buffer.from(r.secretData).toString('base64') : r.secretData,
    VersionStages: stagesOf(r.versionStages), ...rotationOf(r),
  }
}

export const PutSecretValue: Operation = secretAction(async (params, { client }) => {
  const stages = optionalStringList(params, 'VersionStages', 7)
  const result = await client.putSecretValue({
    secretName: secretName(params), versionId: requiredString(params, 'VersionId', 1, LABEL_MAX), ...secretValue(params),
    ...(stages === undefined ? {} : { versionStages: stages }),
  })
  return { SecretName: result.secretName, VersionId: result.versionId, VersionStages: stagesOf(result.versionStages) }
})

export const UpdateSecretVersionStage: Operation = async (params, { client }) => {
  const removeFromVersion = optionalString(params, 'RemoveFromVersion', 1, LABEL_MAX)
  const moveToVersion = optionalString(params, 'MoveToVersion', 1, LABEL_MAX)
  const result = await client.updateSecretVersionStage({
    secretName: secretName(params), versionStage: requiredString(params, 'VersionStage', 1, LABEL_MAX),
    ...(removeFromVersion === undefined ? {} : { removeFromVersion }), ...(moveToVersion === undefined ? {} : { moveToVersion }),
  })
  return { SecretName: result.secretName }
}

export const ListSecretVersionIds: Operation = async (params, { client }) => {
  const includeDeprecated = optionalBoolean(params, 'IncludeDeprecated') ?? false
  const r = await client.listSecretVersionIds({ secretName: secretName(params), includeDeprecated, ...pagingParams(params) })
  return {
    SecretName: r.secretName, TotalCount: r.totalCount, PageNumber: r.pageNumber, PageSize: r.pageSize,
    VersionIds: { VersionId: r.versionIds.map((v) => ({ VersionId: v.versionId, CreateTime: v.createTime, VersionStages: stagesOf(v.versionStages) })) },
  }
}

export const DescribeSecret: Operation = async (params, { client }) => {
  const withTags = optionalBoolean(params, 'FetchTags') ?? false
  return metadataOf(await client.describeSecret({ secretName: secretName(params) }), withTags)
}

export const UpdateSecret: Operation = async (params, { client }) => {
  const result = await client.updateSecret({ secretName: secretName(params), description: optionalString(params, 'Description', 0, 1024) ?? '' })
  return { SecretName: result.secretName }
}

const FILTER_KEYS = ['SecretName', 'Description', 'TagKey', 'TagValue'] as const

/** `Filters`: `[{"Key":"SecretName","Values":["db"]}]`. */
function filtersParam(params: Params): SecretFilter[] | undefined {
  const value = optionalJson(params, 'Filters', 8192)
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParameter('Filters must be a JSON array of {"Key","Values"}.')
  return value.map((f: unknown) => {
    const { Key: key, Values: values } = (f ?? {}) as { Key?: unknown; Values?: unknown }
    if (typeof key !== 'string' || !(FILTER_KEYS as readonly string[]).includes(key)) throw invalidParameter(`Filters Key must be one of ${FILTER_KEYS.join(', ')}.`)
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) throw invalidParameter('Filters Values must be a list of strings.')
    return { key: key as SecretFilter['key'], values: values as string[] }
  })
}

/** PageNumber paging over the engine's name-ordered pages: the pages before the one asked for are read and skipped. */
export const ListSecrets: Operation = async (params, { client }) => {
  const paging = pagingParams(params)
  const withTags = optionalBoolean(params, 'FetchTags') ?? false
  const filters = filtersParam(params)
  const all: SecretMetadata[] = []
  let nextToken: string | undefined
  do {
    const page = await client.listSecrets({ pageSize: 100, ...(filters === undefined ? {} : { filters }), ...(nextToken === undefined ? {} : { nextToken }) })
    all.push(...page.secretList)
    nextToken = page.nextToken
  } while (nextToken !== undefined)
  return {
    PageNumber: paging.pageNumber, PageSize: paging.pageSize, TotalCount: all.length,
    SecretList: { Secret: pageOf(all, paging).map((m) => metadataOf(m, withTags)) },
  }
}

export const DeleteSecret: Operation = async (params, { client }) => {
  const days = optionalInteger(params, 'RecoveryWindowInDays', 1, 1000)
  const force = optionalBoolean(params, 'ForceDeleteWithoutRecovery') ?? false
  const result = await client.deleteSecret({
    secretName: secretName(params), ...(days === undefined ? {} : { recoveryWindowInDays: days }), ...(force ? { forceDeleteWithoutRecovery: true } : {}),
  })
  return { SecretName: result.secretName, ...(result.plannedDeleteTime === undefined ? {} : { PlannedDeleteTime: result.plannedDeleteTime }) }
}

export const RestoreSecret: Operation = async (params, { client }) => {
  const result = await client.restoreSecret({ secretName: secretName(params) })
  return { SecretName: result.secretName }
}

export const RotateSecret: Operation = secretAction(async (params, { client }) => {
  const versionId = optionalString(params, 'VersionId', 1, LABEL_MAX)
  const result = await client.rotateSecret({ secretName: secretName(params), ...(versionId === undefined ? {} : { versionId }) })
  return { Arn: result.arn, VersionId: result.versionId, SecretName: result.secretName }
})

export const UpdateSecretRotationPolicy: Operation = async (params, { client }) => {
  const rotationInterval = optionalString(params, 'RotationInterval', 1, 32)
  await client.updateSecretRotationPolicy({
    secretName: secretName(params), enableAutomaticRotation: requiredBoolean(params, 'EnableAutomaticRotation'),
    ...(rotationInterval === undefined ? {} : { rotationInterval }),
  })
  return {}
}
