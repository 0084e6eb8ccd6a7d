/**
 * Conformance for HMAC-SHA-2 and asymmetric keys, part of `providerSuite`. Every spec in
 * `ASYMMETRIC_KEY_SPECS` is either implemented (listed in `asymmetricSpecs`: the full
 * battery runs) or refused with `UnsupportedAlgorithmError`; the manifest is the only thing
 * the suite branches on. Plain `node:crypto` (test/reference.ts) is the interoperability
 * yardstick: it must verify every signature and open every ciphertext, and its own
 * signatures and ciphertexts must be accepted.
 */
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  ASYMMETRIC_KEY_SPECS,
  encryptionAlgorithms,
  HMAC_ALGORITHMS,
  hmacLength,
  rsaOaepMaxPlaintextLength,
  seededRandom,
  signingAlgorithms,
  UnsupportedAlgorithmError,
  type AsymmetricKeyPair,
  type AsymmetricKeySpec,
  type CryptoProvider,
  type SigningAlgorithm,
} from '@strongroom/crypto'
import { plainDigest, plainOaepDecrypt, plainOaepEncrypt, plainSign, plainVerify, privateKeyObject, publicKeyObject, vectorKeyPair } from './reference.js'
import { hex, hmacSha2Vectors, signatureVectors, toHex } from './vectors.js'

const wrong = (value: unknown) => value as Uint8Array
const isPlainUint8Array = (value: unknown) => Object.getPrototypeOf(value) === Uint8Array.prototype
const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
const utf8 = (text: string) => new TextEncoder().encode(text)
const isRsa = (spec: AsymmetricKeySpec) => spec.startsWith('RSA_')
/** Digest mode too, except for Ed25519, which signs messages only. */
const modesOf = (algorithm: SigningAlgorithm) => (algorithm === 'ED25519' ? [false] : [false, true])
const modeName = (inputIsDigest: boolean) => (inputIsDigest ? 'digest' : 'message')

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice()
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

