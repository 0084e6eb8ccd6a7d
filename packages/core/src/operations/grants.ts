/**
 * Grants, as AWS KMS has them: createGrant, listGrants, listRetirableGrants, retireGrant
 * and revokeGrant. A grant lets one principal perform some of a key's operations
 * (optionally only with a given encryption context) without any policy allowing it; the
 * dispatcher consults grants when no policy allows a call and no policy denies it, and
 * the call's audit record names the grant (grant-store.ts has the rules).
 *
 * ```ts
 * const { grantId, grantToken } = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'],
 *   constraints: { encryptionContextSubset: { tenant: 'acme' } } })
 * await kms.as('alice').decrypt({ ciphertextBlob, encryptionContext: { tenant: 'acme' }, grantTokens: [grantToken] })
 * await kms.revokeGrant({ keyId, grantId })
 * ```
 *
 * Who may do what (AWS's rules): createGrant, listGrants and revokeGrant are authorized by
 * policies (`kms:CreateGrant`, with the condition keys `kms:GrantOperations`,
 * `kms:GranteePrincipal`, `kms:RetiringPrincipal`, `kms:GrantConstraintType`,
 * `kms:GrantIsForAWSResource`); a grant with CreateGrant lets its grantee create grants
 * of no more operations and no looser constraint. retireGrant is allowed to the retiring
 * principal, to the grantee of a grant that includes RetireGrant, to the owner, and to
 * whoever a policy allows `kms:RetireGrant`. listRetirableGrants needs
 * `kms:ListRetirableGrants`.
 */
import type * as api from '../api.js'
import { toHex } from '../bytes.js'
import type { Call } from '../call.js'
import { formatDate } from '../clock.js'
import { encodeEncryptionContext } from '../context.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import {
  GRANT_OPERATIONS, GRANT_PREFIX, MAX_GRANTS_PER_KEY, assertConstrainable, assertGrantId, encodeGrant, grantKey, sameConstraints,
  type GrantConstraints, type GrantOperation, type GrantRecord,
} from '../grant-store.js'
import { keyArn, parseKeyReference } from '../names.js'
import { awsPrincipalMatches } from '../policy/principals.js'
import { ROOT_PRINCIPAL } from '../policy-store.js'
import { integerParam, optionalString, requestObject, stringParam } from '../validate.js'

/** What this module needs from the engine (engine/context.ts). */
export type GrantsContext = Pick<EngineContext, 'accountId' | 'authorize' | 'grants' | 'random' | 'region' | 'transact' | 'txKey' | 'use'>

/** AWS's GrantNameType: 1-256 of letters, digits and `:/_-`. */
const GRANT_NAME = /^[a-zA-Z0-9:/_-]{1,256}$/
/** AWS's PrincipalIdType: 1-256 of word characters and `+=,.@:/-`. */
const PRINCIPAL = /^[\w+=,.@:/-]{1,256}$/
const DEFAULT_LIMIT = 50
const MAX_LIMIT = 1000

function principalParam(value: unknown, name: string): string {
  const principal = stringParam(value, name, 1, 256)
  if (!PRINCIPAL.test(principal)) throw new KmsError('InvalidParameter', `${name} must be 1-256 of letters, digits and _ + = , . @ : / -`)
  return principal
}

function operationsParam(value: unknown): GrantOperation[] {
  if (value === undefined) throw new KmsError('InvalidParameter', 'operations is required')
  if (!Array.isArray(value)) throw new TypeError('operations must be an array of grant operations')
  if (value.length === 0) throw new KmsError('InvalidParameter', 'operations must name at least one operation')
  const out: GrantOperation[] = []
  for (const operation of value) {
    if (typeof operation !== 'string') throw new TypeError('operations must be an array of grant operations')
    if (!(GRANT_OPERATIONS as readonly string[]).includes(operation)) {
      throw new KmsError('InvalidParameter', `${JSON.stringify(operation).slice(0, 64)} is not a grant operation (${GRANT_OPERATIONS.join(', ')})`)
    }
    if (!out.includes(operation as GrantOperation)) out.push(operation as GrantOperation)
  }
  return out
}

