/**
 * Key lifecycle operations: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
 * EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.
 *
 * ```ts
 * await CreateKey({ Description: 'orders', Tags: [{ TagKey: 'team', TagValue: 'pay' }] }, context)
 * // { KeyMetadata: { KeyId, Arn, KeySpec: 'SYMMETRIC_DEFAULT', KeyState: 'Enabled', … } }
 * ```
 *
 * CreateKey makes the specs both sides have (SYMMETRIC_DEFAULT, RSA_2048/3072/4096,
 * ECC_NIST_P256, ECC_SECG_P256K1, ECC_NIST_EDWARDS25519, HMAC_256/384/512) with the usages
 * AWS allows for them; an AWS spec or usage the engine lacks is UnsupportedOperationException,
 * a combination AWS itself refuses is ValidationException.
 *
 * Where AWS and the reference model differ, these speak AWS: deletion windows are 7–30
 * days (default 30), and a cancelled deletion leaves the key Disabled.
 */
import { KmsError, type KeyMetadata } from '@strongroom/core'
import { AwsError, unsupported, validation } from '../errors.js'
import type { AwsNames } from '../names.js'
import { pageByMarker, truncation } from '../pagination.js'
import {
  AWS_KEY_SPEC_VALUES, AWS_KEY_USAGE_VALUES, AWS_ORIGINS, AWS_ORIGIN_VALUES, awsAllowsUsage, awsKeySpec, awsKeyUsage, awsOrigin,
  engineKeySpec, engineKeyUsage, isLegacySpec, keyAlgorithms,
} from '../specs.js'
import {
  epochSeconds, grantTokens, optionalBoolean, optionalEnum, optionalInteger, optionalMarker, optionalString, requiredString, type JsonObject,
} from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { KEY_ID_MAX, keyIdParam, keyRef, tagsParam } from './members.js'
import { checkKeyPolicy } from './policies.js'

const DESCRIPTION_MAX = 8192

/**
 * An engine key's metadata in AWS's shape. `KeyId` is the bare id here, as AWS returns it;
 * `Arn` is the ARN. The algorithm lists follow the key's spec and usage; keys with
 * imported material report their `ExpirationModel` (and `ValidTo`) once material is in.
 */
export function awsKeyMetadata(m: KeyMetadata, names: AwsNames): JsonObject {
  const spec = awsKeySpec(m.keySpec)
  const hasMaterial = m.primaryKeyVersion !== undefined
  return {
    AWSAccountId: names.account,
    KeyId: m.keyId,
    Arn: names.keyArn(m.keyId),
    CreationDate: epochSeconds(m.creationDate),
    Enabled: m.keyState === 'Enabled',
    Description: m.description,
    KeyUsage: awsKeyUsage(m.keyUsage),
    KeyState: m.keyState,
    ...(m.deleteDate === undefined ? {} : { DeletionDate: epochSeconds(m.deleteDate) }),
    ...(m.origin === 'EXTERNAL' && m.materialExpireTime !== undefined ? { ValidTo: epochSeconds(m.materialExpireTime) } : {}),
    Origin: awsOrigin(m.origin),
    ...(m.origin === 'EXTERNAL' && hasMaterial
      ? { ExpirationModel: m.materialExpireTime === undefined ? 'KEY_MATERIAL_DOES_NOT_EXPIRE' : 'KEY_MATERIAL_EXPIRES' }
      : {}),
    KeyManager: 'CUSTOMER',
    ...(isLegacySpec(spec) ? { CustomerMasterKeySpec: spec } : {}),
    KeySpec: spec,
    ...keyAlgorithms(m.keySpec, m.keyUsage),
    MultiRegion: false,
    // The engine's key version is what AWS calls key material: one per rotation.
    ...(hasMaterial ? { CurrentKeyMaterialId: m.primaryKeyVersion } : {}),
  }
}

