/**
 * The policy module (policy.ts): condition operators one by one, the decision rule
 * (deny overrides allow, default deny), action/resource/principal matching, document
 * validation (one case per malformed shape, each naming its path), and properties:
 * `wildcardMatch` against a RegExp reference, order independence, deny monotonicity.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KmsError } from '../src/errors.js'
import {
  MAX_POLICY_STATEMENTS, evaluate, parsePolicyDocument, wildcardMatch,
  type AuthorizationRequest, type Decision, type PolicyAttachment, type PolicyDocument, type PolicyKind,
} from '../src/policy.js'

const RUNS = Number(process.env['STRONGROOM_FC_RUNS'] ?? 200)

const KEY = 'acs:kms:local:000000000000:key/11111111-2222-4333-8444-555555555555'
const OTHER_KEY = 'acs:kms:local:000000000000:key/99999999-2222-4333-8444-555555555555'
const ALIAS = 'acs:kms:local:000000000000:alias/orders'

function doc(statements: readonly object[], kind: PolicyKind = 'identity'): PolicyDocument {
  return parsePolicyDocument({ Version: '1', Statement: statements }, kind)
}

function request(overrides: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return { principal: 'alice', action: 'kms:Encrypt', resource: KEY, context: {}, ...overrides }
}

/** Does an Allow guarded by this Condition allow a request with this context? */
function conditionAllows(condition: object, context: AuthorizationRequest['context']): boolean {
  const document = doc([{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: condition }])
  return evaluate(request({ context }), [{ name: 'p', kind: 'identity', document }]).allowed
}

function invalid(fn: () => unknown): KmsError {
  try {
    fn()
  } catch (error) {
    if (KmsError.is(error, 'InvalidParameter')) return error
    throw error
  }
  throw new Error('expected InvalidParameter, got success')
}

// ---------------------------------------------------------------------------------------
// Operators: one describe each. A case is [policy value(s), request value (undefined =
// key absent), expected]. The condition key is fixed per operator.

const ABSENT = undefined
type Case = readonly [policy: unknown, request: string | readonly string[] | undefined, expected: boolean]

const NOON = '2030-06-01T12:00:00Z'
const NOON_EPOCH = String(Date.UTC(2030, 5, 1, 12) / 1000)

