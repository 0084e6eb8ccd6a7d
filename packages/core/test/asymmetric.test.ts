/**
 * Asymmetric keys through the engine (issue 5): signatures and RSA-OAEP ciphertexts must
 * interoperate with standard tools, so every engine signature here is checked with plain
 * `node:crypto` against the public key from getPublicKey, and the engine decrypts what plain
 * `node:crypto` encrypted to that public key. Also: the error codes for wrong algorithms,
 * inputs and usages; versions (each has its own key pair); the pure-JS provider (EC and
 * Ed25519, no RSA); and seeded engines that make the same key pairs on every run.
 *
 * ```ts
 * const { keyId } = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata
 * const { value } = await kms.asymmetricSign({ keyId, algorithm: 'ECDSA_SHA_256', digest: sha256(message) })
 * crypto.verify('sha256', message, (await kms.getPublicKey({ keyId })).publicKey, value)   // true
 * ```
 */
import {
  constants, createHash, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, verify as nodeVerify, type KeyObject,
} from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Kms, ManualClock, rawRootKey, seededRandom,
  type CryptoProvider, type KeyMetadata, type StorageAdapter,
} from '@strongroom/core'
import type { SigningAlgorithm } from '@strongroom/crypto'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { memoryStorage } from '@strongroom/storage-memory'
import { MemoryLevel } from 'memory-level'
import { rejectsWith, utf8 } from './helpers.js'

const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest())
const START = '2026-01-01T00:00:00Z'
const MESSAGE = utf8('transfer 100 to alice')

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: { crypto?: CryptoProvider; seed?: string; storage?: StorageAdapter; rootKey?: Uint8Array } = {}): Promise<Kms> {
  const kms = await Kms.open({
    storage: options.storage ?? memoryStorage(), clock: new ManualClock(START),
    ...(options.crypto === undefined ? {} : { crypto: options.crypto }),
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
    ...(options.rootKey === undefined ? {} : { rootKey: rawRootKey(options.rootKey) }),
  })
  cleanups.push(() => kms.close())
  return kms
}

/** Plain node:crypto verification of `signature` over `message`, the way any verifier would do it. */
function plainVerify(algorithm: SigningAlgorithm, publicKeyPem: string, message: Uint8Array, signature: Uint8Array): boolean {
  const key: KeyObject = createPublicKey(publicKeyPem)
  const hash = `sha${algorithm.slice(-3)}`
  if (algorithm === 'ED25519') return nodeVerify(null, message, key, signature)
  // OpenSSL 3.0 has no Ed25519ph; the crypto package's tests check it against @noble/curves' ed25519ph.
  if (algorithm === 'ED25519_PH') throw new Error('node:crypto cannot verify Ed25519ph')
  if (algorithm.startsWith('RSA_PSS_')) {
    return nodeVerify(hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(algorithm.slice(-3)) / 8 }, signature)
  }
  if (algorithm.startsWith('RSA_PKCS1_')) return nodeVerify(hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
  // ECDSA signatures are DER SEQUENCE { r, s }, node's default dsaEncoding.
  return nodeVerify(hash, message, { key, dsaEncoding: 'der' }, signature)
}

/** A copy with one bit flipped at `index`. */
function flip(bytes: Uint8Array, index = bytes.length >> 1): Uint8Array {
  const copy = bytes.slice()
  copy[index]! ^= 0x01
  return copy
}

/** s of a DER ECDSA signature SEQUENCE { INTEGER r, INTEGER s } (short-form lengths: ≤ 72 bytes). */
function ecdsaS(signature: Uint8Array): bigint {
  const rLength = signature[3]!
  const sLength = signature[5 + rLength]!
  return BigInt('0x' + Buffer.from(signature.subarray(6 + rLength, 6 + rLength + sLength)).toString('hex'))
}
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const SIGNING_CASES: readonly { spec: 'EC_P256' | 'EC_P256K' | 'EC_P384' | 'EC_P521' | 'ED25519' | 'RSA_2048'; algorithm: SigningAlgorithm; length?: number }[] = [
  { spec: 'EC_P256', algorithm: 'ECDSA_SHA_256' },
  { spec: 'EC_P384', algorithm: 'ECDSA_SHA_384' },
  { spec: 'EC_P521', algorithm: 'ECDSA_SHA_512' },
  { spec: 'EC_P256K', algorithm: 'ECDSA_SHA_256' },
  { spec: 'ED25519', algorithm: 'ED25519', length: 64 },
  { spec: 'RSA_2048', algorithm: 'RSA_PSS_SHA_256', length: 256 },
  { spec: 'RSA_2048', algorithm: 'RSA_PKCS1_SHA_256', length: 256 },
  { spec: 'RSA_2048', algorithm: 'RSA_PSS_SHA_384', length: 256 },
  { spec: 'RSA_2048', algorithm: 'RSA_PKCS1_SHA_384', length: 256 },
  { spec: 'RSA_2048', algorithm: 'RSA_PSS_SHA_512', length: 256 },
  { spec: 'RSA_2048', algorithm: 'RSA_PKCS1_SHA_512', length: 256 },
]

