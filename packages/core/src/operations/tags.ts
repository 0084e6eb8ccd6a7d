/**
 * Tags on keys: tagResource, untagResource, listResourceTags (at most 50 per key).
 *
 * ```ts
 * await kms.tagResource({ keyId, tags: [{ tagKey: 'team', tagValue: 'payments' }] })
 * ```
 *
 * Tags are condition keys too (`kms:tag/<key>`), so a policy can grant by tag.
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { MAX_TAGS_PER_KEY } from '../key-record.js'
import * as transitions from '../transitions.js'
import { requestObject, stringParam } from '../validate.js'
import { tagsParam } from './params.js'

/** What this module needs from the engine (engine/context.ts). */
export type TagsContext = Pick<EngineContext, 'changeKey' | 'use'>

/** Adds or overwrites tags (at most 50 per key). */
export async function tagResource(ctx: TagsContext, call: Call, request: api.TagResourceRequest): Promise<api.KmsResponse> {
  requestObject(request, 'tagResource')
  const tags = tagsParam(request.tags)
  await ctx.changeKey(call, request.keyId, (r) => transitions.tagKey(r, tags),
    (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
  return { requestId: call.requestId }
}

export async function untagResource(ctx: TagsContext, call: Call, request: api.UntagResourceRequest): Promise<api.KmsResponse> {
  requestObject(request, 'untagResource')
  if (!Array.isArray(request.tagKeys)) throw new TypeError('tagKeys must be an array of strings')
  if (request.tagKeys.length === 0 || request.tagKeys.length > MAX_TAGS_PER_KEY) {
    throw new KmsError('InvalidParameter', `tagKeys must hold 1-${MAX_TAGS_PER_KEY} entries`)
  }
  const tagKeys = request.tagKeys.map((k) => stringParam(k, 'tagKey', 1, 128))
  await ctx.changeKey(call, request.keyId, (r) => transitions.untagKey(r, tagKeys),
    (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
  return { requestId: call.requestId }
}

export async function listResourceTags(ctx: TagsContext, call: Call, request: api.KeyRequest): Promise<api.ListResourceTagsResponse> {
  requestObject(request, 'listResourceTags')
  const { record } = await ctx.use(call, request.keyId, 'listResourceTags')
  return {
    requestId: call.requestId,
    tags: Object.entries(record.tags).map(([tagKey, tagValue]) => ({ keyId: record.keyId, tagKey, tagValue })),
  }
}
