/**
 * Least-privilege authorization: policy documents in the reference model's RAM policy
 * language, validated by `parsePolicyDocument` and decided by the pure `evaluate`.
 * Nothing here does I/O or knows the engine; the engine builds the request context.
 *
 * ```ts
 * const document = parsePolicyDocument({
 *   Version: '1',
 *   Statement: [{
 *     Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: 'acs:kms:*:*:key/*',
 *     Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
 *   }],
 * }, 'identity')
 * evaluate(
 *   { principal: 'alice', action: 'kms:Encrypt', resource: 'acs:kms:local:000000000000:key/1',
 *     context: { 'kms:EncryptionContext:tenant': 'acme' } },
 *   [{ name: 'acme-crypto', kind: 'identity', document }],
 * ) // { allowed: true, by: { policy: 'acme-crypto', statement: 0 } }
 * ```
 *
 * Two kinds of policy, one language:
 * - identity policies are attached to a principal and never name one (`Principal` refused);
 * - key policies are attached to a key and must say whom they govern (`Principal` required:
 *   `"*"` or `{ "RAM": ["alice", "svc-*"] }`).
 *
 * Decision (the AWS IAM evaluation logic, single account, without permission boundaries):
 * every applicable statement of every policy handed to `evaluate` — identity and key
 * policies together, as one set — is considered. Any applicable Deny wins
 * (`explicit-deny`); otherwise any applicable Allow allows; otherwise `no-allow` (default
 * deny). So a principal may act when its identity policy OR the key policy allows and
 * nothing denies. Because deny overrides, the order of statements and policies never
 * changes `allowed`/`reason`; it only picks which statement `by` reports (the first
 * applicable one in the order given; `statement` is the 0-based index in `Statement`).
 *
 * A statement applies when its Action matches (wildcards, case-insensitive, as AWS action
 * names are), its Resource matches (wildcards, case-sensitive), for key policies its
 * Principal matches (wildcards, case-sensitive) and every Condition matches. A Resource
 * of `*` also matches the `'*'` resource of account-level actions (list, create); a
 * specific pattern such as `acs:kms:*:*:key/*` does not.
 *
 * Condition keys the engine supplies (the evaluator reads whatever the context holds):
 * `kms:EncryptionContext:<name>` (one per context entry), `kms:EncryptionContextKeys`
 * (multi-valued), `kms:tag/<tagKey>`, `kms:KeySpec`, `kms:KeyUsage`, `kms:KeyOrigin`,
 * `kms:KeyState`, `kms:RequestAlias` (when the request named an alias),
 * `kms:DataKeySpec`, `kms:NumberOfBytes` (data key requests), `acs:CurrentTime` (ISO 8601),
 * `acs:PrincipalName`. Condition key names compare case-insensitively (as AWS's do,
 * including the `<name>` in `kms:EncryptionContext:<name>`); values compare
 * case-sensitively except under the `IgnoreCase` operators and `Bool`.
 *
 * Condition semantics (AWS IAM "Condition operators" and "Multivalued context keys"):
 * - all operator blocks must match, and within a block every key must match (AND);
 * - several policy values for one key: a positive operator matches if ANY value matches
 *   (OR); a negated operator (`StringNotEquals`, `StringNotEqualsIgnoreCase`,
 *   `StringNotLike`, `NumericNotEquals`, `DateNotEquals`) matches only if NONE does;
 * - key absent from the context (or an empty list): positive operators are false,
 *   negated operators are TRUE — AWS: "If the key that you specify in a policy condition
 *   is not present in the request context, the values do not match and the condition is
 *   false. If the policy condition requires that the key is not matched, such as
 *   StringNotLike …, and the right key is not present, the condition is true." Beware:
 *   an Allow guarded only by a negated operator also allows requests without the key;
 *   pair it with `Null: { key: "false" }` to require the key;
 * - `Null: { key: "true" }` matches when the key is absent (or an empty list), `"false"`
 *   when it is present;
 * - a request value that is not a number (Numeric*), a date (Date*) or `true`/`false`
 *   (Bool) satisfies no operator of that family, negated ones included: a type mismatch
 *   is not "a different value";
 * - multi-valued keys: `ForAnyValue:<op>` is true when at least one request value
 *   satisfies `<op>` (false for an absent/empty set); `ForAllValues:<op>` when every
 *   request value does (TRUE for an absent/empty set, as in AWS — so pair it with
 *   `Null: { key: "false" }` in an Allow). Without a qualifier, a positive operator asks
 *   whether any request value matches, a negated one whether none does.
 * - Date values are ISO 8601 (`2030-01-01`, `2030-01-01T00:00:00Z`, `…+08:00`; no offset
 *   means UTC, so a policy never depends on the host's time zone) or epoch seconds.
 *
 * Wildcards (`wildcardMatch`): `*` matches any run of characters, empty included and `:`
 * and `/` included; `?` exactly one character (code point). Everything else is literal.
 * Matching is greedy with single backtracking, O(pattern × value) at worst, never a RegExp.
 *
 * Errors: a malformed document throws `KmsError('InvalidParameter')` whose message starts
 * with the path of the offending element, e.g. `Statement[1].Condition.StringEquals: …`.
 */