/** The digest digest mode takes with `algorithm`: the message under the algorithm's hash. */
const digestOf = (algorithm: SigningAlgorithm, message: Uint8Array): Uint8Array =>
  new Uint8Array(createHash(`sha${algorithm.startsWith('ED25519') ? '512' : algorithm.slice(-3)}`).update(message).digest())

describe('signatures interoperate with plain node:crypto', () => {
  for (const { spec, algorithm, length } of SIGNING_CASES) {
    it(`${spec} ${algorithm}: message and digest mode verify with crypto.verify and asymmetricVerify; tampering is false`, async () => {
      const kms = await open()
      const { keyId } = (await kms.createKey({ keySpec: spec, keyUsage: 'SIGN/VERIFY' })).keyMetadata
      const { publicKey } = await kms.getPublicKey({ keyId })
      const modes = algorithm === 'ED25519' ? [{ message: MESSAGE }] : [{ message: MESSAGE }, { digest: digestOf(algorithm, MESSAGE) }]
      for (const input of modes) {
        const signed = await kms.asymmetricSign({ keyId, algorithm, ...input })
        expect([signed.keyId, signed.algorithm]).toEqual([keyId, algorithm])
        if (length !== undefined) expect(signed.value.length).toBe(length)
        // Digest or message, the signature is of the message for every standard verifier.
        expect(plainVerify(algorithm, publicKey, MESSAGE, signed.value), `${Object.keys(input)[0]} mode`).toBe(true)
        expect(plainVerify(algorithm, publicKey, utf8('transfer 900 to alice'), signed.value)).toBe(false)
        if (spec === 'EC_P256K') expect(ecdsaS(signed.value) <= SECP256K1_N >> 1n, 'secp256k1 low S').toBe(true)

        for (const check of modes) {
          const verified = await kms.asymmetricVerify({ keyId, algorithm, ...check, value: signed.value })
          expect([verified.value, verified.keyVersionId]).toEqual([true, signed.keyVersionId])
        }
        // A tampered signature, message or digest is `value: false`, never an error.
        const tampered = [
          { ...input, value: flip(signed.value) },
          { ...input, value: flip(signed.value, 0) },
          { ...input, value: signed.value.subarray(0, signed.value.length - 1) },
          { ...input, value: new Uint8Array(signed.value.length) },
          { ...input, value: randomBytes(7) },
          'digest' in input ? { digest: flip(input.digest), value: signed.value } : { message: flip(MESSAGE), value: signed.value },
        ]
        for (const request of tampered) {
          expect((await kms.asymmetricVerify({ keyId, algorithm, ...request })).value).toBe(false)
        }
      }
    })
  }

  it('RSA_4096 (one key, generated once): PSS and PKCS#1 v1.5 in both modes verify with crypto.verify', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey({ keySpec: 'RSA_4096', keyUsage: 'SIGN/VERIFY' })).keyMetadata
    const { publicKey, keySpec } = await kms.getPublicKey({ keyId })
    expect(keySpec).toBe('RSA_4096')
    expect(createPublicKey(publicKey).asymmetricKeyDetails?.modulusLength).toBe(4096)
    for (const algorithm of ['RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256'] as const) {
      for (const input of [{ message: MESSAGE }, { digest: sha256(MESSAGE) }]) {
        const { value } = await kms.asymmetricSign({ keyId, algorithm, ...input })
        expect(value.length).toBe(512)
        expect(plainVerify(algorithm, publicKey, MESSAGE, value)).toBe(true)
      }
    }
  }, 20_000)

  it('ED25519 and RSA_PKCS1 signatures are deterministic, ECDSA and RSA_PSS are not (fresh k / salt)', async () => {
    const kms = await open()
    const ed = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const ec = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const twice = async (keyId: string, algorithm: SigningAlgorithm) => {
      const a = await kms.asymmetricSign({ keyId, algorithm, message: MESSAGE })
      const b = await kms.asymmetricSign({ keyId, algorithm, message: MESSAGE })
      return Buffer.from(a.value).equals(b.value)
    }
    expect(await twice(ed, 'ED25519')).toBe(true)
    expect(await twice(ec, 'ECDSA_SHA_256')).toBe(false)
  })
})

