/**
 * Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId.
 *
 * ```ts
 * await CreateAlias(parameters({ AliasName: 'alias/app', KeyId: id }), context)
 * await ListAliases(parameters({ PageSize: '20' }), context)
 * // { Aliases: { Alias: [{ AliasName, AliasArn, KeyId }] }, TotalCount, PageNumber, PageSize }
 * ```
 *
 * ListAliases shows the aliases of this region's keys only (alias names are one namespace
 * per store today; see the README's region notes).
 */
import type { Alias } from '@strongroom/core'
import { requiredString, type JsonObject } from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam, pagingParams } from './members.js'

const ALIAS_NAME_MAX = 255

function aliasOf(a: Alias): JsonObject {
  return { AliasName: a.aliasName, AliasArn: a.aliasArn, KeyId: a.keyId }
}

export const CreateAlias: Operation = async (params, { client }) => {
  const aliasName = requiredString(params, 'AliasName', 1, ALIAS_NAME_MAX)
  await client.createAlias({ aliasName, keyId: keyIdParam(params) })
  return {}
}

export const UpdateAlias: Operation = async (params, { client }) => {
  const aliasName = requiredString(params, 'AliasName', 1, ALIAS_NAME_MAX)
  await client.updateAlias({ aliasName, keyId: keyIdParam(params) })
  return {}
}

export const DeleteAlias: Operation = async (params, { client }) => {
  await client.deleteAlias({ aliasName: requiredString(params, 'AliasName', 1, ALIAS_NAME_MAX) })
  return {}
}

/** The engine lists its own region's aliases from its alias index, a page at a time. */
export const ListAliases: Operation = async (params, context) => {
  const page = await context.client.listAliases(pagingParams(params))
  return {
    Aliases: { Alias: page.aliases.map(aliasOf) },
    TotalCount: page.totalCount, PageNumber: page.pageNumber, PageSize: page.pageSize,
  }
}

export const ListAliasesByKeyId: Operation = async (params, { client }) => {
  const result = await client.listAliasesByKeyId({ keyId: keyIdParam(params), ...pagingParams(params) })
  return {
    Aliases: { Alias: result.aliases.map(aliasOf) },
    TotalCount: result.totalCount, PageNumber: result.pageNumber, PageSize: result.pageSize,
  }
}
