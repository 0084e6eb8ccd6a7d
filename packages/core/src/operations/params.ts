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
  return durationParam(value, 'rotationInterval', MIN_ROTATION_INTERVAL_MS, MAX_ROTATION_INTERVAL_MS, '7 to 365 days')
}

/** A duration as `30d`, `12h`, `90m`, `3600s` or a number of seconds, in ms, within [min, max] (described as `range`). */
export function durationParam(value: unknown, name: string, min: number, max: number, range: string): number {
  let ms: number
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new KmsError('InvalidParameter', `${name} must be a whole number of seconds`)
    ms = value * SECOND_MS
  } else if (typeof value === 'string') {
    const match = /^([1-9][0-9]{0,9})([dhms])$/.exec(value)
    if (match === null) throw new KmsError('InvalidParameter', `${name} must look like 7d, 168h, 10080m or 604800s`)
    const unit = { d: DAY_MS, h: 3_600_000, m: 60_000, s: SECOND_MS }[match[2] as 'd' | 'h' | 'm' | 's']
    ms = Number(match[1]) * unit
  } else if (value === undefined) {
    throw new KmsError('InvalidParameter', `${name} is required when automatic rotation is enabled`)
  } else {
    throw new TypeError(`${name} must be a string or a number of seconds`)
  }
  if (ms < min || ms > max) {
    throw new KmsError('InvalidParameter', `${name} must be from ${range}`)
  }
  return ms
}

const RESERVED_TAG_PREFIXES = ['acs:', 'aliyun']

export function tagsParam(value: unknown, max = MAX_TAGS_PER_KEY): Record<string, string> {
  if (!Array.isArray(value)) throw new TypeError('tags must be an array of { tagKey, tagValue }')
  if (value.length === 0 || value.length > max) {
    throw new KmsError('InvalidParameter', `tags must hold 1-${max} entries`)
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
