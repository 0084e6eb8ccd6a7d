/**
 * Key lifecycle actions: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
 * EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, SetDeletionProtection,
 * DescribeRegions.
 *
 * ```ts
 * await CreateKey(parameters({ KeySpec: 'Aliyun_AES_256', Tags: '[{"TagKey":"team","TagValue":"pay"}]' }), context)
 * // { KeyMetadata: { KeyId, Arn: 'acs:kms:cn-hangzhou:…:key/…', KeySpec, KeyState: 'Enabled', … } }
 * ```
 *
 * Regions: a key belongs to the region it was created in. DescribeKey, ListKeys (and the
 * alias listings) only show keys of this endpoint's region; DescribeRegions lists this
 * region and every other region with keys on the same store.
 */
import { KEY_SPECS, KEY_STATES, type KeyMetadata, type KeySpec, type KeyUsage } from '@strongroom/core'
import { invalidParameter, unsupported } from '../errors.js'
import {
  optionalBoolean, optionalEnum, optionalJson, optionalString, requiredBoolean, requiredInteger, requiredString,
  type JsonObject, type Params,
} from '../params.js'
import type { Operation, OperationContext } from './context.js'
import { keyIdParam, pageOf, pagingParams, regionOfArn, requireRegion, tagsJson } from './members.js'

const DESCRIPTION_MAX = 8192
const KEY_USAGES: readonly KeyUsage[] = ['ENCRYPT/DECRYPT', 'SIGN/VERIFY', 'GENERATE/VERIFY_MAC']
/** Specs Alibaba KMS has that this engine cannot make: refused as unsupported, not as unknown. */
const ALIBABA_ONLY_SPECS = ['Aliyun_AES_192', 'Aliyun_SM4', 'EC_SM2']
/**
 * The engine specs this protocol creates: Alibaba's own and Strongroom's ED25519 and
 * HMAC_SHA_256/384/512, which this facade has always offered. EC_P384, EC_P521 and
 * HMAC_SHA_224 exist for the AWS protocol (AWS's ECC_NIST_P384/P521, HMAC_224); Alibaba
 * documents no such specs and its signing algorithms hash with SHA-256 only, so here they
 * are unknown values (InvalidParameter), as on Alibaba.
 */
const CREATABLE_SPECS: readonly KeySpec[] = KEY_SPECS.filter((spec) => !['EC_P384', 'EC_P521', 'HMAC_SHA_224'].includes(spec))

/** An engine key's metadata in Alibaba's shape (DescribeKey, CreateKey). */
export function keyMetadataOf(m: KeyMetadata): JsonObject {
  return {
    KeyId: m.keyId,
    Arn: m.arn,
    Description: m.description,
    KeyUsage: m.keyUsage,
    KeySpec: m.keySpec,
    KeyState: m.keyState,
    Origin: m.origin,
    ProtectionLevel: m.protectionLevel,
    Creator: m.creator,
    CreationDate: m.creationDate,
    ...(m.deleteDate === undefined ? {} : { DeleteDate: m.deleteDate }),
    ...(m.primaryKeyVersion === undefined ? {} : { PrimaryKeyVersion: m.primaryKeyVersion }),
    AutomaticRotation: m.automaticRotation,
    ...(m.rotationInterval === undefined ? {} : { RotationInterval: m.rotationInterval }),
    ...(m.lastRotationDate === undefined ? {} : { LastRotationDate: m.lastRotationDate }),
    ...(m.nextRotationDate === undefined ? {} : { NextRotationDate: m.nextRotationDate }),
    ...(m.materialExpireTime === undefined ? {} : { MaterialExpireTime: m.materialExpireTime }),
    DeletionProtection: m.deletionProtection,
    ...(m.deletionProtectionDescription === undefined ? {} : { DeletionProtectionDescription: m.deletionProtectionDescription }),
  }
}

