/**
 * Rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
 * RotateKeyOnDemand and ListKeyRotations, over the engine's versions and rotation policy.
 *
 * ```ts
 * await EnableKeyRotation({ KeyId, RotationPeriodInDays: 180 }, context)
 * await RotateKeyOnDemand({ KeyId }, context)              // a new engine key version, now
 * await ListKeyRotations({ KeyId }, context)               // { Rotations: [{ KeyMaterialId, RotationDate, … }] }
 * ```
 *
 * Periods: AWS accepts 90–2560 days (default 365), the engine rotates every 7–365 days.
 * The facade keeps AWS's lower bound (under 90 is a ValidationException, as on AWS) and
 * refuses 366–2560 with UnsupportedOperationException: valid AWS input this engine
 * cannot honour, never silently shortened. Rotations happen by the engine's clock, lazily
 * on use and in `kms.maintenance()`.
 *
 * As on AWS, rotation (automatic or on demand) is for symmetric encryption keys; changing
 * automatic rotation of a Disabled key is DisabledException.
 *
 * A rotation is every key version after the first; `KeyMaterialId` is the version id, and
 * `RotationType` is what the engine recorded on the version: `ON_DEMAND` for
 * createKeyVersion (RotateKeyOnDemand), `AUTOMATIC` for the rotation schedule. Versions
 * stored by releases that did not record it have no `RotationType`: a date cannot tell the
 * two apart (scheduled rotations happen lazily, at the first use after they are due), and
 * guessing would be worse than saying nothing.
 *
 * GetKeyRotationStatus answers `RotationPeriodInDays` and `NextRotationDate` while automatic
 * rotation is on, as AWS does. `OnDemandRotationStartDate` names an on-demand rotation still
 * in progress; the engine's rotations complete within the call, so there never is one.
 */
import type { KeyVersion } from '@strongroom/core'
import { AwsError, unsupported } from '../errors.js'
import { pageOfList, truncation } from '../pagination.js'
import { awsKeySpec } from '../specs.js'
import { epochSeconds, optionalEnum, optionalInteger, optionalMarker, requiredString } from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { describeQuietly } from './keys.js'
import { KEY_ID_MAX, keyIdParam } from './members.js'

const DAY_SECONDS = 86_400
/** The engine's record of what made a version → AWS's RotationType. */
const ROTATION_TYPES = { manual: 'ON_DEMAND', automatic: 'AUTOMATIC' } as const
const ENGINE_MAX_ROTATION_DAYS = 365

/**
 * AWS's rules for changing automatic rotation, which the engine does not hold: only
 * symmetric encryption keys with AWS-made material rotate automatically (others are
 * UnsupportedOperationException), and a Disabled key is DisabledException. The key is
 * described first; when the caller may not describe it, the engine's own rules decide.
 */
async function requireAutomaticRotation(context: OperationContext, keyId: string): Promise<void> {
  const { metadata } = await describeQuietly(context, keyId)
  if (metadata === undefined) return
  const spec = awsKeySpec(metadata.keySpec)
  if (spec !== 'SYMMETRIC_DEFAULT') throw unsupported(`automatic rotation is for symmetric encryption keys only, not ${spec} keys`)
  if (metadata.origin === 'EXTERNAL') throw unsupported('automatic rotation is not available for keys with imported key material')
  if (metadata.keyState === 'Disabled') throw new AwsError('DisabledException', `key ${context.names.keyArn(keyId)} is disabled`)
}

export const EnableKeyRotation: Operation = async (input, context) => {
  const keyId = keyIdParam(input, context.names)
  const days = optionalInteger(input, 'RotationPeriodInDays', 90, 2560) ?? 365
  if (days > ENGINE_MAX_ROTATION_DAYS) {
    throw unsupported(`RotationPeriodInDays above ${ENGINE_MAX_ROTATION_DAYS} is not supported: this engine rotates every 7-365 days`)
  }
  await requireAutomaticRotation(context, keyId)
  await context.client.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: `${days}d` })
  return {}
}

