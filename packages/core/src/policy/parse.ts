/**
 * Validation and normalisation of policy documents: a malformed document is refused with the
 * path of the offending element; what is returned is normalised and deeply frozen.
 *
 * ```ts
 * const document = parsePolicyDocument({ Version: '1', Statement: [...] }, 'identity')
 * ```
 */
import { KmsError } from '../errors.js'
import { parseNumber, parseDate, OPERATOR_LOOKUP, type ValueType } from './operators.js'
import { MAX_POLICY_BYTES, MAX_POLICY_STATEMENTS, CONDITION_OPERATORS, MAX_POLICY_TEXT_LENGTH, IAM_POLICY_VERSIONS, type PolicyVersion, type PolicyKind, type ConditionOperator, type ConditionBlock, type PolicyCondition, type PolicyPrincipal, type PolicyStatement, type PolicyDocument } from './types.js'

const DOCUMENT_FIELDS = new Set(['Version', 'Id', 'Statement'])
const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Action', 'Resource', 'Principal', 'Condition'])
/** Negative forms are refused: they silently grant every future action/resource too. */
const UNSUPPORTED_FIELDS: Readonly<Record<string, string>> = {
  NotAction: 'NotAction is not supported; list the actions in Action (use a Deny statement to carve some out)',
  NotResource: 'NotResource is not supported; list the resources in Resource (use a Deny statement to carve some out)',
  NotPrincipal: 'NotPrincipal is not supported; list the principals in Principal',
}
const ACTION_PATTERN = /^(?:\*|kms:[A-Za-z*?]+)$/i
const SID_PATTERN = /^[A-Za-z0-9 _.:-]{1,128}$/
/** `<service>:<name>`, e.g. `kms:KeySpec`, `acs:CurrentTime`, `kms:EncryptionContext:tenant`. */
const CONDITION_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9-]*:[^]+$/
const MAX_NAME_LENGTH = 1024
/** Key resources in either spelling: the reference model's `acs:kms:…` or AWS's `arn:<partition>:kms:…`. */
const RESOURCE_PATTERN = /^(?:\*|acs:kms:.*|arn:[a-z*?-]+:kms:.*)$/
/** `"AWS"` principal entries: `*`, an account id, an IAM/STS ARN, or an engine principal name (no wildcards). */
const AWS_PRINCIPAL_PATTERN = /^(?:\*|\d{12}|arn:[a-z-]+:(?:iam|sts)::\d{12}:[\w+=,.@/-]+|[A-Za-z0-9+=,.@_/:-]{1,256})$/
const PRINCIPAL_TYPES = new Set(['RAM', 'AWS', 'Service'])
const ID_PATTERN = /^[A-Za-z0-9 _.:-]{1,128}$/

function fail(path: string, problem: string): never {
  throw new KmsError('InvalidParameter', `${path}: ${problem}`)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Short, single-line rendering of a caller value for a message. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 64 ? `${text.slice(0, 61)}...` : text
}

/** Path segment for an object key: `.kms:KeySpec` when plain, `["odd key"]` otherwise. */
function keySegment(key: string): string {
  return /^[A-Za-z0-9:/_.*?-]{1,128}$/.test(key) ? `.${key}` : `[${show(key)}]`
}

/**
 * Validates a policy document (an object, or its JSON text) and returns its normalised,
 * deeply frozen form. `kind` decides whether `Principal` is refused (identity) or required
 * (key). Throws `KmsError('InvalidParameter', '<path>: <problem>')`.
 */
export function parsePolicyDocument(input: unknown, kind: PolicyKind): PolicyDocument {
  if (kind !== 'identity' && kind !== 'key') throw new TypeError("kind must be 'identity' or 'key'")
  const document = toJsonValue(input)
  if (!isRecord(document)) fail('policy document', 'must be a JSON object')
  // Measured on the compact serialisation, so whitespace in a string input costs nothing.
  const bytes = new TextEncoder().encode(JSON.stringify(document)).length
  if (bytes > MAX_POLICY_BYTES) fail('policy document', `is ${bytes} bytes as JSON; the limit is ${MAX_POLICY_BYTES}`)
  for (const field of Object.keys(document)) {
    if (!DOCUMENT_FIELDS.has(field)) fail(field, 'unknown field (a policy document has Version and Statement)')
  }
  const version = document['Version']
  if (version === undefined) fail('Version', 'is required: "1" or, for an IAM-style document, "2012-10-17"')
  if (version !== '1' && !(IAM_POLICY_VERSIONS as readonly unknown[]).includes(version)) {
    fail('Version', `must be "1" or "2012-10-17" (or "2008-10-17"), got ${show(version)}`)
  }
  const iamStyle = version !== '1'
  const id = document['Id']
  if (id !== undefined && (!iamStyle || typeof id !== 'string' || !ID_PATTERN.test(id))) {
    fail('Id', iamStyle ? 'must be 1-128 of letters, digits, space and _ . : -' : 'is allowed in IAM-style documents only (Version "2012-10-17")')
  }
  const statements = document['Statement']
  if (!Array.isArray(statements) || statements.length === 0) fail('Statement', 'must be a non-empty array of statements')
  if (statements.length > MAX_POLICY_STATEMENTS) {
    fail('Statement', `has ${statements.length} statements; the limit is ${MAX_POLICY_STATEMENTS}`)
  }
  return deepFreeze({
    Version: version as PolicyVersion,
    ...(id === undefined ? {} : { Id: id as string }),
    Statement: statements.map((statement, i) => parseStatement(statement, `Statement[${i}]`, kind, iamStyle)),
  })
}

