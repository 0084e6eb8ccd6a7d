/**
 * Evaluation: a request decided against every policy that governs it (deny overrides allow,
 * default deny), and the condition keys an encryption context supplies.
 *
 * ```ts
 * evaluate({ principal: 'alice', action: 'kms:Encrypt', resource: arn, context }, policies)   // { allowed: true, by }
 * ```
 */
import { KmsError } from '../errors.js'
import { wildcardMatch, wellTyped, OPERATOR_LOOKUP, type ResolvedOperator } from './operators.js'
import { awsPrincipalMatches } from './principals.js'
import { type PolicyKind, type PolicyPrincipal, type PolicyCondition, type PolicyStatement, type AuthorizationRequest, type StatementRef, type Decision, type PolicyAttachment } from './types.js'

/** The context with lower-cased keys (condition keys are case-insensitive) and array values. */
type Context = ReadonlyMap<string, readonly string[]>

/**
 * The `kms:EncryptionContext:<name>` and `kms:EncryptionContextKeys` condition keys of an
 * encryption context. Condition key names match case-insensitively (as in AWS), so a
 * condition key must never stand for two context keys: a context whose keys differ only in
 * case or Unicode compatibility form (`tenant` / `Tenant` / `TENANT`, the Kelvin sign for
 * `K`, full-width letters) is refused with InvalidParameter rather than letting
 * `StringEquals kms:EncryptionContext:tenant = acme` match `{ tenant: 'globex', Tenant: 'acme' }`.
 */
export function encryptionContextConditions(context: Readonly<Record<string, string>>): Record<string, string | readonly string[]> {
  const keys = Object.keys(context)
  const out: Record<string, string | readonly string[]> = { 'kms:EncryptionContextKeys': keys }
  const folded = new Set<string>()
  for (const k of keys) {
    const fold = k.normalize('NFKC').toLowerCase()
    if (folded.has(fold)) {
      throw new KmsError('InvalidParameter', 'the encryption context has keys that differ only in case or Unicode form; policies match context keys case-insensitively, so it is ambiguous and refused')
    }
    folded.add(fold)
    out[`kms:EncryptionContext:${k}`] = context[k]!
  }
  return out
}

/**
 * Decides a request against every policy that governs it (the principal's identity
 * policies and the key's policy, as one set). Pure: no I/O, no clock; the caller puts
 * the time in the context (`acs:CurrentTime`). Deny overrides allow; the default is deny.
 */
export function evaluate(request: AuthorizationRequest, policies: readonly PolicyAttachment[]): Decision {
  // Precondition: the request names its principal, action and resource as strings.
  if (typeof request.principal !== 'string' || typeof request.action !== 'string' || typeof request.resource !== 'string') {
    throw new TypeError('principal, action and resource must be strings')
  }
  const context = contextMap(request.context)
  let allow: StatementRef | undefined
  for (const policy of policies) {
    const statements = policy.document.Statement
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i]!
      // Once something allows, only a Deny can still change the answer.
      if (allow !== undefined && statement.Effect === 'Allow') continue
      if (!applies(statement, policy.kind, policy.document.Version !== '1', request, context)) continue
      const ref: StatementRef = statement.Sid === undefined
        ? { policy: policy.name, statement: i }
        : { policy: policy.name, statement: i, sid: statement.Sid }
      if (statement.Effect === 'Deny') return { allowed: false, reason: 'explicit-deny', by: ref }
      allow = ref
    }
  }
  return allow === undefined ? { allowed: false, reason: 'no-allow' } : { allowed: true, by: allow }
}

function contextMap(context: AuthorizationRequest['context']): Context {
  const map = new Map<string, readonly string[]>()
  for (const [key, value] of Object.entries(context)) {
    const values: readonly string[] = typeof value === 'string' ? [value] : value
    const name = key.toLowerCase()
    // Two spellings of one key (the engine should not send them): keep every value.
    const existing = map.get(name)
    map.set(name, existing === undefined ? values : [...existing, ...values])
  }
  return map
}

/**
 * The AWS names of engine actions whose names differ (IAM-style documents speak AWS's
 * action names: `kms:PutKeyPolicy` governs the engine's setKeyPolicy, `kms:Sign` its
 * asymmetricSign, …). Native documents use the engine's names only.
 */
