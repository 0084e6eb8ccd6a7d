/**
 * Cross-test: each provider produces exactly the bytes the other produces and opens the
 * other's ciphertexts, for edge sizes around the AES block and beyond 64 KiB.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { toHex } from './vectors.js'

const node = nodeCryptoProvider()
const noble = nobleCryptoProvider()
const pairs = [
  [node, noble],
  [noble, node],
] as const
const random = (length: number) => node.randomFill(new Uint8Array(length))

describe('cross-test node ↔ noble', () => {
  for (const size of [0, 1, 15, 16, 17, 1024, 6144, 70_000]) {
    for (const keyLength of [16, 32]) {
      it(`AES-${keyLength * 8}-GCM, ${size} bytes, random AAD`, () => {
        const key = random(keyLength)
        const nonce = random(12)
        const plaintext = random(size)
        const aad = size % 2 === 0 ? random(size % 97) : undefined
        for (const [sealer, opener] of pairs) {
          const sealed = sealer.aesGcmEncrypt(key, nonce, plaintext, aad)
          // Hex comparison: vitest's deep equality walks 70 000 elements slowly.
          expect(toHex(opener.aesGcmEncrypt(key, nonce, plaintext, aad))).toBe(toHex(sealed))
          expect(toHex(opener.aesGcmDecrypt(key, nonce, sealed, aad)!)).toBe(toHex(plaintext))
          sealed[size >> 1]! ^= 1
          expect(opener.aesGcmDecrypt(key, nonce, sealed, aad)).toBeUndefined()
        }
      })
    }
  }

  it('property: same sealed bytes, each opens the other', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 32).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
        (key, nonce, plaintext, aad) => {
          const sealed = node.aesGcmEncrypt(key, nonce, plaintext, aad)
          expect(noble.aesGcmEncrypt(key, nonce, plaintext, aad)).toEqual(sealed)
          expect(noble.aesGcmDecrypt(key, nonce, sealed, aad)).toEqual(plaintext)
          expect(node.aesGcmDecrypt(key, nonce, sealed, aad)).toEqual(plaintext)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('property: SHA-256, HMAC and HKDF agree', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 80 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(255 * 32)),
        (data, key, info, length) => {
          expect(toHex(noble.sha256(data))).toBe(toHex(node.sha256(data)))
          expect(toHex(noble.hmacSha256(key, data))).toBe(toHex(node.hmacSha256(key, data)))
          expect(toHex(noble.hkdfSha256(data, key, info, length))).toBe(toHex(node.hkdfSha256(data, key, info, length)))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('scrypt agrees for small random parameters', async () => {
    for (const params of [{ N: 2, r: 1, p: 1, dkLen: 1 }, { N: 64, r: 2, p: 3, dkLen: 33 }, { N: 256, r: 8, p: 1, dkLen: 32 }]) {
      const password = random(11)
      const salt = random(16)
      expect(await noble.scrypt(password, salt, params)).toEqual(await node.scrypt(password, salt, params))
    }
  })
})