describe('signing input and algorithm errors', () => {
  it('an algorithm that does not belong to the spec is InvalidParameter', async () => {
    const kms = await open()
    const ec = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const ed = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const rsa = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const wrong: [string, SigningAlgorithm][] = [
      [ec, 'RSA_PSS_SHA_256'], [ec, 'ED25519'], [ed, 'ECDSA_SHA_256'], [rsa, 'ECDSA_SHA_256'], [rsa, 'ED25519'],
    ]
    for (const [keyId, algorithm] of wrong) {
      await rejectsWith(kms.asymmetricSign({ keyId, algorithm, message: MESSAGE }), 'InvalidParameter')
      await rejectsWith(kms.asymmetricVerify({ keyId, algorithm, message: MESSAGE, value: new Uint8Array(64) }), 'InvalidParameter')
    }
    await rejectsWith(kms.asymmetricSign({ keyId: ec, algorithm: 'ECDSA_SHA_384' as never, message: MESSAGE }), 'InvalidParameter')
  })

  it('ED25519 signs messages only: a digest is InvalidParameter', async () => {
    const kms = await open()
    const keyId = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const error = await rejectsWith(kms.asymmetricSign({ keyId, algorithm: 'ED25519', digest: sha256(MESSAGE) }), 'InvalidParameter')
    expect(error.message).toMatch(/ED25519 signs messages/)
    await rejectsWith(kms.asymmetricVerify({ keyId, algorithm: 'ED25519', digest: sha256(MESSAGE), value: new Uint8Array(64) }), 'InvalidParameter')
  })

  it('exactly one of digest (32 bytes) or message (1 B – 4 KiB)', async () => {
    const kms = await open()
    const keyId = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const algorithm = 'ECDSA_SHA_256'
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm, message: MESSAGE, digest: sha256(MESSAGE) }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm, digest: new Uint8Array(31) }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm, digest: new Uint8Array(48) }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm, message: new Uint8Array(0) }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId, algorithm, message: new Uint8Array(4097) }), 'InvalidParameter')
    await kms.asymmetricSign({ keyId, algorithm, message: new Uint8Array(4096) })
    await rejectsWith(kms.asymmetricVerify({ keyId, algorithm, message: MESSAGE, value: new Uint8Array(0) }), 'InvalidParameter')
  })

  it('a digest is as long as the algorithm\'s hash: 48 bytes for SHA-384, 64 for SHA-512 and Ed25519ph', async () => {
    const kms = await open()
    const p384 = (await kms.createKey({ keySpec: 'EC_P384', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const p521 = (await kms.createKey({ keySpec: 'EC_P521', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const ed = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    for (const [keyId, algorithm, length] of [[p384, 'ECDSA_SHA_384', 48], [p521, 'ECDSA_SHA_512', 64], [ed, 'ED25519_PH', 64]] as const) {
      for (const wrong of [32, length - 1, length + 1]) {
        const error = await rejectsWith(kms.asymmetricSign({ keyId, algorithm, digest: new Uint8Array(wrong) }), 'InvalidParameter')
        expect(error.message).toContain(`${algorithm}`)
      }
      const { value } = await kms.asymmetricSign({ keyId, algorithm, digest: digestOf(algorithm, MESSAGE) })
      expect((await kms.asymmetricVerify({ keyId, algorithm, message: MESSAGE, value })).value).toBe(true)
    }
    // Each curve signs with its own hash; a pairing the spec does not have is refused.
    await rejectsWith(kms.asymmetricSign({ keyId: p384, algorithm: 'ECDSA_SHA_256', message: MESSAGE }), 'InvalidParameter')
    await rejectsWith(kms.asymmetricSign({ keyId: p521, algorithm: 'ECDSA_SHA_384', message: MESSAGE }), 'InvalidParameter')
  })

  it('ED25519_PH: Ed25519ph, which is not pure Ed25519; message or SHA-512 digest give one signature (deterministic)', async () => {
    const kms = await open()
    const keyId = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const byMessage = await kms.asymmetricSign({ keyId, algorithm: 'ED25519_PH', message: MESSAGE })
    const byDigest = await kms.asymmetricSign({ keyId, algorithm: 'ED25519_PH', digest: digestOf('ED25519_PH', MESSAGE) })
    expect(Buffer.from(byDigest.value).equals(byMessage.value)).toBe(true)
    expect(byMessage.value).toHaveLength(64)
    expect((await kms.asymmetricVerify({ keyId, algorithm: 'ED25519', message: MESSAGE, value: byMessage.value })).value).toBe(false)
    expect((await kms.asymmetricVerify({ keyId, algorithm: 'ED25519_PH', message: MESSAGE, value: byMessage.value })).value).toBe(true)
  })
})

describe('HMAC_SHA_224 keys', () => {
  it('28-byte MACs that node:crypto recomputes only with the key; other algorithms are InvalidKeyUsage', async () => {
    const kms = await open()
    const { keyId, keySpec, keyUsage } = (await kms.createKey({ keySpec: 'HMAC_SHA_224' })).keyMetadata
    expect([keySpec, keyUsage]).toEqual(['HMAC_SHA_224', 'GENERATE/VERIFY_MAC'])
    const { mac, macAlgorithm } = await kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_224', message: MESSAGE })
    expect([mac.length, macAlgorithm]).toEqual([28, 'HMAC_SHA_224'])
    expect((await kms.verifyMac({ keyId, macAlgorithm: 'HMAC_SHA_224', message: MESSAGE, mac })).macValid).toBe(true)
    expect((await kms.verifyMac({ keyId, macAlgorithm: 'HMAC_SHA_224', message: utf8('other'), mac })).macValid).toBe(false)
    await rejectsWith(kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message: MESSAGE }), 'InvalidKeyUsage')
  })
})

describe('key usage', () => {
  it('each key does only what its spec and usage allow (InvalidKeyUsage), and createKey refuses a usage the spec lacks', async () => {
    const kms = await open()
    const ec = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const aes = (await kms.createKey()).keyMetadata.keyId
    const rsaSign = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const rsaEncrypt = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })).keyMetadata.keyId
    const plaintext = utf8('secret')
    await rejectsWith(kms.encrypt({ keyId: ec, plaintext }), 'InvalidKeyUsage')
    await rejectsWith(kms.generateDataKey({ keyId: ec }), 'InvalidKeyUsage')
    await rejectsWith(kms.asymmetricEncrypt({ keyId: ec, algorithm: 'RSAES_OAEP_SHA_256', plaintext }), 'InvalidKeyUsage')
    await rejectsWith(kms.asymmetricSign({ keyId: aes, algorithm: 'ECDSA_SHA_256', message: MESSAGE }), 'InvalidKeyUsage')
    await rejectsWith(kms.getPublicKey({ keyId: aes }), 'InvalidKeyUsage')
    await rejectsWith(kms.asymmetricEncrypt({ keyId: rsaSign, algorithm: 'RSAES_OAEP_SHA_256', plaintext }), 'InvalidKeyUsage')
    await rejectsWith(kms.asymmetricDecrypt({ keyId: rsaSign, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: new Uint8Array(256) }), 'InvalidKeyUsage')
    await rejectsWith(kms.asymmetricSign({ keyId: rsaEncrypt, algorithm: 'RSA_PSS_SHA_256', message: MESSAGE }), 'InvalidKeyUsage')
    await rejectsWith(kms.encrypt({ keyId: rsaEncrypt, plaintext }), 'InvalidKeyUsage')
    await rejectsWith(kms.generateMac({ keyId: ec, macAlgorithm: 'HMAC_SHA_256', message: MESSAGE }), 'InvalidKeyUsage')

    for (const [keySpec, keyUsage] of [['EC_P256', 'ENCRYPT/DECRYPT'], ['ED25519', 'GENERATE/VERIFY_MAC'], ['RSA_2048', 'GENERATE/VERIFY_MAC']] as const) {
      await rejectsWith(kms.createKey({ keySpec, keyUsage }), 'InvalidParameter')
    }
    // The default usage is the spec's first: RSA keys encrypt, EC keys sign.
    expect((await kms.createKey({ keySpec: 'EC_P256K' })).keyMetadata.keyUsage).toBe('SIGN/VERIFY')
    expect((await kms.describeKey({ keyId: rsaEncrypt })).keyMetadata).toMatchObject({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })
    expect((await kms.listKeys()).totalCount).toBe(5)
  })
})

