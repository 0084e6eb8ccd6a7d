import { createHmac, hkdfSync } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '@strongroom/crypto'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { providerSuite } from './provider-suite.js'
import { plainVerify } from './reference.js'
import { toHex } from './vectors.js'

providerSuite(nodeCryptoProvider)

describe('node provider', () => {
  const node = nodeCryptoProvider()

  // HMAC-SHA-256 is computed from two one-shot digests up to 4 KiB and by a Hmac object past
  // that, with keys hashed when longer than the 64-byte block; both sides of each edge here.
  it('property: hmacSha256 and hkdfSha256 agree with node:crypto Hmac and hkdfSync', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 4090, maxLength: 4200 })),
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ maxLength: 1024 }),
        fc.integer({ min: 1, max: 300 }),
        (key, data, salt, info, length) => {
          expect(toHex(node.hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'))
          expect(toHex(node.hkdfSha256(data, salt, info, length))).toBe(Buffer.from(hkdfSync('sha256', data, salt, info, length)).toString('hex'))
        },
      ),
      { numRuns: 300 },
    )
  })

  // Digest-mode ECDSA is computed here (OpenSSL for k·G, BigInt for s), so it gets its own
  // property test over many keys, checked by plain node:crypto on the message.
  for (const spec of ['EC_P256', 'EC_P256K'] as const) {
    it(`${spec}, property: digest-mode ECDSA over many keys verifies with plain node:crypto`, async () => {
      const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => node.generateKeyPair(spec, seededRandom(`digest ${i}`))))
      fc.assert(
        fc.property(fc.nat({ max: keys.length - 1 }), fc.uint8Array({ maxLength: 100 }), (index, message) => {
          const { privateKey, publicKey } = keys[index]!
          const signature = node.sign(spec, 'ECDSA_SHA_256', privateKey, node.sha256(message), true)
          expect(plainVerify('ECDSA_SHA_256', publicKey, message, signature)).toBe(true)
        }),
        { numRuns: 200 },
      )
    })

    it(`${spec}: ECDSA signatures are randomised (a fresh nonce each time)`, async () => {
      const { privateKey } = await node.generateKeyPair(spec, seededRandom('nonce'))
      const digest = node.sha256(new Uint8Array(1))
      const first = node.sign(spec, 'ECDSA_SHA_256', privateKey, digest, true)
      expect(toHex(node.sign(spec, 'ECDSA_SHA_256', privateKey, digest, true))).not.toBe(toHex(first))
    })
  }

  it('parsed keys are cached per spec: a cached key is still refused under another spec, and eviction is harmless', async () => {
    const keys = await node.generateKeyPair('EC_P256', seededRandom('cache'))
    const digest = new Uint8Array(32)
    node.sign('EC_P256', 'ECDSA_SHA_256', keys.privateKey, digest, false)
    expect(() => node.sign('EC_P256K', 'ECDSA_SHA_256', keys.privateKey, digest, false)).toThrow(RangeError)
    // More distinct keys than the cache holds (128), then the first one again.
    for (let i = 0; i < 140; i++) {
      const other = await node.generateKeyPair('ED25519', seededRandom(`cache ${i}`))
      node.sign('ED25519', 'ED25519', other.privateKey, digest, false)
    }
    const signature = node.sign('EC_P256', 'ECDSA_SHA_256', keys.privateKey, digest, false)
    expect(node.verify('EC_P256', 'ECDSA_SHA_256', keys.publicKey, digest, false, signature)).toBe(true)
  })
})
