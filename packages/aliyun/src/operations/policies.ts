/**
 * Key policies: SetKeyPolicy and GetKeyPolicy. The document is Strongroom's policy language,
 * which follows Alibaba's RAM policy shape (`Version`, `Statement` with `Effect`,
 * `Principal: { RAM: [...] }`, `Action: 'kms:…'`, `Resource`, `Condition`).
 *
 * ```ts
 * await SetKeyPolicy(parameters({ KeyId: id, PolicyName: 'default', Policy: JSON.stringify(document) }), context)
 * await GetKeyPolicy(parameters({ KeyId: id }), context)   // { Policy: '{"Version":"1",…}' }
 * ```
 *
 * A key has one policy, named `default` (as on Alibaba); another name is InvalidParameter.
 */
import { invalidParameter } from '../errors.js'
import { optionalString, requiredString, type Params } from '../params.js'
import type { Operation } from './context.js'
import { keyIdParam } from './members.js'

const POLICY_MAX = 32768

function policyName(params: Params): void {
  const name = optionalString(params, 'PolicyName', 1, 128) ?? 'default'
  if (name !== 'default') throw invalidParameter('PolicyName must be default: a key has one key policy')
}

export const SetKeyPolicy: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  policyName(params)
  await client.setKeyPolicy({ keyId, policy: requiredString(params, 'Policy', 1, POLICY_MAX) })
  return {}
}

/** An empty `Policy` when the key has none. */
export const GetKeyPolicy: Operation = async (params, { client }) => {
  const keyId = keyIdParam(params)
  policyName(params)
  const { policy } = await client.getKeyPolicy({ keyId })
  return { Policy: policy === undefined ? '' : JSON.stringify(policy) }
}
