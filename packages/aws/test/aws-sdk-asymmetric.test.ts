/**
 * The real `@aws-sdk/client-kms` against Strongroom's asymmetric, HMAC and imported keys,
 * through both transports: Sign/Verify for every asymmetric spec in RAW and DIGEST mode,
 * each signature checked with plain node:crypto against the DER public key GetPublicKey
 * returns; RSA-OAEP ciphertexts made by node:crypto from that public key and decrypted
 * through the SDK; MACs; the whole BYOK flow with material wrapped by node:crypto; and the
 * exceptions AWS answers (KMSInvalidSignatureException, KMSInvalidMacException,
 * InvalidKeyUsageException, the import token errors).
 *
 * RSA key pairs take up to seconds each to generate, so the signing and encryption keys
 * are made once, through the SDK, on one engine that both transports then serve; tests
 * that change keys or move the clock use an engine of their own.
 */
import {
  constants, createHash, createHmac, createPublicKey, publicEncrypt, randomBytes, verify as nodeVerify, type KeyObject,
} from 'node:crypto'
import {
  CreateKeyCommand, DecryptCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand, DryRunOperationException,
  EncryptCommand, ExpiredImportTokenException, GenerateDataKeyCommand, GenerateMacCommand, GetParametersForImportCommand,
  GetPublicKeyCommand, ImportKeyMaterialCommand, IncorrectKeyMaterialException, InvalidCiphertextException, InvalidImportTokenException,
  InvalidKeyUsageException, KMSInvalidMacException, KMSInvalidSignatureException, KMSInvalidStateException, NotFoundException,
  ReEncryptCommand, RotateKeyOnDemandCommand, SignCommand, UnsupportedOperationException, VerifyCommand, VerifyMacCommand,
  type KeySpec, type KeyUsageType, type KMS, type SigningAlgorithmSpec,
} from '@aws-sdk/client-kms'
import { ed25519ph } from '@noble/curves/ed25519.js'
import { DAY_MS, type Kms, type ManualClock } from '@strongroom/core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Engine } from '@strongroom/aws'
import {
  ACCOUNT, REGION, TRANSPORTS, kmsClient, openEngine, rejectsWith, text, utf8, type Transport, type TransportName,
} from './helpers.js'

