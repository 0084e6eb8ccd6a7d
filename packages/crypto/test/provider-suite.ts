/**
 * The conformance suite every CryptoProvider runs: known answers from the standards,
 * the `output` parameter, and identical validation; asymmetric keys and HMAC-SHA-2 in
 * asymmetric-suite.ts, driven by the provider's `asymmetricSpecs`. A provider's own test file is
 * `providerSuite(myCryptoProvider)` plus whatever is specific to its platform.
 */
import { describe, expect, it } from 'vitest'
import { GCM_NONCE_LENGTH, GCM_TAG_LENGTH, type CryptoProvider } from '@strongroom/crypto'
import { asymmetricSuite } from './asymmetric-suite.js'
import { aesGcmVectors, atOddOffset, hex, hkdfVectors, hmacVectors, scryptVectors, sha256Vectors, toHex } from './vectors.js'

/** A value of the wrong type, smuggled past the compiler as a caller in plain JS would. */
const wrong = (value: unknown) => value as Uint8Array

const isPlainUint8Array = (value: unknown) => Object.getPrototypeOf(value) === Uint8Array.prototype

export function providerSuite(factory: () => CryptoProvider): void {
  const crypto = factory()
  const key16 = new Uint8Array(16).fill(1)
  const key32 = new Uint8Array(32).fill(2)
  const nonce = new Uint8Array(GCM_NONCE_LENGTH).fill(3)

  describe(`CryptoProvider conformance: ${crypto.name}`, () => {
    describe('AES-GCM known answers', () => {
      for (const v of aesGcmVectors) {
        // Empty AAD and absent AAD are the same thing in GCM (SP 800-38D): test both.
        const aads = v.aad === '' ? [undefined, new Uint8Array(0)] : [hex(v.aad)]
        if (v.result === 'valid') {
          it(`${v.id}: encrypts to ciphertext ‖ tag and decrypts back`, () => {
            for (const aad of aads) {
              const sealed = crypto.aesGcmEncrypt(hex(v.key), hex(v.nonce), hex(v.plaintext), aad)
              expect(toHex(sealed)).toBe(v.ciphertext + v.tag)
              expect(isPlainUint8Array(sealed)).toBe(true)
              const opened = crypto.aesGcmDecrypt(hex(v.key), hex(v.nonce), sealed, aad)
              expect(opened && toHex(opened)).toBe(v.plaintext)
              expect(isPlainUint8Array(opened)).toBe(true)
            }
          })
        } else {
          it(`${v.id}: decrypt rejects (undefined)`, () => {
            for (const aad of aads) {
              expect(crypto.aesGcmDecrypt(hex(v.key), hex(v.nonce), hex(v.ciphertext + v.tag), aad)).toBeUndefined()
            }
          })
        }
      }

      it('reads views at odd byte offsets correctly', () => {
        const v = aesGcmVectors.find((x) => x.id === 'mv-04')!
        const sealed = crypto.aesGcmEncrypt(atOddOffset(hex(v.key)), atOddOffset(hex(v.nonce)), atOddOffset(hex(v.plaintext)), atOddOffset(hex(v.aad)))
        expect(toHex(sealed)).toBe(v.ciphertext + v.tag)
        const opened = crypto.aesGcmDecrypt(atOddOffset(hex(v.key)), atOddOffset(hex(v.nonce)), atOddOffset(sealed), atOddOffset(hex(v.aad)))
        expect(opened && toHex(opened)).toBe(v.plaintext)
      })

      it('leaves its inputs unchanged, also on a failed decrypt', () => {
        const plaintext = new Uint8Array(40).fill(9)
        const aad = new Uint8Array(5).fill(4)
        const sealed = crypto.aesGcmEncrypt(key32, nonce, plaintext, aad)
        const copy = sealed.slice()
        expect(crypto.aesGcmDecrypt(key32, nonce, sealed, new Uint8Array(5))).toBeUndefined()
        expect(crypto.aesGcmDecrypt(key32, nonce, sealed, aad)).toEqual(plaintext)
        expect(sealed).toEqual(copy)
        expect(plaintext).toEqual(new Uint8Array(40).fill(9))
      })
    })

    describe('AES-GCM output parameter', () => {
      it('writes ciphertext ‖ tag into output and returns that same array', () => {
        const plaintext = new Uint8Array(33).fill(7)
        const output = new Uint8Array(33 + GCM_TAG_LENGTH)
        const result = crypto.aesGcmEncrypt(key16, nonce, plaintext, undefined, output)
        expect(result).toBe(output)
        expect(output).toEqual(crypto.aesGcmEncrypt(key16, nonce, plaintext))
      })

      it('writes into a view inside a larger blob without touching its neighbours', () => {
        const blob = new Uint8Array(5 + 10 + GCM_TAG_LENGTH + 5).fill(0xaa)
        const output = blob.subarray(5, 5 + 10 + GCM_TAG_LENGTH)
        crypto.aesGcmEncrypt(key32, nonce, new Uint8Array(10), undefined, output)
        expect(blob.subarray(0, 5)).toEqual(new Uint8Array(5).fill(0xaa))
        expect(blob.subarray(-5)).toEqual(new Uint8Array(5).fill(0xaa))
        expect(output).toEqual(crypto.aesGcmEncrypt(key32, nonce, new Uint8Array(10)))
      })

      it('may overlap the plaintext (encrypt in place)', () => {
        const plaintext = new Uint8Array(64).map((_, i) => i)
        const expected = crypto.aesGcmEncrypt(key32, nonce, plaintext)
        const buffer = new Uint8Array(64 + GCM_TAG_LENGTH)
        buffer.set(plaintext)
        crypto.aesGcmEncrypt(key32, nonce, buffer.subarray(0, 64), undefined, buffer)
        expect(buffer).toEqual(expected)
      })

      it('RangeError when output has the wrong length', () => {
        for (const length of [0, 10 + GCM_TAG_LENGTH - 1, 10 + GCM_TAG_LENGTH + 1]) {
          expect(() => crypto.aesGcmEncrypt(key16, nonce, new Uint8Array(10), undefined, new Uint8Array(length))).toThrow(RangeError)
        }
      })
    })

    describe('hashes and KDFs known answers', () => {
      for (const v of sha256Vectors) {
        it(`SHA-256 ${v.id}`, () => {
          const digest = crypto.sha256(hex(v.data))
          expect(toHex(digest)).toBe(v.digest)
          expect(isPlainUint8Array(digest)).toBe(true)
        })
      }
      it('SHA-256 of text, as hex: UTF-8 encoded, equal to sha256 of the bytes', () => {
        expect(crypto.sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
        expect(crypto.sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
        for (const text of ['héllo wörld', '😀 emoji', 'a'.repeat(1000)]) {
          expect(crypto.sha256Hex(text)).toBe(toHex(crypto.sha256(new TextEncoder().encode(text))))
        }
        expect(() => crypto.sha256Hex(42 as unknown as string)).toThrow(TypeError)
      })
      it('SHA-256 of bytes, as hex: only the view is hashed, not the buffer around it', () => {
        expect(crypto.sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
        const around = new Uint8Array(600).map((_, i) => i % 251)
        const view = around.subarray(100, 450)
        expect(crypto.sha256Hex(view)).toBe(toHex(crypto.sha256(view.slice())))
        expect(crypto.sha256Hex(around.subarray(7, 7))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
        expect(() => crypto.sha256Hex([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError)
      })
      for (const v of hmacVectors) {
        it(`HMAC-SHA-256 ${v.id}`, () => {
          const mac = crypto.hmacSha256(hex(v.key), hex(v.data))
          expect(toHex(mac)).toBe(v.mac)
          expect(isPlainUint8Array(mac)).toBe(true)
        })
      }
      for (const v of hkdfVectors) {
        it(`HKDF-SHA-256 ${v.id}`, () => {
          const okm = crypto.hkdfSha256(hex(v.ikm), hex(v.salt), hex(v.info), v.length)
          expect(toHex(okm)).toBe(v.okm)
          expect(isPlainUint8Array(okm)).toBe(true)
        })
      }
      for (const v of scryptVectors) {
        it(`scrypt ${v.id} (N=${v.N}, r=${v.r}, p=${v.p})`, async () => {
          const { N, r, p, dkLen } = v
          const derived = await crypto.scrypt(hex(v.password), hex(v.salt), { N, r, p, dkLen })
          expect(toHex(derived)).toBe(v.key)
          expect(isPlainUint8Array(derived)).toBe(true)
        })
      }
    })

    describe('randomFill and timingSafeEqual', () => {
      it('randomFill fills the target in place and returns it, including beyond 64 KiB', () => {
        const target = new Uint8Array(70_000)
        expect(crypto.randomFill(target)).toBe(target)
        // The chance that 1000 CSPRNG bytes are all zero is 2^-8000.
        expect(target.subarray(0, 1000).some((b) => b !== 0)).toBe(true)
        expect(target.subarray(-1000).some((b) => b !== 0)).toBe(true)
        expect(crypto.randomFill(new Uint8Array(0))).toHaveLength(0)
      })

      it('randomFill draws differ', () => {
        const seen = new Set<string>()
        for (let i = 0; i < 100; i++) seen.add(toHex(crypto.randomFill(new Uint8Array(16))))
        expect(seen.size).toBe(100)
      })

      it('timingSafeEqual compares bytes, and answers false for different lengths', () => {
        expect(crypto.timingSafeEqual(hex('00ff10'), hex('00ff10'))).toBe(true)
        expect(crypto.timingSafeEqual(hex('00ff10'), hex('00ff11'))).toBe(false)
        expect(crypto.timingSafeEqual(hex('80ff10'), hex('00ff10'))).toBe(false)
        expect(crypto.timingSafeEqual(hex('00ff10'), hex('00ff'))).toBe(false)
        expect(crypto.timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true)
      })
    })

    describe('validation', () => {
      it('RangeError for a key that is not 16 or 32 bytes', () => {
        for (const length of [0, 15, 17, 24, 31, 33, 64]) {
          const key = new Uint8Array(length)
          expect(() => crypto.aesGcmEncrypt(key, nonce, new Uint8Array(1))).toThrow(RangeError)
          expect(() => crypto.aesGcmDecrypt(key, nonce, new Uint8Array(32))).toThrow(RangeError)
        }
      })

      it('RangeError for a nonce that is not 12 bytes', () => {
        for (const length of [0, 8, 11, 13, 16]) {
          const badNonce = new Uint8Array(length)
          expect(() => crypto.aesGcmEncrypt(key16, badNonce, new Uint8Array(1))).toThrow(RangeError)
          expect(() => crypto.aesGcmDecrypt(key16, badNonce, new Uint8Array(32))).toThrow(RangeError)
        }
      })

      it('TypeError for arguments that are not Uint8Arrays', () => {
        const bytes = new Uint8Array(16)
        for (const value of [undefined, null, 'key', [1, 2, 3], new ArrayBuffer(16), new Uint16Array(8), new DataView(new ArrayBuffer(16))]) {
          const bad = wrong(value)
          if (value !== undefined) {
            expect(() => crypto.aesGcmEncrypt(key16, nonce, bytes, bad)).toThrow(TypeError)
            expect(() => crypto.aesGcmDecrypt(key16, nonce, bytes, bad)).toThrow(TypeError)
            expect(() => crypto.aesGcmEncrypt(key16, nonce, bytes, undefined, bad)).toThrow(TypeError)
          }
          expect(() => crypto.aesGcmEncrypt(bad, nonce, bytes)).toThrow(TypeError)
          expect(() => crypto.aesGcmEncrypt(key16, bad, bytes)).toThrow(TypeError)
          expect(() => crypto.aesGcmEncrypt(key16, nonce, bad)).toThrow(TypeError)
          expect(() => crypto.aesGcmDecrypt(bad, nonce, bytes)).toThrow(TypeError)
          expect(() => crypto.aesGcmDecrypt(key16, nonce, bad)).toThrow(TypeError)
          expect(() => crypto.sha256(bad)).toThrow(TypeError)
          expect(() => crypto.hmacSha256(bad, bytes)).toThrow(TypeError)
          expect(() => crypto.hmacSha256(bytes, bad)).toThrow(TypeError)
          expect(() => crypto.hkdfSha256(bad, bytes, bytes, 32)).toThrow(TypeError)
          expect(() => crypto.hkdfSha256(bytes, bad, bytes, 32)).toThrow(TypeError)
          expect(() => crypto.hkdfSha256(bytes, bytes, bad, 32)).toThrow(TypeError)
          expect(() => crypto.randomFill(bad)).toThrow(TypeError)
          expect(() => crypto.timingSafeEqual(bad, bytes)).toThrow(TypeError)
          expect(() => crypto.timingSafeEqual(bytes, bad)).toThrow(TypeError)
        }
      })

      it('accepts a Buffer wherever a Uint8Array is expected', () => {
        const v = aesGcmVectors.find((x) => x.id === 'mv-04')!
        const b = (h: string) => Buffer.from(h, 'hex')
        expect(toHex(crypto.aesGcmEncrypt(b(v.key), b(v.nonce), b(v.plaintext), b(v.aad)))).toBe(v.ciphertext + v.tag)
      })

      it('HKDF: RangeError for length outside 1..8160 or info over 1024 bytes', () => {
        const bytes = new Uint8Array(16)
        expect(crypto.hkdfSha256(bytes, bytes, bytes, 255 * 32)).toHaveLength(255 * 32)
        expect(crypto.hkdfSha256(bytes, bytes, new Uint8Array(1024), 1)).toHaveLength(1)
        for (const length of [0, -1, 1.5, 255 * 32 + 1]) {
          expect(() => crypto.hkdfSha256(bytes, bytes, bytes, length)).toThrow(RangeError)
        }
        expect(() => crypto.hkdfSha256(bytes, bytes, new Uint8Array(1025), 32)).toThrow(RangeError)
        expect(() => crypto.hkdfSha256(bytes, bytes, bytes, '32' as unknown as number)).toThrow(TypeError)
      })

      it('scrypt: rejects with RangeError for parameters outside RFC 7914', async () => {
        const bytes = new Uint8Array(8)
        const good = { N: 16, r: 1, p: 1, dkLen: 16 }
        for (const bad of [{ N: 0 }, { N: 1 }, { N: 3 }, { N: 24 }, { N: 65536 }, { r: 0 }, { p: 0 }, { p: 1.5 }, { dkLen: 0 }]) {
          await expect(crypto.scrypt(bytes, bytes, { ...good, ...bad })).rejects.toThrow(RangeError)
        }
        await expect(crypto.scrypt(wrong('pw'), bytes, good)).rejects.toThrow(TypeError)
      })

      it('messages never echo byte values', () => {
        const secret = new Uint8Array(24).fill(0x5a)
        expect(() => crypto.aesGcmEncrypt(secret, nonce, new Uint8Array(1))).toThrow(/^key must be 16 or 32 bytes, got 24$/)
      })
    })

    asymmetricSuite(crypto)
  })
}