describe('RSA-OAEP: asymmetricEncrypt / asymmetricDecrypt', () => {
  for (const [algorithm, oaepHash, limit] of [['RSAES_OAEP_SHA_256', 'sha256', 190], ['RSAES_OAEP_SHA_1', 'sha1', 214]] as const) {
    it(`${algorithm}: decrypts what plain crypto.publicEncrypt made from the public key; round trip; limits; garbage`, async () => {
      const kms = await open()
      const { keyId } = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })).keyMetadata
      const { publicKey, keyVersionId } = await kms.getPublicKey({ keyId })
      for (const size of [1, 32, limit]) {
        const plaintext = randomBytes(size)
        const ciphertextBlob = publicEncrypt({ key: publicKey, oaepHash, padding: constants.RSA_PKCS1_OAEP_PADDING }, plaintext)
        const opened = await kms.asymmetricDecrypt({ keyId, algorithm, ciphertextBlob })
        expect(Buffer.from(opened.plaintext).equals(plaintext)).toBe(true)
        expect([opened.keyId, opened.keyVersionId, opened.algorithm]).toEqual([keyId, keyVersionId, algorithm])
      }
      // The engine's own ciphertexts: standard size, randomised, and they decrypt.
      const plaintext = utf8('a data key, say')
      const a = await kms.asymmetricEncrypt({ keyId, algorithm, plaintext })
      const b = await kms.asymmetricEncrypt({ keyId, algorithm, plaintext })
      expect(a.ciphertextBlob.length).toBe(256)
      expect(Buffer.from(a.ciphertextBlob).equals(b.ciphertextBlob)).toBe(false)
      expect((await kms.asymmetricDecrypt({ keyId, algorithm, ciphertextBlob: a.ciphertextBlob })).plaintext).toEqual(plaintext)
      // OAEP's limit: k − 2·hLen − 2 bytes.
      await kms.asymmetricEncrypt({ keyId, algorithm, plaintext: new Uint8Array(limit) })
      await rejectsWith(kms.asymmetricEncrypt({ keyId, algorithm, plaintext: new Uint8Array(limit + 1) }), 'InvalidParameter')
      await rejectsWith(kms.asymmetricEncrypt({ keyId, algorithm, plaintext: new Uint8Array(0) }), 'InvalidParameter')
      // Anything that does not decrypt is InvalidCiphertext.
      const other = algorithm === 'RSAES_OAEP_SHA_256' ? 'RSAES_OAEP_SHA_1' : 'RSAES_OAEP_SHA_256'
      for (const ciphertextBlob of [randomBytes(256), flip(a.ciphertextBlob), a.ciphertextBlob.subarray(1), new Uint8Array(256).fill(0xff)]) {
        await rejectsWith(kms.asymmetricDecrypt({ keyId, algorithm, ciphertextBlob }), 'InvalidCiphertext')
      }
      await rejectsWith(kms.asymmetricDecrypt({ keyId, algorithm: other, ciphertextBlob: a.ciphertextBlob }), 'InvalidCiphertext')
      await rejectsWith(kms.asymmetricEncrypt({ keyId, algorithm: 'RSAES_PKCS1_V1_5' as never, plaintext }), 'InvalidParameter')
    })
  }
})