import { KmsError } from './errors.js'

export type PolicyKind = 'identity' | 'key'
export type PolicyEffect = 'Allow' | 'Deny'

/** Upper bound on a document serialised as compact JSON, in UTF-8 bytes (the reference model's 32 KiB). */
export const MAX_POLICY_BYTES = 32_768
export const MAX_POLICY_STATEMENTS = 100
/** A string input longer than this is refused before parsing (room for generous whitespace). */
const MAX_POLICY_TEXT_LENGTH = 8 * MAX_POLICY_BYTES

/** Condition operators without a set qualifier, canonical spelling. */
export const CONDITION_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'Null',
] as const
export type BaseConditionOperator = (typeof CONDITION_OPERATORS)[number]
export type SetQualifier = 'ForAllValues' | 'ForAnyValue'
/** `Null` takes no set qualifier: presence is a property of the key, not of its values. */
export type ConditionOperator = BaseConditionOperator | `${SetQualifier}:${Exclude<BaseConditionOperator, 'Null'>}`

/** Condition key (as written) → the policy's values, always a non-empty array of strings. */
export type ConditionBlock = Readonly<Record<string, readonly string[]>>
/** Operator (canonical spelling) → its block. */
export type PolicyCondition = { readonly [Operator in ConditionOperator]?: ConditionBlock }

export interface PolicyPrincipal {
  /** RAM principal name patterns; a document's `"Principal": "*"` is stored as `["*"]`. */
  readonly RAM: readonly string[]
}

/** A statement after normalisation: arrays everywhere, canonical operator names. */
export interface PolicyStatement {
  readonly Sid?: string
  readonly Effect: PolicyEffect
  readonly Action: readonly string[]
  readonly Resource: readonly string[]
  /** Present in every key policy statement, absent from every identity policy statement. */
  readonly Principal?: PolicyPrincipal
  readonly Condition?: PolicyCondition
}

/** The normalised, deeply frozen document: what gets stored and evaluated. */
export interface PolicyDocument {
  readonly Version: '1'
  readonly Statement: readonly PolicyStatement[]
}

export interface AuthorizationRequest {
  /** The caller, e.g. `'alice'`. */
  readonly principal: string
  /** e.g. `'kms:Encrypt'`. */
  readonly action: string
  /** A key or alias resource name, or `'*'` for account-level actions (list, create). */
  readonly resource: string
  /** Condition keys → value(s), keys as the engine spells them (compared case-insensitively). */
  readonly context: Readonly<Record<string, string | readonly string[]>>
}

export interface StatementRef {
  readonly policy: string
  /** 0-based index into the document's `Statement`. */
  readonly statement: number
  readonly sid?: string
}

export type Decision =
  | { readonly allowed: true; readonly by: StatementRef }
  | { readonly allowed: false; readonly reason: 'explicit-deny' | 'no-allow'; readonly by?: StatementRef }

/** A document as attached somewhere: its name (reported in decisions) and kind. */
export interface PolicyAttachment {
  readonly name: string
  readonly kind: PolicyKind
  readonly document: PolicyDocument
}

// ---------------------------------------------------------------------------------------
// Wildcards

/**
 * Glob match with `*` (any run, empty included) and `?` (one code point); all other
 * characters are literal, so no pattern can inject regular-expression syntax.
 *
 * Greedy scan remembering only the last `*`: on a mismatch, let that star swallow one
 * more character and retry. Earlier stars never need revisiting because the last star
 * can absorb anything they could, so the worst case is O(|pattern| × |value|) with no
 * exponential backtracking (cf. `'*a*a*a*b'` against a long run of `a`s).
 */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  // Code points, so `?` matches one character even outside the BMP.
  const p = codePoints(pattern, caseInsensitive)
  const v = codePoints(value, caseInsensitive)
  let pi = 0
  let vi = 0
  let starP = -1 // index of the last `*` seen in the pattern
  let starV = 0 // value position that star currently extends to
  while (vi < v.length) {
    const pc = p[pi]
    if (pc === '*') {
      starP = pi++
      starV = vi
    } else if (pc !== undefined && (pc === '?' || pc === v[vi])) {
      pi++
      vi++
    } else if (starP >= 0) {
      pi = starP + 1
      vi = ++starV
    } else {
      return false
    }
  }
  while (p[pi] === '*') pi++
  return pi === p.length
}

