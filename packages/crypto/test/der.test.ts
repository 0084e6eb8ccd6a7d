/** The internal DER reader and writer (src/der.ts): strict where OpenSSL is lenient. */
import { describe, expect, it } from 'vitest'
import {
  decodeEcdsaSignature,
  decodeEcPrivateKey,
  decodeEcPublicKey,
  decodeEd25519PublicKey,
  encodeEcdsaSignature,
  isOneDerSequence,
  P256,
  SECP256K1,
} from '../src/der.js'
import { hex, toHex } from './vectors.js'

describe('DER', () => {
  it('isOneDerSequence: exactly one minimal SEQUENCE, nothing after it', () => {
    expect(isOneDerSequence(hex('3000'))).toBe(true)
    expect(isOneDerSequence(hex('3003020100'))).toBe(true)
    expect(isOneDerSequence(hex('300302010000'))).toBe(false) // trailing byte
    expect(isOneDerSequence(hex('308103020100'))).toBe(false) // long form for a length below 128
    expect(isOneDerSequence(hex('30800201000000'))).toBe(false) // indefinite length
    expect(isOneDerSequence(hex('3004020100'))).toBe(false) // truncated
    expect(isOneDerSequence(hex('0403020100'))).toBe(false) // not a SEQUENCE
    expect(isOneDerSequence(new Uint8Array(0))).toBe(false)
    const long = new Uint8Array(3 + 200)
    long.set([0x30, 0x81, 200])
    expect(isOneDerSequence(long)).toBe(true)
    expect(isOneDerSequence(Uint8Array.of(0x30, 0x82, 0x00, 200, ...new Uint8Array(200)))).toBe(false) // leading zero length byte
  })

  it('ECDSA signatures: minimal positive INTEGERs, round trip', () => {
    const n = P256.n
    for (const [r, s] of [[1n, 1n], [0x7fn, 0x80n], [n - 1n, n - 1n], [0x0123n, 0xffffn]] as const) {
      expect(decodeEcdsaSignature(encodeEcdsaSignature(r, s))).toEqual({ r, s })
    }
    expect(toHex(encodeEcdsaSignature(0x80n, 1n))).toBe('300702020080020101')
    for (const bad of [
      '3006020100020101', // r = 0
      '300702020001020101', // r with a needless leading zero
      '3006020181020101', // r negative
      '300702010102010100', // trailing byte inside the SEQUENCE
      '300602010102010100', // trailing byte after the SEQUENCE
      '3007020101020101', // outer length longer than the input
      '3003020101', // s missing
      '3106020101020101', // SET, not SEQUENCE
    ]) {
      expect(decodeEcdsaSignature(hex(bad)), bad).toBeUndefined()
    }
  })

  it('keys: wrong curve, out-of-range scalar and bad BIT STRING are RangeErrors', () => {
    const spki = (curveOid: string, point: string) =>
      hex(`30${(2 + 9 + curveOid.length / 2 + 2 + 1 + point.length / 2).toString(16)}30${(9 + curveOid.length / 2).toString(16)}06072a8648ce3d0201${curveOid}03${(1 + point.length / 2).toString(16)}00${point}`)
    const point = '04' + '11'.repeat(64)
    expect(toHex(decodeEcPublicKey(P256, spki('06082a8648ce3d030107', point)))).toBe(point)
    expect(() => decodeEcPublicKey(SECP256K1, spki('06082a8648ce3d030107', point))).toThrow(/not an EC_P256K SubjectPublicKeyInfo/)
    expect(() => decodeEd25519PublicKey(hex('302a300506032b6570032101' + '00'.repeat(32)))).toThrow(RangeError) // 1 unused bit
    const pkcs8 = (scalar: string) =>
      hex(`3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420${scalar}`)
    expect(toHex(decodeEcPrivateKey(P256, pkcs8('00'.repeat(31) + '01')).scalar)).toBe('00'.repeat(31) + '01')
    expect(() => decodeEcPrivateKey(P256, pkcs8('00'.repeat(32)))).toThrow(RangeError)
    expect(() => decodeEcPrivateKey(P256, pkcs8(P256.n.toString(16)))).toThrow(RangeError)
  })
})