describe('getPublicKey', () => {
  const CASES = [
    { spec: 'EC_P256', usage: 'SIGN/VERIFY', type: 'ec', curve: 'prime256v1', signing: ['ECDSA_SHA_256'] },
    { spec: 'EC_P256K', usage: 'SIGN/VERIFY', type: 'ec', curve: 'secp256k1', signing: ['ECDSA_SHA_256'] },
    { spec: 'EC_P384', usage: 'SIGN/VERIFY', type: 'ec', curve: 'secp384r1', signing: ['ECDSA_SHA_384'] },
    { spec: 'EC_P521', usage: 'SIGN/VERIFY', type: 'ec', curve: 'secp521r1', signing: ['ECDSA_SHA_512'] },
    { spec: 'ED25519', usage: 'SIGN/VERIFY', type: 'ed25519', signing: ['ED25519', 'ED25519_PH'] },
    {
      spec: 'RSA_2048', usage: 'SIGN/VERIFY', type: 'rsa',
      signing: ['RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256', 'RSA_PSS_SHA_384', 'RSA_PKCS1_SHA_384', 'RSA_PSS_SHA_512', 'RSA_PKCS1_SHA_512'],
    },
    { spec: 'RSA_2048', usage: 'ENCRYPT/DECRYPT', type: 'rsa', encryption: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] },
  ] as const
  for (const c of CASES) {
    it(`${c.spec} ${c.usage}: PEM and DER are the same SubjectPublicKeyInfo, of the right type, with the usage's algorithms`, async () => {
      const kms = await open()
      const { keyId, primaryKeyVersion } = (await kms.createKey({ keySpec: c.spec, keyUsage: c.usage })).keyMetadata
      const response = await kms.getPublicKey({ keyId: keyId })
      expect(response).toMatchObject({ keyId, keyVersionId: primaryKeyVersion, keySpec: c.spec, keyUsage: c.usage })
      expect(response.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/)
      const fromPem = createPublicKey(response.publicKey)
      const fromDer = createPublicKey({ key: Buffer.from(response.publicKeyDer), format: 'der', type: 'spki' })
      expect(Buffer.from(fromPem.export({ type: 'spki', format: 'der' })).equals(response.publicKeyDer)).toBe(true)
      expect(fromDer.export({ type: 'spki', format: 'pem' })).toBe(response.publicKey)
      expect(fromPem.asymmetricKeyType).toBe(c.type)
      if ('curve' in c) expect(fromPem.asymmetricKeyDetails?.namedCurve).toBe(c.curve)
      expect(response.signingAlgorithms).toEqual('signing' in c ? c.signing : undefined)
      expect(response.encryptionAlgorithms).toEqual('encryption' in c ? c.encryption : undefined)
      // A key reference by alias works the same.
      await kms.createAlias({ aliasName: 'alias/pub', keyId })
      expect((await kms.getPublicKey({ keyId: 'alias/pub' })).publicKey).toBe(response.publicKey)
      await rejectsWith(kms.getPublicKey({ keyId, keyVersionId: '00000000-0000-4000-8000-000000000000' }), 'Forbidden.ResourceNotFound')
    })
  }
})