const OPERATOR_CASES: Readonly<Record<string, { key: string; cases: readonly Case[] }>> = {
  StringEquals: {
    key: 'kms:KeySpec',
    cases: [
      ['Aliyun_AES_256', 'Aliyun_AES_256', true],
      ['Aliyun_AES_256', 'Aliyun_AES_128', false],
      [['Aliyun_AES_128', 'Aliyun_AES_256'], 'Aliyun_AES_256', true], // OR across policy values
      [['Aliyun_AES_128', 'Aliyun_SM4'], 'Aliyun_AES_256', false],
      ['aliyun_aes_256', 'Aliyun_AES_256', false], // values are case-sensitive
      ['Aliyun_AES_256', ABSENT, false],
      ['', '', true],
    ],
  },
  StringNotEquals: {
    key: 'kms:KeySpec',
    cases: [
      ['Aliyun_AES_128', 'Aliyun_AES_256', true],
      ['Aliyun_AES_256', 'Aliyun_AES_256', false],
      [['Aliyun_AES_128', 'Aliyun_AES_256'], 'Aliyun_AES_256', false], // equals one of them: no
      [['Aliyun_AES_128', 'Aliyun_SM4'], 'Aliyun_AES_256', true], // equals none: yes
      ['Aliyun_AES_256', ABSENT, true], // AWS: absent key satisfies a negated operator
    ],
  },
  StringEqualsIgnoreCase: {
    key: 'kms:EncryptionContext:tenant',
    cases: [
      ['ACME', 'acme', true],
      ['acme', 'AcMe', true],
      ['acme', 'acne', false],
      [['globex', 'ACME'], 'Acme', true],
      ['acme', ABSENT, false],
    ],
  },
  StringNotEqualsIgnoreCase: {
    key: 'kms:EncryptionContext:tenant',
    cases: [
      ['ACME', 'acme', false],
      ['acme', 'globex', true],
      [['globex', 'ACME'], 'Acme', false],
      [['globex', 'initech'], 'acme', true],
      ['acme', ABSENT, true],
    ],
  },
  StringLike: {
    key: 'kms:RequestAlias',
    cases: [
      ['alias/app-*', 'alias/app-orders', true],
      ['alias/app-*', 'alias/app-', true], // * matches the empty run
      ['alias/app-?', 'alias/app-1', true],
      ['alias/app-?', 'alias/app-12', false], // ? is exactly one character
      ['alias/*/prod', 'alias/team/sub/prod', true], // * crosses /
      [['alias/a*', 'alias/b*'], 'alias/bee', true],
      [['alias/a*', 'alias/b*'], 'alias/cee', false],
      ['alias/a.c', 'alias/abc', false], // . is literal: no regex injection
      ['alias/APP-*', 'alias/app-x', false], // case-sensitive
      ['alias/*', ABSENT, false],
    ],
  },
  StringNotLike: {
    key: 'kms:RequestAlias',
    cases: [
      ['alias/app-*', 'alias/app-x', false],
      ['alias/app-*', 'alias/other', true],
      [['alias/a*', 'alias/b*'], 'alias/bee', false],
      [['alias/a*', 'alias/b*'], 'alias/cee', true],
      ['alias/a?', 'alias/abc', true],
      ['alias/*', ABSENT, true],
    ],
  },
  NumericEquals: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['32', '32', true],
      ['32', '32.0', true], // compared as numbers, not text
      [32, '32', true], // a JSON number in the policy
      ['32', '16', false],
      [['16', '32'], '32', true],
      ['32', 'lots', false], // non-numeric request value: no match
      ['32', '0x20', false], // only decimal numbers
      ['0', '', false],
      ['32', ABSENT, false],
    ],
  },
  NumericNotEquals: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['32', '16', true],
      ['32', '32', false],
      [['16', '32'], '32', false],
      [['16', '32'], '64', true],
      ['32', 'lots', false], // a type mismatch is not "a different number"
      ['32', ABSENT, true],
    ],
  },
  NumericLessThan: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['64', '32', true],
      ['64', '64', false],
      ['64', '128', false],
      [['16', '64'], '32', true],
      ['0', '-1', true],
      ['1.5', '1.25', true],
      ['64', 'lots', false],
      ['64', ABSENT, false],
    ],
  },
  NumericLessThanEquals: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['64', '64', true],
      ['64', '65', false],
      [['16', '64'], '64', true],
      ['64', 'lots', false],
      ['64', ABSENT, false],
    ],
  },
  NumericGreaterThan: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['16', '32', true],
      ['32', '32', false],
      [['64', '16'], '32', true],
      ['1e3', '1001', true],
      ['16', 'lots', false],
      ['16', ABSENT, false],
    ],
  },
  NumericGreaterThanEquals: {
    key: 'kms:NumberOfBytes',
    cases: [
      ['32', '32', true],
      ['32', '31', false],
      [['64', '16'], '16', true],
      ['16', 'lots', false],
      ['16', ABSENT, false],
    ],
  },
  DateEquals: {
    key: 'acs:CurrentTime',
    cases: [
      [NOON, '2030-06-01T12:00:00.000Z', true],
      ['2030-06-01T20:00:00+08:00', NOON, true], // offsets are honoured
      ['2030-06-01T12:00:00', NOON, true], // no offset means UTC, never the host's zone
      [NOON_EPOCH, NOON, true], // epoch seconds
      [Number(NOON_EPOCH), NOON, true], // as a JSON number
      [NOON, NOON_EPOCH, true], // epoch seconds in the request too
      [NOON, '2030-06-01T12:00:01Z', false],
      [['2029-01-01', NOON], NOON, true],
      [NOON, 'noon', false], // not a date: no match
      [NOON, ABSENT, false],
    ],
  },
  DateNotEquals: {
    key: 'acs:CurrentTime',
    cases: [
      [NOON, '2030-06-01T12:00:01Z', true],
      [NOON, NOON, false],
      [['2029-01-01', NOON_EPOCH], NOON, false],
      [['2029-01-01', '2031-01-01'], NOON, true],
      [NOON, 'noon', false],
      [NOON, ABSENT, true],
    ],
  },
  DateLessThan: {
    key: 'acs:CurrentTime',
    cases: [
      ['2031-01-01', NOON, true], // date-only is UTC midnight
      ['2030-06-01', NOON, false],
      [NOON, NOON, false],
      [String(Number(NOON_EPOCH) + 1), NOON, true],
      [['2020-01-01', '2031-01-01'], NOON, true],
      ['2031-01-01', 'tomorrow', false],
      ['2031-01-01', ABSENT, false],
    ],
  },
  DateLessThanEquals: {
    key: 'acs:CurrentTime',
    cases: [
      [NOON, NOON, true],
      [NOON_EPOCH, NOON, true],
      ['2030-06-01T11:59:59Z', NOON, false],
      ['2031-01-01', 'tomorrow', false],
      [NOON, ABSENT, false],
    ],
  },
  DateGreaterThan: {
    key: 'acs:CurrentTime',
    cases: [
      ['2030-01-01', NOON, true],
      [NOON, NOON, false],
      ['2030-06-01T13:00:00+02:00', NOON, true], // 11:00Z
      [['2031-01-01', '2029-01-01'], NOON, true],
      ['2030-01-01', 'soon', false],
      ['2030-01-01', ABSENT, false],
    ],
  },
  DateGreaterThanEquals: {
    key: 'acs:CurrentTime',
    cases: [
      [NOON, NOON, true],
      [String(Number(NOON_EPOCH) + 1), NOON, false],
      ['2030-01-01', 'soon', false],
      [NOON, ABSENT, false],
    ],
  },
  Bool: {
    key: 'acs:SecureTransport',
    cases: [
      ['true', 'true', true],
      [true, 'true', true], // JSON booleans are accepted in the policy
      [false, 'false', true],
      ['false', 'true', false],
      ['true', 'TRUE', true], // request spelling is case-insensitive
      ['true', 'yes', false], // not a boolean: no match
      [['true', 'false'], 'false', true],
      ['true', ABSENT, false],
    ],
  },
  Null: {
    key: 'kms:RequestAlias',
    cases: [
      ['true', ABSENT, true], // "true": the key must be absent
      ['true', 'alias/orders', false],
      [true, ABSENT, true],
      ['false', 'alias/orders', true], // "false": the key must be present
      ['false', ABSENT, false],
      ['false', '', true], // an empty string is still a value
      ['true', [], true], // an empty list counts as absent
      [['true', 'false'], ABSENT, true],
    ],
  },
}

for (const [operator, { key, cases }] of Object.entries(OPERATOR_CASES)) {
  describe(operator, () => {
    it.each(cases.map(([policy, value, expected]) => ({ policy, value, expected })))(
      'policy $policy, request $value → $expected',
      ({ policy, value, expected }) => {
        const context = value === undefined ? {} : { [key]: value }
        expect(conditionAllows({ [operator]: { [key]: policy } }, context)).toBe(expected)
      },
    )
  })
}

describe('condition blocks', () => {
  const context = { 'kms:KeySpec': 'Aliyun_AES_256', 'kms:EncryptionContext:tenant': 'acme', 'kms:NumberOfBytes': '32' }

  it('requires every key of a block (AND)', () => {
    expect(conditionAllows({ StringEquals: { 'kms:KeySpec': 'Aliyun_AES_256', 'kms:EncryptionContext:tenant': 'acme' } }, context)).toBe(true)
    expect(conditionAllows({ StringEquals: { 'kms:KeySpec': 'Aliyun_AES_256', 'kms:EncryptionContext:tenant': 'globex' } }, context)).toBe(false)
  })

  it('requires every operator block (AND)', () => {
    const both = { StringEquals: { 'kms:KeySpec': 'Aliyun_AES_256' }, NumericLessThanEquals: { 'kms:NumberOfBytes': '64' } }
    expect(conditionAllows(both, context)).toBe(true)
    expect(conditionAllows({ ...both, NumericLessThanEquals: { 'kms:NumberOfBytes': '16' } }, context)).toBe(false)
  })

  it('compares condition key names case-insensitively, values case-sensitively', () => {
    expect(conditionAllows({ StringEquals: { 'KMS:keyspec': 'Aliyun_AES_256' } }, context)).toBe(true)
    expect(conditionAllows({ StringEquals: { 'kms:encryptioncontext:TENANT': 'acme' } }, context)).toBe(true)
    expect(conditionAllows({ StringEquals: { 'kms:KeySpec': 'ALIYUN_AES_256' } }, context)).toBe(false)
  })

  it('pairs a negated operator with Null "false" to require the key', () => {
    const condition = { StringNotEquals: { 'kms:EncryptionContext:tenant': 'globex' }, Null: { 'kms:EncryptionContext:tenant': 'false' } }
    expect(conditionAllows(condition, context)).toBe(true)
    expect(conditionAllows(condition, {})).toBe(false)
  })
})