/**
 * The document's JSON value: strings are parsed; objects go through a JSON round trip, so
 * an object and its JSON text mean exactly the same (undefined fields vanish, getters,
 * prototypes and class instances cannot smuggle anything past validation).
 */
function toJsonValue(input: unknown): unknown {
  let text: string | undefined
  if (typeof input === 'string') {
    if (input.length > MAX_POLICY_TEXT_LENGTH) fail('policy document', `is longer than ${MAX_POLICY_TEXT_LENGTH} characters`)
    text = input
  } else {
    try {
      text = JSON.stringify(input)
    } catch {
      fail('policy document', 'is not JSON-serialisable (cycle or BigInt)')
    }
    if (text === undefined) fail('policy document', 'must be a JSON object or its JSON text')
  }
  try {
    return JSON.parse(text) as unknown
  } catch {
    return fail('policy document', 'is not valid JSON')
  }
}

function parseStatement(input: unknown, path: string, kind: PolicyKind, iamStyle: boolean): PolicyStatement {
  if (!isRecord(input)) fail(path, 'must be an object')
  for (const field of Object.keys(input)) {
    const unsupported = UNSUPPORTED_FIELDS[field]
    if (unsupported !== undefined && Object.hasOwn(UNSUPPORTED_FIELDS, field)) fail(`${path}.${field}`, unsupported)
    if (!STATEMENT_FIELDS.has(field)) fail(`${path}${keySegment(field)}`, 'unknown field (a statement has Sid, Effect, Action, Resource, Principal, Condition)')
  }
  const sid = input['Sid']
  if (sid !== undefined && (typeof sid !== 'string' || !SID_PATTERN.test(sid))) {
    fail(`${path}.Sid`, 'must be 1-128 of letters, digits, space and _ . : -')
  }
  const effect = input['Effect']
  if (effect !== 'Allow' && effect !== 'Deny') fail(`${path}.Effect`, `must be "Allow" or "Deny", got ${show(effect)}`)
  const action = stringList(input['Action'], `${path}.Action`, (value, at) => {
    if (!ACTION_PATTERN.test(value)) fail(at, `${show(value)} is not an action: "*" or "kms:" and an operation name (letters, * and ?)`)
  })
  const resource = stringList(input['Resource'], `${path}.Resource`, (value, at) => {
    if (!RESOURCE_PATTERN.test(value)) fail(at, `${show(value)} is not a resource: "*" or a name starting "acs:kms:" or "arn:<partition>:kms:"`)
  })
  const principal = input['Principal']
  if (kind === 'identity' && principal !== undefined) {
    fail(`${path}.Principal`, 'is not allowed in an identity policy (it applies to the principal it is attached to)')
  }
  if (kind === 'key' && principal === undefined) {
    fail(`${path}.Principal`, iamStyle ? 'is required in a key policy ("*" or { "AWS": [ARNs] })' : 'is required in a key policy ("*" or { "RAM": [names] })')
  }
  const condition = input['Condition']
  return {
    ...(sid === undefined ? {} : { Sid: sid }),
    Effect: effect,
    Action: action,
    Resource: resource,
    ...(principal === undefined ? {} : { Principal: parsePrincipal(principal, `${path}.Principal`, iamStyle) }),
    ...(condition === undefined ? {} : { Condition: parseCondition(condition, `${path}.Condition`, iamStyle) }),
  }
}

/** A non-empty string or non-empty array of non-empty strings, each checked. */
function stringList(input: unknown, path: string, check: (value: string, path: string) => void): string[] {
  if (input === undefined) fail(path, 'is required')
  const list = typeof input === 'string' ? [input] : input
  if (!Array.isArray(list) || list.length === 0) fail(path, 'must be a non-empty string or a non-empty array of strings')
  return list.map((value: unknown, i) => {
    const at = typeof input === 'string' ? path : `${path}[${i}]`
    if (typeof value !== 'string' || value.length === 0) fail(at, 'must be a non-empty string')
    if (value.length > MAX_NAME_LENGTH) fail(at, `must be at most ${MAX_NAME_LENGTH} characters`)
    check(value, at)
    return value
  })
}