describe('versions: each has its own key pair', () => {
  it('createKeyVersion makes a new pair; the primary signs by default; old signatures verify with keyVersionId', async () => {
    const kms = await open()
    const { keyId, primaryKeyVersion: v1 } = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata
    const key1 = (await kms.getPublicKey({ keyId })).publicKey
    const old = await kms.asymmetricSign({ keyId, algorithm: 'ECDSA_SHA_256', digest: sha256(MESSAGE) })
    expect(old.keyVersionId).toBe(v1)

    const v2 = (await kms.createKeyVersion({ keyId })).keyVersion.keyVersionId
    expect(v2).not.toBe(v1)
    expect((await kms.describeKey({ keyId })).keyMetadata.primaryKeyVersion).toBe(v2)
    expect((await kms.listKeyVersions({ keyId })).keyVersions.map((v) => v.keyVersionId)).toEqual([v1, v2])
    const key2 = (await kms.getPublicKey({ keyId })).publicKey
    expect(key2).not.toBe(key1)
    expect((await kms.getPublicKey({ keyId, keyVersionId: v1! })).publicKey).toBe(key1)

    const fresh = await kms.asymmetricSign({ keyId, algorithm: 'ECDSA_SHA_256', digest: sha256(MESSAGE) })
    expect(fresh.keyVersionId).toBe(v2)
    expect(plainVerify('ECDSA_SHA_256', key2, MESSAGE, fresh.value)).toBe(true)
    expect(plainVerify('ECDSA_SHA_256', key1, MESSAGE, fresh.value)).toBe(false)

    // The old signature: valid under v1 when v1 is named; the default (primary) is v2's key.
    expect(plainVerify('ECDSA_SHA_256', key1, MESSAGE, old.value)).toBe(true)
    const named = await kms.asymmetricVerify({ keyId, keyVersionId: v1!, algorithm: 'ECDSA_SHA_256', digest: sha256(MESSAGE), value: old.value })
    expect([named.value, named.keyVersionId]).toEqual([true, v1])
    const byDefault = await kms.asymmetricVerify({ keyId, algorithm: 'ECDSA_SHA_256', digest: sha256(MESSAGE), value: old.value })
    expect([byDefault.value, byDefault.keyVersionId]).toEqual([false, v2])
    // An older version can still be named for signing.
    const again = await kms.asymmetricSign({ keyId, keyVersionId: v1!, algorithm: 'ECDSA_SHA_256', message: MESSAGE })
    expect([again.keyVersionId, plainVerify('ECDSA_SHA_256', key1, MESSAGE, again.value)]).toEqual([v1, true])
    await rejectsWith(kms.asymmetricSign({ keyId, keyVersionId: 'not-a-version', algorithm: 'ECDSA_SHA_256', message: MESSAGE }), 'InvalidParameter')
  })

  it('RSA encryption keys: ciphertexts for the old public key decrypt with keyVersionId', async () => {
    const kms = await open()
    const { keyId, primaryKeyVersion: v1 } = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })).keyMetadata
    const key1 = (await kms.getPublicKey({ keyId })).publicKey
    const v2 = (await kms.createKeyVersion({ keyId })).keyVersion.keyVersionId
    const algorithm = 'RSAES_OAEP_SHA_256'
    const toOld = publicEncrypt({ key: key1, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, utf8('for v1'))
    expect((await kms.asymmetricDecrypt({ keyId, keyVersionId: v1!, algorithm, ciphertextBlob: toOld })).plaintext).toEqual(utf8('for v1'))
    await rejectsWith(kms.asymmetricDecrypt({ keyId, algorithm, ciphertextBlob: toOld }), 'InvalidCiphertext')
    const toNew = await kms.asymmetricEncrypt({ keyId, algorithm, plaintext: utf8('for v2') })
    expect(toNew.keyVersionId).toBe(v2)
    expect((await kms.asymmetricDecrypt({ keyId, algorithm, ciphertextBlob: toNew.ciphertextBlob })).plaintext).toEqual(utf8('for v2'))
  })

  it('asymmetric keys do not rotate automatically: updateRotationPolicy / createKey with rotation → Rejected.UnsupportedOperation', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey({ keySpec: 'ED25519', keyUsage: 'SIGN/VERIFY' })).keyMetadata
    const before = (await kms.describeKey({ keyId })).keyMetadata
    await rejectsWith(kms.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' }), 'Rejected.UnsupportedOperation')
    expect((await kms.describeKey({ keyId })).keyMetadata).toEqual(before)
    await rejectsWith(kms.createKey({ keySpec: 'EC_P256', enableAutomaticRotation: true }), 'Rejected.UnsupportedOperation')
    expect((await kms.listKeys()).totalCount).toBe(1)
  })
})

