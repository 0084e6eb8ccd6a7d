/**
 * Condition operators (their value types and semantics) and wildcard matching for policy
 * documents; see policy.ts for the language.
 *
 * ```ts
 * wildcardMatch('kms:Gen*', 'kms:GenerateDataKey', true)   // true
 * ```
 */
import { CONDITION_OPERATORS, type BaseConditionOperator, type SetQualifier, type ConditionOperator } from './types.js'

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

export type ValueType = 'string' | 'numeric' | 'date' | 'bool' | 'null'

export interface OperatorSpec {
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

export interface ResolvedOperator {
  readonly canonical: ConditionOperator
  readonly qualifier: SetQualifier | undefined
  readonly spec: OperatorSpec
}

/** Every accepted operator spelling, lower-cased → its canonical form and semantics. */
export const OPERATOR_LOOKUP: ReadonlyMap<string, ResolvedOperator> = (() => {
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
export function wellTyped(type: ValueType, value: string): boolean {
  switch (type) {
    case 'numeric': return !Number.isNaN(parseNumber(value))
    case 'date': return !Number.isNaN(parseDate(value))
    case 'bool': { const lower = value.toLowerCase(); return lower === 'true' || lower === 'false' }
    default: return true
  }
}

/** Decimal numbers only (no hex, no whitespace, no empty string — which `Number()` would all accept). */
const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

export function parseNumber(text: string): number {
  if (!NUMBER_PATTERN.test(text)) return Number.NaN
  const n = Number(text)
  return Number.isFinite(n) ? n : Number.NaN
}

const EPOCH_SECONDS_PATTERN = /^-?\d+(?:\.\d+)?$/
const ISO_8601_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/

/** Milliseconds since the epoch, or NaN. ISO 8601 without an offset is UTC (never host-local). */
export function parseDate(text: string): number {
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

