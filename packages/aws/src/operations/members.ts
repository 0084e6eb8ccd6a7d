/**
 * Request members several operations share: the key a request names, and tags.
 *
 * ```ts
 * const keyId = keyRef(input, names)                       // 'alias/app', or a bare key id
 * const id = keyIdParam(input, names)                      // a bare key id; an alias is NotFoundException, as on AWS
 * const tags = tagsParam(input, true)                      // [{ tagKey, tagValue }]
 * ```
 */
import type { Tag } from '@strongroom/core'
import { AwsError, validation } from '../errors.js'
import type { AwsNames } from '../names.js'
import { optionalList, requiredString, structure, type JsonObject } from '../wire.js'

export const KEY_ID_MAX = 2048
/** AWS's quota of tags per key, which the engine keeps too (core's MAX_TAGS_PER_KEY). */
const AWS_MAX_TAGS = 50

/** The engine reference for a key member (`KeyId` unless named otherwise). */
export function keyRef(input: JsonObject, names: AwsNames, member = 'KeyId'): string {
  return names.keyRef(requiredString(input, member, 1, KEY_ID_MAX))
}

/**
 * The key id for a member AWS documents as "key ID or key ARN" (the management and import
 * operations): an alias there is NotFoundException, as AWS answers.
 */
export function keyIdParam(input: JsonObject, names: AwsNames, member = 'KeyId'): string {
  return names.keyId(requiredString(input, member, 1, KEY_ID_MAX))
}

/** AWS tag rules, checked before the engine's own (which add its reserved `acs:`/`aliyun` prefixes). */
export function tagsParam(input: JsonObject, required: boolean): Tag[] | undefined {
  const list = optionalList(input, 'Tags', Number.MAX_SAFE_INTEGER)
  if (list === undefined) {
    if (required) throw validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
    return undefined
  }
  // AWS's quota is 50 tags per key (the engine's too), a LimitExceededException.
  if (list.length > AWS_MAX_TAGS) throw new AwsError('LimitExceededException', `a key has at most ${AWS_MAX_TAGS} tags`)
  return list.map((item) => {
    const tag = structure(item, 'Tags')
    const tagKey = requiredString(tag, 'TagKey', 1, 128)
    const tagValue = requiredString(tag, 'TagValue', 0, 256)
    if (tagKey.toLowerCase().startsWith('aws:')) throw new AwsError('TagException', 'tag keys beginning with aws: are reserved')
    return { tagKey, tagValue }
  })
}
