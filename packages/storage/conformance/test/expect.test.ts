// The suite's own assertions must fail when they should, or every adapter would pass.
import { describe, expect as vitestExpect, it } from 'vitest'
import { AssertionError, deepEqual, expect } from '../src/expect.js'

const fails = (assertion: () => void): void => {
  vitestExpect(assertion).toThrow(AssertionError)
}

describe('the suite expect', () => {
  it('deepEqual compares structure, bytes, maps and sets', () => {
    vitestExpect(deepEqual({ a: [1, { b: new Uint8Array([1, 2]) }] }, { a: [1, { b: Buffer.from([1, 2]) }] })).toBe(true)
    vitestExpect(deepEqual({ a: undefined, b: 1 }, { b: 1 })).toBe(true)
    vitestExpect(deepEqual(new Map([['k', 1]]), new Map([['k', 1]]))).toBe(true)
    vitestExpect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    vitestExpect(deepEqual(new Uint8Array([1]), [1])).toBe(false)
    vitestExpect(deepEqual([1, 2], [1, 2, 3])).toBe(false)
    vitestExpect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false)
    vitestExpect(deepEqual(new Map([['k', 1]]), new Map([['k', 2]]))).toBe(false)
    vitestExpect(deepEqual(new Set([1]), new Set([2]))).toBe(false)
    vitestExpect(deepEqual(null, {})).toBe(false)
  })

  it('each matcher passes and fails, and not inverts it', () => {
    expect(1).toBe(1)
    fails(() => expect(1).toBe(2))
    fails(() => expect(1).not.toBe(1))
    fails(() => expect({ a: 1 }).toEqual({ a: 2 }))
    fails(() => expect(1).toBeUndefined())
    fails(() => expect(undefined).toBeDefined())
    fails(() => expect({}).toBeInstanceOf(Error))
    fails(() => expect(3).toBeLessThanOrEqual(2))
    fails(() => expect(2).toBeGreaterThan(2))
    fails(() => expect([1]).toHaveLength(2))
    fails(() => expect([1, 2]).not.toContain(2))
    fails(() => expect([1, 2]).toContain(3))
    vitestExpect(() => expect(1, 'the revision').toBe(2)).toThrow(/^the revision: expected 1 to be 2$/)
  })
})