function parsePrincipal(input: unknown, path: string, iamStyle: boolean): PolicyPrincipal {
  if (input === '*') return iamStyle ? { AWS: ['*'] } : { RAM: ['*'] }
  if (!isRecord(input)) fail(path, 'must be "*" or { "RAM" or "AWS": name or [names] }')
  const fields = Object.keys(input)
  if (fields.length === 0) fail(path, 'must name at least one principal')
  for (const field of fields) {
    if (!PRINCIPAL_TYPES.has(field)) fail(`${path}${keySegment(field)}`, 'unknown principal type (RAM, AWS and Service are supported)')
  }
  const out: { RAM?: string[]; AWS?: string[]; Service?: string[] } = {}
  if (input['RAM'] !== undefined) out.RAM = stringList(input['RAM'], `${path}.RAM`, () => {})
  if (input['AWS'] !== undefined) {
    out.AWS = stringList(input['AWS'], `${path}.AWS`, (value, at) => {
      if (!AWS_PRINCIPAL_PATTERN.test(value)) fail(at, `${show(value)} is not a principal: "*", an account id, an IAM ARN or a principal name`)
    })
  }
  if (input['Service'] !== undefined) out.Service = stringList(input['Service'], `${path}.Service`, () => {})
  return out
}

function parseCondition(input: unknown, path: string, iamStyle: boolean): PolicyCondition {
  if (!isRecord(input)) fail(path, 'must be an object of { operator: { condition key: value(s) } }')
  const entries = Object.entries(input)
  if (entries.length === 0) fail(path, 'must name at least one operator (omit Condition instead)')
  const seen = new Set<string>()
  const blocks = entries.map(([name, block]): [ConditionOperator, ConditionBlock] => {
    const at = `${path}${keySegment(name)}`
    const resolved = OPERATOR_LOOKUP.get(name.toLowerCase())
    if (resolved === undefined) {
      if (/^(?:ForAllValues|ForAnyValue):Null$/i.test(name)) fail(at, 'Null takes no ForAllValues/ForAnyValue qualifier')
      fail(at, `unknown condition operator (supported: ${CONDITION_OPERATORS.join(', ')}, optionally prefixed ForAllValues: or ForAnyValue:)`)
    }
    if (seen.has(resolved.canonical)) fail(at, `${resolved.canonical} appears twice (operator names are case-insensitive)`)
    seen.add(resolved.canonical)
    return [resolved.canonical, parseBlock(block, at, resolved.spec.type, iamStyle)]
  })
  return Object.fromEntries(blocks) as PolicyCondition
}

function parseBlock(input: unknown, path: string, type: ValueType, iamStyle: boolean): ConditionBlock {
  if (!isRecord(input)) fail(path, 'must be an object of { condition key: value or [values] }')
  const entries = Object.entries(input)
  if (entries.length === 0) fail(path, 'must name at least one condition key')
  const seen = new Set<string>()
  // Object.fromEntries defines own properties, so a key named "__proto__" stays data.
  return Object.fromEntries(entries.map(([key, values]) => {
    const at = `${path}${keySegment(key)}`
    if (key.length > MAX_NAME_LENGTH || !CONDITION_KEY_PATTERN.test(key)) {
      fail(at, 'condition key must look like "<service>:<name>", e.g. kms:KeySpec or acs:CurrentTime')
    }
    if (seen.has(key.toLowerCase())) fail(at, 'condition key appears twice (condition keys are case-insensitive)')
    seen.add(key.toLowerCase())
    return [key, parseValues(values, at, type, iamStyle)]
  }))
}

function parseValues(input: unknown, path: string, type: ValueType, iamStyle: boolean): string[] {
  const list = Array.isArray(input) ? input : [input]
  if (list.length === 0) fail(path, 'must be a value or a non-empty array of values')
  return list.map((value: unknown, i) => {
    // IAM's grammar lets a condition value be a JSON number or boolean whatever the operator
    // (`"StringEquals": { "kms:CallerAccount": 111122223333 }`): it is compared as its text.
    const text = iamStyle && type === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? String(value) : value
    return parseValue(text, Array.isArray(input) ? `${path}[${i}]` : path, type)
  })
}

function parseValue(value: unknown, path: string, type: ValueType): string {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') fail(path, `must be a string or a non-empty array of strings, got ${show(value)}`)
      return value
    case 'numeric': {
      const text = typeof value === 'number' ? String(value) : value
      if (typeof text !== 'string' || Number.isNaN(parseNumber(text))) fail(path, `${show(value)} is not a decimal number`)
      return text
    }
    case 'date': {
      const text = typeof value === 'number' ? String(value) : value
      if (typeof text !== 'string' || Number.isNaN(parseDate(text))) {
        fail(path, `${show(value)} is not an ISO 8601 date-time (e.g. 2030-01-01T00:00:00Z) or epoch seconds`)
      }
      return text
    }
    case 'bool':
    case 'null':
      if (value === true || value === 'true') return 'true'
      if (value === false || value === 'false') return 'false'
      return fail(path, `must be "true" or "false", got ${show(value)}`)
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