const AWS_ACTION_NAMES: Readonly<Record<string, readonly string[]>> = {
  'kms:SetKeyPolicy': ['kms:PutKeyPolicy'],
  'kms:GetKeyPolicy': ['kms:GetKeyPolicy', 'kms:ListKeyPolicies'],
  'kms:AsymmetricSign': ['kms:Sign'],
  'kms:AsymmetricVerify': ['kms:Verify'],
  'kms:AsymmetricEncrypt': ['kms:Encrypt'],
  'kms:AsymmetricDecrypt': ['kms:Decrypt'],
  'kms:CreateKeyVersion': ['kms:RotateKeyOnDemand'],
  'kms:ListKeyVersions': ['kms:ListKeyRotations'],
  'kms:UpdateRotationPolicy': ['kms:EnableKeyRotation', 'kms:DisableKeyRotation'],
  'kms:DeleteKeyMaterial': ['kms:DeleteImportedKeyMaterial'],
  'kms:ListAliasesByKeyId': ['kms:ListAliases'],
}

function actionMatches(pattern: string, action: string, iamStyle: boolean): boolean {
  if (wildcardMatch(pattern, action, true)) return true
  return iamStyle && (AWS_ACTION_NAMES[action]?.some((name) => wildcardMatch(pattern, name, true)) ?? false)
}

function applies(statement: PolicyStatement, kind: PolicyKind, iamStyle: boolean, request: AuthorizationRequest, context: Context): boolean {
  if (!statement.Action.some((pattern) => actionMatches(pattern, request.action, iamStyle))) return false
  if (!statement.Resource.some((pattern) => resourceMatches(pattern, request.resource))) return false
  // Identity statements govern whoever the policy is attached to; a key statement only
  // the principals it names (and one without Principal, never parsed here, nobody).
  const principal = statement.Principal
  if (principal === undefined ? kind === 'key' : !principalMatches(principal, request)) return false
  return statement.Condition === undefined || conditionMatches(statement.Condition, context)
}

function principalMatches(principal: PolicyPrincipal, request: AuthorizationRequest): boolean {
  if (principal.RAM?.some((p) => wildcardMatch(p, request.principal)) === true) return true
  return principal.AWS?.some((p) => awsPrincipalMatches(p, request.principal, request.account)) === true
}

/**
 * The engine names resources `acs:kms:<region>:<account>:key/<id>`; an IAM-style document
 * names the same resource `arn:<partition>:kms:<region>:<account>:key/<id>`, so an `arn:`
 * pattern is matched without its partition against the name without `acs:`.
 */
function resourceMatches(pattern: string, resource: string): boolean {
  if (!pattern.startsWith('arn:') || !resource.startsWith('acs:')) return wildcardMatch(pattern, resource)
  const service = pattern.indexOf(':', 4)
  return service > 0 && wildcardMatch(pattern.slice(service + 1), resource.slice(4))
}

function conditionMatches(condition: PolicyCondition, context: Context): boolean {
  for (const [operator, block] of Object.entries(condition)) {
    if (block === undefined) continue
    const resolved = OPERATOR_LOOKUP.get(operator.toLowerCase())
    // Only reachable with a hand-built document; refusing beats guessing in either direction.
    if (resolved === undefined) throw new TypeError(`unknown condition operator ${operator}: documents must come from parsePolicyDocument`)
    for (const [key, policyValues] of Object.entries(block)) {
      if (!keyMatches(resolved, context.get(key.toLowerCase()) ?? [], policyValues)) return false
    }
  }
  return true
}

function keyMatches({ qualifier, spec }: ResolvedOperator, requestValues: readonly string[], policyValues: readonly string[]): boolean {
  if (spec.type === 'null') {
    const absent = requestValues.length === 0
    return policyValues.some((p) => (p === 'true') === absent)
  }
  const satisfied = (value: string): boolean => {
    if (!wellTyped(spec.type, value)) return false
    const any = policyValues.some((p) => spec.test(value, p))
    return spec.negated ? !any : any
  }
  switch (qualifier) {
    case 'ForAnyValue': return requestValues.some(satisfied)
    case 'ForAllValues': return requestValues.every(satisfied) // vacuously true for an empty set, as in AWS
    case undefined:
      // Absent key: positive operators fail, negated ones hold (AWS). Present: positive
      // asks "does any request value match", negated "does every one avoid all values".
      if (requestValues.length === 0) return spec.negated
      return spec.negated ? requestValues.every(satisfied) : requestValues.some(satisfied)
  }
}