function contextParam(value: unknown, name: string): Readonly<Record<string, string>> {
  encodeEncryptionContext(value as Record<string, string>) // validates shape, sizes and text
  if (value === null || typeof value !== 'object' || Object.keys(value).length === 0) {
    throw new KmsError('InvalidParameter', `constraints.${name} must be a non-empty encryption context`)
  }
  return { ...(value as Record<string, string>) }
}

function constraintsParam(value: unknown, operations: readonly GrantOperation[]): GrantConstraints | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object') throw new TypeError('constraints must be an object')
  const { encryptionContextSubset: subset, encryptionContextEquals: equals } = value as Record<string, unknown>
  if (subset === undefined && equals === undefined) return undefined
  if (subset !== undefined && equals !== undefined) {
    throw new KmsError('InvalidParameter', 'constraints take encryptionContextSubset or encryptionContextEquals, not both')
  }
  assertConstrainable(operations)
  return subset !== undefined ? { encryptionContextSubset: contextParam(subset, 'encryptionContextSubset') } : { encryptionContextEquals: contextParam(equals, 'encryptionContextEquals') }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x))
}

/** A retry of the same request (AWS: same name and every other parameter the same) gets the grant it made. */
function isRetryOf(grant: GrantRecord, wanted: Omit<GrantRecord, 'schema' | 'grantId' | 'creationDate'>): boolean {
  return grant.name === wanted.name && grant.granteePrincipal === wanted.granteePrincipal && grant.retiringPrincipal === wanted.retiringPrincipal
    && sameSet(grant.operations, wanted.operations) && sameConstraints(grant.constraints, wanted.constraints)
}

/**
 * A grant that authorized createGrant (its grantee creating a grant) passes on no more than
 * it has: the same or fewer operations, and its own constraint (AWS's rule for grants
 * that include CreateGrant).
 */
function assertNarrower(parent: GrantRecord, operations: readonly GrantOperation[], constraints: GrantConstraints | undefined): void {
  const extra = operations.find((o) => !parent.operations.includes(o))
  if (extra !== undefined) throw new KmsError('Forbidden.NoPermission', `the grant that allows this call does not include ${extra}`)
  if (parent.constraints !== undefined && !sameConstraints(parent.constraints, constraints)) {
    throw new KmsError('Forbidden.NoPermission', 'the grant that allows this call has a constraint; the new grant must carry the same one')
  }
}

export function grantInfo(g: GrantRecord): api.GrantInfo {
  return {
    keyId: g.keyId, grantId: g.grantId, ...(g.name === undefined ? {} : { name: g.name }), creationDate: formatDate(g.creationDate),
    granteePrincipal: g.granteePrincipal, ...(g.retiringPrincipal === undefined ? {} : { retiringPrincipal: g.retiringPrincipal }),
    issuingPrincipal: g.issuingPrincipal, operations: g.operations, ...(g.constraints === undefined ? {} : { constraints: g.constraints }),
  }
}