export const DisableKeyRotation: Operation = async (input, context) => {
  const keyId = keyIdParam(input, context.names)
  await requireAutomaticRotation(context, keyId)
  await context.client.updateRotationPolicy({ keyId, enableAutomaticRotation: false })
  return {}
}

/** The engine reports its interval in seconds (`31536000s`); AWS in whole days. */
function intervalDays(interval: string | undefined): number | undefined {
  const match = interval === undefined ? null : /^(\d+)s$/.exec(interval)
  return match === null ? undefined : Math.round(Number(match[1]) / DAY_SECONDS)
}

export const GetKeyRotationStatus: Operation = async (input, { client, names }) => {
  const { keyMetadata: m } = await client.describeKey({ keyId: keyIdParam(input, names) })
  const enabled = m.automaticRotation === 'Enabled'
  const days = enabled ? intervalDays(m.rotationInterval) : undefined
  return {
    KeyRotationEnabled: enabled,
    KeyId: names.keyArn(m.keyId),
    ...(days === undefined ? {} : { RotationPeriodInDays: days }),
    ...(enabled && m.nextRotationDate !== undefined ? { NextRotationDate: epochSeconds(m.nextRotationDate) } : {}),
  }
}

/**
 * AWS rotates symmetric encryption keys only: an asymmetric key's public key, and an HMAC
 * key's MACs, must not change under code that relies on them. The engine would make a new
 * version of those too, so the key is described first and refused as AWS does (when the
 * caller may not describe it, the engine's own rules decide).
 */
export const RotateKeyOnDemand: Operation = async (input, context) => {
  const ref = requiredString(input, 'KeyId', 1, KEY_ID_MAX)
  const keyId = context.names.keyId(ref)
  const { metadata } = await describeQuietly(context, ref)
  const spec = metadata === undefined ? undefined : awsKeySpec(metadata.keySpec)
  if (spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') {
    throw unsupported(`RotateKeyOnDemand rotates symmetric encryption keys only, not ${spec} keys`)
  }
  const { keyVersion } = await context.client.createKeyVersion({ keyId })
  return { KeyId: context.names.keyArn(keyVersion.keyId) }
}

/** Every version of a key, oldest first (at most 1000, so a few engine pages). */
async function allVersions({ client }: OperationContext, keyId: string): Promise<KeyVersion[]> {
  const versions: KeyVersion[] = []
  for (let pageNumber = 1; ; pageNumber++) {
    const page = await client.listKeyVersions({ keyId, pageNumber, pageSize: 100 })
    versions.push(...page.keyVersions)
    if (page.keyVersions.length === 0 || versions.length >= page.totalCount) return versions
  }
}

export const ListKeyRotations: Operation = async (input, context) => {
  const keyId = keyIdParam(input, context.names)
  // ALL_KEY_MATERIAL adds imported material on AWS; an EXTERNAL key here has its one material and no rotations, so both list the rotations.
  optionalEnum(input, 'IncludeKeyMaterial', ['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY'])
  const limit = optionalInteger(input, 'Limit', 1, 1000) ?? 100
  const marker = optionalMarker(input)
  const rotations = (await allVersions(context, keyId)).slice(1)
  // Versions only ever append, so a version's position is a stable sort key.
  const positions = new Map(rotations.map((v, i) => [v, String(i).padStart(4, '0')]))
  const page = pageOfList(rotations, (v) => positions.get(v)!, marker, limit)
  return {
    Rotations: page.items.map((v) => ({
      KeyId: context.names.keyArn(v.keyId), KeyMaterialId: v.keyVersionId, RotationDate: epochSeconds(v.creationDate),
      ...(v.rotation === undefined ? {} : { RotationType: ROTATION_TYPES[v.rotation] }),
    })),
    ...truncation(page),
  }
}