function codePoints(text: string, lower: boolean): string[] {
  const chars = Array.from(text)
  // Per code point, so a character whose lower case is longer still counts as one for `?`.
  return lower ? chars.map((c) => (c === '*' || c === '?' ? c : c.toLowerCase())) : chars
}

// ---------------------------------------------------------------------------------------
// Operators

type ValueType = 'string' | 'numeric' | 'date' | 'bool' | 'null'

interface OperatorSpec {
  readonly type: ValueType
  /** Negated: a request value satisfies the operator when it matches none of the policy values. */
  readonly negated: boolean
  /** The positive comparison of one (well-typed) request value with one policy value. */
  readonly test: (request: string, policy: string) => boolean
}

const stringOp = (negated: boolean, test: (r: string, p: string) => boolean): OperatorSpec => ({ type: 'string', negated, test })
const numericOp = (negated: boolean, cmp: (r: number, p: number) => boolean): OperatorSpec =>
  ({ type: 'numeric', negated, test: (r, p) => cmp(parseNumber(r), parseNumber(p)) })
const dateOp = (negated: boolean, cmp: (r: number, p: number) => boolean): OperatorSpec =>
  ({ type: 'date', negated, test: (r, p) => cmp(parseDate(r), parseDate(p)) })
const equalsIgnoreCase = (r: string, p: string): boolean => r.toLowerCase() === p.toLowerCase()

const OPERATORS: Readonly<Record<BaseConditionOperator, OperatorSpec>> = {
  StringEquals: stringOp(false, (r, p) => r === p),
  StringNotEquals: stringOp(true, (r, p) => r === p),
  StringEqualsIgnoreCase: stringOp(false, equalsIgnoreCase),
  StringNotEqualsIgnoreCase: stringOp(true, equalsIgnoreCase),
  StringLike: stringOp(false, (r, p) => wildcardMatch(p, r)),
  StringNotLike: stringOp(true, (r, p) => wildcardMatch(p, r)),
  NumericEquals: numericOp(false, (r, p) => r === p),
  NumericNotEquals: numericOp(true, (r, p) => r === p),
  NumericLessThan: numericOp(false, (r, p) => r < p),
  NumericLessThanEquals: numericOp(false, (r, p) => r <= p),
  NumericGreaterThan: numericOp(false, (r, p) => r > p),
  NumericGreaterThanEquals: numericOp(false, (r, p) => r >= p),
  DateEquals: dateOp(false, (r, p) => r === p),
  DateNotEquals: dateOp(true, (r, p) => r === p),
  DateLessThan: dateOp(false, (r, p) => r < p),
  DateLessThanEquals: dateOp(false, (r, p) => r <= p),
  DateGreaterThan: dateOp(false, (r, p) => r > p),
  DateGreaterThanEquals: dateOp(false, (r, p) => r >= p),
  // Policy values are stored as "true"/"false"; request values compare case-insensitively.
  Bool: { type: 'bool', negated: false, test: (r, p) => r.toLowerCase() === p },
  Null: { type: 'null', negated: false, test: () => false }, // evaluated on presence, see keyMatches
}

interface ResolvedOperator {
  readonly canonical: ConditionOperator
  readonly qualifier: SetQualifier | undefined
  readonly spec: OperatorSpec
}

/** Every accepted operator spelling, lower-cased → its canonical form and semantics. */
const OPERATOR_LOOKUP: ReadonlyMap<string, ResolvedOperator> = (() => {
  const map = new Map<string, ResolvedOperator>()
  for (const base of CONDITION_OPERATORS) {
    const spec = OPERATORS[base]
    map.set(base.toLowerCase(), { canonical: base, qualifier: undefined, spec })
    if (base === 'Null') continue
    for (const qualifier of ['ForAllValues', 'ForAnyValue'] as const) {
      const canonical = `${qualifier}:${base}` as const
      map.set(canonical.toLowerCase(), { canonical, qualifier, spec })
    }
  }
  return map
})()

/** Whether a request value has the operator's type; if not, it satisfies no operator of the family. */
function wellTyped(type: ValueType, value: string): boolean {
  switch (type) {
    case 'numeric': return !Number.isNaN(parseNumber(value))
    case 'date': return !Number.isNaN(parseDate(value))
    case 'bool': { const lower = value.toLowerCase(); return lower === 'true' || lower === 'false' }
    default: return true
  }
}

/** Decimal numbers only (no hex, no whitespace, no empty string — which `Number()` would all accept). */
const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

function parseNumber(text: string): number {
  if (!NUMBER_PATTERN.test(text)) return Number.NaN
  const n = Number(text)
  return Number.isFinite(n) ? n : Number.NaN
}

const EPOCH_SECONDS_PATTERN = /^-?\d+(?:\.\d+)?$/
const ISO_8601_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/