describe('the pure-JS provider (nobleCryptoProvider)', () => {
  it('creates and uses EC_P256, EC_P384, EC_P521, EC_P256K and ED25519 keys; node:crypto verifies its signatures', async () => {
    const kms = await open({ crypto: nobleCryptoProvider() })
    for (const { spec, algorithm } of SIGNING_CASES.filter((c) => !c.spec.startsWith('RSA'))) {
      const { keyId } = (await kms.createKey({ keySpec: spec, keyUsage: 'SIGN/VERIFY' })).keyMetadata
      const { publicKey } = await kms.getPublicKey({ keyId })
      const modes = spec === 'ED25519' ? [{ message: MESSAGE }] : [{ message: MESSAGE }, { digest: digestOf(algorithm, MESSAGE) }]
      for (const input of modes) {
        const { value } = await kms.asymmetricSign({ keyId, algorithm, ...input })
        expect(plainVerify(algorithm, publicKey, MESSAGE, value), `${spec} ${Object.keys(input)[0]}`).toBe(true)
        expect((await kms.asymmetricVerify({ keyId, algorithm, ...input, value })).value).toBe(true)
        expect((await kms.asymmetricVerify({ keyId, algorithm, ...input, value: flip(value) })).value).toBe(false)
      }
      // A new version works the same way.
      await kms.createKeyVersion({ keyId })
      const { value } = await kms.asymmetricSign({ keyId, algorithm, message: MESSAGE })
      expect(plainVerify(algorithm, (await kms.getPublicKey({ keyId })).publicKey, MESSAGE, value)).toBe(true)
    }
  })

  it('refuses RSA clearly: createKey RSA_2048 → Rejected.UnsupportedOperation naming the provider, and nothing is created', async () => {
    const kms = await open({ crypto: nobleCryptoProvider() })
    for (const keyUsage of ['ENCRYPT/DECRYPT', 'SIGN/VERIFY'] as const) {
      const error = await rejectsWith(kms.createKey({ keySpec: 'RSA_2048', keyUsage }), 'Rejected.UnsupportedOperation')
      expect(error.message).toBe('RSA_2048 keys need node:crypto or WebCrypto; the noble crypto provider cannot make them')
    }
    expect((await kms.listKeys()).totalCount).toBe(0)
    // The other RSA uses: importing (an RSA wrapping key) and exporting data keys to an RSA public key.
    const external = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const importError = await rejectsWith(
      kms.getParametersForImport({ keyId: external, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }),
      'Rejected.UnsupportedOperation')
    expect(importError.message).toMatch(/needs RSA.*noble/)
    const aes = (await kms.createKey()).keyMetadata.keyId
    const publicKeyBlob = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' })
    const exportError = await rejectsWith(
      kms.generateAndExportDataKey({ keyId: aes, publicKeyBlob, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }),
      'Rejected.UnsupportedOperation')
    expect(exportError.message).toMatch(/noble/)
  })

  it('opens a store that the node engine wrote and signs with its EC and Ed25519 keys (cross-provider)', async () => {
    const db = new MemoryLevel()
    const rootKey = new Uint8Array(32).fill(9)
    const node = await open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey })
    const keys: { keyId: string; algorithm: SigningAlgorithm; publicKey: string }[] = []
    for (const { spec, algorithm } of SIGNING_CASES.filter((c) => !c.spec.startsWith('RSA'))) {
      const { keyId } = (await node.createKey({ keySpec: spec, keyUsage: 'SIGN/VERIFY' })).keyMetadata
      keys.push({ keyId, algorithm, publicKey: (await node.getPublicKey({ keyId })).publicKey })
    }
    await node.close()
    const noble = await open({ crypto: nobleCryptoProvider(), storage: memoryStorage(db), rootKey })
    for (const { keyId, algorithm, publicKey } of keys) {
      expect((await noble.getPublicKey({ keyId })).publicKey).toBe(publicKey)
      const { value } = await noble.asymmetricSign({ keyId, algorithm, message: MESSAGE })
      expect(plainVerify(algorithm, publicKey, MESSAGE, value)).toBe(true)
    }
  })
})