export async function createGrant(ctx: GrantsContext, call: Call, request: api.CreateGrantRequest): Promise<api.CreateGrantResponse> {
  requestObject(request, 'createGrant')
  const granteePrincipal = principalParam(request.granteePrincipal, 'granteePrincipal')
  const retiringPrincipal = request.retiringPrincipal === undefined ? undefined : principalParam(request.retiringPrincipal, 'retiringPrincipal')
  const operations = operationsParam(request.operations)
  const constraints = constraintsParam(request.constraints, operations)
  const name = optionalString(request.name, 'name', 1, 256)
  if (name !== undefined && !GRANT_NAME.test(name)) throw new KmsError('InvalidParameter', 'name must be 1-256 of letters, digits and : / _ -')
  const conditions = {
    'kms:GrantOperations': operations,
    'kms:GranteePrincipal': granteePrincipal,
    ...(retiringPrincipal === undefined ? {} : { 'kms:RetiringPrincipal': retiringPrincipal }),
    ...(constraints === undefined ? {} : { 'kms:GrantConstraintType': constraints.encryptionContextEquals !== undefined ? 'EncryptionContextEquals' : 'EncryptionContextSubset' }),
    'kms:GrantIsForAWSResource': 'false',
  }
  const { record } = await ctx.use(call, request.keyId, 'describeKey', 'CreateGrant', conditions)
  const keyId = record.keyId
  if (call.grantId !== undefined) {
    const parent = await ctx.grants.read(keyId, call.grantId)
    if (parent === undefined) throw new KmsError('Forbidden.NoPermission', 'the grant that allowed this call was just retired')
    assertNarrower(parent, operations, constraints)
  }
  const wanted = {
    keyId, granteePrincipal, operations, issuingPrincipal: call.principal,
    ...(name === undefined ? {} : { name }), ...(retiringPrincipal === undefined ? {} : { retiringPrincipal }),
    ...(constraints === undefined ? {} : { constraints }),
  }
  const grantId = await ctx.transact(call, async (tx, now) => {
    const entry = await ctx.txKey(tx, keyId, now)
    if (entry.record.keyState === 'PendingDeletion') throw new KmsError('Rejected.InvalidState', `key ${keyId} is pending deletion`)
    const existing = await ctx.grants.list(keyId)
    if (name !== undefined) {
      const retry = existing.find((g) => isRetryOf(g, wanted))
      if (retry !== undefined) return retry.grantId
    }
    if (existing.length >= MAX_GRANTS_PER_KEY) throw new KmsError('LimitExceeded', `a key has at most ${MAX_GRANTS_PER_KEY} grants`)
    const created: GrantRecord = { schema: 1, grantId: toHex(ctx.random.fill(new Uint8Array(32))), creationDate: now, ...wanted }
    tx.putRecord(grantKey(keyId, created.grantId), encodeGrant(created), null)
    return created.grantId
  })
  ctx.grants.forget(keyId)
  return { requestId: call.requestId, grantId, grantToken: ctx.grants.token(keyId, grantId) }
}

function limitParam(value: unknown): number {
  return value === undefined ? DEFAULT_LIMIT : integerParam(value, 'limit', 1, MAX_LIMIT)
}

/** One page of grants after `cursor` (the last grant's storage key of the previous page). */
function page(grants: readonly GrantRecord[], limit: number, cursor: unknown, prefix: string): { grants: api.GrantInfo[]; nextCursor?: string } {
  const after = optionalString(cursor, 'cursor', 1, 512)
  if (after !== undefined && !after.startsWith(prefix)) throw new KmsError('InvalidParameter', 'cursor is not one this listing returned')
  const start = after === undefined ? 0 : grants.findIndex((g) => grantKey(g.keyId, g.grantId) > after)
  const rest = start < 0 ? [] : grants.slice(start)
  const shown = rest.slice(0, limit)
  const last = shown[shown.length - 1]
  return {
    grants: shown.map(grantInfo),
    ...(rest.length > limit && last !== undefined ? { nextCursor: grantKey(last.keyId, last.grantId) } : {}),
  }
}

export async function listGrants(ctx: GrantsContext, call: Call, request: api.ListGrantsRequest): Promise<api.ListGrantsResponse> {
  requestObject(request, 'listGrants')
  const limit = limitParam(request.limit)
  if (request.grantId !== undefined) assertGrantId(request.grantId)
  const grantee = request.granteePrincipal === undefined ? undefined : principalParam(request.granteePrincipal, 'granteePrincipal')
  const { record } = await ctx.use(call, request.keyId, 'describeKey', 'ListGrants')
  const grants = (await ctx.grants.list(record.keyId)).filter((g) => (request.grantId === undefined || g.grantId === request.grantId) && (grantee === undefined || g.granteePrincipal === grantee))
  return { requestId: call.requestId, ...page(grants, limit, request.cursor, `${GRANT_PREFIX}${record.keyId}/`) }
}