export function asymmetricSuite(crypto: CryptoProvider): void {
  // The asymmetric half is loaded at first use; lazy.test.ts covers calls before it is.
  beforeAll(async () => {
    await crypto.loadAsymmetric?.()
  })

  describe('HMAC-SHA-2 known answers (RFC 4231)', () => {
    for (const v of hmacSha2Vectors) {
      it(`${v.id}: HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512`, () => {
        for (const algorithm of HMAC_ALGORITHMS) {
          if (algorithm === 'HMAC_SHA_224') continue // its answer is checked below
          const mac = crypto.hmac(algorithm, hex(v.key), hex(v.data))
          expect(toHex(mac)).toBe(v[algorithm])
          expect(mac).toHaveLength(hmacLength(algorithm))
          expect(isPlainUint8Array(mac)).toBe(true)
        }
      })
    }

    it('HMAC_SHA_224: RFC 4231 test case 2, 28 bytes', () => {
      const mac = crypto.hmac('HMAC_SHA_224', utf8('Jefe'), utf8('what do ya want for nothing?'))
      expect(toHex(mac)).toBe('a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44')
      expect(mac).toHaveLength(hmacLength('HMAC_SHA_224'))
    })

    it('HMAC_SHA_256 is hmacSha256; an empty key is allowed', () => {
      const key = utf8('k')
      expect(crypto.hmac('HMAC_SHA_256', key, utf8('data'))).toEqual(crypto.hmacSha256(key, utf8('data')))
      expect(crypto.hmac('HMAC_SHA_512', new Uint8Array(0), new Uint8Array(0))).toHaveLength(64)
    })

    it('RangeError for an unknown algorithm, TypeError for wrong types', () => {
      const bytes = new Uint8Array(4)
      for (const algorithm of ['HMAC_SHA_1', 'hmac_sha_256', 'SHA_256', '']) {
        expect(() => crypto.hmac(algorithm as 'HMAC_SHA_256', bytes, bytes)).toThrow(RangeError)
      }
      expect(() => crypto.hmac(256 as unknown as 'HMAC_SHA_256', bytes, bytes)).toThrow(TypeError)
      expect(() => crypto.hmac('HMAC_SHA_256', wrong('key'), bytes)).toThrow(TypeError)
      expect(() => crypto.hmac('HMAC_SHA_256', bytes, wrong([1]))).toThrow(TypeError)
    })
  })

  describe('signature known answers', () => {
    for (const v of signatureVectors) {
      if (!crypto.asymmetricSpecs.includes(v.spec)) continue
      it(`${v.id}: verifies in message and digest mode, rejects a modified one`, () => {
        const { publicKey } = vectorKeyPair(v)
        const message = hex(v.message)
        const signature = hex(v.signature)
        expect(crypto.verify(v.spec, v.algorithm, publicKey, message, false, signature)).toBe(true)
        if (v.algorithm !== 'ED25519') expect(crypto.verify(v.spec, v.algorithm, publicKey, sha256(message), true, signature)).toBe(true)
        expect(crypto.verify(v.spec, v.algorithm, publicKey, utf8('other'), false, signature)).toBe(false)
        expect(crypto.verify(v.spec, v.algorithm, publicKey, message, false, flipBit(signature, 8 * signature.length - 1))).toBe(false)
      })
      it(`${v.id}: reads the OpenSSL-written key; ${v.algorithm === 'ED25519' ? 'reproduces the signature' : 'signs afresh'}`, () => {
        const { privateKey, publicKey } = vectorKeyPair(v)
        expect(toHex(crypto.publicKeyFromPrivateKey(v.spec, privateKey))).toBe(toHex(publicKey))
        const message = hex(v.message)
        const signature = crypto.sign(v.spec, v.algorithm, privateKey, message, false)
        // Ed25519 is deterministic for everyone; deterministic ECDSA is checked per provider.
        if (v.algorithm === 'ED25519') expect(toHex(signature)).toBe(v.signature)
        expect(plainVerify(v.algorithm, publicKey, message, signature)).toBe(true)
      })
    }
  })

  for (const spec of ASYMMETRIC_KEY_SPECS) {
    if (crypto.asymmetricSpecs.includes(spec)) implementedSpec(crypto, spec)
    else refusedSpec(crypto, spec)
  }

  describe('asymmetric validation', () => {
    it('RangeError for an unknown spec, TypeError for a spec that is not a string', async () => {
      const bytes = new Uint8Array(32)
      for (const spec of ['EC_P192', 'RSA_1024', 'ec_p256', 'SYMMETRIC_DEFAULT']) {
        const bad = spec as AsymmetricKeySpec
        await expect(crypto.generateKeyPair(bad)).rejects.toThrow(RangeError)
        expect(() => crypto.sign(bad, 'ECDSA_SHA_256', bytes, bytes, true)).toThrow(RangeError)
        expect(() => crypto.verify(bad, 'ECDSA_SHA_256', bytes, bytes, true, bytes)).toThrow(RangeError)
        expect(() => crypto.publicKeyFromPrivateKey(bad, bytes)).toThrow(RangeError)
        expect(() => crypto.rsaEncrypt(bad, 'RSAES_OAEP_SHA_256', bytes, bytes)).toThrow(RangeError)
        expect(() => crypto.rsaDecrypt(bad, 'RSAES_OAEP_SHA_256', bytes, bytes)).toThrow(RangeError)
      }
      await expect(crypto.generateKeyPair(7 as unknown as AsymmetricKeySpec)).rejects.toThrow(TypeError)
    })

    it('RangeError for an algorithm that does not belong to the spec', () => {
      const bytes = new Uint8Array(32)
      const pairs: [AsymmetricKeySpec, string][] = [
        ['ED25519', 'ECDSA_SHA_256'],
        ['EC_P256', 'ED25519'],
        ['EC_P256', 'ECDSA_SHA_384'],
        ['EC_P384', 'ECDSA_SHA_256'],
        ['EC_P521', 'ECDSA_SHA_384'],
        ['EC_P256K', 'ECDSA_SHA_512'],
        ['ED25519', 'ED25519_PH_SHA_512'],
        ['EC_P256K', 'RSA_PSS_SHA_256'],
        ['RSA_2048', 'ECDSA_SHA_256'],
        ['RSA_3072', 'ED25519'],
        ['EC_P256', 'RSAES_OAEP_SHA_256'],
      ]
      for (const [spec, algorithm] of pairs) {
        expect(() => crypto.sign(spec, algorithm as SigningAlgorithm, bytes, bytes, false)).toThrow(RangeError)
        expect(() => crypto.verify(spec, algorithm as SigningAlgorithm, bytes, bytes, false, bytes)).toThrow(RangeError)
      }
      for (const spec of ['EC_P256', 'EC_P256K', 'ED25519', 'EC_P384', 'EC_P521'] as const) {
        expect(() => crypto.rsaEncrypt(spec, 'RSAES_OAEP_SHA_256', bytes, bytes)).toThrow(RangeError)
        expect(() => crypto.rsaDecrypt(spec, 'RSAES_OAEP_SHA_1', bytes, bytes)).toThrow(RangeError)
      }
      expect(() => crypto.rsaEncrypt('RSA_2048', 'RSA_PSS_SHA_256' as 'RSAES_OAEP_SHA_256', bytes, bytes)).toThrow(RangeError)
    })

    it('digest mode: RangeError unless as long as the algorithm\'s hash, and always for ED25519', () => {
      const key = new Uint8Array(100)
      for (const length of [0, 20, 31, 33, 48, 64]) {
        expect(() => crypto.sign('EC_P256', 'ECDSA_SHA_256', key, new Uint8Array(length), true)).toThrow(RangeError)
        expect(() => crypto.verify('RSA_2048', 'RSA_PSS_SHA_256', key, new Uint8Array(length), true, key)).toThrow(RangeError)
      }
      for (const length of [32, 47, 49, 64]) {
        expect(() => crypto.sign('EC_P384', 'ECDSA_SHA_384', key, new Uint8Array(length), true)).toThrow(/ECDSA_SHA_384 digest must be 48 bytes/)
        expect(() => crypto.verify('RSA_2048', 'RSA_PKCS1_SHA_384', key, new Uint8Array(length), true, key)).toThrow(RangeError)
      }
      for (const length of [32, 48, 63, 65]) {
        expect(() => crypto.sign('EC_P521', 'ECDSA_SHA_512', key, new Uint8Array(length), true)).toThrow(RangeError)
        expect(() => crypto.sign('ED25519', 'ED25519_PH', key, new Uint8Array(length), true)).toThrow(/ED25519_PH digest must be 64 bytes/)
      }
      expect(() => crypto.sign('ED25519', 'ED25519', key, new Uint8Array(32), true)).toThrow(/signs messages, not digests/)
      expect(() => crypto.verify('ED25519', 'ED25519', key, new Uint8Array(32), true, key)).toThrow(RangeError)
    })

    it('TypeError for arguments of the wrong type', async () => {
      const bytes = new Uint8Array(32)
      for (const value of [undefined, null, 'bytes', [1, 2], new ArrayBuffer(32), new Uint16Array(16)]) {
        const bad = wrong(value)
        expect(() => crypto.sign('EC_P256', 'ECDSA_SHA_256', bad, bytes, true)).toThrow(TypeError)
        expect(() => crypto.sign('EC_P256', 'ECDSA_SHA_256', bytes, bad, true)).toThrow(TypeError)
        expect(() => crypto.verify('EC_P256', 'ECDSA_SHA_256', bytes, bytes, true, bad)).toThrow(TypeError)
        expect(() => crypto.rsaEncrypt('RSA_2048', 'RSAES_OAEP_SHA_256', bytes, bad)).toThrow(TypeError)
        expect(() => crypto.rsaDecrypt('RSA_2048', 'RSAES_OAEP_SHA_256', bad, bytes)).toThrow(TypeError)
        expect(() => crypto.publicKeyFromPrivateKey('ED25519', bad)).toThrow(TypeError)
      }
      for (const flag of [undefined, 1, 'true']) {
        expect(() => crypto.sign('EC_P256', 'ECDSA_SHA_256', bytes, bytes, flag as unknown as boolean)).toThrow(TypeError)
      }
      await expect(crypto.generateKeyPair('EC_P256', {} as never)).rejects.toThrow(TypeError)
    })
  })
}

