/** RFC 8017 encodings used for RSA digest mode (src/emsa.ts), against OpenSSL's own padding. */
import { constants, createHash, generateKeyPairSync, publicDecrypt, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { emsaPkcs1Encode, emsaPssEncode, emsaPssVerify } from '../src/emsa.js'
import { toHex } from './vectors.js'

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const message = new TextEncoder().encode('emsa')
const openSignature = (signature: Buffer) => new Uint8Array(publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature))

describe('EMSA encodings', () => {
  it('EMSA-PKCS1-v1_5 is the encoded message inside an OpenSSL RSASSA-PKCS1-v1_5 signature', () => {
    const signature = sign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PADDING })
    expect(toHex(emsaPkcs1Encode(sha256(message), 256))).toBe(toHex(openSignature(signature)))
  })

  it('EMSA-PSS-VERIFY accepts what OpenSSL encodes with salt 32, refuses other salt lengths and edits', () => {
    const digest = sha256(message)
    const em = openSignature(sign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }))
    expect(emsaPssVerify(sha256, digest, em, 2047)).toBe(true)
    expect(emsaPssVerify(sha256, sha256(em), em, 2047)).toBe(false)
    for (const saltLength of [0, 20, 31, 33, 64]) {
      const other = openSignature(sign('sha256', message, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }))
      expect(emsaPssVerify(sha256, digest, other, 2047), `salt ${saltLength}`).toBe(false)
    }
    for (const index of [0, 100, 222, 254, 255]) {
      const edited = em.slice()
      edited[index]! ^= 0x01
      expect(emsaPssVerify(sha256, digest, edited, 2047)).toBe(false)
    }
    expect(emsaPssVerify(sha256, digest, em.subarray(1), 2047)).toBe(false)
  })

  it('EMSA-PSS-ENCODE round trips for modulus sizes that are not a multiple of 8', () => {
    const digest = sha256(message)
    for (const emBits of [2047, 2046, 2041, 1023, 600]) {
      const em = emsaPssEncode(sha256, digest, new Uint8Array(32).fill(7), emBits)
      expect(em).toHaveLength(Math.ceil(emBits / 8))
      expect(em[0]! >> (8 - (8 * em.length - emBits))).toBe(0)
      expect(emsaPssVerify(sha256, digest, em, emBits)).toBe(true)
    }
    expect(() => emsaPssEncode(sha256, digest, new Uint8Array(32), 8 * 65)).toThrow(RangeError)
  })
})
