/**
 * Aliases: CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
 *
 * ```ts
 * await CreateAlias({ AliasName: 'alias/orders', TargetKeyId: keyId }, context)
 * await ListAliases({ KeyId: keyId }, context)   // { Aliases: [{ AliasName, AliasArn, TargetKeyId }], Truncated: false }
 * ```
 *
 * As on AWS, an alias targets a key by id or key ARN (never another alias), names that
 * begin with `alias/aws/` are reserved, and a malformed name is InvalidAliasNameException.
 * The engine additionally reserves `alias/acs/`.
 */
import type { AwsNames } from '../names.js'
import { pageAfter, truncation } from '../pagination.js'
import { optionalInteger, optionalString, requiredString, type JsonObject } from '../wire.js'
import type { Operation } from './context.js'
import { KEY_ID_MAX } from './members.js'

const ALIAS_MAX = 256

function aliasName(input: JsonObject, names: AwsNames): string {
  return names.aliasName(requiredString(input, 'AliasName', 1, ALIAS_MAX))
}

export const CreateAlias: Operation = async (input, { client, names }) => {
  const name = aliasName(input, names)
  const keyId = names.directKeyRef(requiredString(input, 'TargetKeyId', 1, KEY_ID_MAX), 'TargetKeyId')
  await client.createAlias({ aliasName: name, keyId })
  return {}
}

export const UpdateAlias: Operation = async (input, { client, names }) => {
  const name = aliasName(input, names)
  const keyId = names.directKeyRef(requiredString(input, 'TargetKeyId', 1, KEY_ID_MAX), 'TargetKeyId')
  await client.updateAlias({ aliasName: name, keyId })
  return {}
}

export const DeleteAlias: Operation = async (input, { client, names }) => {
  await client.deleteAlias({ aliasName: aliasName(input, names) })
  return {}
}

export const ListAliases: Operation = async (input, { client, names }) => {
  const keyRef = optionalString(input, 'KeyId', 1, KEY_ID_MAX)
  const limit = optionalInteger(input, 'Limit', 1, 100) ?? 50
  const marker = optionalString(input, 'Marker', 1, 1024)
  const keyId = keyRef === undefined ? undefined : names.directKeyRef(keyRef, 'KeyId')
  const page = await pageAfter(
    async (p) => {
      const r = keyId === undefined ? await client.listAliases(p) : await client.listAliasesByKeyId({ keyId, ...p })
      return { items: r.aliases, totalCount: r.totalCount }
    },
    (a) => a.aliasName, marker, limit)
  return {
    Aliases: page.items.map((a) => ({ AliasName: a.aliasName, AliasArn: names.aliasArn(a.aliasName), TargetKeyId: a.keyId })),
    ...truncation(page),
  }
}
