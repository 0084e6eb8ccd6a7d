/** The workspace's byte helpers (src/bytes.ts), checked against Buffer and TextDecoder as references. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  bytesEqual, compareBytes, concatBytes, fromBase64, fromHex, readUint16, readUint32, toBase64, toHex,
  utf8Decode, utf8Encode, wipe, writeUint16, writeUint32,
} from '@strongroom/crypto'

describe('byte helpers', () => {
  it('base64 is RFC 4648 §4 with padding, as Buffer writes it, and decodes back', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = toBase64(bytes)
      expect(text).toBe(Buffer.from(bytes).toString('base64'))
      expect(fromBase64(text)).toEqual(bytes)
    }))
  })

  it.each(['abc', 'ab!=', 'a=bc', 'ab=c', '====', 'YQ', 'YQ=', 'YWJj\n', 'YW Jj', 'YWJ-', 'YWJ_', 'Y\u00e9Jj'])(
    'base64 refuses the malformed %j with undefined',
    (text) => expect(fromBase64(text)).toBeUndefined(),
  )

  it('hex round-trips in lower case, reads either case, refuses malformed text with RangeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString('hex'))
      expect(fromHex(toHex(bytes))).toEqual(bytes)
    }))
    expect(fromHex('00FFab')).toEqual(Uint8Array.of(0, 255, 171))
    expect(() => fromHex('abc')).toThrow(RangeError)
    expect(() => fromHex('zz')).toThrow(RangeError)
  })

  it('UTF-8 encodes like TextEncoder and decodes strictly (TypeError, never U+FFFD)', () => {
    expect(utf8Decode(utf8Encode('héllo 😀'))).toBe('héllo 😀')
    expect(utf8Encode('\uD800')).toEqual(Uint8Array.of(0xef, 0xbf, 0xbd))
    expect(() => utf8Decode(Uint8Array.of(0xff))).toThrow(TypeError)
    expect(() => utf8Decode(Uint8Array.of(0xc3))).toThrow(TypeError)
  })

  it('concatBytes joins parts into a new array and refuses a part that is not bytes', () => {
    const a = Uint8Array.of(1, 2)
    const joined = concatBytes(a, new Uint8Array(0), Uint8Array.of(3))
    expect(joined).toEqual(Uint8Array.of(1, 2, 3))
    joined[0] = 9
    expect(a[0]).toBe(1)
    expect(() => concatBytes(a, [3] as unknown as Uint8Array)).toThrow(TypeError)
  })

  it('compares bytes lexicographically, shorter first on a tie; equality is by content', () => {
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBeLessThan(0)
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0)
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 9))).toBeGreaterThan(0)
    expect(compareBytes(Uint8Array.of(7, 7), Uint8Array.of(7, 7))).toBe(0)
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true)
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false)
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false)
  })

  it('big-endian integers round-trip, bit 31 included', () => {
    const buffer = new Uint8Array(8)
    writeUint16(buffer, 1, 0xbeef)
    expect(readUint16(buffer, 1)).toBe(0xbeef)
    writeUint32(buffer, 3, 0xfedcba98)
    expect(Buffer.from(buffer).readUInt32BE(3)).toBe(0xfedcba98)
    expect(readUint32(buffer, 3)).toBe(0xfedcba98)
  })

  it('wipe zeroes every array given and skips undefined', () => {
    const a = Uint8Array.of(1, 2)
    const b = Uint8Array.of(3)
    wipe(a, undefined, b)
    expect([...a, ...b]).toEqual([0, 0, 0])
  })
})