/**
 * The key id (and metadata) behind a reference, for answers that must name the key or its
 * state around a change. A key id or ARN names it already; an alias needs a describe. A
 * failed describe (e.g. a principal without DescribeKey) must not turn the change's success
 * into an error, nor stop a change the principal may make: the answer then omits what it
 * could not learn.
 */
export async function describeQuietly(context: OperationContext, ref: string): Promise<{ keyId?: string; metadata?: KeyMetadata }> {
  const parsed = context.names.parse(ref)
  try {
    const metadata = (await context.client.describeKey({ keyId: context.names.keyRef(ref) })).keyMetadata
    return { keyId: metadata.keyId, metadata }
  } catch {
    return parsed.kind === 'key' ? { keyId: parsed.keyId } : {}
  }
}

export const CreateKey: Operation = async (input, { client, names, owner }) => {
  const policy = optionalString(input, 'Policy', 1, 131072)
  // Checked before the key exists, so a refused policy leaves no key behind.
  if (policy !== undefined) checkKeyPolicy(policy)
  const bypass = optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck') === true
  const description = optionalString(input, 'Description', 0, DESCRIPTION_MAX)
  const keySpec = optionalEnum(input, 'KeySpec', AWS_KEY_SPEC_VALUES)
  const legacySpec = optionalEnum(input, 'CustomerMasterKeySpec', AWS_KEY_SPEC_VALUES)
  if (keySpec !== undefined && legacySpec !== undefined) throw validation('specify KeySpec or the deprecated CustomerMasterKeySpec, not both')
  const awsSpec = keySpec ?? legacySpec ?? 'SYMMETRIC_DEFAULT'
  const usage = optionalEnum(input, 'KeyUsage', AWS_KEY_USAGE_VALUES) ?? 'ENCRYPT_DECRYPT'
  const origin = optionalEnum(input, 'Origin', AWS_ORIGIN_VALUES) ?? 'AWS_KMS'
  if (optionalString(input, 'CustomKeyStoreId', 1, 64) !== undefined || optionalString(input, 'XksKeyId', 1, 128) !== undefined) {
    throw unsupported('custom key stores are not supported')
  }
  if (optionalBoolean(input, 'MultiRegion') === true) throw unsupported('multi-Region keys are not supported')
  const tags = tagsParam(input, false)

  const engineSpec = engineKeySpec(awsSpec)
  if (engineSpec === undefined) throw unsupported(`KeySpec ${awsSpec} is not supported by this engine`)
  if (!awsAllowsUsage(awsSpec, usage)) throw validation(`KeyUsage ${usage} is not compatible with KeySpec ${awsSpec}`)
  const engineUsage = engineKeyUsage(usage)
  if (engineUsage === undefined) throw unsupported(`KeyUsage ${usage} is not supported by this engine`)
  if (origin !== 'AWS_KMS' && origin !== 'EXTERNAL') throw unsupported(`Origin ${origin} is not supported`)
  // The engine imports material into symmetric keys only; AWS also into HMAC and asymmetric keys.
  if (origin === 'EXTERNAL' && awsSpec !== 'SYMMETRIC_DEFAULT' && !awsSpec.startsWith('HMAC_')) {
    throw unsupported(`Origin EXTERNAL is supported for SYMMETRIC_DEFAULT and HMAC keys only, not ${awsSpec}`)
  }

  const { keyMetadata } = await client.createKey({
    keySpec: engineSpec, keyUsage: engineUsage, origin: AWS_ORIGINS[origin],
    ...(description === undefined ? {} : { description }),
    ...(tags === undefined || tags.length === 0 ? {} : { tags }),
  })
  if (policy !== undefined) await setInitialPolicy({ client, owner }, keyMetadata.keyId, policy, bypass)
  return { KeyMetadata: awsKeyMetadata(keyMetadata, names) }
}