describe('seeded engines', () => {
  /** Key ids, version ids and public keys from an engine with `seededRandom(seed)` and a ManualClock. */
  async function seededKeys(seed: string, crypto?: CryptoProvider): Promise<{ metadata: KeyMetadata[]; publicKeys: string[]; edSignature: Uint8Array }> {
    const kms = await open({ seed, ...(crypto === undefined ? {} : { crypto }) })
    const metadata: KeyMetadata[] = []
    const publicKeys: string[] = []
    for (const keySpec of ['EC_P256', 'EC_P256K', 'ED25519'] as const) {
      const { keyMetadata } = await kms.createKey({ keySpec, keyUsage: 'SIGN/VERIFY' })
      metadata.push(keyMetadata)
      publicKeys.push((await kms.getPublicKey({ keyId: keyMetadata.keyId })).publicKey)
    }
    const { value: edSignature } = await kms.asymmetricSign({ keyId: metadata[2]!.keyId, algorithm: 'ED25519', message: MESSAGE })
    return { metadata, publicKeys, edSignature }
  }

  it('produce identical key ids and EC/Ed25519 public keys on every run, and from either provider', async () => {
    const first = await seededKeys('asymmetric fixtures')
    const second = await seededKeys('asymmetric fixtures')
    const noble = await seededKeys('asymmetric fixtures', nobleCryptoProvider())
    expect(second).toEqual(first)
    expect(noble).toEqual(first)
    const other = await seededKeys('another seed')
    expect(other.publicKeys.some((k, i) => k === first.publicKeys[i])).toBe(false)
    expect(other.metadata[0]!.keyId).not.toBe(first.metadata[0]!.keyId)
  })
})

describe('reEncrypt with RSA keys', () => {
  it('from a node:crypto RSA-OAEP ciphertext to a symmetric key, back to RSA, and RSA to RSA; the refusals', async () => {
    const kms = await open()
    const rsa = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })).keyMetadata.keyId
    const aes = (await kms.createKey()).keyMetadata.keyId
    const { publicKey } = await kms.getPublicKey({ keyId: rsa })
    const secret = utf8('re-encrypted secret')
    const rsaBlob = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret)
    const toAes = await kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceKeyId: rsa, sourceAlgorithm: 'RSAES_OAEP_SHA_256', destinationKeyId: aes, destinationEncryptionContext: { a: '1' } })
    expect([toAes.keyId, toAes.sourceKeyId]).toEqual([aes, rsa])
    expect(Buffer.from((await kms.decrypt({ ciphertextBlob: toAes.ciphertextBlob, encryptionContext: { a: '1' } })).plaintext).equals(secret)).toBe(true)
    const toRsa = await kms.reEncrypt({ ciphertextBlob: toAes.ciphertextBlob, sourceEncryptionContext: { a: '1' }, destinationKeyId: rsa, destinationAlgorithm: 'RSAES_OAEP_SHA_1' })
    expect(toRsa.keyId).toBe(rsa)
    const rehashed = await kms.reEncrypt({ ciphertextBlob: toRsa.ciphertextBlob, sourceKeyId: rsa, sourceAlgorithm: 'RSAES_OAEP_SHA_1', destinationKeyId: rsa, destinationAlgorithm: 'RSAES_OAEP_SHA_256' })
    const { plaintext } = await kms.asymmetricDecrypt({ keyId: rsa, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: rehashed.ciphertextBlob })
    expect(Buffer.from(plaintext).equals(secret)).toBe(true)

    await rejectsWith(kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceAlgorithm: 'RSAES_OAEP_SHA_256', destinationKeyId: aes }), 'InvalidParameter')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceKeyId: rsa, sourceAlgorithm: 'RSAES_OAEP_SHA_256', sourceEncryptionContext: { a: '1' }, destinationKeyId: aes }), 'InvalidParameter')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceKeyId: rsa, sourceAlgorithm: 'RSAES_OAEP_SHA_1', destinationKeyId: aes }), 'InvalidCiphertext')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceKeyId: aes, sourceAlgorithm: 'RSAES_OAEP_SHA_256', destinationKeyId: aes }), 'InvalidKeyUsage')
    const long = (await kms.encrypt({ keyId: aes, plaintext: new Uint8Array(191) })).ciphertextBlob
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: long, destinationKeyId: rsa, destinationAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: toAes.ciphertextBlob, sourceEncryptionContext: { a: '1' }, destinationKeyId: rsa }), 'InvalidKeyUsage')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: toAes.ciphertextBlob, sourceEncryptionContext: { a: '1' }, destinationKeyId: aes, destinationAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidKeyUsage')
    await rejectsWith(kms.reEncrypt({ ciphertextBlob: rsaBlob, sourceKeyId: rsa, sourceAlgorithm: 'RSAES_PKCS1_V1_5' as never, destinationKeyId: aes }), 'InvalidParameter')
  })
})
