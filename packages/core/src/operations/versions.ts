/**
 * Key versions and rotation: createKeyVersion (rotate now), listKeyVersions,
 * describeKeyVersion and updateRotationPolicy (automatic rotation, due by the engine's clock).
 *
 * ```ts
 * await kms.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' })
 * const { keyVersion } = await kms.createKeyVersion({ keyId })
 * ```
 *
 * Older versions still decrypt; the newest is the primary version that encrypts.
 */
import type * as api from '../api.js'
import { isUuid } from '../bytes.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { primaryVersion } from '../key-record.js'
import * as transitions from '../transitions.js'
import { booleanParam, requestObject, stringParam } from '../validate.js'
import { listPage, listingParams } from './listing.js'
import { rotationIntervalParam } from './params.js'
import { keyVersionView } from './views.js'

/** What this module needs from the engine (engine/context.ts). */
export type VersionsContext = Pick<EngineContext, 'changeKey' | 'rotate' | 'use'>

/** Rotates now: a new version becomes primary; older versions still decrypt. */
export async function createKeyVersion(ctx: VersionsContext, call: Call, request: api.KeyRequest): Promise<api.KeyVersionResponse> {
  requestObject(request, 'createKeyVersion')
  const { record } = await ctx.use(call, request.keyId, 'createKeyVersion')
  if (record.origin === 'EXTERNAL') throw new KmsError('Rejected.UnsupportedOperation', `key ${record.keyId} has imported material and cannot create versions`)
  const keyId = record.keyId
  const entry = await ctx.rotate(call, keyId, 'manual', record.keySpec)
  return { requestId: call.requestId, keyVersion: keyVersionView(keyId, primaryVersion(entry.record)!) }
}

/** Versions oldest first; the last is the primary version. */
export async function listKeyVersions(ctx: VersionsContext, call: Call, request: api.ListKeyVersionsRequest): Promise<api.ListKeyVersionsResponse> {
  requestObject(request, 'listKeyVersions')
  const paging = listingParams(request)
  const { record } = await ctx.use(call, request.keyId, 'listKeyVersions')
  const page = listPage(record.versions, (v) => v.keyVersionId, paging)
  return {
    requestId: call.requestId, totalCount: record.versions.length, pageNumber: page.pageNumber, pageSize: paging.pageSize,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    keyVersions: page.items.map((v) => keyVersionView(record.keyId, v)),
  }
}

export async function describeKeyVersion(ctx: VersionsContext, call: Call, request: api.DescribeKeyVersionRequest): Promise<api.KeyVersionResponse> {
  requestObject(request, 'describeKeyVersion')
  const keyVersionId = stringParam(request.keyVersionId, 'keyVersionId', 1, 64)
  if (!isUuid(keyVersionId)) throw new KmsError('InvalidParameter', 'keyVersionId must be a version id (UUID)')
  const entry = await ctx.use(call, request.keyId, 'describeKeyVersion')
  const version = entry.version(keyVersionId)
  if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${keyVersionId}`)
  return { requestId: call.requestId, keyVersion: keyVersionView(entry.record.keyId, version) }
}

/** Turns automatic rotation on (interval 7-365 days, due by the engine's clock) or off. */
export async function updateRotationPolicy(ctx: VersionsContext, call: Call, request: api.UpdateRotationPolicyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'updateRotationPolicy')
  const enable = booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
  if (!enable && request.rotationInterval !== undefined) {
    throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
  }
  const intervalMs = enable ? rotationIntervalParam(request.rotationInterval) : undefined
  await ctx.changeKey(call, request.keyId, (r) => transitions.updateRotationPolicy(r, intervalMs),
    (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'rotationPolicy', time } }))
  return { requestId: call.requestId }
}
