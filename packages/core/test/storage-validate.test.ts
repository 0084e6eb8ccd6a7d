import { describe, expect, it } from 'vitest'
import { KmsError, type Mutation } from '@strongroom/core'
import { assertValidMutations, isValidStorageKey, validScanOptions } from '../src/storage-validate.js'

const value = new Uint8Array([1, 2, 3])

function failure(mutations: readonly unknown[]): string {
  try {
    assertValidMutations(mutations as Mutation[])
  } catch (error) {
    expect(KmsError.is(error, 'InternalFailure')).toBe(true)
    return (error as Error).message
  }
  return 'accepted'
}

describe('assertValidMutations', () => {
  it('accepts every well-formed mutation, including an empty commit', () => {
    expect(failure([])).toBe('accepted')
    expect(failure([
      { type: 'put', key: 'key/1', value, expectedRevision: null },
      { type: 'put', key: 'key/2', value: new Uint8Array(0), expectedRevision: 7 },
      { type: 'delete', key: 'alias/a', expectedRevision: 3 },
      { type: 'check', key: 'x\u0000😀', expectedRevision: null },
    ])).toBe('accepted')
  })

  it('refuses two mutations on one key', () => {
    expect(failure([
      { type: 'put', key: 'k', value, expectedRevision: null },
      { type: 'check', key: 'k', expectedRevision: null },
    ])).toMatch(/two mutations on 'k'/)
  })

  it('refuses empty, non-string and ill-formed keys', () => {
    for (const key of ['', 42, undefined, 'a\uD800', '\uDC00b']) {
      expect(failure([{ type: 'check', key, expectedRevision: null }])).toMatch(/malformed key/)
    }
    expect(isValidStorageKey('key/1')).toBe(true)
    expect(isValidStorageKey('😀')).toBe(true)
  })

  it('refuses values that are not Uint8Array, bad revisions and unknown types', () => {
    expect(failure([{ type: 'put', key: 'k', value: 'text', expectedRevision: null }])).toMatch(/not a Uint8Array/)
    expect(failure([{ type: 'put', key: 'k', value: [1, 2], expectedRevision: null }])).toMatch(/not a Uint8Array/)
    for (const expectedRevision of [0, -1, 1.5, '1', undefined, 2 ** 53]) {
      expect(failure([{ type: 'put', key: 'k', value, expectedRevision }])).toMatch(/invalid expectedRevision/)
    }
    expect(failure([{ type: 'delete', key: 'k', expectedRevision: null }])).toMatch(/invalid expectedRevision/)
    expect(failure([{ type: 'upsert', key: 'k', value, expectedRevision: null }])).toMatch(/unknown mutation type/)
  })

  it('names keys but never values in its messages', () => {
    const secret = new TextEncoder().encode('wrapped material')
    const message = failure([
      { type: 'put', key: 'key/1', value: secret, expectedRevision: null },
      { type: 'put', key: 'key/1', value: secret, expectedRevision: null },
    ])
    expect(message).not.toMatch(/wrapped|material/)
  })
})

describe('assertValidMutations for adapters, and validScanOptions', () => {
  it('blames the caller with InvalidParameter when asked to', () => {
    let error: unknown
    try {
      assertValidMutations([null] as unknown as Mutation[], 'InvalidParameter')
    } catch (caught) {
      error = caught
    }
    expect(KmsError.is(error, 'InvalidParameter')).toBe(true)
  })

  it('checks prefix, after and limit, defaulting the limit to 100', () => {
    expect(validScanOptions({ prefix: 'a' })).toEqual({ prefix: 'a', after: undefined, limit: 100 })
    expect(validScanOptions({ prefix: '', after: 'b', limit: 1000 })).toEqual({ prefix: '', after: 'b', limit: 1000 })
    for (const bad of [null, { prefix: 1 }, { prefix: 'a\uD800' }, { prefix: '', after: 2 }, { prefix: '', limit: 0 }, { prefix: '', limit: 1001 }, { prefix: '', limit: 1.5 }]) {
      expect(() => validScanOptions(bad as never)).toThrow(KmsError)
    }
  })
})
