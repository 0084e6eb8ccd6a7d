/**
 * Cross-test: each provider produces exactly the bytes the other produces and opens the
 * other's ciphertexts, for edge sizes around the AES block and beyond 64 KiB; derives the
 * same key pairs from the same seed and accepts the other's signatures.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mapHashToField } from '@noble/curves/abstract/modular.js'
import { ed25519, ed25519ph } from '@noble/curves/ed25519.js'
import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { HMAC_ALGORITHMS, seededRandom, signingAlgorithms } from '@strongroom/crypto'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { decodeEcdsaSignature, encodeEcdsaSignature, P256, scalarFromSeed, SECP256K1 } from '../src/der.js'
import { plainDigest, plainEcPoint, plainVerify } from './reference.js'
import { hex, toHex } from './vectors.js'

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

describe('asymmetric cross-test node ↔ noble', () => {
  const specs = ['EC_P256', 'EC_P256K', 'ED25519', 'EC_P384', 'EC_P521'] as const
  const algorithmOf = (spec: (typeof specs)[number]) => signingAlgorithms(spec)[0]!
  const sha256 = (data: Uint8Array) => node.sha256(data)
  beforeAll(async () => {
    await Promise.all([node.loadAsymmetric?.(), noble.loadAsymmetric?.()])
  })
  const curves = { EC_P256: 'prime256v1', EC_P256K: 'secp256k1', EC_P384: 'secp384r1', EC_P521: 'secp521r1' } as const

  it('both implement every elliptic-curve spec; only node implements RSA', () => {
    expect(node.asymmetricSpecs).toEqual(['EC_P256', 'EC_P256K', 'ED25519', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P384', 'EC_P521'])
    expect(noble.asymmetricSpecs).toEqual(['EC_P256', 'EC_P256K', 'ED25519', 'EC_P384', 'EC_P521'])
  })

  it('Ed25519ph over a SHA-512 digest is exactly @noble/curves ed25519ph of the message (RFC 8032 §5.1), in both providers', async () => {
    const keys = await noble.generateKeyPair('ED25519', seededRandom('ed25519ph'))
    const seed = keys.privateKey.subarray(keys.privateKey.length - 32)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (message) => {
        const expected = toHex(ed25519ph.sign(message, seed))
        const digest = plainDigest('ED25519_PH', message)
        for (const provider of [node, noble]) {
          expect(toHex(provider.sign('ED25519', 'ED25519_PH', keys.privateKey, digest, true))).toBe(expected)
          expect(toHex(provider.sign('ED25519', 'ED25519_PH', keys.privateKey, message, false))).toBe(expected)
        }
        // Pure Ed25519 and Ed25519ph are different signatures (domain separation): neither verifies as the other.
        const pure = node.sign('ED25519', 'ED25519', keys.privateKey, message, false)
        expect(node.verify('ED25519', 'ED25519_PH', keys.publicKey, message, false, pure)).toBe(false)
        expect(noble.verify('ED25519', 'ED25519', keys.publicKey, message, false, hex(expected))).toBe(false)
      }),
      { numRuns: 10 },
    )
  })

  it('RFC 8032 §7.3 Ed25519ph test vector ("abc")', () => {
    const secret = hex('833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42')
    const publicKey = hex('ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf')
    const expected =
      '98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406'
    const privateKey = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, ...secret)
    const spki = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, ...publicKey)
    for (const provider of [node, noble]) {
      expect(toHex(provider.sign('ED25519', 'ED25519_PH', privateKey, new TextEncoder().encode('abc'), false))).toBe(expected)
      expect(provider.verify('ED25519', 'ED25519_PH', spki, new TextEncoder().encode('abc'), false, hex(expected))).toBe(true)
    }
  })

  it('known answer: seed "strongroom" gives these public keys (catches any change to the derivation)', async () => {
    const expected = {
      EC_P256:
        '3059301306072a8648ce3d020106082a8648ce3d03010703420004bfcc54513bf5cacf272b1ad8dba091ab6779faaba6b3d66fdee1b34df89a877c70c34122a4b0bf5b9e2692416d4ecae40dde81cb4997c7fb329b498bcf6a4437',
      EC_P256K:
        '3056301006072a8648ce3d020106052b8104000a0342000441d21c7dd1d5b2328bbdf5f25e3bdc0f8b5f24069aa088420306c9c0e47a3f7a21f5820e918bc2bb4683f224b19f8bd083e4e36b1a7766c4da0ae1b6d68d9a98',
      ED25519: '302a300506032b65700321005570aa04fa1f5e38559fbf222bd40fd275a3b043b365001849f111481d69cdd6',
    }
    for (const spec of ['EC_P256', 'EC_P256K', 'ED25519'] as const) {
      for (const provider of [node, noble]) {
        expect(toHex((await provider.generateKeyPair(spec, seededRandom('strongroom'))).publicKey)).toBe(expected[spec])
      }
    }
    // The construction, recomputed with plain BigInt and OpenSSL: 48 seeded bytes c, d = (c mod (n − 1)) + 1.
    const c = BigInt('0x' + toHex(seededRandom('strongroom', node).fill(new Uint8Array(48))))
    for (const [spec, curve, n] of [['EC_P256', 'prime256v1', P256.n], ['EC_P256K', 'secp256k1', SECP256K1.n]] as const) {
      const d = ((c % (n - 1n)) + 1n).toString(16).padStart(64, '0')
      expect(expected[spec].endsWith(toHex(plainEcPoint(curve, hex(d))))).toBe(true)
    }
    const seed = seededRandom('strongroom', node).fill(new Uint8Array(32))
    expect(expected.ED25519.endsWith(toHex(ed25519.getPublicKey(seed)))).toBe(true)
  })

  it('the EC seed reduction is @noble/curves mapHashToField (its keygen(seed) gives the same scalar)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), (seed) => {
        for (const [curve, nobleCurve] of [[P256, p256], [SECP256K1, secp256k1]] as const) {
          expect(toHex(scalarFromSeed(curve, seed))).toBe(toHex(mapHashToField(seed, curve.n)))
          expect(toHex(scalarFromSeed(curve, seed))).toBe(toHex(nobleCurve.keygen(seed).secretKey))
        }
      }),
      { numRuns: 50 },
    )
    // The extremes: c ≡ 0 and c ≡ n − 2 (mod n − 1) give d = 1 and d = n − 1.
    expect(toHex(scalarFromSeed(P256, new Uint8Array(48)))).toBe('00'.repeat(31) + '01')
    expect(toHex(scalarFromSeed(SECP256K1, hex((SECP256K1.n - 2n).toString(16).padStart(96, '0'))))).toBe((SECP256K1.n - 1n).toString(16))
  })

  for (const spec of specs) {
    it(`${spec}: seeded keys are identical DER from both providers`, async () => {
      for (let i = 0; i < 20; i++) {
        const [a, b] = [await node.generateKeyPair(spec, seededRandom(`cross ${i}`)), await noble.generateKeyPair(spec, seededRandom(`cross ${i}`))]
        expect(toHex(b.privateKey)).toBe(toHex(a.privateKey))
        expect(toHex(b.publicKey)).toBe(toHex(a.publicKey))
      }
    })

    it(`${spec}, property: each provider verifies the other's signatures, with every algorithm in every mode`, async () => {
      const keys = await node.generateKeyPair(spec)
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (message) => {
          for (const algorithm of signingAlgorithms(spec)) {
            const modes = algorithm === 'ED25519' ? [false] : [false, true]
            const digest = plainDigest(algorithm, message)
            for (const inputIsDigest of modes) {
              const input = inputIsDigest ? digest : message
              for (const [signer, verifier] of pairs) {
                const signature = signer.sign(spec, algorithm, keys.privateKey, input, inputIsDigest)
                expect(verifier.verify(spec, algorithm, keys.publicKey, input, inputIsDigest, signature)).toBe(true)
                expect(plainVerify(algorithm, keys.publicKey, message, signature)).toBe(true)
                if (algorithm !== 'ED25519') expect(verifier.verify(spec, algorithm, keys.publicKey, inputIsDigest ? message : digest, !inputIsDigest, signature)).toBe(true)
              }
            }
          }
        }),
        { numRuns: 8 },
      )
    })

    it(`${spec}, property: both give the same verdict on mutated signatures`, async () => {
      const keys = await noble.generateKeyPair(spec, seededRandom(`mutations ${spec}`))
      const algorithm = algorithmOf(spec)
      const message = new TextEncoder().encode('mutated')
      const signature = noble.sign(spec, algorithm, keys.privateKey, message, false)
      const mutation = fc.oneof(
        fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }).map(({ at, value }) => (s: Uint8Array) => {
          const copy = s.slice()
          copy[at % s.length] = value
          return copy
        }),
        fc.nat().map((cut) => (s: Uint8Array) => s.subarray(0, cut % s.length)),
        fc.uint8Array({ minLength: 1, maxLength: 3 }).map((extra) => (s: Uint8Array) => Uint8Array.of(...s, ...extra)),
      )
      fc.assert(
        fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
          const mutated = mutations.reduce((s, mutate) => mutate(s), signature)
          const verdict = node.verify(spec, algorithm, keys.publicKey, message, false, mutated)
          expect(noble.verify(spec, algorithm, keys.publicKey, message, false, mutated)).toBe(verdict)
          if (spec !== 'ED25519') expect(noble.verify(spec, algorithm, keys.publicKey, plainDigest(algorithm, message), true, mutated)).toBe(verdict)
          if (spec !== 'ED25519') expect(node.verify(spec, algorithm, keys.publicKey, plainDigest(algorithm, message), true, mutated)).toBe(verdict)
        }),
        { numRuns: 40 },
      )
    })

    it(`${spec}: keys written by plain OpenSSL work in both providers`, () => {
      const type = spec === 'ED25519' ? 'ed25519' : 'ec'
      const namedCurve = spec === 'ED25519' ? '' : curves[spec]
      const pair = generateKeyPairSync(type as 'ec', { namedCurve })
      const privateKey = new Uint8Array(pair.privateKey.export({ type: 'pkcs8', format: 'der' }))
      const publicKey = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }))
      for (const provider of [node, noble]) {
        expect(toHex(provider.publicKeyFromPrivateKey(spec, privateKey))).toBe(toHex(publicKey))
        const message = new TextEncoder().encode(`signed by ${provider.name}`)
        const signature = provider.sign(spec, algorithmOf(spec), privateKey, message, false)
        expect(plainVerify(algorithmOf(spec), publicKey, message, signature)).toBe(true)
      }
    })
  }

  it('high-S ECDSA signatures are valid for both (only signing normalises, and only secp256k1)', async () => {
    for (const [spec, curve] of [['EC_P256', P256], ['EC_P256K', SECP256K1]] as const) {
      const keys = await node.generateKeyPair(spec, seededRandom('high-s'))
      const message = new TextEncoder().encode('high s')
      const signature = noble.sign(spec, 'ECDSA_SHA_256', keys.privateKey, message, false)
      const { r, s } = decodeEcdsaSignature(signature)!
      const flipped = encodeEcdsaSignature(r, curve.n - s)
      for (const provider of [node, noble]) {
        expect(provider.verify(spec, 'ECDSA_SHA_256', keys.publicKey, message, false, flipped)).toBe(true)
        expect(provider.verify(spec, 'ECDSA_SHA_256', keys.publicKey, sha256(message), true, flipped)).toBe(true)
      }
    }
  })

  it('PKCS#8 variants: [0] parameters, no public key, a compressed public key, v2 Ed25519 with its public key; a mismatched embedded public key is refused by both', async () => {
    const tlv = (tag: number, ...parts: Uint8Array[]) => {
      const body = Uint8Array.from(parts.flatMap((part) => [...part]))
      const length = body.length < 128 ? [body.length] : [0x81, body.length]
      return Uint8Array.of(tag, ...length, ...body)
    }
    const { privateKey, publicKey } = await node.generateKeyPair('EC_P256', seededRandom('variants'))
    const other = await node.generateKeyPair('EC_P256', seededRandom('variants 2'))
    const scalar = privateKey.subarray(36, 68)
    const point = publicKey.subarray(publicKey.length - 65)
    const curveOid = hex('06082a8648ce3d030107')
    const algorithm = tlv(0x30, hex('06072a8648ce3d0201'), curveOid)
    const pkcs8 = (...ecFields: Uint8Array[]) => tlv(0x30, hex('020100'), algorithm, tlv(0x04, tlv(0x30, hex('020101'), tlv(0x04, scalar), ...ecFields)))
    const compressed = Uint8Array.of(2 + (point[64]! & 1), ...point.subarray(1, 33))
    const bitString = (bytes: Uint8Array) => tlv(0x03, Uint8Array.of(0), bytes)
    const accepted = [
      pkcs8(),
      pkcs8(tlv(0xa0, curveOid)),
      pkcs8(tlv(0xa0, curveOid), tlv(0xa1, bitString(point))),
      pkcs8(tlv(0xa1, bitString(compressed))),
    ]
    const mismatched = pkcs8(tlv(0xa1, bitString(other.publicKey.subarray(other.publicKey.length - 65))))
    for (const provider of [node, noble]) {
      for (const variant of accepted) expect(toHex(provider.publicKeyFromPrivateKey('EC_P256', variant))).toBe(toHex(publicKey))
      expect(() => provider.publicKeyFromPrivateKey('EC_P256', mismatched)).toThrow(/does not match/)
      expect(() => provider.publicKeyFromPrivateKey('EC_P256', pkcs8(tlv(0xa0, hex('06052b8104000a'))))).toThrow(RangeError)
    }
    const ed = await node.generateKeyPair('ED25519', seededRandom('variants'))
    const seed = ed.privateKey.subarray(16)
    const edPublic = ed.publicKey.subarray(12)
    const v2 = (key: Uint8Array) => tlv(0x30, hex('020101'), hex('300506032b6570'), tlv(0x04, tlv(0x04, seed)), tlv(0x81, Uint8Array.of(0), key))
    for (const provider of [node, noble]) {
      expect(toHex(provider.publicKeyFromPrivateKey('ED25519', v2(edPublic)))).toBe(toHex(ed.publicKey))
      expect(() => provider.publicKeyFromPrivateKey('ED25519', v2(new Uint8Array(32).fill(9)))).toThrow(/does not match/)
    }
  })

  it('property: HMAC-SHA-256/384/512 agree', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HMAC_ALGORITHMS), fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (algorithm, key, data) => {
        expect(toHex(noble.hmac(algorithm, key, data))).toBe(toHex(node.hmac(algorithm, key, data)))
      }),
      { numRuns: 60 },
    )
  })
})
