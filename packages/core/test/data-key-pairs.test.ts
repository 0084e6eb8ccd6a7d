/**
 * generateDataKeyPair and generateDataKeyPairWithoutPlaintext: every key pair spec makes a
 * pair that plain node:crypto reads and that signs what its public key verifies; the
 * private key is a ciphertext blob `decrypt` opens with the encryption context; the call is
 * authorized (kms:DataKeyPairSpec) and audited like generateDataKey; and the refusals.
 *
 * ```ts
 * const pair = await kms.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P384', encryptionContext })
 * createPrivateKey({ key: Buffer.from(pair.privateKeyPlaintext), format: 'der', type: 'pkcs8' })
 * ```
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { Kms, ManualClock, seededRandom, type DataKeyPairSpec } from '@strongroom/core'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const START = '2026-01-01T00:00:00Z'
const CONTEXT = { purpose: 'signing', tenant: 'acme' }

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: { seed?: string; noble?: boolean } = {}): Promise<Kms> {
  const kms = await Kms.open({
    storage: memoryStorage(), clock: new ManualClock(START),
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
    ...(options.noble === true ? { crypto: nobleCryptoProvider() } : {}),
  })
  cleanups.push(() => kms.close())
  return kms
}

/** What node:crypto reports for each spec's keys. */
const SPECS: readonly { spec: DataKeyPairSpec; type: string; curve?: string; bits?: number }[] = [
  { spec: 'RSA_2048', type: 'rsa', bits: 2048 },
  { spec: 'EC_P256', type: 'ec', curve: 'prime256v1' },
  { spec: 'EC_P384', type: 'ec', curve: 'secp384r1' },
  { spec: 'EC_P521', type: 'ec', curve: 'secp521r1' },
  { spec: 'EC_P256K', type: 'ec', curve: 'secp256k1' },
  { spec: 'ED25519', type: 'ed25519' },
]

