/**
 * Tags: TagResource, UntagResource and ListResourceTags, with AWS's `TagKey`/`TagValue`.
 *
 * ```ts
 * await TagResource({ KeyId, Tags: [{ TagKey: 'team', TagValue: 'payments' }] }, context)
 * await ListResourceTags({ KeyId }, context)   // { Tags: [{ TagKey, TagValue }], Truncated: false }
 * ```
 *
 * A malformed or reserved tag is a TagException (AWS reserves `aws:`; the engine also
 * reserves `acs:` and `aliyun`). A key holds at most 50 tags, as on AWS (the engine's limit);
 * more is LimitExceededException. Tags are listed in key order.
 */
import { validation } from '../errors.js'
import { pageOfList, truncation } from '../pagination.js'
import { optionalInteger, optionalMarker, optionalStringList } from '../wire.js'
import type { Operation } from './context.js'
import { keyIdParam, tagsParam } from './members.js'

export const TagResource: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  const tags = tagsParam(input, true)!
  await client.tagResource({ keyId, tags })
  return {}
}

export const UntagResource: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  const tagKeys = optionalStringList(input, 'TagKeys', 50, 1, 128)
  if (tagKeys === undefined) throw validation("1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null")
  await client.untagResource({ keyId, tagKeys })
  return {}
}

export const ListResourceTags: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  const limit = optionalInteger(input, 'Limit', 1, 50) ?? 50
  const marker = optionalMarker(input)
  const { tags } = await client.listResourceTags({ keyId })
  const sorted = [...tags].sort((a, b) => (a.tagKey < b.tagKey ? -1 : a.tagKey > b.tagKey ? 1 : 0))
  const page = pageOfList(sorted, (t) => t.tagKey, marker, limit)
  return {
    Tags: page.items.map((t) => ({ TagKey: t.tagKey, TagValue: t.tagValue })),
    ...truncation(page),
  }
}
