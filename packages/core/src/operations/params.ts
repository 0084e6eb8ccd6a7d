/**
 * Request parameters shared by several families: the rotation interval and tags.
 *
 * ```ts
 * rotationIntervalParam('30d')                          // 2_592_000_000 (ms)
 * tagsParam([{ tagKey: 'team', tagValue: 'payments' }])  // { team: 'payments' }
 * ```
 *
 * Bad input is InvalidParameter (or a TypeError for the wrong type), never a partial write.
 */
import { DAY_MS, SECOND_MS } from '../clock.js'
import { KmsError } from '../errors.js'
import { MAX_ROTATION_INTERVAL_MS, MAX_TAGS_PER_KEY, MIN_ROTATION_INTERVAL_MS } from '../key-record.js'
import { stringParam } from '../validate.js'

/** `7d`, `168h`, `10080m`, `604800s` or a number of seconds, within 7-365 days. */
export function rotationIntervalParam(value: unknown): number {
  let ms: number
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new KmsError('InvalidParameter', 'rotationInterval must be a whole number of seconds')
    ms = value * SECOND_MS
  } else if (typeof value === 'string') {
    const match = /^([1-9][0-9]{0,9})([dhms])$/.exec(value)
    if (match === null) throw new KmsError('InvalidParameter', 'rotationInterval must look like 7d, 168h, 10080m or 604800s')
    const unit = { d: DAY_MS, h: 3_600_000, m: 60_000, s: SECOND_MS }[match[2] as 'd' | 'h' | 'm' | 's']
    ms = Number(match[1]) * unit
  } else if (value === undefined) {
    throw new KmsError('InvalidParameter', 'rotationInterval is required when automatic rotation is enabled')
  } else {
    throw new TypeError('rotationInterval must be a string or a number of seconds')
  }
  if (ms < MIN_ROTATION_INTERVAL_MS || ms > MAX_ROTATION_INTERVAL_MS) {
    throw new KmsError('InvalidParameter', 'rotationInterval must be from 7 to 365 days')
  }
  return ms
}

const RESERVED_TAG_PREFIXES = ['acs:', 'aliyun']

export function tagsParam(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) throw new TypeError('tags must be an array of { tagKey, tagValue }')
  if (value.length === 0 || value.length > MAX_TAGS_PER_KEY) {
    throw new KmsError('InvalidParameter', `tags must hold 1-${MAX_TAGS_PER_KEY} entries`)
  }
  const tags: Record<string, string> = {}
  for (const tag of value as unknown[]) {
    if (tag === null || typeof tag !== 'object') throw new TypeError('each tag must be { tagKey, tagValue }')
    const { tagKey, tagValue } = tag as { tagKey?: unknown; tagValue?: unknown }
    const k = stringParam(tagKey, 'tagKey', 1, 128)
    const v = stringParam(tagValue, 'tagValue', 0, 256)
    if (RESERVED_TAG_PREFIXES.some((p) => k.toLowerCase().startsWith(p))) {
      throw new KmsError('InvalidParameter', 'tag keys starting with acs: or aliyun are reserved')
    }
    if (Object.hasOwn(tags, k)) throw new KmsError('InvalidParameter', `tag key "${k}" appears twice`)
    tags[k] = v
  }
  return tags
}
