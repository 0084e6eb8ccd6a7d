/**
 * Maintenance: the time-driven work the engine also does lazily when a key is used —
 * purging keys whose pending window has ended, erasing expired imported material,
 * automatic rotation — and dropping stale import tokens, for keys nobody touches.
 *
 * ```ts
 * const { purged, rotated } = await kms.maintenance()
 * ```
 *
 * Run by `kms.maintenance()` or on the `maintenanceIntervalMs` timer. Several engines on one
 * store may run it at once: each item's transaction re-checks that it is still due against
 * the record it commits over, so a purge, a rotation or an expiry happens (and is recorded
 * and reported) once across the fleet.
 */
import type * as api from '../api.js'
import { utf8Decode } from '../bytes.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import * as transitions from '../transitions.js'
import { dueEntries } from './due.js'
import { decodeSecretRecord, isSecretPurgeDue, isSecretRotationDue, secretArn, SECRET_RECORD_PREFIX } from '../secret-record.js'
import { IMPORT_TOKEN_PREFIX, type ImportTokenRecord } from './import-tokens.js'
import { purgeSecret } from './secret-access.js'
import { rotateWithFunction, type SecretRotationContext } from './secret-rotation.js'

/** What this module needs from the engine (engine/context.ts). */
export type MaintenanceContext = SecretRotationContext &
  Pick<EngineContext, 'clock' | 'expireMaterial' | 'keys' | 'newId' | 'purge' | 'record' | 'region' | 'rotate' | 'systemCall'>

/**
 * Purges every key whose pending window has ended, erases imported material past its
 * expiry and rotates every key whose automatic rotation is due. All also happen lazily
 * when a key is used; call this (or set `maintenanceIntervalMs`) so they happen for keys
 * nobody touches. Each is read from its schedule (key-index.ts) up to now, so a pass costs
 * what is due, not what is stored.
 */
export async function maintenance(ctx: MaintenanceContext): Promise<api.MaintenanceResult> {
  const purged: string[] = []
  const rotated: string[] = []
  const now = ctx.clock.now()
  // Each region's engines look after their own keys: the schedules are per region.
  for await (const { keyId } of dueEntries(ctx.keys, ctx.region, 'purge', now)) {
    if (await ctx.purge(keyId)) purged.push(keyId)
  }
  for await (const { keyId } of dueEntries(ctx.keys, ctx.region, 'expire', now)) await ctx.expireMaterial(keyId)
  for await (const { keyId } of dueEntries(ctx.keys, ctx.region, 'rotate', now)) {
    const record = await ctx.keys.peekKey(keyId)
    if (record === undefined || !transitions.isRotationDue(record, ctx.clock.now())) continue
    const call = ctx.systemCall('CreateKeyVersion', keyId)
    await ctx.rotate(call, keyId, 'automatic', record.keySpec)
    // Reported by the engine whose transaction added the version: another engine of the
    // fleet may have rotated first (this one's transaction then re-checked and did nothing).
    if (call.keyVersionId !== undefined) rotated.push(keyId)
  }
  await dropStaleImportTokens(ctx)
  const secrets = await secretMaintenance(ctx)
  return { purged, rotated, ...(secrets === undefined ? {} : { secrets }) }
}

/**
 * Purges secrets whose recovery window has ended and rotates those whose automatic rotation
 * is due (with the engine's secretRotation function). A failed rotation is audited as the
 * engine's RotateSecret with its error code and tried again on the next run.
 */
async function secretMaintenance(ctx: MaintenanceContext): Promise<NonNullable<api.MaintenanceResult['secrets']> | undefined> {
  const purged: string[] = []
  const rotated: string[] = []
  const rotationFailed: string[] = []
  const prefix = `${SECRET_RECORD_PREFIX}${ctx.region}/`
  let after: string | undefined
  for (;;) {
    const page = await ctx.keys.scanPage(prefix, after, 100)
    for (const stored of page.records) {
      after = stored.key
      const record = decodeSecretRecord(stored.value, stored.key)
      const now = ctx.clock.now()
      if (isSecretPurgeDue(record, now)) {
        if (await purgeSecret(ctx, record.secretName)) purged.push(record.secretName)
      } else if (isSecretRotationDue(record, now) && ctx.secretRotation !== undefined) {
        const call = ctx.systemCall('RotateSecret', secretArn(ctx.region, ctx.accountId, record.secretName))
        try {
          await rotateWithFunction(ctx, call, record.secretName, ctx.newId(), 'automatic')
          rotated.push(record.secretName)
        } catch (error) {
          call.errorCode = KmsError.is(error) ? error.code : 'InternalFailure'
          ctx.record(call)
          rotationFailed.push(record.secretName)
        }
      }
    }
    if (page.cursor === undefined || page.records.length === 0) break
  }
  return purged.length + rotated.length + rotationFailed.length === 0 ? undefined : { purged, rotated, rotationFailed }
}

/** Import tokens past their expiry, or of keys that no longer exist, are useless: delete them. */
async function dropStaleImportTokens(ctx: MaintenanceContext): Promise<void> {
  const now = ctx.clock.now()
  for (const stored of await ctx.keys.scanRecords(IMPORT_TOKEN_PREFIX)) {
    let token: ImportTokenRecord | undefined
    try {
      token = JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
    } catch {
      token = undefined
    }
    const stale = token === undefined || token.expiresAt <= now || (await ctx.keys.loadKey(token.keyId)) === undefined
    if (!stale) continue
    await ctx.keys.exclusive(() => ctx.keys.commitDirect([{ type: 'delete', key: stored.key, expectedRevision: stored.revision }]))
      .catch((error: unknown) => {
        // Someone used or removed it meanwhile: nothing left to clean.
        if (!KmsError.is(error, 'Conflict')) throw error
      })
  }
}