function keySpecParam(params: Params): KeySpec | undefined {
  const value = optionalString(params, 'KeySpec', 1, 64)
  if (value === undefined) return undefined
  if (ALIBABA_ONLY_SPECS.includes(value)) throw unsupported(`KeySpec ${value} is not supported by this engine`)
  if (!(CREATABLE_SPECS as readonly string[]).includes(value)) throw invalidParameter(`The parameter KeySpec must be one of: ${CREATABLE_SPECS.join(', ')}.`)
  return value as KeySpec
}

export const CreateKey: Operation = async (params, { client }) => {
  const description = optionalString(params, 'Description', 0, DESCRIPTION_MAX)
  const keySpec = keySpecParam(params)
  const keyUsage = optionalEnum(params, 'KeyUsage', KEY_USAGES)
  const origin = optionalEnum(params, 'Origin', ['Aliyun_KMS', 'EXTERNAL'] as const)
  const protectionLevel = optionalEnum(params, 'ProtectionLevel', ['SOFTWARE', 'HSM'] as const)
  if (protectionLevel === 'HSM') throw unsupported('ProtectionLevel HSM is not available: keys are protected in software')
  if (optionalString(params, 'DKMSInstanceId', 1, 128) !== undefined) {
    throw unsupported('KMS instances (DKMSInstanceId) are not part of this service')
  }
  const enableAutomaticRotation = optionalBoolean(params, 'EnableAutomaticRotation')
  const rotationInterval = optionalString(params, 'RotationInterval', 1, 32)
  const tags = tagsJson(params, 'Tags')
  const { keyMetadata } = await client.createKey({
    ...(description === undefined ? {} : { description }),
    ...(keySpec === undefined ? {} : { keySpec }),
    ...(keyUsage === undefined ? {} : { keyUsage }),
    ...(origin === undefined ? {} : { origin }),
    ...(enableAutomaticRotation === undefined ? {} : { enableAutomaticRotation }),
    ...(rotationInterval === undefined ? {} : { rotationInterval }),
    ...(tags === undefined ? {} : { tags }),
  })
  return { KeyMetadata: keyMetadataOf(keyMetadata) }
}

/** The key's metadata, if it is in this endpoint's region (else Forbidden.KeyNotFound). */
export async function describeInRegion(context: OperationContext, keyId: string): Promise<KeyMetadata> {
  const { keyMetadata } = await context.client.describeKey({ keyId })
  requireRegion(keyMetadata.arn, context.region, keyMetadata.keyId)
  return keyMetadata
}

export const DescribeKey: Operation = async (params, context) => {
  return { KeyMetadata: keyMetadataOf(await describeInRegion(context, keyIdParam(params))) }
}

/** Every key the engine lists (its region's), in id order, walked by the engine's cursor. */
async function allKeys(context: OperationContext): Promise<{ keyId: string; keyArn: string }[]> {
  const keys: { keyId: string; keyArn: string }[] = []
  let marker: string | undefined
  do {
    const page = await context.client.listKeys({ pageSize: 100, ...(marker === undefined ? {} : { marker }) })
    keys.push(...page.keys)
    marker = page.nextMarker
  } while (marker !== undefined)
  return keys
}

/** ListKeys' `Filters`: `[{"Key":"KeyState","Values":["Enabled"]}, …]`; keys AND, values OR. */
const FILTER_KEYS = ['KeyState', 'KeySpec', 'KeyUsage', 'ProtectionLevel', 'CreatorType'] as const
type FilterKey = (typeof FILTER_KEYS)[number]

function filtersParam(params: Params): { key: FilterKey; values: string[] }[] {
  const json = optionalJson(params, 'Filters', 65536)
  if (json === undefined) return []
  if (!Array.isArray(json) || json.length > 10) throw invalidParameter('Filters must be a JSON array of at most 10 {"Key","Values"} objects.')
  return json.map((filter: unknown) => {
    const { Key: key, Values: values } = (filter ?? {}) as { Key?: unknown; Values?: unknown }
    if (typeof key !== 'string' || !(FILTER_KEYS as readonly string[]).includes(key)) {
      throw invalidParameter(`Each filter's Key must be one of: ${FILTER_KEYS.join(', ')}.`)
    }
    if (!Array.isArray(values) || values.length > 10 || values.some((v) => typeof v !== 'string')) {
      throw invalidParameter('Each filter\'s Values must be a JSON array of at most 10 strings.')
    }
    if (key === 'KeyState' && values.some((v) => !(KEY_STATES as readonly string[]).includes(v as string))) {
      throw invalidParameter(`KeyState filter values must be among: ${KEY_STATES.join(', ')}.`)
    }
    return { key: key as FilterKey, values: values as string[] }
  })
}

