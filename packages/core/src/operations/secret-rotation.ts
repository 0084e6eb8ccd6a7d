/**
 * Rotating a secret with the function the engine was opened with (`secretRotation`):
 * shared by rotateSecret (secret-values.ts) and automatic rotation (maintenance.ts).
 *
 * ```ts
 * const kms = await Kms.open({ storage, secretRotation: async ({ current }) => newPasswordFor(current) })
 * await kms.rotateSecret({ secretName: 'db/password' })   // the new value is ACSCurrent, the old one ACSPrevious
 * ```
 *
 * The function runs outside any transaction (it may take seconds: it typically changes the
 * password where it is used). Stages move only when it resolves, in one commit that first
 * checks ACSCurrent is still the version the function was given; a rejection or a bad
 * result moves nothing and is RotationFailed (recorded in the audit trail as such).
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import {
  addSecretVersion, CURRENT_STAGE, findVersion, requireActive, secretArn, secretValueStorageKey, versionWithStage,
} from '../secret-record.js'
import {
  openSecretValue, putSecret, sealSecretValue, secretKey, secretValueParam, secretValueView, stageVersionValue, txExistingSecret,
  useSecret, type SecretAccessContext,
} from './secret-access.js'

/** What this module needs from the engine (engine/context.ts). */
export type SecretRotationContext = SecretAccessContext & Pick<EngineContext, 'secretRotation'>

/** Runs the rotation function and, when it succeeds, makes its value ACSCurrent as `versionId`. */
export async function rotateWithFunction(
  ctx: SecretRotationContext, call: Call, ref: unknown, versionId: string, trigger: 'manual' | 'automatic',
): Promise<api.RotateSecretResponse> {
  const rotation = ctx.secretRotation
  const { record } = await useSecret(ctx, call, ref, 'RotateSecret')
  if (rotation === undefined) {
    throw new KmsError('Rejected.UnsupportedOperation', 'rotating a secret needs a secretRotation function (a Kms.open option)')
  }
  requireActive(record, 'rotateSecret')
  if (findVersion(record, versionId) !== undefined) throw new KmsError('AlreadyExists', `secret ${record.secretName} already has version ${versionId}`)
  const current = versionWithStage(record, CURRENT_STAGE)!
  call.keyVersionId = versionId
  const stored = await ctx.keys.readCachedRecord(secretValueStorageKey(ctx.region, record.secretName, current.versionId))
  if (stored === undefined) throw new KmsError('Conflict', `secret ${record.secretName} changed while it was read; repeat the call`)
  const readKey = await secretKey(ctx, call, record, 'decrypt')
  const currentValue = secretValueView(current.dataType, openSecretValue(ctx, readKey, record, current.versionId, current.dataType, stored))
  const arn = secretArn(ctx.region, ctx.accountId, record.secretName)
  let produced: string | Uint8Array
  try {
    produced = await rotation({
      secretName: record.secretName, arn, versionId, current: { ...currentValue, versionId: current.versionId }, tags: record.tags, trigger,
    })
  } catch (cause) {
    // The function's own error is kept as the cause for its owner; this message names only the secret.
    throw new KmsError('RotationFailed', `the rotation function failed for secret ${record.secretName}; ACSCurrent is unchanged`, { cause })
  }
  let next: { dataType: 'text' | 'binary'; bytes: Uint8Array }
  try {
    next = secretValueParam({ secretData: produced })
  } catch {
    throw new KmsError('RotationFailed', `the rotation function for secret ${record.secretName} returned no usable value (a 1-30720 byte string or Uint8Array); ACSCurrent is unchanged`)
  }
  const writeKey = await secretKey(ctx, call, record, 'generateDataKey')
  const sealed = sealSecretValue(ctx, writeKey, record, versionId, next.dataType, next.bytes)
  await ctx.transact(call, async (tx, now) => {
    const entry = await txExistingSecret(ctx, tx, record.secretName, now)
    requireActive(entry.record, 'rotateSecret')
    if (versionWithStage(entry.record, CURRENT_STAGE)?.versionId !== current.versionId) {
      throw new KmsError('Conflict', `ACSCurrent of secret ${record.secretName} moved while the rotation ran; nothing was changed`)
    }
    const added = addSecretVersion(entry.record, { versionId, dataType: next.dataType }, [CURRENT_STAGE], now)
    putSecret(ctx, tx, entry, { ...added.record, lastRotationDate: now })
    await stageVersionValue(ctx, tx, record.secretName, versionId, sealed, added.dropped)
    tx.emit({ name: 'secretChanged', payload: { secretName: record.secretName, change: 'rotated', versionId, time: now } })
  })
  return { requestId: call.requestId, arn, secretName: record.secretName, versionId }
}
