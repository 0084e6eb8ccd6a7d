/**
 * Key policies and identity policies: setKeyPolicy/getKeyPolicy on a key, and the
 * identity policies (create, update, get, delete, list) attached to principals.
 *
 * ```ts
 * await kms.createPolicy({ policyName: 'readers', policyDocument })
 * await kms.attachPolicy({ policyName: 'readers', principal: 'app' })
 * ```
 *
 * Every document is validated before anything is stored; evaluation is policy.ts.
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import { formatDate } from '../clock.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import {
  assertPolicyName, assertPrincipalName, encodeRecord, MAX_POLICIES_PER_PRINCIPAL, POLICY_PREFIX, PolicyStore,
  PRINCIPAL_PREFIX, ROOT_PRINCIPAL, type PolicyRecord,
} from '../policy-store.js'
import * as transitions from '../transitions.js'
import { booleanParam, optionalString, requestObject } from '../validate.js'
import { utf8Encode } from '../bytes.js'
import { keyArn } from '../names.js'
import { MAX_POLICY_BYTES } from '../policy.js'
import { decodeCount, POLICY_COUNT_KEY } from '../key-index.js'
import { listIndex, listingParams } from './listing.js'

/** What this module needs from the engine (engine/context.ts). */
export type PoliciesContext = Pick<
  EngineContext,
  'accountId' | 'authorize' | 'changeKey' | 'keys' | 'policies' | 'region' | 'transact' | 'use'
>

function policyArn(ctx: PoliciesContext, policyName: string): string {
  return `acs:kms:${ctx.region}:${ctx.accountId}:policy/${policyName}`
}

/**
 * Sets the key's policy (validated first; a malformed policy is refused and nothing is
 * stored). Unless `bypassPolicyLockoutSafetyCheck`, a principal other than the owner must
 * still be allowed to set the key policy under the new one (AWS's lockout safety check).
 */
export async function setKeyPolicy(ctx: PoliciesContext, call: Call, request: api.SetKeyPolicyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'setKeyPolicy')
  const policy = PolicyStore.parse(request.policy, 'key')
  const bypass = request.bypassPolicyLockoutSafetyCheck === undefined ? false : booleanParam(request.bypassPolicyLockoutSafetyCheck, 'bypassPolicyLockoutSafetyCheck')
  const text = typeof request.policy === 'string' && utf8Encode(request.policy).length <= MAX_POLICY_BYTES ? request.policy : undefined
  if (!bypass && call.principal !== ROOT_PRINCIPAL) {
    const { record } = await ctx.use(call, request.keyId, 'describeKey')
    const arn = keyArn(ctx.region, ctx.accountId, record.keyId)
    try {
      await ctx.authorize(call, call.eventName, arn, arn, { ...record, keyPolicy: policy })
    } catch (error) {
      if (!KmsError.is(error, 'Forbidden.NoPermission')) throw error
      throw new KmsError('InvalidParameter', `the new key policy would not allow ${call.principal} to set the key policy again; set bypassPolicyLockoutSafetyCheck to set it anyway`)
    }
  }
  await ctx.changeKey(call, request.keyId, (r) => transitions.setKeyPolicy(r, policy, text),
    (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'keyPolicy', time } }))
  return { requestId: call.requestId }
}

export async function getKeyPolicy(ctx: PoliciesContext, call: Call, request: api.KeyRequest): Promise<api.GetKeyPolicyResponse> {
  requestObject(request, 'getKeyPolicy')
  const { record } = await ctx.use(call, request.keyId, 'getKeyPolicy')
  return {
    requestId: call.requestId,
    ...(record.keyPolicy === undefined ? {} : { policy: record.keyPolicy }),
    ...(record.keyPolicyText === undefined ? {} : { policyText: record.keyPolicyText }),
  }
}

function policyInfo(p: PolicyRecord, withDocument: boolean): api.PolicyInfo {
  return {
    policyName: p.policyName, description: p.description, createDate: formatDate(p.createDate), updateDate: formatDate(p.updateDate),
    ...(withDocument ? { policyDocument: p.document } : {}),
  }
}

async function authorizePolicy(ctx: PoliciesContext, call: Call, policyName: string): Promise<void> {
  const arn = policyArn(ctx, policyName)
  await ctx.authorize(call, call.eventName, arn, arn)
}

export async function createPolicy(ctx: PoliciesContext, call: Call, request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
  requestObject(request, 'createPolicy')
  assertPolicyName(request.policyName)
  const { policyName } = request
  const description = optionalString(request.description, 'description', 0, 1024) ?? ''
  const document = PolicyStore.parse(request.policyDocument, 'identity')
  await authorizePolicy(ctx, call, policyName)
  const record = await ctx.transact(call, async (tx, now) => {
    if ((await ctx.policies.policyInTx(tx, policyName)) !== undefined) throw new KmsError('AlreadyExists', `policy ${policyName} already exists`)
    const created: PolicyRecord = { schema: 1, policyName, description, document, createDate: now, updateDate: now }
    tx.putRecord(POLICY_PREFIX + policyName, encodeRecord(created), null)
    return created
  })
  ctx.policies.forget(policyName)
  return { requestId: call.requestId, policy: policyInfo(record, false) }
}