function matches(m: KeyMetadata, filters: readonly { key: FilterKey; values: string[] }[]): boolean {
  const fields: Record<FilterKey, string> = {
    KeyState: m.keyState, KeySpec: m.keySpec, KeyUsage: m.keyUsage, ProtectionLevel: m.protectionLevel,
    // Every key here was made by a user through the API; none by another cloud service.
    CreatorType: 'User',
  }
  return filters.every((f) => f.values.includes(fields[f.key]))
}

export const ListKeys: Operation = async (params, context) => {
  const paging = pagingParams(params)
  const filters = filtersParam(params)
  if (filters.length === 0) {
    // The engine pages its key index itself: O(page) at any number of keys.
    const page = await context.client.listKeys(paging)
    return {
      Keys: { Key: page.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.keyArn })) },
      TotalCount: page.totalCount, PageNumber: page.pageNumber, PageSize: page.pageSize,
    }
  }
  // Filters need each key's metadata: a filtered listing reads every key of the region.
  let keys = (await allKeys(context)).filter((k) => regionOfArn(k.keyArn) === context.region)
  const described = await Promise.all(keys.map(async (k) => ({ key: k, metadata: (await context.client.describeKey({ keyId: k.keyId })).keyMetadata })))
  keys = described.filter((d) => matches(d.metadata, filters)).map((d) => d.key)
  return {
    Keys: { Key: pageOf(keys, paging).map((k) => ({ KeyId: k.keyId, KeyArn: k.keyArn })) },
    TotalCount: keys.length, PageNumber: paging.pageNumber, PageSize: paging.pageSize,
  }
}

export const UpdateKeyDescription: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  // An empty description is a description: clear it.
  const description = Object.hasOwn(params, 'Description') ? params['Description']! : requiredString(params, 'Description', 0, DESCRIPTION_MAX)
  if (description.length > DESCRIPTION_MAX) throw invalidParameter(`The parameter Description must be 0-${DESCRIPTION_MAX} long.`)
  await client.updateKeyDescription({ keyId, description })
  return {}
}

export const EnableKey: Operation = async (params, { client }) => {
  await client.enableKey({ keyId: keyIdParam(params) })
  return {}
}

export const DisableKey: Operation = async (params, { client }) => {
  await client.disableKey({ keyId: keyIdParam(params) })
  return {}
}

export const ScheduleKeyDeletion: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  const pendingWindowInDays = requiredInteger(params, 'PendingWindowInDays', 7, 366)
  await client.scheduleKeyDeletion({ keyId, pendingWindowInDays })
  return {}
}

export const CancelKeyDeletion: Operation = async (params, { client }) => {
  await client.cancelKeyDeletion({ keyId: keyIdParam(params) })
  return {}
}

/** Alibaba names the key by its ARN here (`ProtectedResourceArn`); the engine takes the ARN as a key reference. */
export const SetDeletionProtection: Operation = async (params, { client }) => {
  const keyId = requiredString(params, 'ProtectedResourceArn', 1, 2048)
  const enableDeletionProtection = requiredBoolean(params, 'EnableDeletionProtection')
  const deletionProtectionDescription = optionalString(params, 'DeletionProtectionDescription', 0, 1024)
  await client.setDeletionProtection({
    keyId, enableDeletionProtection,
    ...(deletionProtectionDescription === undefined ? {} : { deletionProtectionDescription }),
  })
  return {}
}

/** This endpoint's region first, then the other regions that have keys on the same store (the engine's region registry). */
export const DescribeRegions: Operation = async (_params, { client }) => {
  const { regions } = await client.describeRegions()
  return { Regions: { Region: regions.map((r) => ({ RegionId: r.regionId })) } }
}
