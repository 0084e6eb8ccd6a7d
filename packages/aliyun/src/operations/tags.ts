/**
 * Tags, in both of Alibaba's generations: TagResource / UntagResource / ListResourceTags
 * (one key, `Tags` and `TagKeys` as JSON strings) and TagResources / UntagResources /
 * ListTagResources (many resources, `ResourceId.N`, `Tag.N.Key`, `TagKey.N`).
 *
 * ```ts
 * await TagResource(parameters({ KeyId: id, Tags: '[{"TagKey":"team","TagValue":"pay"}]' }), context)
 * await TagResources(parameters({ ResourceType: 'key', 'ResourceId.1': id, 'Tag.1.Key': 'team', 'Tag.1.Value': 'pay' }), context)
 * ```
 *
 * The batch actions' resources are keys (`ResourceType=key`); the single-resource actions
 * also take a secret (`SecretName`), as Alibaba's do. Certificates are not part of this service. A batch changes its keys one after another: when one fails, the ones
 * before it keep their new tags (Alibaba does not promise atomicity across resources either).
 */
import { invalidParameter, missingParameter } from '../errors.js'
import {
  memberString, optionalBoolean, optionalString, optionalStringList, optionalStructList, type JsonObject, type Params,
} from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam, requireKeyResourceType, tagsJson } from './members.js'

const MAX_RESOURCES = 50
const MAX_TAGS = 20

/** The resource of the single-resource actions: `SecretName` when given, else `KeyId`. */
function resource(params: Params): { readonly secretName: string } | { readonly keyId: string } {
  const secretName = optionalString(params, 'SecretName', 1, 192)
  return secretName === undefined ? { keyId: keyIdParam(params) } : { secretName }
}

export const TagResource: Operation = async (params, { client }) => {
  const target = resource(params)
  const tags = tagsJson(params, 'Tags')
  if (tags === undefined) throw missingParameter('Tags')
  await client.tagResource({ ...target, tags })
  return {}
}

export const UntagResource: Operation = async (params, { client }) => {
  const target = resource(params)
  const tagKeys = optionalStringList(params, 'TagKeys', MAX_TAGS)
  if (tagKeys === undefined) throw missingParameter('TagKeys')
  await client.untagResource({ ...target, tagKeys })
  return {}
}

export const ListResourceTags: Operation = async (params, { client }) => {
  const target = resource(params)
  if ('secretName' in target) {
    const { tags } = await client.listResourceTags(target)
    return { Tags: { Tag: tags.map((t) => ({ SecretName: t.secretName, TagKey: t.tagKey, TagValue: t.tagValue })) } }
  }
  const { tags } = await client.listResourceTags(target)
  return { Tags: { Tag: tags.map((t) => ({ KeyId: t.keyId, TagKey: t.tagKey, TagValue: t.tagValue })) } }
}

/** `ResourceId.N` of the batch actions; ResourceType must be `key`. */
function resourceIds(params: Params, required: boolean): readonly string[] {
  requireKeyResourceType(optionalString(params, 'ResourceType', 1, 32))
  const ids = optionalStringList(params, 'ResourceId', MAX_RESOURCES)
  if (ids === undefined || ids.length === 0) {
    if (required) throw missingParameter('ResourceId.1')
    return []
  }
  return ids
}

export const TagResources: Operation = async (params, { client }) => {
  const ids = resourceIds(params, true)
  const list = optionalStructList(params, 'Tag', MAX_TAGS)
  if (list === undefined || list.length === 0) throw missingParameter('Tag.1.Key')
  const tags = list.map((t) => ({ tagKey: memberString(t, 'Key', 'Tag', 1, 128), tagValue: memberString(t, 'Value', 'Tag', 1, 256) }))
  for (const keyId of ids) await client.tagResource({ keyId, tags })
  return {}
}

export const UntagResources: Operation = async (params, { client }) => {
  const ids = resourceIds(params, true)
  const all = optionalBoolean(params, 'All') === true
  const named = optionalStringList(params, 'TagKey', MAX_TAGS)
  if (!all && (named === undefined || named.length === 0)) throw missingParameter('TagKey.1')
  for (const keyId of ids) {
    const tagKeys = all ? (await client.listResourceTags({ keyId })).tags.map((t) => t.tagKey) : named!
    if (tagKeys.length > 0) await client.untagResource({ keyId, tagKeys })
  }
  return {}
}

/** The tags of the named keys, optionally only those matching `Tag.N.Key` (and value, when given). */
export const ListTagResources: Operation = async (params, { client }) => {
  const ids = resourceIds(params, true)
  const wanted = optionalStructList(params, 'Tag', MAX_TAGS)?.map((t) => ({
    key: memberString(t, 'Key', 'Tag', 1, 128),
    value: typeof t['Value'] === 'string' && t['Value'] !== '' ? t['Value'] : undefined,
  }))
  if (optionalString(params, 'NextToken', 1, 256) !== undefined) throw invalidParameter('NextToken is not valid: every result fits one page here')
  const found: JsonObject[] = []
  for (const keyId of ids) {
    for (const tag of (await client.listResourceTags({ keyId })).tags) {
      if (wanted !== undefined && !wanted.some((w) => w.key === tag.tagKey && (w.value === undefined || w.value === tag.tagValue))) continue
      found.push({ ResourceId: tag.keyId, ResourceType: 'key', TagKey: tag.tagKey, TagValue: tag.tagValue })
    }
  }
  return { TagResources: { TagResource: found }, NextToken: '' }
}