const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`
const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest()
const hash = (name: string, bytes: Uint8Array): Uint8Array => new Uint8Array(createHash(name).update(bytes).digest())

/** The hash of an AWS signing algorithm, from its name's suffix, as AWS's API reference names it. */
const hashOf = (algorithm: string): string => `sha${algorithm.slice(-3)}`

/** AWS's RSASSA-PSS: MGF1 with the algorithm's hash and a salt as long as the digest. */
const pss = (bits: number) => (m: Uint8Array, key: KeyObject, s: Uint8Array) =>
  nodeVerify(`sha${bits}`, m, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }, s)
const pkcs1 = (bits: number) => (m: Uint8Array, key: KeyObject, s: Uint8Array) =>
  nodeVerify(`sha${bits}`, m, { key, padding: constants.RSA_PKCS1_PADDING }, s)
const ecdsa = (bits: number) => (m: Uint8Array, key: KeyObject, s: Uint8Array) => nodeVerify(`sha${bits}`, m, { key, dsaEncoding: 'der' }, s)

/**
 * How node:crypto checks each AWS signing algorithm, given the message (never the digest).
 * OpenSSL 3.0 (Node 20) has no Ed25519ph: @noble/curves' `ed25519ph` checks ED25519_PH_SHA_512,
 * whose "message" is the 64-byte digest AWS takes (KMS applies Ed25519ph's prehash to it).
 */
const NODE_VERIFY: Record<string, (message: Uint8Array, key: KeyObject, signature: Uint8Array) => boolean> = {
  ECDSA_SHA_256: ecdsa(256), ECDSA_SHA_384: ecdsa(384), ECDSA_SHA_512: ecdsa(512),
  ED25519_SHA_512: (m, key, s) => nodeVerify(null, m, key, s),
  ED25519_PH_SHA_512: (m, key, s) => ed25519ph.verify(s, hash('sha512', m), Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'), { zip215: false }),
  RSASSA_PSS_SHA_256: pss(256), RSASSA_PSS_SHA_384: pss(384), RSASSA_PSS_SHA_512: pss(512),
  RSASSA_PKCS1_V1_5_SHA_256: pkcs1(256), RSASSA_PKCS1_V1_5_SHA_384: pkcs1(384), RSASSA_PKCS1_V1_5_SHA_512: pkcs1(512),
}

/** Every RSA signing key lists the six RSASSA algorithms (AWS's order). */
const RSA_SIGNING: readonly SigningAlgorithmSpec[] = [
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
]

interface SigningCase {
  readonly name: string
  readonly spec: KeySpec
  readonly algorithms: readonly SigningAlgorithmSpec[]
  /** The key type node:crypto reports for the public key, and its curve or modulus. */
  readonly node: { readonly type: string; readonly curve?: string; readonly bits?: number }
}

const SIGNING: readonly SigningCase[] = [
  { name: 'p256', spec: 'ECC_NIST_P256', algorithms: ['ECDSA_SHA_256'], node: { type: 'ec', curve: 'prime256v1' } },
  { name: 'p384', spec: 'ECC_NIST_P384', algorithms: ['ECDSA_SHA_384'], node: { type: 'ec', curve: 'secp384r1' } },
  { name: 'p521', spec: 'ECC_NIST_P521', algorithms: ['ECDSA_SHA_512'], node: { type: 'ec', curve: 'secp521r1' } },
  { name: 'secp256k1', spec: 'ECC_SECG_P256K1', algorithms: ['ECDSA_SHA_256'], node: { type: 'ec', curve: 'secp256k1' } },
  { name: 'ed25519', spec: 'ECC_NIST_EDWARDS25519', algorithms: ['ED25519_PH_SHA_512', 'ED25519_SHA_512'], node: { type: 'ed25519' } },
  { name: 'rsa2048', spec: 'RSA_2048', algorithms: RSA_SIGNING, node: { type: 'rsa', bits: 2048 } },
  { name: 'rsa3072', spec: 'RSA_3072', algorithms: RSA_SIGNING, node: { type: 'rsa', bits: 3072 } },
  { name: 'rsa4096', spec: 'RSA_4096', algorithms: RSA_SIGNING, node: { type: 'rsa', bits: 4096 } },
]

const KEYS: readonly { readonly name: string; readonly spec: KeySpec; readonly usage: KeyUsageType }[] = [
  ...SIGNING.map(({ name, spec }) => ({ name, spec, usage: 'SIGN_VERIFY' as const })),
  { name: 'rsaEncrypt', spec: 'RSA_2048', usage: 'ENCRYPT_DECRYPT' },
  { name: 'hmac224', spec: 'HMAC_224', usage: 'GENERATE_VERIFY_MAC' },
  { name: 'hmac256', spec: 'HMAC_256', usage: 'GENERATE_VERIFY_MAC' },
  { name: 'hmac384', spec: 'HMAC_384', usage: 'GENERATE_VERIFY_MAC' },
  { name: 'hmac512', spec: 'HMAC_512', usage: 'GENERATE_VERIFY_MAC' },
  { name: 'symmetric', spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT' },
]

let shared: Kms
const keys: Record<string, string> = {}

beforeAll(async () => {
  ;({ kms: shared } = await openEngine())
  const transport = await TRANSPORTS['in-process handler'](shared)
  const { client } = kmsClient(transport)
  try {
    // In parallel: the engine makes RSA key pairs off the main thread.
    await Promise.all(KEYS.map(async ({ name, spec, usage }) => {
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: usage, Description: name }))
      keys[name] = KeyMetadata!.KeyId!
    }))
  } finally {
    client.destroy()
  }
}, 30_000)

afterAll(async () => {
  await shared.close()
})

describe.each(Object.keys(TRANSPORTS) as TransportName[])('asymmetric, HMAC and imported keys through the %s', (transportName) => {
  let transport: Transport
  let client: KMS

  beforeAll(async () => {
    transport = await TRANSPORTS[transportName](shared)
    client = kmsClient(transport).client
  })
  afterAll(async () => {
    client.destroy()
    await transport.close()
  })

  async function publicKeyOf(keyId: string): Promise<KeyObject> {
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: keyId }))
    return createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' })
  }

  describe('keys', () => {
    it('DescribeKey reports each spec, the usage it was made for, and its algorithms, as AWS does', async () => {
      const described = async (name: string) => (await client.send(new DescribeKeyCommand({ KeyId: keys[name] }))).KeyMetadata!
      expect(await described('p256')).toMatchObject({
        KeySpec: 'ECC_NIST_P256', CustomerMasterKeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'],
        KeyState: 'Enabled', Origin: 'AWS_KMS',
      })
      expect(await described('secp256k1')).toMatchObject({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] })
      expect(await described('p384')).toMatchObject({ KeySpec: 'ECC_NIST_P384', CustomerMasterKeySpec: 'ECC_NIST_P384', SigningAlgorithms: ['ECDSA_SHA_384'] })
      expect(await described('p521')).toMatchObject({ KeySpec: 'ECC_NIST_P521', CustomerMasterKeySpec: 'ECC_NIST_P521', SigningAlgorithms: ['ECDSA_SHA_512'] })
      const ed25519 = await described('ed25519')
      expect(ed25519).toMatchObject({ KeySpec: 'ECC_NIST_EDWARDS25519', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ED25519_PH_SHA_512', 'ED25519_SHA_512'] })
      expect(ed25519.CustomerMasterKeySpec).toBeUndefined()
      for (const name of ['rsa2048', 'rsa3072', 'rsa4096']) {
        const m = await described(name)
        expect(m).toMatchObject({ KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: RSA_SIGNING })
        // Usage comes from the key, not the spec: an RSA signing key has no encryption algorithms.
        expect(m.EncryptionAlgorithms).toBeUndefined()
      }
      const rsaEncrypt = await described('rsaEncrypt')
      expect(rsaEncrypt).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] })
      expect(rsaEncrypt.SigningAlgorithms).toBeUndefined()
      for (const [name, bits] of [['hmac224', 224], ['hmac256', 256], ['hmac384', 384], ['hmac512', 512]] as const) {
        const m = await described(name)
        expect(m).toMatchObject({ KeySpec: `HMAC_${bits}`, CustomerMasterKeySpec: `HMAC_${bits}`, KeyUsage: 'GENERATE_VERIFY_MAC', MacAlgorithms: [`HMAC_SHA_${bits}`] })
        expect(m.EncryptionAlgorithms).toBeUndefined()
      }
      expect((await described('symmetric')).EncryptionAlgorithms).toEqual(['SYMMETRIC_DEFAULT'])
    })

    it('GetPublicKey answers the DER public key with the key spec, usage and algorithms', async () => {
      for (const { name, spec, algorithms, node } of SIGNING) {
        const answer = await client.send(new GetPublicKeyCommand({ KeyId: keys[name] }))
        expect(answer).toMatchObject({ KeyId: arnOf(keys[name]!), KeySpec: spec, KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: algorithms })
        expect(answer.EncryptionAlgorithms).toBeUndefined()
        const key = createPublicKey({ key: Buffer.from(answer.PublicKey!), format: 'der', type: 'spki' })
        expect(key.asymmetricKeyType).toBe(node.type)
        if (node.curve !== undefined) expect(key.asymmetricKeyDetails!.namedCurve).toBe(node.curve)
        if (node.bits !== undefined) expect(key.asymmetricKeyDetails!.modulusLength).toBe(node.bits)
      }
      const rsa = await client.send(new GetPublicKeyCommand({ KeyId: keys['rsaEncrypt'] }))
      expect(rsa).toMatchObject({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] })
      expect(rsa.SigningAlgorithms).toBeUndefined()
      // AWS: symmetric and HMAC keys have no public key.
      await rejectsWith(client.send(new GetPublicKeyCommand({ KeyId: keys['symmetric'] })), UnsupportedOperationException)
      await rejectsWith(client.send(new GetPublicKeyCommand({ KeyId: keys['hmac256'] })), UnsupportedOperationException)
      await rejectsWith(client.send(new GetPublicKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), NotFoundException)
    })

    it('asymmetric and HMAC keys do not rotate on demand, as on AWS', async () => {
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: keys['p256'] })), UnsupportedOperationException)
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: keys['hmac256'] })), UnsupportedOperationException)
    })
  })

  describe('Sign and Verify', () => {
    it.each(SIGNING)('$spec signs RAW messages and DIGESTs that node:crypto verifies with the public key', async ({ name, algorithms }) => {
      const keyId = keys[name]!
      const publicKey = await publicKeyOf(keyId)
      const message = utf8(`the message for ${name}`)
      for (const algorithm of algorithms) {
        if (algorithm === 'ED25519_PH_SHA_512') continue // DIGEST only, as AWS documents: its own test below
        const raw = await client.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: algorithm }))
        expect(raw).toMatchObject({ KeyId: arnOf(keyId), SigningAlgorithm: algorithm })
        expect(NODE_VERIFY[algorithm]!(message, publicKey, raw.Signature!), `${algorithm} RAW`).toBe(true)
        expect(NODE_VERIFY[algorithm]!(utf8('another message'), publicKey, raw.Signature!)).toBe(false)
        const verified = await client.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: raw.Signature, SigningAlgorithm: algorithm }))
        expect(verified).toEqual(expect.objectContaining({ KeyId: arnOf(keyId), SignatureValid: true, SigningAlgorithm: algorithm }))

        if (algorithm === 'ED25519_SHA_512') {
          // Pure Ed25519 signs the message itself: AWS requires MessageType RAW.
          await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: hash('sha512', message), MessageType: 'DIGEST', SigningAlgorithm: algorithm })), 'ValidationException')
          continue
        }
        const digest = await client.send(new SignCommand({ KeyId: keyId, Message: hash(hashOf(algorithm), message), MessageType: 'DIGEST', SigningAlgorithm: algorithm }))
        expect(NODE_VERIFY[algorithm]!(message, publicKey, digest.Signature!), `${algorithm} DIGEST`).toBe(true)
        // A signature is a signature: made over the digest, checked over the message, and the other way round.
        await client.send(new VerifyCommand({ KeyId: keyId, Message: hash(hashOf(algorithm), message), MessageType: 'DIGEST', Signature: raw.Signature, SigningAlgorithm: algorithm }))
        await client.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: digest.Signature, SigningAlgorithm: algorithm }))
      }
    })

    it('ED25519_PH_SHA_512 takes DIGEST only, a 64-byte SHA-512 digest that KMS prehashes again (as AWS documents)', async () => {
      const keyId = keys['ed25519']!
      const publicKey = await publicKeyOf(keyId)
      const message = utf8('prehashed Ed25519')
      const digest = hash('sha512', message)
      const { Signature } = await client.send(new SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_PH_SHA_512' }))
      expect(NODE_VERIFY['ED25519_PH_SHA_512']!(message, publicKey, Signature!)).toBe(true)
      await client.send(new VerifyCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', Signature, SigningAlgorithm: 'ED25519_PH_SHA_512' }))
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ED25519_PH_SHA_512' })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ED25519_PH_SHA_512' })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: sha256(message), MessageType: 'DIGEST', SigningAlgorithm: 'ED25519_PH_SHA_512' })), 'ValidationException')
      // Pure Ed25519 and Ed25519ph signatures are not interchangeable.
      const pure = await client.send(new SignCommand({ KeyId: keyId, Message: digest, SigningAlgorithm: 'ED25519_SHA_512' }))
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', Signature: pure.Signature, SigningAlgorithm: 'ED25519_PH_SHA_512' })), KMSInvalidSignatureException)
    })

    it('DIGEST must be exactly as long as the algorithm\'s hash: 32, 48 or 64 bytes (ValidationException)', async () => {
      const cases = [['rsa2048', 'RSASSA_PSS_SHA_384', 48], ['rsa2048', 'RSASSA_PKCS1_V1_5_SHA_512', 64], ['p384', 'ECDSA_SHA_384', 48], ['p521', 'ECDSA_SHA_512', 64]] as const
      for (const [name, algorithm, length] of cases) {
        for (const wrong of [32, length - 1, length + 1]) {
          if (wrong === length) continue
          await rejectsWith(client.send(new SignCommand({ KeyId: keys[name], Message: new Uint8Array(wrong), MessageType: 'DIGEST', SigningAlgorithm: algorithm })), 'ValidationException')
        }
        await client.send(new SignCommand({ KeyId: keys[name], Message: new Uint8Array(length), MessageType: 'DIGEST', SigningAlgorithm: algorithm }))
      }
    })

    it('a signature that does not verify is KMSInvalidSignatureException', async () => {
      const keyId = keys['p256']!
      const message = utf8('signed')
      const { Signature } = await client.send(new SignCommand({ KeyId: keyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }))
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: utf8('not signed'), Signature, SigningAlgorithm: 'ECDSA_SHA_256' })), KMSInvalidSignatureException)
      const tampered = Uint8Array.from(Signature!)
      tampered[tampered.length - 1]! ^= 1
      const error = await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: tampered, SigningAlgorithm: 'ECDSA_SHA_256' })), KMSInvalidSignatureException)
      expect(error.$metadata.httpStatusCode).toBe(400)
      // Longer than any real signature (AWS takes up to 6144 bytes): still just invalid.
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: message, Signature: new Uint8Array(2000).fill(0x30), SigningAlgorithm: 'ECDSA_SHA_256' })), KMSInvalidSignatureException)
      // Another key's signature.
      const rsa = await client.send(new SignCommand({ KeyId: keys['rsa2048'], Message: message, SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keys['rsa3072'], Message: message, Signature: rsa.Signature, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), KMSInvalidSignatureException)
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keys['rsa2048'], Message: message, Signature: rsa.Signature, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })), KMSInvalidSignatureException)
    })

    it('a key that cannot sign, or an algorithm its spec does not run, is InvalidKeyUsageException', async () => {
      const m = utf8('m')
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['symmetric'], Message: m, SigningAlgorithm: 'ECDSA_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['rsaEncrypt'], Message: m, SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['hmac256'], Message: m, SigningAlgorithm: 'ECDSA_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['rsa2048'], Message: m, SigningAlgorithm: 'ECDSA_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['p256'], Message: m, SigningAlgorithm: 'ED25519_SHA_512' })), InvalidKeyUsageException)
      // Each curve signs with its own hash only, as on AWS.
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['p256'], Message: m, SigningAlgorithm: 'ECDSA_SHA_384' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['p384'], Message: m, SigningAlgorithm: 'ECDSA_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['p521'], Message: m, SigningAlgorithm: 'ECDSA_SHA_384' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['rsa2048'], Message: m, SigningAlgorithm: 'ECDSA_SHA_512' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keys['ed25519'], Message: m, Signature: new Uint8Array(64), SigningAlgorithm: 'ECDSA_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keys['p256'], Plaintext: m, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keys['p256'], Message: m, MacAlgorithm: 'HMAC_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keys['rsaEncrypt'], KeySpec: 'AES_256' })), InvalidKeyUsageException)
    })

    it('AWS algorithms the engine does not run are UnsupportedOperationException; AWS limits are ValidationException', async () => {
      const keyId = keys['rsa2048']!
      for (const algorithm of ['SM2DSA', 'ML_DSA_SHAKE_256'] as const) {
        await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: utf8('m'), SigningAlgorithm: algorithm })), UnsupportedOperationException)
      }
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(32), MessageType: 'EXTERNAL_MU', SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), UnsupportedOperationException)
      await client.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(4096), SigningAlgorithm: 'RSASSA_PSS_SHA_256' }))
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(4097), SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(31), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: new Uint8Array(64), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: utf8('m'), SigningAlgorithm: 'RSA_SHA_1' as never })), 'ValidationException')
      await rejectsWith(client.send(new SignCommand({ KeyId: '00000000-0000-4000-8000-000000000000', Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })), NotFoundException)
    })

    it('DryRun signs and verifies, then answers DryRunOperationException', async () => {
      const keyId = keys['p256']!
      await rejectsWith(client.send(new SignCommand({ KeyId: keyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true })), DryRunOperationException)
      const { Signature } = await client.send(new SignCommand({ KeyId: keyId, Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' }))
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: utf8('m'), Signature, SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true })), DryRunOperationException)
      await rejectsWith(client.send(new VerifyCommand({ KeyId: keyId, Message: utf8('x'), Signature, SigningAlgorithm: 'ECDSA_SHA_256', DryRun: true })), KMSInvalidSignatureException)
    })
  })

  describe('RSA encryption', () => {
    it.each(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] as const)('%s: node:crypto encrypts with the public key, Decrypt opens it', async (algorithm) => {
      const keyId = keys['rsaEncrypt']!
      const publicKey = await publicKeyOf(keyId)
      const oaepHash = algorithm === 'RSAES_OAEP_SHA_256' ? 'sha256' : 'sha1'
      const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, utf8('wrapped secret'))
      const opened = await client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: ciphertext, EncryptionAlgorithm: algorithm }))
      expect(text(opened.Plaintext)).toBe('wrapped secret')
      expect(opened).toMatchObject({ KeyId: arnOf(keyId), EncryptionAlgorithm: algorithm })
      // And through the SDK both ways, by alias too.
      const encrypted = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('round trip'), EncryptionAlgorithm: algorithm }))
      expect(encrypted).toMatchObject({ KeyId: arnOf(keyId), EncryptionAlgorithm: algorithm })
      expect(encrypted.CiphertextBlob).toHaveLength(256)
      const back = await client.send(new DecryptCommand({ KeyId: arnOf(keyId), CiphertextBlob: encrypted.CiphertextBlob, EncryptionAlgorithm: algorithm }))
      expect(text(back.Plaintext)).toBe('round trip')
    })

    it('RSA decryption needs KeyId and the algorithm; a wrong algorithm, key or blob is InvalidCiphertextException', async () => {
      const keyId = keys['rsaEncrypt']!
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }))
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })), InvalidCiphertextException)
      await rejectsWith(client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: new Uint8Array(300), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidCiphertextException)
      await rejectsWith(client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob: new Uint8Array(4000), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidCiphertextException)
      await rejectsWith(client.send(new DecryptCommand({ KeyId: keys['symmetric'], CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new DecryptCommand({ KeyId: keyId, CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DryRun: true })), DryRunOperationException)
    })

    it('RSA encryption keeps AWS rules: no SYMMETRIC_DEFAULT, no encryption context, plaintext within OAEP\'s limit', async () => {
      const keyId = keys['rsaEncrypt']!
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), InvalidKeyUsageException)
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'SM2PKE' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new EncryptCommand({
        KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { a: 'b' },
      })), 'ValidationException')
      // RSA-2048 with OAEP over SHA-256 takes at most 190 bytes.
      await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(190), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }))
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(191), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DryRun: true })), DryRunOperationException)
      // A ciphertext that does not decrypt under the key is InvalidCiphertextException, for ReEncrypt too.
      await rejectsWith(client.send(new ReEncryptCommand({
        CiphertextBlob: new Uint8Array(256), SourceKeyId: keyId, SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationKeyId: keys['symmetric'],
      })), InvalidCiphertextException)
    })

    it('ReEncrypt from an RSA ciphertext (node:crypto\'s) to a symmetric key, and from a symmetric ciphertext to an RSA key', async () => {
      const rsa = keys['rsaEncrypt']!
      const symmetric = keys['symmetric']!
      const publicKey = await publicKeyOf(rsa)
      const secret = utf8('moved between keys')
      const rsaCiphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret)
      const toSymmetric = await client.send(new ReEncryptCommand({
        CiphertextBlob: rsaCiphertext, SourceKeyId: rsa, SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        DestinationKeyId: symmetric, DestinationEncryptionContext: { moved: 'yes' },
      }))
      expect(toSymmetric).toMatchObject({
        SourceKeyId: arnOf(rsa), KeyId: arnOf(symmetric), SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      })
      expect(toSymmetric.SourceKeyMaterialId).toBeUndefined() // AWS: only for a symmetric source
      expect(toSymmetric.DestinationKeyMaterialId).toBeDefined()
      const opened = await client.send(new DecryptCommand({ CiphertextBlob: toSymmetric.CiphertextBlob, EncryptionContext: { moved: 'yes' } }))
      expect(text(opened.Plaintext)).toBe('moved between keys')

      // And back: the RSA ciphertext ReEncrypt makes is one node:crypto decrypts with… nothing (KMS keeps the
      // private key), so Decrypt with the RSA key opens it.
      const toRsa = await client.send(new ReEncryptCommand({
        CiphertextBlob: toSymmetric.CiphertextBlob, SourceEncryptionContext: { moved: 'yes' },
        DestinationKeyId: rsa, DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
      }))
      expect(toRsa).toMatchObject({ SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_1', KeyId: arnOf(rsa) })
      expect(toRsa.DestinationKeyMaterialId).toBeUndefined()
      expect(toRsa.CiphertextBlob).toHaveLength(256)
      const back = await client.send(new DecryptCommand({ KeyId: rsa, CiphertextBlob: toRsa.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }))
      expect(text(back.Plaintext)).toBe('moved between keys')
      // RSA to RSA, changing the OAEP hash.
      const rehashed = await client.send(new ReEncryptCommand({
        CiphertextBlob: toRsa.CiphertextBlob, SourceKeyId: rsa, SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
        DestinationKeyId: rsa, DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }))
      expect(text((await client.send(new DecryptCommand({ KeyId: rsa, CiphertextBlob: rehashed.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }))).Plaintext)).toBe('moved between keys')
    })

    it('ReEncrypt with RSA keys: AWS\'s errors', async () => {
      const rsa = keys['rsaEncrypt']!
      const symmetric = keys['symmetric']!
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: symmetric, Plaintext: new Uint8Array(191) }))
      // An RSA source needs SourceKeyId; RSA sides take no encryption context.
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob: new Uint8Array(256), SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationKeyId: symmetric })), 'ValidationException')
      await rejectsWith(client.send(new ReEncryptCommand({
        CiphertextBlob, DestinationKeyId: rsa, DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationEncryptionContext: { a: 'b' },
      })), 'ValidationException')
      // Too long for RSA-2048 with OAEP SHA-256 (190 bytes).
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: rsa, DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), 'ValidationException')
      // The algorithm must go with the key: RSA to a symmetric key, or an RSA key without its algorithm.
      const small = (await client.send(new EncryptCommand({ KeyId: symmetric, Plaintext: utf8('x') }))).CiphertextBlob
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob: small, DestinationKeyId: symmetric, DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob: small, DestinationKeyId: rsa })), InvalidKeyUsageException)
      await rejectsWith(client.send(new ReEncryptCommand({
        CiphertextBlob: new Uint8Array(256), SourceKeyId: keys['p256'], SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationKeyId: symmetric,
      })), InvalidKeyUsageException)
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob: small, DestinationKeyId: rsa, DestinationEncryptionAlgorithm: 'SM2PKE' })), InvalidKeyUsageException)
    })
  })

  describe('MACs', () => {
    it('GenerateMac and VerifyMac round trip for every HMAC spec; a bad MAC is KMSInvalidMacException', async () => {
      for (const [name, algorithm, length] of [['hmac224', 'HMAC_SHA_224', 28], ['hmac256', 'HMAC_SHA_256', 32], ['hmac384', 'HMAC_SHA_384', 48], ['hmac512', 'HMAC_SHA_512', 64]] as const) {
        const keyId = keys[name]!
        const message = utf8(`tag me with ${algorithm}`)
        const { Mac, ...rest } = await client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: algorithm }))
        expect(Mac).toHaveLength(length)
        expect(rest).toMatchObject({ KeyId: arnOf(keyId), MacAlgorithm: algorithm })
        // Deterministic, as HMAC is.
        expect((await client.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: algorithm }))).Mac).toEqual(Mac)
        const verified = await client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac, MacAlgorithm: algorithm }))
        expect(verified).toMatchObject({ KeyId: arnOf(keyId), MacValid: true, MacAlgorithm: algorithm })
        const tampered = Uint8Array.from(Mac!)
        tampered[0]! ^= 1
        const error = await rejectsWith(client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: tampered, MacAlgorithm: algorithm })), KMSInvalidMacException)
        expect(error.$metadata.httpStatusCode).toBe(400)
        await rejectsWith(client.send(new VerifyMacCommand({ KeyId: keyId, Message: utf8('other'), Mac, MacAlgorithm: algorithm })), KMSInvalidMacException)
        await rejectsWith(client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: Mac!.slice(0, 16), MacAlgorithm: algorithm })), KMSInvalidMacException)
        await rejectsWith(client.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: new Uint8Array(100), MacAlgorithm: algorithm })), KMSInvalidMacException)
      }
      // Another key's MAC does not verify.
      const { Mac } = await client.send(new GenerateMacCommand({ KeyId: keys['hmac256'], Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' }))
      const other = await createKeyOf(client, 'HMAC_256')
      await rejectsWith(client.send(new VerifyMacCommand({ KeyId: other, Message: utf8('m'), Mac, MacAlgorithm: 'HMAC_SHA_256' })), KMSInvalidMacException)
    })

    it('the algorithm must be the key\'s; DryRun', async () => {
      const keyId = keys['hmac256']!
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_384' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keys['symmetric'], Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_224' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keys['hmac224'], Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keyId, Message: new Uint8Array(4097), MacAlgorithm: 'HMAC_SHA_256' })), 'ValidationException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('m') })), InvalidKeyUsageException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keyId, Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256', DryRun: true })), DryRunOperationException)
    })
  })

  describe('importing key material', () => {
    let kms: Kms
    let clock: ManualClock
    let fresh: Transport
    let byok: KMS

    beforeEach(async () => {
      ;({ kms, clock } = await openEngine())
      fresh = await TRANSPORTS[transportName](kms)
      byok = kmsClient(fresh).client
    })
    afterEach(async () => {
      byok.destroy()
      await fresh.close()
      await kms.close()
    })

    /** GetParametersForImport, then the material wrapped with plain node:crypto, as AWS's docs do it with OpenSSL. */
    async function wrapFor(keyId: string, material: Uint8Array, algorithm: 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1' = 'RSAES_OAEP_SHA_256') {
      const parameters = await byok.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: algorithm, WrappingKeySpec: 'RSA_2048' }))
      const wrappingKey = createPublicKey({ key: Buffer.from(parameters.PublicKey!), format: 'der', type: 'spki' })
      const oaepHash = algorithm === 'RSAES_OAEP_SHA_256' ? 'sha256' : 'sha1'
      const encrypted = publicEncrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, material)
      return { parameters, wrappingKey, encrypted }
    }

    it('HMAC keys take imported material too, as on AWS: digest length to block size; MACs are plain HMACs of that material', async () => {
      const cases = [['HMAC_224', 'HMAC_SHA_224', 'sha224', 28, 64], ['HMAC_384', 'HMAC_SHA_384', 'sha384', 48, 128]] as const
      for (const [spec, algorithm, hash, min, max] of cases) {
        const keyId = (await byok.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC', Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
        for (const wrong of [min - 1, max + 1]) {
          const { parameters, encrypted } = await wrapFor(keyId, randomBytes(wrong))
          await rejectsWith(byok.send(new ImportKeyMaterialCommand({
            KeyId: keyId, ImportToken: parameters.ImportToken, EncryptedKeyMaterial: encrypted, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
          })), 'ValidationException')
        }
        const material = randomBytes(max)
        const { parameters, encrypted } = await wrapFor(keyId, material)
        await byok.send(new ImportKeyMaterialCommand({
          KeyId: keyId, ImportToken: parameters.ImportToken, EncryptedKeyMaterial: encrypted, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        }))
        const message = utf8('imported HMAC')
        const { Mac } = await byok.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: algorithm }))
        expect(Buffer.from(Mac!).equals(createHmac(hash, material).update(message).digest())).toBe(true)
      }
      // Asymmetric material is not importable here.
      await rejectsWith(byok.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' })), UnsupportedOperationException)
    })

    it('the whole flow: EXTERNAL key, parameters, wrapped material, import, use, delete, reimport', async () => {
      const { KeyMetadata } = await byok.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'byok' }))
      const keyId = KeyMetadata!.KeyId!
      expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', KeySpec: 'SYMMETRIC_DEFAULT' })
      expect(KeyMetadata!.ExpirationModel).toBeUndefined()

      const material = randomBytes(32)
      const { parameters, wrappingKey, encrypted } = await wrapFor(keyId, material)
      expect(parameters.KeyId).toBe(arnOf(keyId))
      expect(parameters.ImportToken!.length).toBeGreaterThan(0)
      expect(parameters.ParametersValidTo).toEqual(new Date(clock.now() + DAY_MS))
      expect(wrappingKey.asymmetricKeyDetails!.modulusLength).toBe(2048)

      const imported = await byok.send(new ImportKeyMaterialCommand({
        KeyId: keyId, ImportToken: parameters.ImportToken, EncryptedKeyMaterial: encrypted, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }))
      const described = (await byok.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!
      expect(described).toMatchObject({ KeyState: 'Enabled', Enabled: true, Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })
      expect(described.ValidTo).toBeUndefined()
      expect(imported).toMatchObject({ KeyId: arnOf(keyId), KeyMaterialId: described.CurrentKeyMaterialId })

      const { CiphertextBlob } = await byok.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('under my own key'), EncryptionContext: { byok: 'yes' } }))
      const opened = await byok.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { byok: 'yes' } }))
      expect(text(opened.Plaintext)).toBe('under my own key')

      const deleted = await byok.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }))
      expect(deleted).toMatchObject({ KeyId: arnOf(keyId), KeyMaterialId: described.CurrentKeyMaterialId })
      const pending = (await byok.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!
      expect(pending).toMatchObject({ KeyState: 'PendingImport', Enabled: false })
      expect(pending.CurrentKeyMaterialId).toBeUndefined()
      await rejectsWith(byok.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { byok: 'yes' } })), KMSInvalidStateException)
      await rejectsWith(byok.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), KMSInvalidStateException)

      // The same material again (SHA-1 wrapping this time), now expiring: the old ciphertext opens again.
      const again = await wrapFor(keyId, material, 'RSAES_OAEP_SHA_1')
      const validTo = new Date(clock.now() + 10 * DAY_MS)
      await byok.send(new ImportKeyMaterialCommand({
        KeyId: arnOf(keyId), ImportToken: again.parameters.ImportToken, EncryptedKeyMaterial: again.encrypted,
        ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo,
      }))
      expect((await byok.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({
        KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo, CurrentKeyMaterialId: described.CurrentKeyMaterialId,
      })
      expect(text((await byok.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { byok: 'yes' } }))).Plaintext)).toBe('under my own key')
      // Past ValidTo the engine erases the material: the key waits for it again.
      clock.advance(10 * DAY_MS)
      await rejectsWith(byok.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { byok: 'yes' } })), KMSInvalidStateException)
      expect((await byok.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('PendingImport')
    })

    it('import errors: tokens used, foreign, garbled or expired; other material; bad wrapping; AWS expiration rules', async () => {
      const keyId = (await byok.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
      const other = (await byok.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
      const material = randomBytes(32)
      const first = await wrapFor(keyId, material)
      const forever = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const

      // AWS's expiration rules, checked first.
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted })), 'ValidationException')
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({
        KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted, ...forever, ValidTo: new Date(clock.now() + DAY_MS),
      })), 'ValidationException')
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({
        KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted, ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: new Date(clock.now() - DAY_MS),
      })), 'ValidationException')
      // Tokens: another key's, garbage, not even UTF-8.
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: other, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted, ...forever })), InvalidImportTokenException)
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: utf8('forged'), EncryptedKeyMaterial: first.encrypted, ...forever })), InvalidImportTokenException)
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: new Uint8Array([0xff, 0xfe]), EncryptedKeyMaterial: first.encrypted, ...forever })), InvalidImportTokenException)
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: new Uint8Array(500), EncryptedKeyMaterial: first.encrypted, ...forever })), InvalidImportTokenException)
      // Material not wrapped under this token's key, or longer than any wrapped material.
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: new Uint8Array(256), ...forever })), InvalidCiphertextException)
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: new Uint8Array(5000), ...forever })), InvalidCiphertextException)

      await byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted, ...forever }))
      // A token is single-use.
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: first.parameters.ImportToken, EncryptedKeyMaterial: first.encrypted, ...forever })), InvalidImportTokenException)
      // Other material for a key that has had material: IncorrectKeyMaterialException.
      const different = await wrapFor(keyId, randomBytes(32))
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken: different.parameters.ImportToken, EncryptedKeyMaterial: different.encrypted, ...forever })), IncorrectKeyMaterialException)
      // Tokens last 24 hours by the engine's clock.
      const late = await wrapFor(other, randomBytes(32))
      clock.advance(DAY_MS)
      await rejectsWith(byok.send(new ImportKeyMaterialCommand({ KeyId: other, ImportToken: late.parameters.ImportToken, EncryptedKeyMaterial: late.encrypted, ...forever })), ExpiredImportTokenException)
    })

    it('what the engine cannot import with, and keys that do not import, are UnsupportedOperationException', async () => {
      const keyId = (await byok.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))).KeyMetadata!.KeyId!
      for (const WrappingAlgorithm of ['RSAES_PKCS1_V1_5', 'RSA_AES_KEY_WRAP_SHA_256', 'SM2PKE'] as const) {
        await rejectsWith(byok.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm, WrappingKeySpec: 'RSA_2048' })), UnsupportedOperationException)
      }
      await rejectsWith(byok.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096' })), UnsupportedOperationException)
      await rejectsWith(byok.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256' } as never)), 'ValidationException')
      const generated = (await byok.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
      await rejectsWith(byok.send(new GetParametersForImportCommand({ KeyId: generated, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' })), UnsupportedOperationException)
      await rejectsWith(byok.send(new DeleteImportedKeyMaterialCommand({ KeyId: generated })), UnsupportedOperationException)
      await rejectsWith(byok.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: 'a'.repeat(64) })), UnsupportedOperationException)
      await rejectsWith(byok.send(new GetParametersForImportCommand({
        KeyId: '00000000-0000-4000-8000-000000000000', WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048',
      })), NotFoundException)
    })
  })
})

/** A key of the given spec on the shared engine (for tests that need a second one). */
async function createKeyOf(client: KMS, KeySpec: KeySpec): Promise<string> {
  const KeyUsage: KeyUsageType = KeySpec.startsWith('HMAC') ? 'GENERATE_VERIFY_MAC' : KeySpec === 'SYMMETRIC_DEFAULT' ? 'ENCRYPT_DECRYPT' : 'SIGN_VERIFY'
  return (await client.send(new CreateKeyCommand({ KeySpec, KeyUsage }))).KeyMetadata!.KeyId!
}

describe('an engine without the asymmetric operations', () => {
  it('answers UnsupportedOperationException for them, never a crash', async () => {
    const engine = new Proxy(shared, {
      get(target, property) {
        if (property === 'asymmetricSign' || property === 'generateMac' || property === 'getParametersForImport') return undefined
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as unknown as Engine
    const transport = await TRANSPORTS['in-process handler'](engine)
    const { client } = kmsClient(transport)
    try {
      await rejectsWith(client.send(new SignCommand({ KeyId: keys['p256'], Message: utf8('m'), SigningAlgorithm: 'ECDSA_SHA_256' })), UnsupportedOperationException)
      await rejectsWith(client.send(new GenerateMacCommand({ KeyId: keys['hmac256'], Message: utf8('m'), MacAlgorithm: 'HMAC_SHA_256' })), UnsupportedOperationException)
      await rejectsWith(client.send(new GetParametersForImportCommand({
        KeyId: keys['symmetric'], WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048',
      })), UnsupportedOperationException)
    } finally {
      client.destroy()
      await transport.close()
    }
  })
})