describe('set qualifiers on kms:EncryptionContextKeys', () => {
  const KEYS = 'kms:EncryptionContextKeys'
  const allows = (operator: string, policy: unknown, keys: readonly string[] | undefined): boolean =>
    conditionAllows({ [operator]: { [KEYS]: policy } }, keys === undefined ? {} : { [KEYS]: keys })

  it('ForAnyValue: at least one request value matches', () => {
    expect(allows('ForAnyValue:StringEquals', ['tenant', 'purpose'], ['tenant', 'other'])).toBe(true)
    expect(allows('ForAnyValue:StringEquals', ['tenant', 'purpose'], ['other'])).toBe(false)
    expect(allows('ForAnyValue:StringEquals', ['tenant'], [])).toBe(false)
    expect(allows('ForAnyValue:StringEquals', ['tenant'], undefined)).toBe(false)
    expect(allows('ForAnyValue:StringLike', 'ten*', ['other', 'tenant'])).toBe(true)
  })

  it('ForAllValues: every request value matches; an empty or absent set is vacuously true (as in AWS)', () => {
    expect(allows('ForAllValues:StringEquals', ['tenant', 'purpose'], ['tenant'])).toBe(true)
    expect(allows('ForAllValues:StringEquals', ['tenant', 'purpose'], ['purpose', 'tenant'])).toBe(true)
    expect(allows('ForAllValues:StringEquals', ['tenant', 'purpose'], ['tenant', 'secret'])).toBe(false)
    expect(allows('ForAllValues:StringEquals', ['tenant'], [])).toBe(true)
    expect(allows('ForAllValues:StringEquals', ['tenant'], undefined)).toBe(true)
    expect(allows('ForAllValues:StringLike', ['t*', 'p?rpose'], ['tenant', 'purpose'])).toBe(true)
  })

  it('qualified negated operators apply per request value', () => {
    // "none of the context keys is secret"
    expect(allows('ForAllValues:StringNotEquals', 'secret', ['tenant', 'purpose'])).toBe(true)
    expect(allows('ForAllValues:StringNotEquals', 'secret', ['tenant', 'secret'])).toBe(false)
    // "some context key is not secret"
    expect(allows('ForAnyValue:StringNotEquals', 'secret', ['tenant', 'secret'])).toBe(true)
    expect(allows('ForAnyValue:StringNotEquals', 'secret', ['secret'])).toBe(false)
  })

  it('without a qualifier: positive asks "any request value", negated "no request value"', () => {
    expect(allows('StringEquals', 'tenant', ['other', 'tenant'])).toBe(true)
    expect(allows('StringNotEquals', 'tenant', ['other', 'tenant'])).toBe(false)
    expect(allows('StringNotEquals', 'tenant', ['other'])).toBe(true)
    expect(allows('StringEquals', 'tenant', [])).toBe(false)
    expect(allows('StringNotEquals', 'tenant', [])).toBe(true)
  })

  it('Null "false" with ForAllValues requires a non-empty set', () => {
    const condition = { 'ForAllValues:StringEquals': { [KEYS]: ['tenant'] }, Null: { [KEYS]: 'false' } }
    expect(conditionAllows(condition, { [KEYS]: ['tenant'] })).toBe(true)
    expect(conditionAllows(condition, { [KEYS]: [] })).toBe(false)
  })

  it('stores qualified operators canonically whatever their spelling', () => {
    const document = doc([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'forallvalues:stringequals': { [KEYS]: 'tenant' } } }])
    expect(Object.keys(document.Statement[0]!.Condition!)).toEqual(['ForAllValues:StringEquals'])
  })
})

// ---------------------------------------------------------------------------------------
// Decisions

describe('evaluate: deny overrides allow', () => {
  const allowAll = { Effect: 'Allow', Action: '*', Resource: '*' }
  const denyEncrypt = { Sid: 'NoEncrypt', Effect: 'Deny', Action: 'kms:Encrypt', Resource: '*' }

  it('within one policy, whichever comes first', () => {
    for (const statements of [[allowAll, denyEncrypt], [denyEncrypt, allowAll]]) {
      const decision = evaluate(request(), [{ name: 'p', kind: 'identity', document: doc(statements) }])
      expect(decision).toEqual({ allowed: false, reason: 'explicit-deny', by: { policy: 'p', statement: statements.indexOf(denyEncrypt), sid: 'NoEncrypt' } })
    }
  })

  it('across identity and key policies, in either order', () => {
    const identityAllows: PolicyAttachment = { name: 'alice-crypto', kind: 'identity', document: doc([allowAll]) }
    const keyDenies: PolicyAttachment = { name: 'key-policy', kind: 'key', document: doc([{ ...denyEncrypt, Principal: { RAM: 'alice' } }], 'key') }
    for (const policies of [[identityAllows, keyDenies], [keyDenies, identityAllows]]) {
      expect(evaluate(request(), policies)).toMatchObject({ allowed: false, reason: 'explicit-deny', by: { policy: 'key-policy' } })
    }
    const keyAllows: PolicyAttachment = { name: 'key-policy', kind: 'key', document: doc([{ ...allowAll, Principal: '*' }], 'key') }
    const identityDenies: PolicyAttachment = { name: 'guard', kind: 'identity', document: doc([denyEncrypt]) }
    expect(evaluate(request(), [keyAllows, identityDenies])).toMatchObject({ allowed: false, reason: 'explicit-deny', by: { policy: 'guard' } })
  })

  it('a Deny that does not apply leaves the Allow standing', () => {
    const decision = evaluate(request({ action: 'kms:Decrypt' }), [{ name: 'p', kind: 'identity', document: doc([denyEncrypt, allowAll]) }])
    expect(decision).toEqual({ allowed: true, by: { policy: 'p', statement: 1 } })
  })

  it('identity OR key policy allows', () => {
    const identity: PolicyAttachment = { name: 'id', kind: 'identity', document: doc([{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }]) }
    const key: PolicyAttachment = { name: 'key', kind: 'key', document: doc([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Principal: { RAM: ['alice'] } }], 'key') }
    expect(evaluate(request({ action: 'kms:Encrypt' }), [identity, key])).toEqual({ allowed: true, by: { policy: 'id', statement: 0 } })
    expect(evaluate(request({ action: 'kms:Decrypt' }), [identity, key])).toEqual({ allowed: true, by: { policy: 'key', statement: 0 } })
    expect(evaluate(request({ action: 'kms:Sign' }), [identity, key])).toEqual({ allowed: false, reason: 'no-allow' })
  })
})

