/**
 * Parameters and response pieces several actions share: the key a request names, paging,
 * tags, and the region a key belongs to.
 *
 * ```ts
 * const keyId = keyIdParam(params)                   // a key id, ARN or alias/<name>, as the engine takes it
 * const page = pagingParams(params)                  // { pageNumber, pageSize }
 * const tags = tagsJson(params, 'Tags')              // [{ tagKey, tagValue }] from '[{"TagKey":…}]'
 * regionOfArn('acs:kms:cn-hangzhou:123:key/abc')     // 'cn-hangzhou'
 * ```
 */
import { KmsError, type Tag } from '@strongroom/core'
import { invalidParameter } from '../errors.js'
import { memberString, optionalInteger, optionalStructList, requiredString, type Params } from '../params.js'

export const KEY_ID_MAX = 2048

/** The `KeyId` parameter (or another member naming a key): a key id, key ARN, or alias name / alias ARN. */
export function keyIdParam(params: Params, name = 'KeyId'): string {
  return requiredString(params, name, 1, KEY_ID_MAX)
}

/** PageNumber (from 1, default 1) and PageSize (1-100, default 10), as every List action takes them. */
export function pagingParams(params: Params): { pageNumber: number; pageSize: number } {
  return {
    pageNumber: optionalInteger(params, 'PageNumber', 1, 1_000_000) ?? 1,
    pageSize: optionalInteger(params, 'PageSize', 1, 100) ?? 10,
  }
}

/** The page of `items` that `paging` selects. */
export function pageOf<T>(items: readonly T[], paging: { pageNumber: number; pageSize: number }): T[] {
  const start = (paging.pageNumber - 1) * paging.pageSize
  return items.slice(start, start + paging.pageSize)
}

/** The `Tags` JSON string of CreateKey and TagResource: `[{"TagKey":"k","TagValue":"v"}]` (or flattened `Tags.1.TagKey`). */
export function tagsJson(params: Params, name: string): Tag[] | undefined {
  const list = optionalStructList(params, name, 20)
  return list?.map((item) => ({
    tagKey: memberString(item, 'TagKey', name, 1, 128),
    tagValue: memberString(item, 'TagValue', name, 1, 256),
  }))
}

/** The region of an `acs:kms:<region>:<account>:…` resource name. */
export function regionOfArn(arn: string): string | undefined {
  const parts = arn.split(':')
  return parts[0] === 'acs' && parts[1] === 'kms' ? parts[2] : undefined
}

/**
 * A key of another region on the same store is not this endpoint's: it answers as if the
 * key did not exist (Forbidden.KeyNotFound), as Alibaba does for a key id of another region.
 */
export function requireRegion(arn: string, region: string, keyId: string): void {
  if (regionOfArn(arn) !== region) throw new KmsError('Forbidden.KeyNotFound', `key ${keyId} does not exist in region ${region}`)
}

export function requireKeyResourceType(value: string | undefined): void {
  if (value !== undefined && value.toLowerCase() !== 'key') {
    throw invalidParameter('ResourceType must be key: secrets and certificates are not part of this service')
  }
}
