/**
 * Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant, over
 * the engine's grants (core's operations/grants.ts), with AWS's members, shapes and errors.
 *
 * ```ts
 * const { GrantId, GrantToken } = await CreateGrant({ KeyId, GranteePrincipal: 'arn:aws:iam::111122223333:role/app',
 *   Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { tenant: 'acme' } } }, context)
 * await Decrypt({ CiphertextBlob, EncryptionContext: { tenant: 'acme' }, GrantTokens: [GrantToken] }, context)
 * await RevokeGrant({ KeyId, GrantId }, context)
 * ```
 *
 * Principals are passed to the engine as written: an IAM ARN of the endpoint's account
 * names the engine principal of the same name (`…:user/alice`, `…:role/alice` → `alice`),
 * and an engine principal name works as is. Grant tokens on any request reach the engine
 * (protocol.ts hands every engine call of such a request its `GrantTokens`), which refuses
 * a token it did not issue (InvalidGrantTokenException); a grant is usable as soon as
 * CreateGrant answers. `DryRun` checks the request and that the caller may see the key,
 * then answers DryRunOperationException without changing anything.
 */
import { GRANT_OPERATIONS, type GrantConstraints, type GrantInfo, type GrantOperation } from '@strongroom/core'
import { AwsError, validation } from '../errors.js'
import type { AwsNames } from '../names.js'
import { truncation } from '../pagination.js'
import {
  epochSeconds, optionalBoolean, optionalInteger, optionalList, optionalMarker, optionalString, optionalStringMap,
  requiredString, grantTokens, structure, type JsonObject,
} from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { dryRunSucceeded } from './crypto.js'
import { keyIdParam } from './members.js'

const PRINCIPAL_MAX = 256
const GRANT_ID_MAX = 128
const GRANT_TOKEN_MAX = 8192
const GRANT_NAME = /^[a-zA-Z0-9:/_-]+$/
const PRINCIPAL = /^[\w+=,.@:/-]+$/
/** The engine's cursors name grant records; anything else is not a marker this endpoint returned. */
const ENGINE_CURSOR = /^grant\/[0-9a-f-]{36}\/[0-9a-f]{64}$/

function principal(input: JsonObject, name: string, required: boolean): string | undefined {
  const value = required ? requiredString(input, name, 1, PRINCIPAL_MAX) : optionalString(input, name, 1, PRINCIPAL_MAX)
  if (value !== undefined && !PRINCIPAL.test(value)) {
    throw validation(`1 validation error detected: Value at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$`)
  }
  return value
}

function operations(input: JsonObject): GrantOperation[] {
  const list = optionalList(input, 'Operations', Number.MAX_SAFE_INTEGER)
  if (list === undefined || list.length === 0) throw validation('Operations must name at least one grant operation')
  return list.map((operation) => {
    if (typeof operation !== 'string' || !(GRANT_OPERATIONS as readonly string[]).includes(operation)) {
      throw validation(`1 validation error detected: Value at 'operations' failed to satisfy constraint: Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`)
    }
    return operation as GrantOperation
  })
}

function constraints(input: JsonObject): GrantConstraints | undefined {
  const value = input['Constraints']
  if (value === undefined || value === null) return undefined
  const members = structure(value, 'Constraints')
  const subset = optionalStringMap(members, 'EncryptionContextSubset')
  const equals = optionalStringMap(members, 'EncryptionContextEquals')
  if (subset === undefined && equals === undefined) return undefined
  return { ...(subset === undefined ? {} : { encryptionContextSubset: subset }), ...(equals === undefined ? {} : { encryptionContextEquals: equals }) }
}

function grantIdParam(input: JsonObject, required: boolean): string | undefined {
  const grantId = required ? requiredString(input, 'GrantId', 1, GRANT_ID_MAX) : optionalString(input, 'GrantId', 1, GRANT_ID_MAX)
  return grantId
}

function limitAndCursor(input: JsonObject): { limit: number; cursor?: string } {
  const limit = optionalInteger(input, 'Limit', 1, 1000) ?? 50
  const marker = optionalMarker(input)
  if (marker !== undefined && !ENGINE_CURSOR.test(marker)) throw new AwsError('InvalidMarkerException', 'Marker is not a NextMarker this endpoint returned')
  return { limit, ...(marker === undefined ? {} : { cursor: marker }) }
}

