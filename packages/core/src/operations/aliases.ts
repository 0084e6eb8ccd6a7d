/**
 * Aliases: createAlias, updateAlias, deleteAlias, listAliases, listAliasesByKeyId.
 *
 * ```ts
 * await kms.createAlias({ aliasName: 'alias/orders', keyId })
 * await kms.encrypt({ keyId: 'alias/orders', plaintext })
 * ```
 *
 * An alias change needs the alias resource granted and the key(s) it names; an alias
 * always points at a key, never at another alias.
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { aliasArn, assertAliasName, keyArn, parseKeyReference } from '../names.js'
import * as transitions from '../transitions.js'
import { aliasIndexKey, countKey, decodeCount, decodeJson, type AliasIndexEntry } from '../key-index.js'
import type { StoredRecord } from '../storage.js'
import { requestObject } from '../validate.js'
import { duePurges } from './due.js'
import { listIndex, listingParams, listPage } from './listing.js'
import { aliasView } from './views.js'

/** What this module needs from the engine (engine/context.ts). */
export type AliasesContext = Pick<
  EngineContext,
  'accountId' | 'authorize' | 'clock' | 'keys' | 'purgeIfDue' | 'region' | 'transact' | 'txKey' | 'use'
>

/** The alias resource itself must be granted for alias changes. */
async function authorizeAlias(ctx: AliasesContext, call: Call, aliasName: string): Promise<void> {
  call.aliasName = aliasName
  const arn = aliasArn(ctx.region, ctx.accountId, aliasName)
  await ctx.authorize(call, call.eventName, arn, aliasName)
}

/** The key an alias may point at: a key id or resource name, never another alias. */
function aliasTarget(ctx: AliasesContext, ref: unknown): string {
  const parsed = parseKeyReference(ref, ctx.region, ctx.accountId)
  if (parsed.kind !== 'id') throw new KmsError('InvalidParameter', 'an alias must point at a key id or key resource name, not another alias')
  return parsed.keyId
}

export async function createAlias(ctx: AliasesContext, call: Call, request: api.AliasTargetRequest): Promise<api.KmsResponse> {
  requestObject(request, 'createAlias')
  assertAliasName(request.aliasName)
  const aliasName = request.aliasName
  const keyId = aliasTarget(ctx, request.keyId)
  // Both the alias and the key it will name must be granted (as in AWS KMS).
  await authorizeAlias(ctx, call, aliasName)
  await ctx.use(call, keyId, 'createAlias')
  // An alias whose key's window has ended is freed by the purge that is due.
  const existing = await ctx.keys.loadAlias(aliasName)
  if (existing !== undefined) await ctx.purgeIfDue(existing.record.keyId)
  await ctx.transact(call, async (tx, now) => {
    if ((await tx.alias(aliasName)) !== undefined) throw new KmsError('AlreadyExists', `alias ${aliasName} already exists`)
    const entry = await ctx.txKey(tx, keyId, now)
    tx.putKey(entry, transitions.addAlias(entry.record, aliasName, 'createAlias'))
    tx.putAlias(undefined, { schema: 1, aliasName, keyId, creationDate: now, updateDate: now })
    tx.emit({ name: 'aliasChanged', payload: { aliasName, keyId, time: now } })
  })
  return { requestId: call.requestId }
}