/**
 * The engine creates a key and sets its policy in two calls (AWS: one, needing only
 * kms:CreateKey). The policy was checked already, so only a refusal of the second call (a
 * principal allowed CreateKey but not SetKeyPolicy, a storage fault) can part them: the new
 * key is then scheduled for deletion at once (7 days, the shortest window) by
 * the owner — the caller may lack those rights too — so no usable key is left without the
 * policy asked for, and the caller gets the refusal. The audit trail shows all of it.
 */
async function setInitialPolicy({ client, owner }: Pick<OperationContext, 'client' | 'owner'>, keyId: string, policy: string, bypass: boolean): Promise<void> {
  try {
    await client.setKeyPolicy({ keyId, policy, ...(bypass ? { bypassPolicyLockoutSafetyCheck: true } : {}) })
  } catch (error) {
    await owner.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }).catch(() => undefined)
    // The lockout safety check refuses the policy itself, as PutKeyPolicy reports it.
    if (KmsError.is(error, 'InvalidParameter')) throw new AwsError('MalformedPolicyDocumentException', error.message, { cause: error })
    throw error
  }
}

export const DescribeKey: Operation = async (input, { client, names }) => {
  grantTokens(input)
  const { keyMetadata } = await client.describeKey({ keyId: keyRef(input, names) })
  return { KeyMetadata: awsKeyMetadata(keyMetadata, names) }
}

export const ListKeys: Operation = async (input, { client, names }) => {
  const limit = optionalInteger(input, 'Limit', 1, 1000) ?? 100
  const marker = optionalMarker(input)
  const page = await pageByMarker(async (p) => {
    const r = await client.listKeys(p)
    return { items: r.keys, nextMarker: r.nextMarker }
  }, marker, limit)
  return {
    Keys: page.items.map((k) => ({ KeyId: k.keyId, KeyArn: names.keyArn(k.keyId) })),
    ...truncation(page),
  }
}

export const UpdateKeyDescription: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  const description = requiredString(input, 'Description', 0, DESCRIPTION_MAX)
  await client.updateKeyDescription({ keyId, description })
  return {}
}

export const EnableKey: Operation = async (input, { client, names }) => {
  await client.enableKey({ keyId: keyIdParam(input, names) })
  return {}
}

export const DisableKey: Operation = async (input, { client, names }) => {
  await client.disableKey({ keyId: keyIdParam(input, names) })
  return {}
}

/** AWS's window is 7–30 days (default 30); the engine accepts up to 366, so the facade holds AWS's line. */
export const ScheduleKeyDeletion: Operation = async (input, context) => {
  const ref = requiredString(input, 'KeyId', 1, KEY_ID_MAX)
  const keyId = context.names.keyId(ref)
  const days = optionalInteger(input, 'PendingWindowInDays', 7, 30) ?? 30
  await context.client.scheduleKeyDeletion({ keyId, pendingWindowInDays: days })
  const after = await describeQuietly(context, ref)
  return {
    ...(after.keyId === undefined ? {} : { KeyId: context.names.keyArn(after.keyId) }),
    ...(after.metadata?.deleteDate === undefined ? {} : { DeletionDate: epochSeconds(after.metadata.deleteDate) }),
    KeyState: 'PendingDeletion',
    PendingWindowInDays: days,
  }
}

/**
 * AWS leaves a key whose deletion was cancelled Disabled (the reference model: Enabled),
 * so its owner re-enables it deliberately. Until core can restore to Disabled in the same
 * commit, this is two engine calls. A key without material returns to PendingImport in
 * both models; the engine refuses to disable that, which leaves it as AWS would.
 */
export const CancelKeyDeletion: Operation = async (input, context) => {
  const ref = requiredString(input, 'KeyId', 1, KEY_ID_MAX)
  const keyId = context.names.keyId(ref)
  await context.client.cancelKeyDeletion({ keyId })
  try {
    await context.client.disableKey({ keyId })
  } catch (error) {
    if (!KmsError.is(error, 'Rejected.InvalidState')) throw error
  }
  const after = await describeQuietly(context, ref)
  return after.keyId === undefined ? {} : { KeyId: context.names.keyArn(after.keyId) }
}