describe('evaluate: default deny', () => {
  it('no policies → no-allow', () => {
    expect(evaluate(request(), [])).toEqual({ allowed: false, reason: 'no-allow' })
  })

  it('no applicable statement → no-allow', () => {
    const document = doc([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: KEY }, { Effect: 'Allow', Action: '*', Resource: OTHER_KEY }])
    expect(evaluate(request(), [{ name: 'p', kind: 'identity', document }])).toEqual({ allowed: false, reason: 'no-allow' })
  })

  it('an Allow whose condition fails does not apply', () => {
    const document = doc([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'kms:KeySpec': 'Aliyun_SM4' } } }])
    expect(evaluate(request({ context: { 'kms:KeySpec': 'Aliyun_AES_256' } }), [{ name: 'p', kind: 'identity', document }]))
      .toEqual({ allowed: false, reason: 'no-allow' })
  })
})

describe('evaluate: actions', () => {
  const allows = (patterns: string | string[], action: string): boolean =>
    evaluate(request({ action }), [{ name: 'p', kind: 'identity', document: doc([{ Effect: 'Allow', Action: patterns, Resource: '*' }]) }]).allowed

  it.each([
    ['kms:*', 'kms:Encrypt', true],
    ['kms:*', 'kms:ScheduleKeyDeletion', true],
    ['*', 'kms:Encrypt', true],
    ['kms:Generate*', 'kms:GenerateDataKey', true],
    ['kms:Generate*', 'kms:GenerateDataKeyWithoutPlaintext', true],
    ['kms:Generate*', 'kms:Encrypt', false],
    ['kms:?ecrypt', 'kms:Decrypt', true],
    ['kms:Encrypt', 'kms:Encrypt', true],
    ['kms:Encrypt', 'kms:EncryptX', false], // exact names are anchored
    ['kms:encrypt', 'kms:Encrypt', true], // action names are case-insensitive (AWS)
    ['KMS:ENCRYPT', 'kms:Encrypt', true],
    ['kms:Encrypt', 'kms:Decrypt', false],
  ] as const)('%s vs %s → %s', (pattern, action, expected) => {
    expect(allows(pattern, action)).toBe(expected)
  })

  it('any action of the list', () => {
    expect(allows(['kms:Decrypt', 'kms:Encrypt'], 'kms:Encrypt')).toBe(true)
    expect(allows(['kms:Decrypt', 'kms:Sign'], 'kms:Encrypt')).toBe(false)
  })
})

describe('evaluate: resources', () => {
  const allows = (patterns: string | string[], resource: string): boolean =>
    evaluate(request({ resource }), [{ name: 'p', kind: 'identity', document: doc([{ Effect: 'Allow', Action: '*', Resource: patterns }]) }]).allowed

  it.each([
    ['*', KEY, true],
    ['*', '*', true], // account-level actions (ListKeys, CreateKey)
    ['acs:kms:*:*:key/*', KEY, true],
    ['acs:kms:*:*:key/*', '*', false], // a specific pattern never covers account-level actions
    ['acs:kms:*:*:key/*', ALIAS, false],
    ['acs:kms:*:*:alias/*', ALIAS, true],
    ['acs:kms:local:000000000000:key/11111111-*', KEY, true],
    ['acs:kms:local:000000000000:key/11111111-*', OTHER_KEY, false],
    ['acs:kms:cn-hangzhou:*:key/*', KEY, false],
    [KEY, KEY, true],
    [KEY.toUpperCase().replace('ACS:KMS:', 'acs:kms:'), KEY, false], // resource names are case-sensitive
    [`${KEY}?`, KEY, false],
  ] as const)('%s vs %s → %s', (pattern, resource, expected) => {
    expect(allows(pattern, resource)).toBe(expected)
  })

  it('any resource of the list', () => {
    expect(allows([OTHER_KEY, KEY], KEY)).toBe(true)
  })
})

