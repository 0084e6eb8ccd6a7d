/**
 * Key versions and rotation: CreateKeyVersion, ListKeyVersions, DescribeKeyVersion,
 * UpdateRotationPolicy.
 *
 * ```ts
 * await CreateKeyVersion(parameters({ KeyId: id }), context)   // { KeyVersion: { KeyId, KeyVersionId, CreationDate } }
 * await UpdateRotationPolicy(parameters({ KeyId: id, EnableAutomaticRotation: 'true', RotationInterval: '30d' }), context)
 * ```
 */
import type { KeyVersion } from '@strongroom/core'
import { optionalString, requiredBoolean, requiredString, type JsonObject } from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam, pagingParams } from './members.js'

function keyVersionOf(v: KeyVersion): JsonObject {
  return { KeyId: v.keyId, KeyVersionId: v.keyVersionId, CreationDate: v.creationDate }
}

export const CreateKeyVersion: Operation = async (params, { client }) => {
  const { keyVersion } = await client.createKeyVersion({ keyId: keyIdParam(params) })
  return { KeyVersion: keyVersionOf(keyVersion) }
}

export const ListKeyVersions: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const result = await client.listKeyVersions({ keyId, ...pagingParams(params) })
  return {
    KeyVersions: { KeyVersion: result.keyVersions.map(keyVersionOf) },
    TotalCount: result.totalCount, PageNumber: result.pageNumber, PageSize: result.pageSize,
  }
}

export const DescribeKeyVersion: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const keyVersionId = requiredString(params, 'KeyVersionId', 1, 128)
  const { keyVersion } = await client.describeKeyVersion({ keyId, keyVersionId })
  return { KeyVersion: keyVersionOf(keyVersion) }
}

/** RotationInterval: `7d`-`365d` (also `h`, `m`, `s` units), required when enabling. */
export const UpdateRotationPolicy: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const enableAutomaticRotation = requiredBoolean(params, 'EnableAutomaticRotation')
  const rotationInterval = optionalString(params, 'RotationInterval', 1, 32)
  await client.updateRotationPolicy({ keyId, enableAutomaticRotation, ...(rotationInterval === undefined ? {} : { rotationInterval }) })
  return {}
}