/** AWS's GrantListEntry. */
function grantEntry(g: GrantInfo, names: AwsNames): JsonObject {
  const c = g.constraints
  return {
    KeyId: names.keyArn(g.keyId),
    GrantId: g.grantId,
    ...(g.name === undefined ? {} : { Name: g.name }),
    CreationDate: epochSeconds(g.creationDate),
    GranteePrincipal: g.granteePrincipal,
    ...(g.retiringPrincipal === undefined ? {} : { RetiringPrincipal: g.retiringPrincipal }),
    IssuingAccount: `arn:${names.partition}:iam::${names.account}:root`,
    Operations: [...g.operations],
    ...(c === undefined ? {} : {
      Constraints: {
        ...(c.encryptionContextSubset === undefined ? {} : { EncryptionContextSubset: c.encryptionContextSubset }),
        ...(c.encryptionContextEquals === undefined ? {} : { EncryptionContextEquals: c.encryptionContextEquals }),
      },
    }),
  }
}

function listing(result: { grants: readonly GrantInfo[]; nextCursor?: string }, names: AwsNames): JsonObject {
  return {
    Grants: result.grants.map((g) => grantEntry(g, names)),
    ...truncation(result.nextCursor === undefined ? { items: result.grants } : { items: result.grants, nextMarker: result.nextCursor }),
  }
}

/** DryRun of a change: the request was checked; the caller must be able to see the key; nothing changes. */
async function dryRun(input: JsonObject, keyId: string | undefined, { client }: OperationContext): Promise<void> {
  if (optionalBoolean(input, 'DryRun') !== true) return
  if (keyId !== undefined) await client.describeKey({ keyId })
  throw dryRunSucceeded()
}

export const CreateGrant: Operation = async (input, context) => {
  const { client, names } = context
  const keyId = keyIdParam(input, names)
  const granteePrincipal = principal(input, 'GranteePrincipal', true)!
  const retiringPrincipal = principal(input, 'RetiringPrincipal', false)
  const ops = operations(input)
  const constraint = constraints(input)
  const name = optionalString(input, 'Name', 1, 256)
  if (name !== undefined && !GRANT_NAME.test(name)) {
    throw validation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
  }
  grantTokens(input)
  await dryRun(input, keyId, context)
  const result = await client.createGrant({
    keyId, granteePrincipal, operations: ops,
    ...(retiringPrincipal === undefined ? {} : { retiringPrincipal }),
    ...(constraint === undefined ? {} : { constraints: constraint }),
    ...(name === undefined ? {} : { name }),
  })
  return { GrantToken: result.grantToken, GrantId: result.grantId }
}

export const ListGrants: Operation = async (input, { client, names }) => {
  const page = limitAndCursor(input)
  const keyId = keyIdParam(input, names)
  const grantId = grantIdParam(input, false)
  const granteePrincipal = principal(input, 'GranteePrincipal', false)
  const result = await client.listGrants({
    keyId, ...page, ...(grantId === undefined ? {} : { grantId }), ...(granteePrincipal === undefined ? {} : { granteePrincipal }),
  })
  return listing(result, names)
}

export const ListRetirableGrants: Operation = async (input, { client, names }) => {
  const page = limitAndCursor(input)
  const retiringPrincipal = principal(input, 'RetiringPrincipal', true)!
  return listing(await client.listRetirableGrants({ retiringPrincipal, ...page }), names)
}

/** By GrantToken, or by KeyId (key ARN or id) and GrantId together. */
export const RetireGrant: Operation = async (input, context) => {
  const { client, names } = context
  const grantToken = optionalString(input, 'GrantToken', 1, GRANT_TOKEN_MAX)
  const keyRef = optionalString(input, 'KeyId', 1, 2048)
  const grantId = grantIdParam(input, false)
  if (grantToken === undefined && (keyRef === undefined || grantId === undefined)) {
    throw validation('RetireGrant needs a GrantToken, or a KeyId and a GrantId')
  }
  const keyId = keyRef === undefined ? undefined : names.keyId(keyRef)
  await dryRun(input, keyId, context)
  await client.retireGrant({
    ...(grantToken === undefined ? {} : { grantToken }), ...(keyId === undefined ? {} : { keyId }), ...(grantId === undefined ? {} : { grantId }),
  })
  return {}
}

export const RevokeGrant: Operation = async (input, context) => {
  const { client, names } = context
  const keyId = keyIdParam(input, names)
  const grantId = grantIdParam(input, true)!
  await dryRun(input, keyId, context)
  await client.revokeGrant({ keyId, grantId })
  return {}
}
