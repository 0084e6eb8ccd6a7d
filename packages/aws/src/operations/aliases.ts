/**
 * Aliases: CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
 *
 * ```ts
 * await CreateAlias({ AliasName: 'alias/orders', TargetKeyId: keyId }, context)
 * await ListAliases({ KeyId: keyId }, context)   // { Aliases: [{ AliasName, AliasArn, TargetKeyId }], Truncated: false }
 * ```
 *
 * As on AWS, an alias targets a key by id or key ARN (another alias is ValidationException
 * "Aliases must refer to keys. Not aliases"); a name outside AWS's pattern, without the
 * `alias/` prefix or with a colon is ValidationException, and one under the reserved
 * `alias/aws/` prefix NotAuthorizedException (see `AwsNames.aliasName`). An existing name
 * is AlreadyExistsException and a missing one NotFoundException, with AWS's messages
 * (naming the alias ARN). UpdateAlias moves an alias only to a key of the same type and
 * key usage, as AWS requires. The engine additionally reserves `alias/acs/`
 * (InvalidAliasNameException).
 */
import { KmsError, type KeyMetadata } from '@strongroom/core'
import { AwsError, validation } from '../errors.js'
import type { AwsNames } from '../names.js'
import { pageByMarker, truncation } from '../pagination.js'
import { awsKeySpec, awsKeyUsage } from '../specs.js'
import { optionalInteger, optionalMarker, optionalString, requiredString, type JsonObject } from '../wire.js'
import type { Operation } from './context.js'
import { describeQuietly } from './keys.js'
import { KEY_ID_MAX } from './members.js'

const ALIAS_MAX = 256

function aliasName(input: JsonObject, names: AwsNames): string {
  return names.aliasName(requiredString(input, 'AliasName', 1, ALIAS_MAX))
}

function targetKeyId(input: JsonObject, names: AwsNames): string {
  const parsed = names.parse(requiredString(input, 'TargetKeyId', 1, KEY_ID_MAX))
  if (parsed.kind === 'alias') throw validation('Aliases must refer to keys. Not aliases')
  return parsed.keyId
}

/** The engine's alias errors in AWS's words, which name the alias by ARN. */
async function withAliasMessages<T>(names: AwsNames, name: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (KmsError.is(error, 'AlreadyExists')) {
      throw new AwsError('AlreadyExistsException', `An alias with the name ${names.aliasArn(name)} already exists`, { cause: error })
    }
    if (KmsError.is(error, 'Forbidden.AliasNotFound')) {
      throw new AwsError('NotFoundException', `Alias ${names.aliasArn(name)} is not found.`, { cause: error })
    }
    throw error
  }
}

export const CreateAlias: Operation = async (input, { client, names }) => {
  const name = aliasName(input, names)
  const keyId = targetKeyId(input, names)
  await withAliasMessages(names, name, () => client.createAlias({ aliasName: name, keyId }))
  return {}
}

/** symmetric, asymmetric or HMAC: what AWS calls a key's type. */
function keyType(metadata: KeyMetadata): string {
  const spec = awsKeySpec(metadata.keySpec)
  return spec === 'SYMMETRIC_DEFAULT' ? 'symmetric' : spec.startsWith('HMAC_') ? 'HMAC' : 'asymmetric'
}

/**
 * AWS moves an alias only to a key of the same type and key usage as its current one, so
 * code that uses the alias keeps working; the engine does not hold that rule, so both keys
 * are described first (when the caller may not describe them, the engine's rules decide).
 */
export const UpdateAlias: Operation = async (input, context) => {
  const { client, names } = context
  const name = aliasName(input, names)
  const keyId = targetKeyId(input, names)
  const [current, next] = await Promise.all([describeQuietly(context, name), describeQuietly(context, keyId)])
  if (current.metadata !== undefined && next.metadata !== undefined) {
    const from = `${keyType(current.metadata)} ${awsKeyUsage(current.metadata.keyUsage)}`
    const to = `${keyType(next.metadata)} ${awsKeyUsage(next.metadata.keyUsage)}`
    if (from !== to) throw validation(`${name} refers to a ${from} key; the new key must be of the same type and key usage, not ${to}`)
  }
  await withAliasMessages(names, name, () => client.updateAlias({ aliasName: name, keyId }))
  return {}
}

export const DeleteAlias: Operation = async (input, { client, names }) => {
  const name = aliasName(input, names)
  await withAliasMessages(names, name, () => client.deleteAlias({ aliasName: name }))
  return {}
}

/** `KeyId` filters by key id or key ARN; an alias there is NotFoundException, as in the other key-id-only members. */
export const ListAliases: Operation = async (input, { client, names }) => {
  const keyRef = optionalString(input, 'KeyId', 1, KEY_ID_MAX)
  const limit = optionalInteger(input, 'Limit', 1, 100) ?? 50
  const marker = optionalMarker(input)
  const keyId = keyRef === undefined ? undefined : names.keyId(keyRef)
  const page = await pageByMarker(async (p) => {
    const r = keyId === undefined ? await client.listAliases(p) : await client.listAliasesByKeyId({ keyId, ...p })
    return { items: r.aliases, nextMarker: r.nextMarker }
  }, marker, limit)
  return {
    Aliases: page.items.map((a) => ({ AliasName: a.aliasName, AliasArn: names.aliasArn(a.aliasName), TargetKeyId: a.keyId })),
    ...truncation(page),
  }
}