/** Every operation of a spec the provider does not implement throws UnsupportedAlgorithmError. */
function refusedSpec(crypto: CryptoProvider, spec: AsymmetricKeySpec): void {
  describe(`${spec}: refused by ${crypto.name}`, () => {
    const bytes = new Uint8Array(256)
    const digest = new Uint8Array(32)
    const expectRefusal = (error: unknown) => {
      expect(error).toBeInstanceOf(UnsupportedAlgorithmError)
      const refusal = error as UnsupportedAlgorithmError
      expect(refusal.code).toBe('UnsupportedAlgorithm')
      expect(refusal.provider).toBe(crypto.name)
      expect(refusal.spec).toBe(spec)
      expect(refusal.message).toMatch(/needs node:crypto or WebCrypto/)
    }
    const refusal = (run: () => unknown) => {
      try {
        run()
      } catch (error) {
        return error
      }
      throw new Error('expected a refusal')
    }

    it('every operation throws UnsupportedAlgorithmError (code UnsupportedAlgorithm) naming the provider', async () => {
      expectRefusal(await crypto.generateKeyPair(spec).catch((error: unknown) => error))
      const signing = signingAlgorithms(spec)[0]!
      const encryption = encryptionAlgorithms(spec)[0]
      expectRefusal(refusal(() => crypto.sign(spec, signing, bytes, digest, true)))
      expectRefusal(refusal(() => crypto.verify(spec, signing, bytes, digest, true, bytes)))
      expectRefusal(refusal(() => crypto.publicKeyFromPrivateKey(spec, bytes)))
      if (encryption !== undefined) {
        expectRefusal(refusal(() => crypto.rsaEncrypt(spec, encryption, bytes, digest)))
        expectRefusal(refusal(() => crypto.rsaDecrypt(spec, encryption, bytes, bytes)))
      }
    })

    it('argument checks still come first, identical to a provider that implements the spec', () => {
      expect(() => crypto.sign(spec, 'ECDSA_SHA_256', bytes, digest, true)).toThrow(RangeError)
      expect(() => crypto.sign(spec, signingAlgorithms(spec)[0]!, bytes, new Uint8Array(31), true)).toThrow(RangeError)
    })
  })
}