describe('evaluate: principals', () => {
  const keyPolicy = (principal: unknown): PolicyAttachment =>
    ({ name: 'key', kind: 'key', document: doc([{ Effect: 'Allow', Action: '*', Resource: '*', Principal: principal }], 'key') })

  it.each([
    ['*', 'anyone', true],
    [{ RAM: 'alice' }, 'alice', true],
    [{ RAM: 'alice' }, 'bob', false],
    [{ RAM: 'alice' }, 'Alice', false], // principal names are case-sensitive
    [{ RAM: ['bob', 'svc-*'] }, 'svc-orders', true],
    [{ RAM: ['bob', 'svc-*'] }, 'alice', false],
    [{ RAM: ['user-?'] }, 'user-7', true],
  ] as const)('key policy Principal %j vs %s → %s', (principal, name, expected) => {
    expect(evaluate(request({ principal: name }), [keyPolicy(principal)]).allowed).toBe(expected)
  })

  it('a key policy Deny binds only the principals it names', () => {
    const document = doc([
      { Effect: 'Allow', Action: '*', Resource: '*', Principal: '*' },
      { Effect: 'Deny', Action: '*', Resource: '*', Principal: { RAM: 'mallory' } },
    ], 'key')
    expect(evaluate(request({ principal: 'alice' }), [{ name: 'key', kind: 'key', document }]).allowed).toBe(true)
    expect(evaluate(request({ principal: 'mallory' }), [{ name: 'key', kind: 'key', document }]))
      .toEqual({ allowed: false, reason: 'explicit-deny', by: { policy: 'key', statement: 1 } })
  })

  it('identity policies carry no Principal and govern whoever they are attached to', () => {
    const document = doc([{ Effect: 'Allow', Action: '*', Resource: '*' }])
    expect(document.Statement[0]).not.toHaveProperty('Principal')
    for (const principal of ['alice', 'bob']) {
      expect(evaluate(request({ principal }), [{ name: 'p', kind: 'identity', document }]).allowed).toBe(true)
    }
  })

  it('a key policy statement without Principal (never produced by parsing) governs nobody', () => {
    const identityShaped = doc([{ Effect: 'Allow', Action: '*', Resource: '*' }])
    expect(evaluate(request(), [{ name: 'key', kind: 'key', document: identityShaped }]).allowed).toBe(false)
  })
})

describe('evaluate: preconditions', () => {
  it('refuses a request without string principal, action or resource (TypeError)', () => {
    expect(() => evaluate({ ...request(), action: undefined as never }, [])).toThrow(TypeError)
  })

  it('refuses a hand-built document with an unknown operator rather than guessing', () => {
    const document = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['*'], Resource: ['*'], Condition: { Nope: { 'kms:X': ['y'] } } }] } as unknown as PolicyDocument
    expect(() => evaluate(request(), [{ name: 'p', kind: 'identity', document }])).toThrow(TypeError)
  })
})

// ---------------------------------------------------------------------------------------
// Parsing

describe('parsePolicyDocument: normalised form', () => {
  it('makes every list an array, canonicalises operators, keeps what was written otherwise', () => {
    const document = parsePolicyDocument({
      Version: '1',
      Statement: [{
        Sid: 'Tenant',
        Effect: 'Allow',
        Action: 'kms:Encrypt',
        Resource: 'acs:kms:*:*:key/*',
        Principal: '*',
        Condition: {
          stringequals: { 'kms:EncryptionContext:tenant': 'acme' },
          Bool: { 'acs:SecureTransport': true },
          NumericLessThanEquals: { 'kms:NumberOfBytes': 64 },
          DateLessThan: { 'acs:CurrentTime': 1924992000 },
        },
      }],
    }, 'key')
    expect(document).toEqual({
      Version: '1',
      Statement: [{
        Sid: 'Tenant',
        Effect: 'Allow',
        Action: ['kms:Encrypt'],
        Resource: ['acs:kms:*:*:key/*'],
        Principal: { RAM: ['*'] },
        Condition: {
          StringEquals: { 'kms:EncryptionContext:tenant': ['acme'] },
          Bool: { 'acs:SecureTransport': ['true'] },
          NumericLessThanEquals: { 'kms:NumberOfBytes': ['64'] },
          DateLessThan: { 'acs:CurrentTime': ['1924992000'] },
        },
      }],
    })
  })

  it('accepts the JSON text and gives the same document', () => {
    const object = { Version: '1', Statement: [{ Effect: 'Deny', Action: ['kms:*'], Resource: '*', Principal: { RAM: ['bob'] } }] }
    expect(parsePolicyDocument(JSON.stringify(object, null, 2), 'key')).toEqual(parsePolicyDocument(object, 'key'))
  })

  it('ignores undefined fields, as JSON does', () => {
    expect(doc([{ Effect: 'Allow', Action: '*', Resource: '*', Sid: undefined, Condition: undefined }]).Statement[0])
      .toEqual({ Effect: 'Allow', Action: ['*'], Resource: ['*'] })
  })

  it('returns a deeply frozen document that is JSON round-trippable', () => {
    const document = doc([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'kms:KeySpec': 'x' } } }])
    expect(Object.isFrozen(document)).toBe(true)
    expect(Object.isFrozen(document.Statement[0]!.Condition!.StringEquals!['kms:KeySpec'])).toBe(true)
    expect(parsePolicyDocument(JSON.stringify(document), 'identity')).toEqual(document)
  })

  it(`accepts exactly ${MAX_POLICY_STATEMENTS} statements`, () => {
    const statements = Array.from({ length: MAX_POLICY_STATEMENTS }, () => ({ Effect: 'Allow', Action: '*', Resource: '*' }))
    expect(doc(statements).Statement).toHaveLength(MAX_POLICY_STATEMENTS)
  })

  it('refuses a kind other than identity or key (TypeError: programmer misuse)', () => {
    expect(() => parsePolicyDocument({ Version: '1', Statement: [] }, 'user' as never)).toThrow(TypeError)
  })
})

