/**
 * Key policies and key usage: PutKeyPolicy, GetKeyPolicy, ListKeyPolicies and
 * GetKeyLastUsage, over the engine's `setKeyPolicy`, `getKeyPolicy` and the last-used date
 * its audit trail derives.
 *
 * ```ts
 * await PutKeyPolicy({ KeyId, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{
 *   Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:user/alice' }, Action: 'kms:Decrypt', Resource: '*' }] }) }, context)
 * await GetKeyPolicy({ KeyId }, context)   // { Policy: <the text as put>, PolicyName: 'default' }
 * ```
 *
 * `Policy` is IAM-style JSON (`Version: "2012-10-17"`, `Principal: { AWS: … }`, AWS's
 * action names, `kms:` condition keys), which the engine evaluates itself (core's
 * policy.ts); a Strongroom document (`Version: "1"`) is accepted too. An `AWS` principal
 * names an engine principal when it is an IAM user or role ARN of this endpoint's account
 * with the principal's name (or the principal's name itself); the account
 * (`arn:aws:iam::<account>:root`) lets identity policies decide, as on AWS. A document the
 * engine refuses is MalformedPolicyDocumentException naming the offending element. As on
 * AWS, a key has one policy, named `default`; GetKeyPolicy answers the text as it was put,
 * and for a key without one AWS's default key policy, which is how the engine treats it.
 * `BypassPolicyLockoutSafetyCheck` is AWS's: without it, a caller may set only a policy
 * that still lets it set the policy (else MalformedPolicyDocumentException).
 */
import { KmsError, parsePolicyDocument } from '@strongroom/core'
import { AwsError, validation } from '../errors.js'
import type { AwsNames } from '../names.js'
import { epochSeconds, optionalBoolean, optionalInteger, optionalMarker, optionalString, requiredString, type JsonObject } from '../wire.js'
import type { Operation, OperationContext } from './context.js'
import { keyIdParam } from './members.js'

const DEFAULT_POLICY = 'default'

function policyName(input: JsonObject): void {
  const name = optionalString(input, 'PolicyName', 1, 128)
  if (name !== undefined && name !== DEFAULT_POLICY) throw validation('PolicyName must be "default": a key has exactly one policy')
}

export const PutKeyPolicy: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  policyName(input)
  const policy = requiredString(input, 'Policy', 1, 131072)
  const bypass = optionalBoolean(input, 'BypassPolicyLockoutSafetyCheck') === true
  try {
    await client.setKeyPolicy({ keyId, policy, ...(bypass ? { bypassPolicyLockoutSafetyCheck: true } : {}) })
  } catch (error) {
    // The engine checks the document before it looks the key up; AWS names a missing key first.
    if (KmsError.is(error, 'InvalidParameter') && await isMissing(client, keyId)) throw keyNotFound(error)
    throw error
  }
  return {}
}

/** True only when the engine says the key does not exist (a refused describe proves nothing). */
async function isMissing(client: OperationContext['client'], keyId: string): Promise<boolean> {
  return client.describeKey({ keyId }).then(() => false, (error: unknown) => KmsError.is(error, 'Forbidden.KeyNotFound'))
}

function keyNotFound(cause: unknown): AwsError {
  return new AwsError('NotFoundException', 'the key does not exist', { cause })
}

/**
 * The key policy AWS gives a key created without one: the account may do everything, and
 * IAM (here: the engine's identity policies) decides for its principals — which is what
 * the engine does for a key without a key policy, so it is that key's policy in AWS terms
 * (and the engine evaluates this very text the same way when it is put).
 */
export function defaultKeyPolicy(names: AwsNames): string {
  // Laid out as AWS returns it (its JSON printer's spacing), for code that compares the text.
  return [
    '{',
    '  "Version" : "2012-10-17",',
    '  "Id" : "key-default-1",',
    '  "Statement" : [ {',
    '    "Sid" : "Enable IAM User Permissions",',
    '    "Effect" : "Allow",',
    '    "Principal" : {',
    `      "AWS" : "arn:${names.partition}:iam::${names.account}:root"`,
    '    },',
    '    "Action" : "kms:*",',
    '    "Resource" : "*"',
    '  } ]',
    '}',
  ].join('\n')
}

/**
 * A key policy document, checked before anything is created (CreateKey with `Policy`):
 * what the engine would refuse is MalformedPolicyDocumentException naming the element, as
 * PutKeyPolicy answers.
 */
export function checkKeyPolicy(policy: string): void {
  try {
    parsePolicyDocument(policy, 'key')
  } catch (error) {
    if (KmsError.is(error, 'InvalidParameter')) throw new AwsError('MalformedPolicyDocumentException', error.message, { cause: error })
    throw error
  }
}

export const GetKeyPolicy: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  policyName(input)
  const { policy, policyText } = await client.getKeyPolicy({ keyId })
  return { PolicyName: DEFAULT_POLICY, Policy: policyText ?? (policy === undefined ? defaultKeyPolicy(names) : JSON.stringify(policy)) }
}

/** Every key has exactly the `default` policy name, as on AWS; the engine call proves the key exists and may be read. */
export const ListKeyPolicies: Operation = async (input, { client, names }) => {
  const keyId = keyIdParam(input, names)
  optionalInteger(input, 'Limit', 1, 1000)
  optionalMarker(input)
  await client.getKeyPolicy({ keyId })
  return { PolicyNames: [DEFAULT_POLICY], Truncated: false }
}

/** The engine knows when a key was last used (from its audit trail), not by which operation. */
export const GetKeyLastUsage: Operation = async (input, { client, names }) => {
  const { keyMetadata: m } = await client.describeKey({ keyId: keyIdParam(input, names) })
  return {
    KeyId: names.keyArn(m.keyId),
    KeyCreationDate: epochSeconds(m.creationDate),
    ...(m.lastUsedDate === undefined ? {} : { KeyLastUsage: { Timestamp: epochSeconds(m.lastUsedDate) } }),
  }
}