describe('generateDataKeyPair', () => {
  for (const { spec, type, curve, bits } of SPECS) {
    it(`${spec}: a pair node:crypto reads and signs with; the encrypted private key decrypts to the same PKCS#8`, async () => {
      const kms = await open()
      const { keyId, primaryKeyVersion } = (await kms.createKey()).keyMetadata
      const pair = await kms.generateDataKeyPair({ keyId, keyPairSpec: spec, encryptionContext: CONTEXT })
      expect(pair).toMatchObject({ keyId, keyVersionId: primaryKeyVersion, keyPairSpec: spec })
      const privateKey = createPrivateKey({ key: Buffer.from(pair.privateKeyPlaintext), format: 'der', type: 'pkcs8' })
      const publicKey = createPublicKey({ key: Buffer.from(pair.publicKey), format: 'der', type: 'spki' })
      expect(privateKey.asymmetricKeyType).toBe(type)
      if (curve !== undefined) expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curve)
      if (bits !== undefined) expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(bits)
      // The public key belongs to the private key: a signature made with one verifies with the other.
      const hash = type === 'ed25519' ? null : 'sha256'
      const signature = nodeSign(hash, utf8('message'), privateKey)
      expect(nodeVerify(hash, utf8('message'), publicKey, signature)).toBe(true)
      // The ciphertext is an ordinary blob of the key: decrypt opens it, with the context only.
      const { plaintext } = await kms.decrypt({ ciphertextBlob: pair.privateKeyCiphertextBlob, encryptionContext: CONTEXT })
      expect(Buffer.from(plaintext).equals(pair.privateKeyPlaintext)).toBe(true)
      await rejectsWith(kms.decrypt({ ciphertextBlob: pair.privateKeyCiphertextBlob }), 'InvalidCiphertext')
    })
  }

  it('WithoutPlaintext: the public key and the encrypted private key only; decrypt gives the matching private key', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const pair = await kms.generateDataKeyPairWithoutPlaintext({ keyId, keyPairSpec: 'EC_P256', encryptionContext: CONTEXT })
    expect(Object.keys(pair).sort()).toEqual(['keyId', 'keyPairSpec', 'keyVersionId', 'privateKeyCiphertextBlob', 'publicKey', 'requestId'])
    const { plaintext } = await kms.decrypt({ ciphertextBlob: pair.privateKeyCiphertextBlob, encryptionContext: CONTEXT })
    const privateKey = createPrivateKey({ key: Buffer.from(plaintext), format: 'der', type: 'pkcs8' })
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' })
    expect(Buffer.from(derived).equals(pair.publicKey)).toBe(true)
  })

  it('a seeded engine makes the same EC pair every run (RSA pairs never repeat)', async () => {
    const pairOf = async () => {
      const kms = await open({ seed: 'data key pairs' })
      const { keyId } = (await kms.createKey()).keyMetadata
      return kms.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P384' })
    }
    const [a, b] = [await pairOf(), await pairOf()]
    expect(Buffer.from(a.publicKey).equals(b.publicKey)).toBe(true)
  })

  it('refusals: an unknown spec is InvalidParameter, a key that is not symmetric InvalidKeyUsage, a disabled key its state error', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    for (const keyPairSpec of ['SM2', 'RSA_1024', 'Aliyun_AES_256', 'HMAC_SHA_256']) {
      await rejectsWith(kms.generateDataKeyPair({ keyId, keyPairSpec: keyPairSpec as never }), 'InvalidParameter')
    }
    await expect(kms.generateDataKeyPair({ keyId } as never)).rejects.toThrow(TypeError) // programmer misuse
    const signing = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const hmac = (await kms.createKey({ keySpec: 'HMAC_SHA_256' })).keyMetadata.keyId
    for (const other of [signing, hmac]) {
      await rejectsWith(kms.generateDataKeyPair({ keyId: other, keyPairSpec: 'EC_P256' }), 'InvalidKeyUsage')
      await rejectsWith(kms.generateDataKeyPairWithoutPlaintext({ keyId: other, keyPairSpec: 'EC_P256' }), 'InvalidKeyUsage')
    }
    await kms.disableKey({ keyId })
    await rejectsWith(kms.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P256' }), 'Rejected.Disabled')
    await rejectsWith(kms.generateDataKeyPair({ keyId: '00000000-0000-4000-8000-000000000000', keyPairSpec: 'EC_P256' }), 'Forbidden.KeyNotFound')
  })

  it('the pure-JS provider makes EC and Ed25519 pairs and refuses RSA clearly', async () => {
    const kms = await open({ noble: true })
    const { keyId } = (await kms.createKey()).keyMetadata
    const pair = await kms.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P521' })
    expect(createPublicKey({ key: Buffer.from(pair.publicKey), format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve).toBe('secp521r1')
    const error = await rejectsWith(kms.generateDataKeyPair({ keyId, keyPairSpec: 'RSA_2048' }), 'Rejected.UnsupportedOperation')
    expect(error.message).toMatch(/noble/)
  })

  it('is authorized as kms:GenerateDataKeyPair with the kms:DataKeyPairSpec condition key, and audited without key material', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createPolicy({
      policyName: 'ec-pairs',
      policyDocument: {
        Version: '1',
        Statement: [{
          Effect: 'Allow', Action: ['kms:GenerateDataKeyPair', 'kms:GenerateDataKeyPairWithoutPlaintext'], Resource: '*',
          Condition: { StringEquals: { 'kms:DataKeyPairSpec': 'EC_P256' } },
        }],
      },
    })
    await kms.attachPolicy({ policyName: 'ec-pairs', principal: 'alice' })
    const alice = kms.as('alice')
    const pair = await alice.generateDataKeyPair({ keyId, keyPairSpec: 'EC_P256', encryptionContext: CONTEXT })
    await alice.generateDataKeyPairWithoutPlaintext({ keyId, keyPairSpec: 'EC_P256' })
    await rejectsWith(alice.generateDataKeyPair({ keyId, keyPairSpec: 'RSA_2048' }), 'Forbidden.NoPermission')
    await rejectsWith(alice.generateDataKey({ keyId }), 'Forbidden.NoPermission')
    const { records } = await kms.audit.query({ keyId, limit: 100 })
    const pairs = records.filter((r) => r.eventName.startsWith('GenerateDataKeyPair'))
    expect(pairs.map((r) => [r.eventName, r.principal, r.errorCode])).toEqual([
      ['GenerateDataKeyPair', 'alice', undefined],
      ['GenerateDataKeyPairWithoutPlaintext', 'alice', undefined],
      ['GenerateDataKeyPair', 'alice', 'Forbidden.NoPermission'],
    ])
    const text = JSON.stringify(records)
    expect(text).not.toContain(Buffer.from(pair.privateKeyPlaintext).toString('base64'))
    expect(text).not.toContain(Buffer.from(pair.privateKeyPlaintext).toString('hex'))
  })
})