export async function listRetirableGrants(ctx: GrantsContext, call: Call, request: api.ListRetirableGrantsRequest): Promise<api.ListGrantsResponse> {
  requestObject(request, 'listRetirableGrants')
  const retiring = principalParam(request.retiringPrincipal, 'retiringPrincipal')
  const limit = limitParam(request.limit)
  await ctx.authorize(call, 'ListRetirableGrants', '*', '*')
  const grants = (await ctx.grants.all()).filter((g) => g.retiringPrincipal === retiring)
  return { requestId: call.requestId, ...page(grants, limit, request.cursor, GRANT_PREFIX) }
}

/** The grant a retire or revoke names; Forbidden.GrantNotFound when it is not (or no longer) there. */
function grantNotFound(grantId: string): KmsError {
  return new KmsError('Forbidden.GrantNotFound', `grant ${grantId} does not exist on this key`)
}

export async function retireGrant(ctx: GrantsContext, call: Call, request: api.RetireGrantRequest): Promise<api.KmsResponse> {
  requestObject(request, 'retireGrant')
  let keyId: string
  let grantId: string
  if (request.grantToken !== undefined) {
    const token = stringParam(request.grantToken, 'grantToken', 1, 8192)
    ;({ keyId, grantId } = ctx.grants.openToken(token))
    if (request.grantId !== undefined && request.grantId !== grantId) throw new KmsError('InvalidGrantId', 'grantId is not the grant the token names')
  } else {
    if (request.keyId === undefined || request.grantId === undefined) {
      throw new KmsError('InvalidParameter', 'retireGrant takes a grantToken, or a keyId and a grantId')
    }
    assertGrantId(request.grantId)
    grantId = request.grantId
    keyId = await ctxKeyId(ctx, call, request.keyId)
  }
  call.keyId = keyId
  const grant = await ctx.grants.read(keyId, grantId)
  const byGrant = grant !== undefined && (call.principal === ROOT_PRINCIPAL
    || (grant.retiringPrincipal !== undefined && awsPrincipalMatches(grant.retiringPrincipal, call.principal, ctx.accountId))
    || (grant.operations.includes('RetireGrant') && awsPrincipalMatches(grant.granteePrincipal, call.principal, ctx.accountId)))
  if (!byGrant) {
    // Policies may allow kms:RetireGrant too; without that, a missing grant is not revealed.
    const arn = keyArn(ctx.region, ctx.accountId, keyId)
    await ctx.authorize(call, 'RetireGrant', arn, arn)
  }
  await deleteGrant(ctx, call, keyId, grantId)
  return { requestId: call.requestId }
}

/**
 * The key of a retire by keyId and grantId. The owner's reference is resolved as any
 * (aliases too); a retiring principal need not be allowed anything on the key, so its
 * reference must name the key itself (id or resource name), as AWS's RetireGrant takes a key ARN.
 */
async function ctxKeyId(ctx: GrantsContext, call: Call, ref: string): Promise<string> {
  if (call.principal === ROOT_PRINCIPAL) return (await ctx.use(call, ref, 'describeKey', 'RetireGrant')).record.keyId
  const parsed = parseKeyReference(ref, ctx.region, ctx.accountId)
  if (parsed.kind !== 'id') throw new KmsError('InvalidParameter', 'keyId must be a key id or key resource name here (not an alias)')
  return parsed.keyId
}

export async function revokeGrant(ctx: GrantsContext, call: Call, request: api.RevokeGrantRequest): Promise<api.KmsResponse> {
  requestObject(request, 'revokeGrant')
  assertGrantId(request.grantId)
  const { record } = await ctx.use(call, request.keyId, 'describeKey', 'RevokeGrant')
  await deleteGrant(ctx, call, record.keyId, request.grantId)
  return { requestId: call.requestId }
}

async function deleteGrant(ctx: GrantsContext, call: Call, keyId: string, grantId: string): Promise<void> {
  await ctx.transact(call, async (tx) => {
    const current = await ctx.grants.inTx(tx, keyId, grantId)
    if (current === undefined) throw grantNotFound(grantId)
    tx.deleteRecord(grantKey(keyId, grantId), current.revision)
  })
  ctx.grants.forget(keyId)
}