/** Replaces a policy's document (and description); attached principals are governed by it at once. */
export async function updatePolicy(ctx: PoliciesContext, call: Call, request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
  requestObject(request, 'updatePolicy')
  assertPolicyName(request.policyName)
  const { policyName } = request
  const description = optionalString(request.description, 'description', 0, 1024)
  const document = PolicyStore.parse(request.policyDocument, 'identity')
  await authorizePolicy(ctx, call, policyName)
  const record = await ctx.transact(call, async (tx, now) => {
    const current = await ctx.policies.policyInTx(tx, policyName)
    if (current === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
    const updated: PolicyRecord = { ...current.record, document, updateDate: now, ...(description === undefined ? {} : { description }) }
    tx.putRecord(POLICY_PREFIX + policyName, encodeRecord(updated), current.revision)
    return updated
  })
  ctx.policies.forget(policyName)
  return { requestId: call.requestId, policy: policyInfo(record, false) }
}

export async function getPolicy(ctx: PoliciesContext, call: Call, request: api.PolicyNameRequest): Promise<api.PolicyResponse> {
  requestObject(request, 'getPolicy')
  assertPolicyName(request.policyName)
  await authorizePolicy(ctx, call, request.policyName)
  const stored = await ctx.policies.get(request.policyName)
  if (stored === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${request.policyName} does not exist`)
  return { requestId: call.requestId, policy: policyInfo(stored, true) }
}

/** Deletes a policy that no principal has attached (detach it first: Rejected.PolicyInUse). */
export async function deletePolicy(ctx: PoliciesContext, call: Call, request: api.PolicyNameRequest): Promise<api.KmsResponse> {
  requestObject(request, 'deletePolicy')
  assertPolicyName(request.policyName)
  const { policyName } = request
  await authorizePolicy(ctx, call, policyName)
  await ctx.transact(call, async (tx) => {
    const current = await ctx.policies.policyInTx(tx, policyName)
    if (current === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
    const users = await ctx.policies.principalsWith(policyName)
    if (users.length > 0) throw new KmsError('Rejected.PolicyInUse', `policy ${policyName} is attached to ${users.length} principal(s)`)
    tx.deleteRecord(POLICY_PREFIX + policyName, current.revision)
  })
  ctx.policies.forget(policyName)
  return { requestId: call.requestId }
}

/** Policies in name order, a page at a time (only the page's records are read); totalCount is a counter kept with every create and delete. */
export async function listPolicies(ctx: PoliciesContext, call: Call, request: api.Paging = {}): Promise<api.ListPoliciesResponse> {
  requestObject(request, 'listPolicies')
  const paging = listingParams(request)
  await ctx.authorize(call, 'ListPolicies', '*', '*')
  const [page, count] = await Promise.all([
    listIndex(ctx.keys, { prefix: POLICY_PREFIX, paging, hidden: () => false }),
    ctx.keys.readRecord(POLICY_COUNT_KEY),
  ])
  return {
    requestId: call.requestId, totalCount: decodeCount(count), pageNumber: page.pageNumber, pageSize: paging.pageSize,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    policies: page.items.map(({ record }) => policyInfo(PolicyStore.decodePolicy(record), false)),
  }
}

export async function attachPolicy(ctx: PoliciesContext, call: Call, request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
  requestObject(request, 'attachPolicy')
  assertPolicyName(request.policyName)
  assertPrincipalName(request.principal)
  const { policyName, principal } = request
  await authorizePolicy(ctx, call, policyName)
  await ctx.transact(call, async (tx) => {
    if ((await ctx.policies.policyInTx(tx, policyName)) === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
    const current = await ctx.policies.attachmentInTx(tx, principal)
    const names = current?.record.policyNames ?? []
    if (names.includes(policyName)) return
    if (names.length >= MAX_POLICIES_PER_PRINCIPAL) throw new KmsError('LimitExceeded', `a principal has at most ${MAX_POLICIES_PER_PRINCIPAL} policies`)
    const record = { schema: 1 as const, principal, policyNames: [...names, policyName].sort() }
    tx.putRecord(PRINCIPAL_PREFIX + principal, encodeRecord(record), current?.revision ?? null)
  })
  ctx.policies.forget(undefined, principal)
  return { requestId: call.requestId }
}

export async function detachPolicy(ctx: PoliciesContext, call: Call, request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
  requestObject(request, 'detachPolicy')
  assertPolicyName(request.policyName)
  assertPrincipalName(request.principal)
  const { policyName, principal } = request
  await authorizePolicy(ctx, call, policyName)
  await ctx.transact(call, async (tx) => {
    const current = await ctx.policies.attachmentInTx(tx, principal)
    if (current === undefined || !current.record.policyNames.includes(policyName)) {
      throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} is not attached to ${principal}`)
    }
    const policyNames = current.record.policyNames.filter((n) => n !== policyName)
    if (policyNames.length === 0) tx.deleteRecord(PRINCIPAL_PREFIX + principal, current.revision)
    else tx.putRecord(PRINCIPAL_PREFIX + principal, encodeRecord({ ...current.record, policyNames }), current.revision)
  })
  ctx.policies.forget(undefined, principal)
  return { requestId: call.requestId }
}

export async function listPoliciesForPrincipal(ctx: PoliciesContext, call: Call, request: api.PrincipalRequest): Promise<api.ListPoliciesResponse> {
  requestObject(request, 'listPoliciesForPrincipal')
  assertPrincipalName(request.principal)
  await ctx.authorize(call, 'ListPoliciesForPrincipal', '*', '*')
  // A principal has at most MAX_POLICIES_PER_PRINCIPAL policies: read those, not every policy.
  const attached = (await ctx.policies.forPrincipal(request.principal)).map((p) => p.name).sort()
  const policies = (await Promise.all(attached.map((name) => ctx.policies.get(name)))).filter((p) => p !== undefined)
  return { requestId: call.requestId, totalCount: policies.length, pageNumber: 1, pageSize: policies.length, policies: policies.map((p) => policyInfo(p, false)) }
}
