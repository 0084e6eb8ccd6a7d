/** The header codec on its own: canonical contexts, bounds, and messages that say what is wrong. */
import { describe, expect, it } from 'vitest'
import { KmsError, encodeEncryptionContext } from '@strongroom/core'
import { decodeEncryptionContext, decodeHeader, encodeHeader, framedLength } from '../src/format.js'

const header = (overrides: Partial<Parameters<typeof encodeHeader>[0]> = {}) => encodeHeader({
  frameSize: 4096, messageId: new Uint8Array(32).fill(7), encodedContext: encodeEncryptionContext({ a: '1' }),
  wrappedKeys: [new Uint8Array(110).fill(1)], commitment: new Uint8Array(32).fill(9), ...overrides,
})

function failure(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(KmsError)
    expect((error as KmsError).code).toBe('InvalidCiphertext')
    return (error as KmsError).message
  }
  throw new Error('expected InvalidCiphertext')
}

describe('header codec', () => {
  it('round-trips every field', () => {
    const decoded = decodeHeader(header())
    expect(decoded.frameSize).toBe(4096)
    expect(decoded.encryptionContext).toEqual({ a: '1' })
    expect(decoded.recipients).toHaveLength(1)
    expect(decoded.recipients[0]!.keyId).toBe('01010101-0101-0101-0101-010101010101') // read from the blob's key-id field
    expect(decoded.commitment).toEqual(new Uint8Array(32).fill(9))
    expect(decoded.bytes.length).toBe(decoded.authenticated.length + 16)
  })

  it('names what is wrong', () => {
    expect(failure(() => decodeHeader(new TextEncoder().encode('PK\u0003\u0004 a zip file')))).toMatch(/not a Strongroom envelope/)
    const v2 = header()
    v2[4] = 2
    expect(failure(() => decodeHeader(v2))).toMatch(/unsupported envelope format version 2/)
    const suite = header()
    suite[5] = 9
    expect(failure(() => decodeHeader(suite))).toMatch(/unsupported envelope suite 9/)
    expect(failure(() => decodeHeader(header({ frameSize: 32 })))).toMatch(/bad frame size/)
    expect(failure(() => decodeHeader(header().subarray(0, 50)))).toMatch(/truncated header/)
    const noRecipients = header()
    noRecipients[48 + encodeEncryptionContext({ a: '1' }).length] = 0
    expect(failure(() => decodeHeader(noRecipients))).toMatch(/recipient count/)
  })

  it('accepts only the canonical context encoding', () => {
    const canonical = encodeEncryptionContext({ b: '2', a: '1' })
    expect(decodeEncryptionContext(canonical)).toEqual({ a: '1', b: '2' })
    // The same pairs in the wrong order, an empty count, a duplicate key, bad UTF-8.
    const u16 = (n: number) => [n >> 8, n & 0xff]
    const pair = (k: string, v: string) => [...u16(k.length), ...new TextEncoder().encode(k), ...u16(v.length), ...new TextEncoder().encode(v)]
    for (const bytes of [
      [...u16(2), ...pair('b', '2'), ...pair('a', '1')],
      [...u16(0)],
      [...u16(2), ...pair('a', '1'), ...pair('a', '1')],
      [...u16(1), ...u16(1), 0xff, ...u16(0)],
      [...u16(1), ...pair('a', '1'), 0],
    ]) {
      expect(failure(() => decodeEncryptionContext(Uint8Array.from(bytes)))).toMatch(/canonical form/)
    }
    expect(decodeEncryptionContext(new Uint8Array(0))).toEqual({})
  })

  it('a __proto__ key is an ordinary key', () => {
    const context = decodeEncryptionContext(encodeEncryptionContext(JSON.parse('{"__proto__":"x"}') as Record<string, string>))
    expect(Object.keys(context)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype)
  })

  it('framedLength follows FORMAT.md', () => {
    expect(framedLength(0, 64)).toBe(20)
    expect(framedLength(64, 64)).toBe(84 + 20)
    expect(framedLength(65, 64)).toBe(84 + 21)
  })
})
