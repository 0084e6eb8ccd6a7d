/**
 * Response views shared by the families: key metadata, key versions and aliases as the
 * API returns them.
 *
 * ```ts
 * keyMetadataView(record)          // { keyId, arn, keyState, creationDate: '2024-…Z', … }
 * aliasView(ctx, 'alias/orders', keyId)
 * ```
 *
 * Dates are formatted here (clock.ts formatDate), never in a family.
 */
import type * as api from '../api.js'
import { formatDate, SECOND_MS } from '../clock.js'
import type { EngineContext } from '../engine/context.js'
import { nextRotationDate, primaryVersion, type KeyRecord, type KeyVersionRecord } from '../key-record.js'
import { aliasArn, keyArn } from '../names.js'

/** What this module needs from the engine (engine/context.ts). */
export type ViewsContext = Pick<EngineContext, 'accountId' | 'region'>

export function keyMetadataView(r: KeyRecord): api.KeyMetadata {
  const primary = primaryVersion(r)
  const next = nextRotationDate(r)
  return {
    keyId: r.keyId,
    arn: keyArn(r.region, r.account, r.keyId),
    description: r.description,
    keyUsage: r.keyUsage,
    keySpec: r.keySpec,
    keyState: r.keyState,
    origin: r.origin,
    protectionLevel: 'SOFTWARE',
    creator: r.account,
    creationDate: formatDate(r.creationDate),
    ...(r.deleteDate === undefined ? {} : { deleteDate: formatDate(r.deleteDate) }),
    ...(primary === undefined ? {} : { primaryKeyVersion: primary.keyVersionId }),
    automaticRotation: r.rotationIntervalMs === undefined ? 'Disabled' : 'Enabled',
    ...(r.rotationIntervalMs === undefined ? {} : { rotationInterval: `${r.rotationIntervalMs / SECOND_MS}s` }),
    ...(r.lastRotationDate === undefined ? {} : { lastRotationDate: formatDate(r.lastRotationDate) }),
    ...(next === undefined ? {} : { nextRotationDate: formatDate(next) }),
    ...(r.materialExpireTime === undefined ? {} : { materialExpireTime: formatDate(r.materialExpireTime) }),
    deletionProtection: r.deletionProtection ? 'Enabled' : 'Disabled',
    ...(r.deletionProtectionDescription === undefined ? {} : { deletionProtectionDescription: r.deletionProtectionDescription }),
  }
}

export function keyVersionView(keyId: string, v: KeyVersionRecord): api.KeyVersion {
  return { keyId, keyVersionId: v.keyVersionId, creationDate: formatDate(v.creationDate), ...(v.rotation === undefined ? {} : { rotation: v.rotation }) }
}

export function aliasView(ctx: ViewsContext, aliasName: string, keyId: string): api.Alias {
  return { aliasName, aliasArn: aliasArn(ctx.region, ctx.accountId, aliasName), keyId }
}