function implementedSpec(crypto: CryptoProvider, spec: AsymmetricKeySpec): void {
  describe(`${spec}`, () => {
    let keys: AsymmetricKeyPair
    let other: AsymmetricKeyPair
    // RSA keys are slow to make: one pair per spec per file, a second only for RSA_2048.
    beforeAll(async () => {
      keys = await crypto.generateKeyPair(spec)
      other = isRsa(spec) && spec !== 'RSA_2048' ? keys : await crypto.generateKeyPair(spec)
    })

    it('generates PKCS#8 and SPKI DER that plain node:crypto reads as this spec, and re-exports unchanged', () => {
      expect(isPlainUint8Array(keys.privateKey)).toBe(true)
      expect(isPlainUint8Array(keys.publicKey)).toBe(true)
      const privateKey = privateKeyObject(keys.privateKey)
      const publicKey = publicKeyObject(keys.publicKey)
      const type = spec === 'ED25519' ? 'ed25519' : isRsa(spec) ? 'rsa' : 'ec'
      expect(privateKey.asymmetricKeyType).toBe(type)
      const curves: Record<string, string> = { EC_P256: 'prime256v1', EC_P256K: 'secp256k1', EC_P384: 'secp384r1', EC_P521: 'secp521r1' }
      if (type === 'ec') expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curves[spec])
      if (type === 'rsa') {
        expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(Number(spec.slice(4)))
        expect(privateKey.asymmetricKeyDetails?.publicExponent).toBe(65537n)
      }
      expect(toHex(new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der' })))).toBe(toHex(keys.privateKey))
      expect(toHex(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })))).toBe(toHex(keys.publicKey))
      expect(toHex(crypto.publicKeyFromPrivateKey(spec, keys.privateKey))).toBe(toHex(keys.publicKey))
      if (other !== keys) expect(toHex(other.privateKey)).not.toBe(toHex(keys.privateKey))
    })

    if (!isRsa(spec)) {
      it('derives the same key from the same seeded random source, a different one from another seed', async () => {
        const a = await crypto.generateKeyPair(spec, seededRandom('asymmetric-suite'))
        const b = await crypto.generateKeyPair(spec, seededRandom('asymmetric-suite'))
        const c = await crypto.generateKeyPair(spec, seededRandom('asymmetric-suite-2'))
        expect(toHex(b.privateKey)).toBe(toHex(a.privateKey))
        expect(toHex(b.publicKey)).toBe(toHex(a.publicKey))
        expect(toHex(c.publicKey)).not.toBe(toHex(a.publicKey))
      })

      it('draws its seed synchronously: concurrent calls consume a seeded stream in call order', async () => {
        const random = seededRandom('order')
        const [first, second] = await Promise.all([crypto.generateKeyPair(spec, random), crypto.generateKeyPair(spec, random)])
        const replay = seededRandom('order')
        expect(toHex((await crypto.generateKeyPair(spec, replay)).publicKey)).toBe(toHex(first.publicKey))
        expect(toHex((await crypto.generateKeyPair(spec, replay)).publicKey)).toBe(toHex(second.publicKey))
      })
    }

    for (const algorithm of signingAlgorithms(spec)) {
      for (const inputIsDigest of modesOf(algorithm)) {
        const mode = modeName(inputIsDigest)
        const input = (message: Uint8Array) => (inputIsDigest ? plainDigest(algorithm, message) : message)

        it(`${algorithm}, ${mode} mode: plain node:crypto verifies the signature of the message; so does verify`, () => {
          const message = utf8(`strongroom ${spec} ${algorithm}`)
          const signature = crypto.sign(spec, algorithm, keys.privateKey, input(message), inputIsDigest)
          expect(isPlainUint8Array(signature)).toBe(true)
          expect(plainVerify(algorithm, keys.publicKey, message, signature)).toBe(true)
          expect(crypto.verify(spec, algorithm, keys.publicKey, input(message), inputIsDigest, signature)).toBe(true)
          // The other mode accepts it too: it is one signature of one message.
          if (algorithm !== 'ED25519') {
            const otherModeInput = inputIsDigest ? message : plainDigest(algorithm, message)
            expect(crypto.verify(spec, algorithm, keys.publicKey, otherModeInput, !inputIsDigest, signature)).toBe(true)
          }
          expect(crypto.verify(spec, algorithm, keys.publicKey, input(utf8('another message')), inputIsDigest, signature)).toBe(false)
          if (other !== keys) expect(crypto.verify(spec, algorithm, other.publicKey, input(message), inputIsDigest, signature)).toBe(false)
        })

        it(`${algorithm}, ${mode} mode: accepts signatures made by plain node:crypto`, () => {
          const message = utf8('signed by plain node:crypto')
          const signature = plainSign(algorithm, keys.privateKey, message)
          expect(crypto.verify(spec, algorithm, keys.publicKey, input(message), inputIsDigest, signature)).toBe(true)
          expect(crypto.verify(spec, algorithm, keys.publicKey, input(utf8('signed by someone else')), inputIsDigest, signature)).toBe(false)
        })

        it(`${algorithm}, ${mode} mode: false, never an exception, for malformed signatures`, () => {
          const message = utf8('malformed')
          const signature = crypto.sign(spec, algorithm, keys.privateKey, input(message), inputIsDigest)
          const malformed = [
            new Uint8Array(0),
            signature.subarray(0, signature.length - 1),
            Uint8Array.of(...signature, 0),
            new Uint8Array(signature.length),
            new Uint8Array(signature.length).fill(0xff),
            Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00), // r = s = 0
            Uint8Array.of(0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00, 0x00), // indefinite length
          ]
          for (const bad of malformed) expect(crypto.verify(spec, algorithm, keys.publicKey, input(message), inputIsDigest, bad)).toBe(false)
        })

        // RSA_3072/4096 signatures are slow to check many times; RSA_2048 covers the RSA code paths.
        const runs = spec === 'RSA_3072' || spec === 'RSA_4096' ? 0 : isRsa(spec) ? 6 : 12
        if (runs > 0) it(`${algorithm}, ${mode} mode, property: round-trips, and any one-bit change to signature or message fails`, () => {
          fc.assert(
            fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), (message, signatureBit, messageBit) => {
              const signature = crypto.sign(spec, algorithm, keys.privateKey, input(message), inputIsDigest)
              expect(crypto.verify(spec, algorithm, keys.publicKey, input(message), inputIsDigest, signature)).toBe(true)
              const badSignature = flipBit(signature, signatureBit % (8 * signature.length))
              expect(crypto.verify(spec, algorithm, keys.publicKey, input(message), inputIsDigest, badSignature)).toBe(false)
              const badMessage = flipBit(message, messageBit % (8 * message.length))
              expect(crypto.verify(spec, algorithm, keys.publicKey, input(badMessage), inputIsDigest, signature)).toBe(false)
            }),
            { numRuns: runs },
          )
        })
      }
    }

    if (spec === 'EC_P256K') {
      it('ECDSA signatures are low-S (s ≤ n/2) in both modes', () => {
        const halfN = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
        for (let i = 0; i < 16; i++) {
          const message = utf8(`low-s ${i}`)
          for (const inputIsDigest of [false, true]) {
            const signature = crypto.sign(spec, 'ECDSA_SHA_256', keys.privateKey, inputIsDigest ? sha256(message) : message, inputIsDigest)
            const sLength = signature[3 + signature[3]! + 2]!
            const s = BigInt('0x' + toHex(signature.subarray(signature.length - sLength)))
            expect(s <= halfN).toBe(true)
          }
        }
      })
    }

    for (const algorithm of encryptionAlgorithms(spec)) {
      const max = rsaOaepMaxPlaintextLength(spec, algorithm)
      it(`${algorithm}: round trip up to ${max} bytes; RangeError beyond`, () => {
        for (const length of [0, 1, 32, max]) {
          const plaintext = crypto.randomFill(new Uint8Array(length))
          const ciphertext = crypto.rsaEncrypt(spec, algorithm, keys.publicKey, plaintext)
          expect(ciphertext).toHaveLength(Number(spec.slice(4)) / 8)
          expect(isPlainUint8Array(ciphertext)).toBe(true)
          const opened = crypto.rsaDecrypt(spec, algorithm, keys.privateKey, ciphertext)
          expect(opened && toHex(opened)).toBe(toHex(plaintext))
          expect(isPlainUint8Array(opened)).toBe(true)
        }
        expect(() => crypto.rsaEncrypt(spec, algorithm, keys.publicKey, new Uint8Array(max + 1))).toThrow(RangeError)
        expect(() => crypto.rsaEncrypt(spec, algorithm, keys.publicKey, new Uint8Array(max + 1))).toThrow(`at most ${max} bytes`)
      })

      it(`${algorithm}: interoperates with plain node:crypto both ways`, () => {
        const plaintext = utf8('a 32-byte data key, or any secret')
        const theirs = plainOaepEncrypt(algorithm, keys.publicKey, plaintext)
        expect(toHex(crypto.rsaDecrypt(spec, algorithm, keys.privateKey, theirs)!)).toBe(toHex(plaintext))
        const ours = crypto.rsaEncrypt(spec, algorithm, keys.publicKey, plaintext)
        expect(toHex(plainOaepDecrypt(algorithm, keys.privateKey, ours))).toBe(toHex(plaintext))
      })

      it(`${algorithm}: undefined, never an exception, for ciphertext that does not decrypt`, () => {
        const ciphertext = crypto.rsaEncrypt(spec, algorithm, keys.publicKey, utf8('secret'))
        const otherHash = algorithm === 'RSAES_OAEP_SHA_256' ? 'RSAES_OAEP_SHA_1' : 'RSAES_OAEP_SHA_256'
        const bad = [
          flipBit(ciphertext, 5),
          flipBit(ciphertext, 8 * ciphertext.length - 1),
          ciphertext.subarray(1),
          Uint8Array.of(...ciphertext, 0),
          new Uint8Array(0),
          new Uint8Array(ciphertext.length),
          new Uint8Array(ciphertext.length).fill(0xff), // above the modulus
        ]
        for (const bytes of bad) expect(crypto.rsaDecrypt(spec, algorithm, keys.privateKey, bytes)).toBeUndefined()
        expect(crypto.rsaDecrypt(spec, otherHash, keys.privateKey, ciphertext)).toBeUndefined()
        if (other !== keys) expect(crypto.rsaDecrypt(spec, algorithm, other.privateKey, ciphertext)).toBeUndefined()
      })
    }

    it('RangeError for a key that is malformed or of another spec; messages carry no key bytes', () => {
      const algorithm = signingAlgorithms(spec)[0]!
      const digest = new Uint8Array(32)
      const message = utf8('m')
      const anotherSpec = ASYMMETRIC_KEY_SPECS.find((s) => s !== spec && crypto.asymmetricSpecs.includes(s) && signingAlgorithms(s).includes(algorithm))
      const garbage = new Uint8Array(keys.privateKey.length).fill(0x5a)
      for (const bad of [garbage, keys.publicKey, keys.privateKey.subarray(0, keys.privateKey.length - 1), Uint8Array.of(...keys.privateKey, 0)]) {
        expect(() => crypto.sign(spec, algorithm, bad, message, false)).toThrow(RangeError)
        expect(() => crypto.publicKeyFromPrivateKey(spec, bad)).toThrow(RangeError)
      }
      for (const bad of [garbage, keys.privateKey, keys.publicKey.subarray(1)]) {
        expect(() => crypto.verify(spec, algorithm, bad, message, false, digest)).toThrow(RangeError)
      }
      if (anotherSpec !== undefined) {
        expect(() => crypto.sign(anotherSpec, algorithm, keys.privateKey, message, false)).toThrow(RangeError)
        expect(() => crypto.verify(anotherSpec, algorithm, keys.publicKey, message, false, digest)).toThrow(RangeError)
      }
      expect(() => crypto.sign(spec, algorithm, garbage, message, false)).toThrow(/^privateKey is not an? [A-Z0-9_]+ PKCS#8 private key$/)
    })
  })
}
