/**
 * The policy language's types and limits (see policy.ts).
 *
 * ```ts
 * const statement: PolicyStatement = document.Statement[0]!
 * ```
 */
export type PolicyKind = 'identity' | 'key'
export type PolicyEffect = 'Allow' | 'Deny'

/** Upper bound on a document serialised as compact JSON, in UTF-8 bytes (the reference model's 32 KiB). */
export const MAX_POLICY_BYTES = 32_768
export const MAX_POLICY_STATEMENTS = 100
/** A string input longer than this is refused before parsing (room for generous whitespace). */
export const MAX_POLICY_TEXT_LENGTH = 8 * MAX_POLICY_BYTES

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
  /** RAM principal name patterns; a native document's `"Principal": "*"` is stored as `{ RAM: ["*"] }`. */
  readonly RAM?: readonly string[]
  /**
   * IAM-style entries (policy/principals.ts): `"*"`, an account id, an IAM or STS ARN, or an
   * engine principal name; an IAM-style document's `"Principal": "*"` is stored as `{ AWS: ["*"] }`.
   */
  readonly AWS?: readonly string[]
  /** AWS service principals: kept as written, they never name an engine principal. */
  readonly Service?: readonly string[]
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
  /** `"1"`: the reference model's language; `"2012-10-17"` (or `"2008-10-17"`): an IAM-style document (AWS key policies). */
  readonly Version: PolicyVersion
  /** IAM-style documents may name themselves (AWS's default key policy is `key-default-1`). */
  readonly Id?: string
  readonly Statement: readonly PolicyStatement[]
}

export const IAM_POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const
export type PolicyVersion = '1' | (typeof IAM_POLICY_VERSIONS)[number]

export interface AuthorizationRequest {
  /** The caller, e.g. `'alice'`. */
  readonly principal: string
  /** e.g. `'kms:Encrypt'`. */
  readonly action: string
  /** A key or alias resource name, or `'*'` for account-level actions (list, create). */
  readonly resource: string
  /** The engine's account: what an account id or `arn:…:iam::<account>:root` in an `"AWS"` principal names. */
  readonly account?: string
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