/** Milliseconds since the epoch, or NaN. ISO 8601 without an offset is UTC (never host-local). */
function parseDate(text: string): number {
  if (EPOCH_SECONDS_PATTERN.test(text)) {
    const ms = Number(text) * 1000
    return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : Number.NaN
  }
  const m = ISO_8601_PATTERN.exec(text)
  if (m === null) return Number.NaN
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', offset = 'Z'] = m
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN
  let offsetMinutes = 0
  if (offset !== 'Z' && offset !== 'z') {
    const digits = offset.slice(1).replace(':', '')
    const oh = Number(digits.slice(0, 2))
    const om = digits.length > 2 ? Number(digits.slice(2)) : 0
    if (oh > 23 || om > 59) return Number.NaN
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om)
  }
  const date = new Date(0)
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, Number(frac.padEnd(3, '0').slice(0, 3)))
  return date.getTime() - offsetMinutes * 60_000
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// ---------------------------------------------------------------------------------------
// Validation and normalisation

const DOCUMENT_FIELDS = new Set(['Version', 'Statement'])
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
  if (document['Version'] === undefined) fail('Version', 'is required and must be "1"')
  if (document['Version'] !== '1') fail('Version', `must be "1", got ${show(document['Version'])}`)
  const statements = document['Statement']
  if (!Array.isArray(statements) || statements.length === 0) fail('Statement', 'must be a non-empty array of statements')
  if (statements.length > MAX_POLICY_STATEMENTS) {
    fail('Statement', `has ${statements.length} statements; the limit is ${MAX_POLICY_STATEMENTS}`)
  }
  return deepFreeze({
    Version: '1',
    Statement: statements.map((statement, i) => parseStatement(statement, `Statement[${i}]`, kind)),
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

function parseStatement(input: unknown, path: string, kind: PolicyKind): PolicyStatement {
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
    if (value !== '*' && !value.startsWith('acs:kms:')) fail(at, `${show(value)} is not a resource: "*" or a name starting "acs:kms:"`)
  })
  const principal = input['Principal']
  if (kind === 'identity' && principal !== undefined) {
    fail(`${path}.Principal`, 'is not allowed in an identity policy (it applies to the principal it is attached to)')
  }
  if (kind === 'key' && principal === undefined) {
    fail(`${path}.Principal`, 'is required in a key policy ("*" or { "RAM": [names] })')
  }
  const condition = input['Condition']
  return {
    ...(sid === undefined ? {} : { Sid: sid }),
    Effect: effect,
    Action: action,
    Resource: resource,
    ...(principal === undefined ? {} : { Principal: parsePrincipal(principal, `${path}.Principal`) }),
    ...(condition === undefined ? {} : { Condition: parseCondition(condition, `${path}.Condition`) }),
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

function parsePrincipal(input: unknown, path: string): PolicyPrincipal {
  if (input === '*') return { RAM: ['*'] }
  if (!isRecord(input)) fail(path, 'must be "*" or { "RAM": name or [names] }')
  for (const field of Object.keys(input)) {
    if (field !== 'RAM') fail(`${path}${keySegment(field)}`, 'unknown principal type (only RAM is supported)')
  }
  return { RAM: stringList(input['RAM'], `${path}.RAM`, () => {}) }
}

function parseCondition(input: unknown, path: string): PolicyCondition {
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
    return [resolved.canonical, parseBlock(block, at, resolved.spec.type)]
  })
  return Object.fromEntries(blocks) as PolicyCondition
}

function parseBlock(input: unknown, path: string, type: ValueType): ConditionBlock {
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
    return [key, parseValues(values, at, type)]
  }))
}

function parseValues(input: unknown, path: string, type: ValueType): string[] {
  const list = Array.isArray(input) ? input : [input]
  if (list.length === 0) fail(path, 'must be a value or a non-empty array of values')
  return list.map((value: unknown, i) => parseValue(value, Array.isArray(input) ? `${path}[${i}]` : path, type))
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

// ---------------------------------------------------------------------------------------
// Evaluation

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
      if (!applies(statement, policy.kind, request, context)) continue
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

function applies(statement: PolicyStatement, kind: PolicyKind, request: AuthorizationRequest, context: Context): boolean {
  if (!statement.Action.some((pattern) => wildcardMatch(pattern, request.action, true))) return false
  if (!statement.Resource.some((pattern) => wildcardMatch(pattern, request.resource))) return false
  // Identity statements govern whoever the policy is attached to; a key statement only
  // the principals it names (and one without Principal, never parsed here, nobody).
  const principal = statement.Principal
  if (principal === undefined ? kind === 'key' : !principal.RAM.some((p) => wildcardMatch(p, request.principal))) return false
  return statement.Condition === undefined || conditionMatches(statement.Condition, context)
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