/** Points an existing alias at another key. */
export async function updateAlias(ctx: AliasesContext, call: Call, request: api.AliasTargetRequest): Promise<api.KmsResponse> {
  requestObject(request, 'updateAlias')
  assertAliasName(request.aliasName)
  const aliasName = request.aliasName
  const keyId = aliasTarget(ctx, request.keyId)
  await authorizeAlias(ctx, call, aliasName)
  const current = await ctx.keys.loadAlias(aliasName)
  if (current !== undefined) {
    // Moving an alias away from a key is a change to that key too.
    const previous = await ctx.keys.loadKey(current.record.keyId)
    const arn = keyArn(ctx.region, ctx.accountId, current.record.keyId)
    // Reported as the alias the caller named (as deleteAlias does): naming the key it points
    // at would tell a caller who may not see that key which one it is.
    await ctx.authorize(call, 'UpdateAlias', arn, aliasName, previous?.record)
  }
  await ctx.use(call, keyId, 'updateAlias')
  await ctx.transact(call, async (tx, now) => {
    const alias = await tx.alias(aliasName)
    if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${aliasName} does not exist`)
    const previousKeyId = alias.record.keyId
    if (previousKeyId === keyId) return
    const target = await ctx.txKey(tx, keyId, now)
    tx.putKey(target, transitions.addAlias(target.record, aliasName, 'updateAlias'))
    const previous = await tx.key(previousKeyId)
    if (previous !== undefined) tx.putKey(previous, transitions.removeAlias(previous.record, aliasName))
    tx.putAlias(alias, { ...alias.record, keyId, updateDate: now })
    tx.emit({ name: 'aliasChanged', payload: { aliasName, keyId, previousKeyId, time: now } })
  })
  return { requestId: call.requestId }
}

export async function deleteAlias(ctx: AliasesContext, call: Call, request: api.AliasRequest): Promise<api.KmsResponse> {
  requestObject(request, 'deleteAlias')
  assertAliasName(request.aliasName)
  const aliasName = request.aliasName
  await authorizeAlias(ctx, call, aliasName)
  const current = await ctx.keys.loadAlias(aliasName)
  if (current !== undefined) {
    call.keyId = current.record.keyId
    const entry = await ctx.keys.loadKey(current.record.keyId)
    const arn = keyArn(ctx.region, ctx.accountId, current.record.keyId)
    await ctx.authorize(call, 'DeleteAlias', arn, aliasName, entry?.record)
  }
  await ctx.transact(call, async (tx, now) => {
    const alias = await tx.alias(aliasName)
    if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${aliasName} does not exist`)
    const entry = await tx.key(alias.record.keyId)
    if (entry !== undefined) tx.putKey(entry, transitions.removeAlias(entry.record, aliasName))
    tx.deleteAlias(alias)
    tx.emit({ name: 'aliasChanged', payload: { aliasName, previousKeyId: alias.record.keyId, time: now } })
  })
  return { requestId: call.requestId }
}

/**
 * Aliases in name order, from the alias index of this region (key-index.ts): a page reads
 * its own index entries and nothing else. Aliases of keys whose pending window has ended
 * are hidden (they go with the purge, which is maintenance's).
 */
export async function listAliases(ctx: AliasesContext, call: Call, request: api.Paging = {}): Promise<api.ListAliasesResponse> {
  requestObject(request, 'listAliases')
  const paging = listingParams(request)
  await ctx.authorize(call, 'ListAliases', '*', '*')
  const due = await duePurges(ctx.keys, ctx.region, ctx.clock.now())
  const prefix = aliasIndexKey(ctx.region, '')
  const keyOf = (record: StoredRecord): string => decodeJson<AliasIndexEntry>(record, 'alias index entry').keyId
  // Skipped pages are counted by name alone (listing.ts): with keys due for purge, a
  // pageNumber page may shift by their aliases until maintenance purges them.
  const page = await listIndex(ctx.keys, { prefix, paging, hidden: (_name, record) => record !== undefined && due.has(keyOf(record)) })
  let hiddenAliases = 0
  for (const keyId of due) hiddenAliases += (await ctx.keys.peekKey(keyId))?.aliases.length ?? 0
  const count = await ctx.keys.readRecord(countKey(ctx.region, 'aliases'))
  return {
    requestId: call.requestId, totalCount: Math.max(0, decodeCount(count) - hiddenAliases), pageNumber: page.pageNumber, pageSize: paging.pageSize,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    aliases: page.items.map(({ name, record }) => aliasView(ctx, name, keyOf(record))),
  }
}

export async function listAliasesByKeyId(ctx: AliasesContext, call: Call, request: api.ListAliasesByKeyIdRequest): Promise<api.ListAliasesResponse> {
  requestObject(request, 'listAliasesByKeyId')
  const paging = listingParams(request)
  const { record } = await ctx.use(call, request.keyId, 'listAliasesByKeyId')
  const page = listPage(record.aliases, (name) => name, paging)
  return {
    requestId: call.requestId, totalCount: record.aliases.length, pageNumber: page.pageNumber, pageSize: paging.pageSize,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    aliases: page.items.map((name) => aliasView(ctx, name, record.keyId)),
  }
}