describe('parsePolicyDocument: malformed documents (InvalidParameter naming the path)', () => {
  const allow = { Effect: 'Allow', Action: '*', Resource: '*' }
  const withStatement = (s: object): object => ({ Version: '1', Statement: [s] })
  const withCondition = (c: unknown): object => withStatement({ ...allow, Condition: c })
  const cycle: Record<string, unknown> = { Version: '1' }
  cycle['Statement'] = [cycle]

  it.each<[string, unknown, PolicyKind, string]>([
    ['not JSON text', '{"Version": "1",', 'identity', 'policy document:'],
    ['not an object', 42, 'identity', 'policy document:'],
    ['an array', [allow], 'identity', 'policy document:'],
    ['a cycle', cycle, 'identity', 'policy document:'],
    ['over 32 KiB', { Version: '1', Statement: [{ ...allow, Resource: Array.from({ length: 700 }, (_, i) => `acs:kms:*:*:key/${'x'.repeat(40)}${i}`) }] }, 'identity', 'policy document: is '],
    ['Version missing', { Statement: [allow] }, 'identity', 'Version:'],
    ['Version "2"', { Version: '2', Statement: [allow] }, 'identity', 'Version:'],
    ['Version as a number', { Version: 1, Statement: [allow] }, 'identity', 'Version:'],
    ['unknown top-level field', { Version: '1', Foo: 'x', Statement: [allow] }, 'identity', 'Foo: unknown field'],
    ['Id in a native document', { Version: '1', Id: 'x', Statement: [allow] }, 'identity', 'Id: is allowed in IAM-style documents only'],
    ['Statement missing', { Version: '1' }, 'identity', 'Statement:'],
    ['Statement empty', { Version: '1', Statement: [] }, 'identity', 'Statement:'],
    ['Statement an object', { Version: '1', Statement: allow }, 'identity', 'Statement:'],
    ['too many statements', { Version: '1', Statement: Array.from({ length: MAX_POLICY_STATEMENTS + 1 }, () => allow) }, 'identity', 'Statement: has 101'],
    ['a statement not an object', { Version: '1', Statement: [allow, 'Allow'] }, 'identity', 'Statement[1]:'],
    ['unknown statement field', withStatement({ ...allow, Effects: 'Allow' }), 'identity', 'Statement[0].Effects: unknown field'],
    ['NotAction', withStatement({ Effect: 'Allow', NotAction: 'kms:Decrypt', Resource: '*' }), 'identity', 'Statement[0].NotAction: NotAction is not supported'],
    ['NotResource', withStatement({ Effect: 'Allow', Action: '*', NotResource: KEY }), 'identity', 'Statement[0].NotResource: NotResource is not supported'],
    ['NotPrincipal', withStatement({ ...allow, NotPrincipal: { RAM: 'bob' } }), 'key', 'Statement[0].NotPrincipal:'],
    ['Effect missing', withStatement({ Action: '*', Resource: '*' }), 'identity', 'Statement[0].Effect:'],
    ['Effect lower-case', withStatement({ ...allow, Effect: 'allow' }), 'identity', 'Statement[0].Effect:'],
    ['Effect in the second statement', { Version: '1', Statement: [allow, { ...allow, Effect: 'Permit' }] }, 'identity', 'Statement[1].Effect:'],
    ['Sid not a string', withStatement({ ...allow, Sid: 7 }), 'identity', 'Statement[0].Sid:'],
    ['Sid with a newline', withStatement({ ...allow, Sid: 'a\nb' }), 'identity', 'Statement[0].Sid:'],
    ['Action missing', withStatement({ Effect: 'Allow', Resource: '*' }), 'identity', 'Statement[0].Action:'],
    ['Action empty array', withStatement({ ...allow, Action: [] }), 'identity', 'Statement[0].Action:'],
    ['Action a number', withStatement({ ...allow, Action: 42 }), 'identity', 'Statement[0].Action:'],
    ['Action empty string', withStatement({ ...allow, Action: ['kms:Encrypt', ''] }), 'identity', 'Statement[0].Action[1]:'],
    ['Action of another service', withStatement({ ...allow, Action: ['kms:Encrypt', 'ecs:RunInstances'] }), 'identity', 'Statement[0].Action[1]:'],
    ['Action with a space', withStatement({ ...allow, Action: 'kms:Encrypt Data' }), 'identity', 'Statement[0].Action:'],
    ['Resource missing', withStatement({ Effect: 'Allow', Action: '*' }), 'identity', 'Statement[0].Resource:'],
    ['Resource not acs:kms', withStatement({ ...allow, Resource: 'key/*' }), 'identity', 'Statement[0].Resource:'],
    ['Resource list with a number', withStatement({ ...allow, Resource: ['*', 5] }), 'identity', 'Statement[0].Resource[1]:'],
    ['Principal in an identity policy', withStatement({ ...allow, Principal: '*' }), 'identity', 'Statement[0].Principal: is not allowed in an identity policy'],
    ['Principal missing in a key policy', withStatement(allow), 'key', 'Statement[0].Principal: is required'],
    ['Principal a bare name', withStatement({ ...allow, Principal: 'alice' }), 'key', 'Statement[0].Principal:'],
    ['Principal of another type', withStatement({ ...allow, Principal: { CanonicalUser: 'alice' } }), 'key', 'Statement[0].Principal.CanonicalUser:'],
    ['AWS principal with a wildcard', withStatement({ ...allow, Principal: { AWS: 'arn:aws:iam::*:user/x' } }), 'key', 'Statement[0].Principal.AWS:'],
    ['Principal RAM empty', withStatement({ ...allow, Principal: { RAM: [] } }), 'key', 'Statement[0].Principal.RAM:'],
    ['Condition not an object', withCondition(['StringEquals']), 'identity', 'Statement[0].Condition:'],
    ['Condition empty', withCondition({}), 'identity', 'Statement[0].Condition:'],
    ['unknown operator', withCondition({ StringEqualz: { 'kms:KeySpec': 'x' } }), 'identity', 'Statement[0].Condition.StringEqualz: unknown condition operator'],
    ['IfExists operator (unsupported)', withCondition({ StringEqualsIfExists: { 'kms:KeySpec': 'x' } }), 'identity', 'Statement[0].Condition.StringEqualsIfExists:'],
    ['qualified Null', withCondition({ 'ForAnyValue:Null': { 'kms:KeySpec': 'true' } }), 'identity', 'Statement[0].Condition.ForAnyValue:Null:'],
    ['operator twice by case', withCondition({ StringEquals: { 'kms:A': 'x' }, stringequals: { 'kms:B': 'y' } }), 'identity', 'Statement[0].Condition.stringequals:'],
    ['operator block not an object', withCondition({ StringEquals: 'kms:KeySpec' }), 'identity', 'Statement[0].Condition.StringEquals:'],
    ['operator block empty', withCondition({ StringEquals: {} }), 'identity', 'Statement[0].Condition.StringEquals:'],
    ['condition key without a service', withCondition({ StringEquals: { KeySpec: 'x' } }), 'identity', 'Statement[0].Condition.StringEquals.KeySpec:'],
    ['condition key twice by case', withCondition({ StringEquals: { 'kms:KeySpec': 'x', 'kms:keyspec': 'y' } }), 'identity', 'Statement[0].Condition.StringEquals.kms:keyspec:'],
    ['string value a number', withCondition({ StringEquals: { 'kms:KeySpec': 5 } }), 'identity', 'Statement[0].Condition.StringEquals.kms:KeySpec:'],
    ['string value an object', withCondition({ StringLike: { 'kms:KeySpec': { v: 'x' } } }), 'identity', 'Statement[0].Condition.StringLike.kms:KeySpec:'],
    ['value list empty', withCondition({ StringEquals: { 'kms:KeySpec': [] } }), 'identity', 'Statement[0].Condition.StringEquals.kms:KeySpec:'],
    ['value list with null', withCondition({ StringEquals: { 'kms:KeySpec': ['x', null] } }), 'identity', 'Statement[0].Condition.StringEquals.kms:KeySpec[1]:'],
    ['Bool "yes"', withCondition({ Bool: { 'acs:SecureTransport': 'yes' } }), 'identity', 'Statement[0].Condition.Bool.acs:SecureTransport:'],
    ['Bool "True"', withCondition({ Bool: { 'acs:SecureTransport': 'True' } }), 'identity', 'Statement[0].Condition.Bool.acs:SecureTransport:'],
    ['Null 1', withCondition({ Null: { 'kms:RequestAlias': 1 } }), 'identity', 'Statement[0].Condition.Null.kms:RequestAlias:'],
    ['Date not a date', withCondition({ DateLessThan: { 'acs:CurrentTime': 'tomorrow' } }), 'identity', 'Statement[0].Condition.DateLessThan.acs:CurrentTime:'],
    ['Date 30 February', withCondition({ DateLessThan: { 'acs:CurrentTime': '2030-02-30' } }), 'identity', 'Statement[0].Condition.DateLessThan.acs:CurrentTime:'],
    ['Date hour 25', withCondition({ DateGreaterThan: { 'acs:CurrentTime': ['2030-01-01', '2030-01-01T25:00:00Z'] } }), 'identity', 'Statement[0].Condition.DateGreaterThan.acs:CurrentTime[1]:'],
    ['Date a boolean', withCondition({ DateEquals: { 'acs:CurrentTime': true } }), 'identity', 'Statement[0].Condition.DateEquals.acs:CurrentTime:'],
    ['Numeric "ten"', withCondition({ NumericEquals: { 'kms:NumberOfBytes': 'ten' } }), 'identity', 'Statement[0].Condition.NumericEquals.kms:NumberOfBytes:'],
    ['Numeric hex', withCondition({ NumericEquals: { 'kms:NumberOfBytes': '0x20' } }), 'identity', 'Statement[0].Condition.NumericEquals.kms:NumberOfBytes:'],
  ])('%s', (_name, input, kind, path) => {
    const error = invalid(() => parsePolicyDocument(input, kind))
    expect(error.message.startsWith(path), `message ${JSON.stringify(error.message)} should start with ${path}`).toBe(true)
  })

  it('echoes odd condition keys quoted and truncated, never a whole 30 KB value', () => {
    const error = invalid(() => parsePolicyDocument(withCondition({ StringEquals: { [`kms:${'x'.repeat(5000)} y`]: 5 } }), 'identity'))
    expect(error.message).toMatch(/^Statement\[0\]\.Condition\.StringEquals\["kms:x+\.\.\.\]: /)
    expect(error.message.length).toBeLessThan(300)
  })
})

// ---------------------------------------------------------------------------------------
// wildcardMatch

/** The obvious implementation, used only as an oracle: every non-wildcard escaped. */
function referenceMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = Array.from(pattern)
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su').test(value)
}

describe('wildcardMatch', () => {
  it.each([
    ['*', '', true],
    ['', '', true],
    ['', 'a', false],
    ['?', '', false],
    ['?', '😀', true], // one character, even outside the BMP
    ['a*b', 'ab', true],
    ['a*b', 'axxb', true],
    ['a*b', 'axxbc', false],
    ['*:*', 'acs:kms', true],
    ['a.c', 'abc', false],
    ['(a)+', '(a)+', true],
    ['[ab]', 'a', false],
    ['**', 'anything', true],
  ] as const)('%j vs %j → %s', (pattern, value, expected) => {
    expect(wildcardMatch(pattern, value)).toBe(expected)
  })

  it('folds case only when asked', () => {
    expect(wildcardMatch('kms:Generate*', 'KMS:GENERATEDATAKEY')).toBe(false)
    expect(wildcardMatch('kms:Generate*', 'KMS:GENERATEDATAKEY', true)).toBe(true)
  })

  it('agrees with a RegExp reference on short patterns and values (property)', () => {
    const patternUnit = fc.constantFrom('a', 'b', '*', '?', '.', ':', '/', '(', '+', '\\', '$', 'é', '😀')
    const valueUnit = fc.constantFrom('a', 'b', '.', ':', '/', '(', '+', '\\', '$', 'é', '😀')
    fc.assert(fc.property(fc.string({ unit: patternUnit, maxLength: 8 }), fc.string({ unit: valueUnit, maxLength: 10 }), (pattern, value) => {
      expect(wildcardMatch(pattern, value)).toBe(referenceMatch(pattern, value))
    }), { numRuns: RUNS * 5 })
  })

  it('agrees with the reference case-insensitively on ASCII (property)', () => {
    const patternUnit = fc.constantFrom('a', 'A', 'b', 'B', '*', '?')
    const valueUnit = fc.constantFrom('a', 'A', 'b', 'B')
    fc.assert(fc.property(fc.string({ unit: patternUnit, maxLength: 8 }), fc.string({ unit: valueUnit, maxLength: 10 }), (pattern, value) => {
      expect(wildcardMatch(pattern, value, true)).toBe(referenceMatch(pattern, value, true))
    }), { numRuns: RUNS * 2 })
  })

  it('a pattern without wildcards matches only itself (property)', () => {
    const literal = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('*') && !s.includes('?'))
    fc.assert(fc.property(literal, literal, (pattern, value) => {
      expect(wildcardMatch(pattern, pattern)).toBe(true)
      expect(wildcardMatch(pattern, value)).toBe(pattern === value)
    }), { numRuns: RUNS * 2 })
  })

  it('* matches everything (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.boolean(), (value, ci) => {
      expect(wildcardMatch('*', value, ci)).toBe(true)
    }), { numRuns: RUNS })
  })

  it('stays polynomial on many stars against a long value (no catastrophic backtracking)', () => {
    const as = 'a'.repeat(10_000)
    expect(wildcardMatch('*a*a*a*a*a*a*a*b', as)).toBe(false)
    expect(wildcardMatch('*a*a*a*a*a*a*a*', as)).toBe(true)
    expect(wildcardMatch(`${'*a'.repeat(200)}*b`, as)).toBe(false)
    expect(wildcardMatch('?'.repeat(10_000), as)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------
// Properties of the decision

const ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:Generate*', 'kms:*', '*', 'kms:?ecrypt', 'kms:ListKeys'] as const
const RESOURCES = ['*', KEY, OTHER_KEY, 'acs:kms:*:*:key/*', 'acs:kms:*:*:alias/*', ALIAS] as const
const PRINCIPALS = ['*', { RAM: 'alice' }, { RAM: ['bob', 'svc-*'] }] as const
const CONDITIONS = [
  undefined,
  { StringEquals: { 'kms:KeySpec': 'Aliyun_AES_256' } },
  { StringNotEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
  { Null: { 'kms:RequestAlias': 'true' } },
  { 'ForAllValues:StringLike': { 'kms:EncryptionContextKeys': ['tenant', 'p*'] } },
  { NumericLessThan: { 'kms:NumberOfBytes': '64' }, Bool: { 'acs:SecureTransport': 'true' } },
  { DateLessThan: { 'acs:CurrentTime': '2030-01-01' } },
] as const

const statementArb = (kind: PolicyKind, effect = fc.constantFrom('Allow', 'Deny')): fc.Arbitrary<object> => fc.record({
  Effect: effect,
  Action: fc.subarray([...ACTIONS], { minLength: 1 }),
  Resource: fc.subarray([...RESOURCES], { minLength: 1 }),
  Principal: kind === 'key' ? fc.constantFrom(...PRINCIPALS) : fc.constant(undefined),
  Condition: fc.constantFrom(...CONDITIONS),
})

const policyArb: fc.Arbitrary<PolicyAttachment> = fc.constantFrom<PolicyKind>('identity', 'key').chain((kind) =>
  fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.array(statementArb(kind), { minLength: 1, maxLength: 5 }))
    .map(([name, statements]) => ({ name, kind, document: doc(statements, kind) })))

const requestArb: fc.Arbitrary<AuthorizationRequest> = fc.record({
  principal: fc.constantFrom('alice', 'bob', 'svc-orders', 'carol'),
  action: fc.constantFrom('kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:ListKeys', 'kms:ScheduleKeyDeletion'),
  resource: fc.constantFrom(KEY, OTHER_KEY, ALIAS, '*'),
  context: fc.constantFrom(
    {},
    { 'kms:KeySpec': 'Aliyun_AES_256', 'acs:SecureTransport': 'true', 'kms:NumberOfBytes': '32' },
    { 'kms:EncryptionContext:tenant': 'acme', 'kms:EncryptionContextKeys': ['tenant'], 'acs:CurrentTime': '2029-06-01T00:00:00Z' },
    { 'kms:EncryptionContext:tenant': 'globex', 'kms:EncryptionContextKeys': ['tenant', 'secret'], 'kms:RequestAlias': 'alias/orders' },
  ),
})

/** Deterministic Fisher-Yates from a seed (a small LCG), so fast-check can shrink the seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let state = seed >>> 0
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const verdict = (d: Decision): string => (d.allowed ? 'allowed' : d.reason)

describe('evaluate: properties', () => {
  it('shuffling statements or policies never changes the decision (deny overrides allow)', () => {
    fc.assert(fc.property(requestArb, fc.array(policyArb, { maxLength: 4 }), fc.integer(), (req, policies, seed) => {
      const shuffled = shuffle(policies, seed).map((p, i): PolicyAttachment =>
        ({ ...p, document: { Version: '1', Statement: shuffle(p.document.Statement, seed + i + 1) } }))
      expect(verdict(evaluate(req, shuffled))).toBe(verdict(evaluate(req, policies)))
    }), { numRuns: RUNS })
  })

  it('adding a Deny statement never turns a denial into an allow', () => {
    fc.assert(fc.property(
      requestArb, fc.array(policyArb, { maxLength: 4 }), statementArb('identity', fc.constant('Deny')), fc.nat(),
      (req, policies, deny, at) => {
        const before = evaluate(req, policies)
        const guard: PolicyAttachment = { name: 'guard', kind: 'identity', document: doc([deny]) }
        const withDeny = [...policies]
        withDeny.splice(at % (policies.length + 1), 0, guard)
        const after = evaluate(req, withDeny)
        if (!before.allowed) expect(after.allowed).toBe(false)
        // A Deny can only remove permissions: an allow survives only if it was there before.
        if (after.allowed) expect(before.allowed).toBe(true)
      },
    ), { numRuns: RUNS })
  })

  it('a matching Deny always wins', () => {
    fc.assert(fc.property(requestArb, fc.array(policyArb, { maxLength: 4 }), fc.nat(), (req, policies, at) => {
      const deny: PolicyAttachment = { name: 'deny-all', kind: 'key', document: doc([{ Effect: 'Deny', Action: '*', Resource: '*', Principal: '*' }], 'key') }
      const withDeny = [...policies]
      withDeny.splice(at % (policies.length + 1), 0, deny)
      expect(verdict(evaluate(req, withDeny))).toBe('explicit-deny')
    }), { numRuns: RUNS })
  })
})

describe('module doc example', () => {
  it('runs as written', () => {
    const document = parsePolicyDocument({
      Version: '1',
      Statement: [{
        Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: 'acs:kms:*:*:key/*',
        Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
      }],
    }, 'identity')
    expect(evaluate(
      { principal: 'alice', action: 'kms:Encrypt', resource: 'acs:kms:local:000000000000:key/1',
        context: { 'kms:EncryptionContext:tenant': 'acme' } },
      [{ name: 'acme-crypto', kind: 'identity', document }],
    )).toEqual({ allowed: true, by: { policy: 'acme-crypto', statement: 0 } })
  })
})
