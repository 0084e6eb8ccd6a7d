/**
 * HMAC keys (generateMac / verifyMac), handing data keys to an RSA key holder
 * (exportDataKey / generateAndExportDataKey), randomness (generateRandom /
 * getRandomPassword), and the audit trail of every operation issue 5 added.
 *
 * A MAC key never leaves the engine, so MACs cannot be compared with plain
 * `crypto.createHmac`; instead: length, determinism, per-message difference, verification
 * across versions. Exported data keys are opened with plain `crypto.privateDecrypt` by the
 * holder of a key pair that plain `node:crypto` generated.
 *
 * ```ts
 * const { mac } = await kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message })
 * const { exportedDataKey, ciphertextBlob } = await kms.generateAndExportDataKey({
 *   keyId: aesKeyId, publicKeyBlob: holderPublicKeyPem, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' })
 * crypto.privateDecrypt({ key: holderPrivateKey, oaepHash: 'sha256' }, exportedDataKey)   // the data key
 * ```
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Kms, KmsError, ManualClock, seededRandom,
  type AuditRecord, type StorageAdapter, type StoredRecord,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { randomPassword } from '../src/password.js'
import { rejectsWith, utf8 } from './helpers.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const START = '2026-01-01T00:00:00Z'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: { seed?: string; storage?: StorageAdapter; clock?: ManualClock } = {}): Promise<Kms> {
  const kms = await Kms.open({
    storage: options.storage ?? memoryStorage(), clock: options.clock ?? new ManualClock(START),
    ...(options.seed === undefined ? {} : { random: seededRandom(options.seed) }),
  })
  cleanups.push(() => kms.close())
  return kms
}

// ---------------------------------------------------------------- HMAC

const HMAC_LENGTHS = { HMAC_SHA_256: 32, HMAC_SHA_384: 48, HMAC_SHA_512: 64 } as const

describe('generateMac / verifyMac', () => {
  for (const [macAlgorithm, length] of Object.entries(HMAC_LENGTHS) as [keyof typeof HMAC_LENGTHS, number][]) {
    it(`${macAlgorithm}: full-length, deterministic, message-bound; verifyMac true for it and false for any change`, async () => {
      const kms = await open()
      const { keyMetadata } = await kms.createKey({ keySpec: macAlgorithm })
      expect([keyMetadata.keySpec, keyMetadata.keyUsage]).toEqual([macAlgorithm, 'GENERATE/VERIFY_MAC'])
      const { keyId } = keyMetadata
      const message = utf8('GET /orders?id=42')
      const first = await kms.generateMac({ keyId, macAlgorithm, message })
      expect(first).toMatchObject({ keyId, keyVersionId: keyMetadata.primaryKeyVersion, macAlgorithm })
      expect(first.mac.length).toBe(length)
      expect((await kms.generateMac({ keyId, macAlgorithm, message })).mac).toEqual(first.mac)
      const other = await kms.generateMac({ keyId, macAlgorithm, message: utf8('GET /orders?id=43') })
      expect(hex(other.mac)).not.toBe(hex(first.mac))
      // Another key of the same spec computes another MAC.
      const otherKey = (await kms.createKey({ keySpec: macAlgorithm })).keyMetadata.keyId
      expect(hex((await kms.generateMac({ keyId: otherKey, macAlgorithm, message })).mac)).not.toBe(hex(first.mac))

      const ok = await kms.verifyMac({ keyId, macAlgorithm, message, mac: first.mac })
      expect(ok).toMatchObject({ keyId, keyVersionId: keyMetadata.primaryKeyVersion, macAlgorithm, macValid: true })
      const wrong = [
        { message, mac: first.mac.map((b, i) => (i === 0 ? b ^ 1 : b)) },
        { message, mac: first.mac.subarray(0, length - 1) },
        { message, mac: other.mac },
        { message: utf8('GET /orders?id=43'), mac: first.mac },
        { message, mac: new Uint8Array(64) },
      ]
      for (const request of wrong) expect((await kms.verifyMac({ keyId, macAlgorithm, ...request })).macValid).toBe(false)
      expect((await kms.verifyMac({ keyId: otherKey, macAlgorithm, message, mac: first.mac })).macValid).toBe(false)
    })
  }

  it('macAlgorithm must be the key spec (else InvalidKeyUsage); message 1 B – 4 KiB; mac 1–64 bytes', async () => {
    const kms = await open()
    const keyId = (await kms.createKey({ keySpec: 'HMAC_SHA_256' })).keyMetadata.keyId
    const message = utf8('m')
    const { mac } = await kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message })
    for (const macAlgorithm of ['HMAC_SHA_384', 'HMAC_SHA_512'] as const) {
      await rejectsWith(kms.generateMac({ keyId, macAlgorithm, message }), 'InvalidKeyUsage')
      await rejectsWith(kms.verifyMac({ keyId, macAlgorithm, message, mac }), 'InvalidKeyUsage')
    }
    await rejectsWith(kms.generateMac({ keyId, macAlgorithm: 'HMAC_MD5' as never, message }), 'InvalidParameter')
    await rejectsWith(kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message: new Uint8Array(0) }), 'InvalidParameter')
    await rejectsWith(kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message: new Uint8Array(4097) }), 'InvalidParameter')
    await kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message: new Uint8Array(4096) })
    await rejectsWith(kms.verifyMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message, mac: new Uint8Array(0) }), 'InvalidParameter')
    await rejectsWith(kms.verifyMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message, mac: new Uint8Array(65) }), 'InvalidParameter')
    // HMAC keys rotate by hand only.
    await rejectsWith(kms.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' }), 'Rejected.UnsupportedOperation')
  })

  it('after createKeyVersion: the new version makes MACs, verifyMac still accepts the old MAC (every version is tried), keyVersionId names one', async () => {
    const kms = await open()
    const { keyId, primaryKeyVersion: v1 } = (await kms.createKey({ keySpec: 'HMAC_SHA_512' })).keyMetadata
    const macAlgorithm = 'HMAC_SHA_512'
    const message = utf8('session=abc')
    const old = await kms.generateMac({ keyId, macAlgorithm, message })
    const v2 = (await kms.createKeyVersion({ keyId })).keyVersion.keyVersionId
    const fresh = await kms.generateMac({ keyId, macAlgorithm, message })
    expect(fresh.keyVersionId).toBe(v2)
    expect(hex(fresh.mac)).not.toBe(hex(old.mac))

    // No version named: each is tried (newest first); the one that matched is reported.
    expect(await kms.verifyMac({ keyId, macAlgorithm, message, mac: old.mac })).toMatchObject({ macValid: true, keyVersionId: v1 })
    expect(await kms.verifyMac({ keyId, macAlgorithm, message, mac: fresh.mac })).toMatchObject({ macValid: true, keyVersionId: v2 })
    // None matched: the primary version is reported.
    expect(await kms.verifyMac({ keyId, macAlgorithm, message, mac: new Uint8Array(64) })).toMatchObject({ macValid: false, keyVersionId: v2 })
    // A named version is the only one tried.
    expect(await kms.verifyMac({ keyId, keyVersionId: v1!, macAlgorithm, message, mac: old.mac })).toMatchObject({ macValid: true, keyVersionId: v1 })
    expect(await kms.verifyMac({ keyId, keyVersionId: v2, macAlgorithm, message, mac: old.mac })).toMatchObject({ macValid: false, keyVersionId: v2 })
    expect(await kms.verifyMac({ keyId, keyVersionId: v1!, macAlgorithm, message, mac: fresh.mac })).toMatchObject({ macValid: false, keyVersionId: v1 })
    await rejectsWith(kms.verifyMac({ keyId, keyVersionId: '00000000-0000-4000-8000-000000000000', macAlgorithm, message, mac: old.mac }),
      'Forbidden.ResourceNotFound')
  })
})

// ---------------------------------------------------------------- data-key export

/** The holder: an RSA key pair made by plain node:crypto, public half as SPKI DER and as PEM. */
const HOLDER = generateKeyPairSync('rsa', { modulusLength: 2048 })
const HOLDER_DER = new Uint8Array(HOLDER.publicKey.export({ type: 'spki', format: 'der' }))
const HOLDER_PEM = HOLDER.publicKey.export({ type: 'spki', format: 'pem' }) as string
const OAEP = [['RSAES_OAEP_SHA_256', 'sha256'], ['RSAES_OAEP_SHA_1', 'sha1']] as const

function holderOpens(exported: Uint8Array, oaepHash: 'sha256' | 'sha1'): Uint8Array {
  return new Uint8Array(privateDecrypt({ key: HOLDER.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, exported))
}

describe('exportDataKey / generateAndExportDataKey', () => {
  for (const [wrappingAlgorithm, oaepHash] of OAEP) {
    for (const [form, publicKeyBlob] of [['SPKI DER', HOLDER_DER], ['PEM', HOLDER_PEM]] as const) {
      it(`${wrappingAlgorithm}, public key as ${form}: the holder's crypto.privateDecrypt gives exactly the data key kms.decrypt gives`, async () => {
        const kms = await open()
        const keyId = (await kms.createKey()).keyMetadata.keyId
        const encryptionContext = { file: 'report.pdf' }
        const wrap = { publicKeyBlob, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm } as const

        // A data key made earlier (without plaintext), exported later.
        const made = await kms.generateDataKeyWithoutPlaintext({ keyId, encryptionContext })
        const exported = await kms.exportDataKey({ ciphertextBlob: made.ciphertextBlob, encryptionContext, ...wrap })
        expect(Object.keys(exported).sort()).toEqual(['exportedDataKey', 'keyId', 'keyVersionId', 'requestId'])
        expect([exported.keyId, exported.keyVersionId]).toEqual([keyId, made.keyVersionId])
        const { plaintext: dataKey } = await kms.decrypt({ ciphertextBlob: made.ciphertextBlob, encryptionContext })
        expect(holderOpens(exported.exportedDataKey, oaepHash)).toEqual(dataKey)
        // The context binds as for decrypt.
        await rejectsWith(kms.exportDataKey({ ciphertextBlob: made.ciphertextBlob, encryptionContext: { file: 'other' }, ...wrap }), 'InvalidCiphertext')
        await rejectsWith(kms.exportDataKey({ ciphertextBlob: made.ciphertextBlob, ...wrap }), 'InvalidCiphertext')

        // A new data key, under the CMK and for the holder at once; the caller never sees it.
        for (const [options, length] of [[{}, 32], [{ keySpec: 'AES_128' }, 16], [{ numberOfBytes: 64 }, 64]] as const) {
          const both = await kms.generateAndExportDataKey({ keyId, encryptionContext, ...options, ...wrap })
          expect(Object.keys(both).sort()).toEqual(['ciphertextBlob', 'exportedDataKey', 'keyId', 'keyVersionId', 'requestId'])
          const fromHolder = holderOpens(both.exportedDataKey, oaepHash)
          expect(fromHolder.length).toBe(length)
          expect((await kms.decrypt({ ciphertextBlob: both.ciphertextBlob, encryptionContext })).plaintext).toEqual(fromHolder)
        }
      })
    }
  }

  it('exports the data key generateDataKey returned, and blobs of older versions', async () => {
    const kms = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const made = await kms.generateDataKey({ keyId })
    await kms.createKeyVersion({ keyId })
    const { exportedDataKey, keyVersionId } = await kms.exportDataKey({
      ciphertextBlob: made.ciphertextBlob, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' })
    expect(keyVersionId).toBe(made.keyVersionId)
    expect(holderOpens(exportedDataKey, 'sha256')).toEqual(made.plaintext)
  })

  it('a bad public key, spec or algorithm is InvalidParameter; a bad blob InvalidCiphertext', async () => {
    const kms = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const { ciphertextBlob } = await kms.generateDataKeyWithoutPlaintext({ keyId })
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }) as string
    const privatePem = HOLDER.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const badKeys: (Uint8Array | string)[] = [
      randomBytes(294), new Uint8Array(0), HOLDER_DER.subarray(0, 200), HOLDER_DER.map((b, i) => (i === 0 ? 0x31 : b)), // a SET, not a SEQUENCE
      ecPem, privatePem, 'not a key', HOLDER_PEM.replace('PUBLIC KEY', 'RSA PUBLIC KEY'), HOLDER_PEM.slice(0, 200),
    ]
    for (const publicKeyBlob of badKeys) {
      await rejectsWith(kms.exportDataKey({ ciphertextBlob, publicKeyBlob, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
      await rejectsWith(kms.generateAndExportDataKey({ keyId, publicKeyBlob, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
    }
    // The key's size must be the one declared.
    await rejectsWith(kms.exportDataKey({ ciphertextBlob, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_3072', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
    await rejectsWith(kms.exportDataKey({ ciphertextBlob, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'EC_P256' as never, wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
    await rejectsWith(kms.exportDataKey({ ciphertextBlob, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_PKCS1_V1_5' as never }), 'InvalidParameter')
    await rejectsWith(kms.exportDataKey({ ciphertextBlob: ciphertextBlob.subarray(1), publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidCiphertext')
    // Data keys above OAEP's limit (190 bytes for RSA_2048 with SHA-256) cannot be wrapped.
    await rejectsWith(kms.generateAndExportDataKey({ keyId, numberOfBytes: 191, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' }), 'InvalidParameter')
    await kms.generateAndExportDataKey({ keyId, numberOfBytes: 190, publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' })
  })
})

// ---------------------------------------------------------------- randomness

describe('generateRandom', () => {
  it('1–1024 bytes, fresh each time; 0, 1025 and fractions are InvalidParameter', async () => {
    const kms = await open()
    expect((await kms.generateRandom({ numberOfBytes: 1 })).plaintext.length).toBe(1)
    const big = (await kms.generateRandom({ numberOfBytes: 1024 })).plaintext
    expect(big.length).toBe(1024)
    expect(new Set(big).size).toBeGreaterThan(200) // 1024 uniform bytes hit ~251 of 256 values
    const a = (await kms.generateRandom({ numberOfBytes: 32 })).plaintext
    const b = (await kms.generateRandom({ numberOfBytes: 32 })).plaintext
    expect(hex(a)).not.toBe(hex(b))
    for (const numberOfBytes of [0, 1025, 1.5, -1]) await rejectsWith(kms.generateRandom({ numberOfBytes }), 'InvalidParameter')
    await rejectsWith(kms.generateRandom({} as never), 'InvalidParameter')
  })

  it('a seeded engine reproduces its random bytes', async () => {
    const draw = async () => {
      const kms = await open({ seed: 'random bytes' })
      return [hex((await kms.generateRandom({ numberOfBytes: 16 })).plaintext), hex((await kms.generateRandom({ numberOfBytes: 100 })).plaintext)]
    }
    expect(await draw()).toEqual(await draw())
  })
})

const LOWER = 'abcdefghijklmnopqrstuvwxyz'
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const DIGITS = '0123456789'
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'
const has = (password: string, chars: string): boolean => [...password].some((c) => chars.includes(c))

describe('getRandomPassword', () => {
  it('is 32 characters by default, of the four classes, and every printable ASCII character but space can occur', async () => {
    const kms = await open({ seed: 'passwords' })
    const seen = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const { randomPassword: password } = await kms.getRandomPassword()
      expect(password.length).toBe(32)
      for (const c of password) seen.add(c)
    }
    expect([...seen].sort().join('')).toBe([...LOWER + UPPER + DIGITS + PUNCTUATION].sort().join(''))
  })

  it('passwordLength 8–128; outside is InvalidParameter', async () => {
    const kms = await open()
    expect((await kms.getRandomPassword({ passwordLength: 8 })).randomPassword.length).toBe(8)
    expect((await kms.getRandomPassword({ passwordLength: 128 })).randomPassword.length).toBe(128)
    for (const passwordLength of [7, 129, 0, 12.5]) await rejectsWith(kms.getRandomPassword({ passwordLength }), 'InvalidParameter')
  })

  it('excludeCharacters is honoured over many draws; each included class is present when required (the default)', async () => {
    const kms = await open({ seed: 'exclusions' })
    const exclude = 'lI1O0o|`\'"'
    for (let i = 0; i < 300; i++) {
      const { randomPassword: password } = await kms.getRandomPassword({ passwordLength: 8, excludeCharacters: exclude })
      expect([...password].filter((c) => exclude.includes(c))).toEqual([])
      // 8 characters from 4 classes: without the requirement about 4 in 10 would miss one.
      for (const chars of [LOWER, UPPER, DIGITS, PUNCTUATION]) expect(has(password, chars), password).toBe(true)
    }
  })

  it('without requireEachIncludedType a class may be missing; the exclude flags remove whole classes', async () => {
    const kms = await open({ seed: 'classes' })
    let missing = 0
    for (let i = 0; i < 100; i++) {
      const { randomPassword: password } = await kms.getRandomPassword({ passwordLength: 8, requireEachIncludedType: false })
      if (![LOWER, UPPER, DIGITS, PUNCTUATION].every((chars) => has(password, chars))) missing++
    }
    expect(missing).toBeGreaterThan(10)
    for (let i = 0; i < 50; i++) {
      const digitsOnly = (await kms.getRandomPassword({ excludeLowercase: true, excludeUppercase: true, excludePunctuation: true })).randomPassword
      expect(digitsOnly).toMatch(/^[0-9]{32}$/)
      const noPunctuation = (await kms.getRandomPassword({ passwordLength: 16, excludePunctuation: true })).randomPassword
      expect(noPunctuation).toMatch(/^[A-Za-z0-9]{16}$/)
      for (const chars of [LOWER, UPPER, DIGITS]) expect(has(noPunctuation, chars)).toBe(true)
    }
  })

  it('nothing left to draw from is InvalidParameter', async () => {
    const kms = await open()
    const all = { excludeLowercase: true, excludeUppercase: true, excludeNumbers: true, excludePunctuation: true }
    await rejectsWith(kms.getRandomPassword(all), 'InvalidParameter')
    // Every character of the one remaining class excluded by name.
    await rejectsWith(kms.getRandomPassword({ ...all, excludeNumbers: false, excludeCharacters: DIGITS }), 'InvalidParameter')
    await rejectsWith(kms.getRandomPassword({ excludeCharacters: 'x'.repeat(257) }), 'InvalidParameter')
  })

  it('a length shorter than the number of required classes is InvalidParameter (randomPassword itself: the API minimum of 8 exceeds the 4 classes)', () => {
    const random = seededRandom('short')
    const options = { exclude: '', lowercase: true, uppercase: true, numbers: true, punctuation: true, requireEachIncludedType: true }
    expect(() => randomPassword(random, { ...options, length: 3 })).toThrow(KmsError)
    expect(randomPassword(random, { ...options, length: 4 })).toHaveLength(4)
    expect(randomPassword(random, { ...options, length: 3, requireEachIncludedType: false })).toHaveLength(3)
  })

  it('seeded engines reproduce passwords', async () => {
    const draw = async () => {
      const kms = await open({ seed: 'reproducible passwords' })
      return [(await kms.getRandomPassword()).randomPassword, (await kms.getRandomPassword({ passwordLength: 12, excludePunctuation: true })).randomPassword]
    }
    const first = await draw()
    expect(await draw()).toEqual(first)
    expect(first[0]).not.toBe(first[1])
  })
})

// ---------------------------------------------------------------- audit

async function scanAll(storage: StorageAdapter): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: '', limit: 1000, ...(after === undefined ? {} : { after }) })
    out.push(...page.records)
    if (page.cursor === undefined || page.records.length === 0) return out
    after = page.cursor
  }
}

describe('the audit trail of the new operations', () => {
  it('one record each, naming key and version; key use moves lastUsedDate; no signature, MAC, plaintext, material or random output anywhere', async () => {
    const clock = new ManualClock(START)
    const storage = memoryStorage()
    const kms = await open({ storage, clock })
    const events: AuditRecord[] = []
    kms.events.on('audit', (r) => events.push(r))
    const ec = (await kms.createKey({ keySpec: 'EC_P256' })).keyMetadata
    const rsa = (await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' })).keyMetadata
    const hmac = (await kms.createKey({ keySpec: 'HMAC_SHA_256' })).keyMetadata
    const aes = (await kms.createKey()).keyMetadata
    const external = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata
    const secrets: Uint8Array[] = []
    const message = utf8('audit me: 4111-1111-1111-1111')

    clock.advance(1000)
    const publicKey = await kms.getPublicKey({ keyId: ec.keyId })
    // Reading a public key is not a use of the key.
    expect((await kms.describeKey({ keyId: ec.keyId })).keyMetadata.lastUsedDate).toBeUndefined()
    const signature = await kms.asymmetricSign({ keyId: ec.keyId, algorithm: 'ECDSA_SHA_256', message })
    await kms.asymmetricVerify({ keyId: ec.keyId, algorithm: 'ECDSA_SHA_256', message, value: signature.value })
    const rsaPlaintext = utf8('rsa secret 5500-0000-0000-0004')
    const sealed = await kms.asymmetricEncrypt({ keyId: rsa.keyId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: rsaPlaintext })
    await kms.asymmetricDecrypt({ keyId: rsa.keyId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: sealed.ciphertextBlob })
    const mac = await kms.generateMac({ keyId: hmac.keyId, macAlgorithm: 'HMAC_SHA_256', message })
    await kms.verifyMac({ keyId: hmac.keyId, macAlgorithm: 'HMAC_SHA_256', message, mac: mac.mac })
    const wrap = { publicKeyBlob: HOLDER_DER, wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' } as const
    const dataKey = await kms.generateDataKey({ keyId: aes.keyId })
    const exported = await kms.exportDataKey({ ciphertextBlob: dataKey.ciphertextBlob, ...wrap })
    const both = await kms.generateAndExportDataKey({ keyId: aes.keyId, ...wrap })
    const random = await kms.generateRandom({ numberOfBytes: 64 })
    const password = await kms.getRandomPassword({ passwordLength: 64 })
    const material = randomBytes(32)
    const parameters = await kms.getParametersForImport({ keyId: external.keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
    const encryptedKeyMaterial = publicEncrypt({ key: parameters.publicKey, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, material)
    await kms.importKeyMaterial({ keyId: external.keyId, importToken: parameters.importToken, encryptedKeyMaterial })
    await kms.deleteKeyMaterial({ keyId: external.keyId })
    secrets.push(signature.value, rsaPlaintext, sealed.ciphertextBlob, mac.mac, dataKey.plaintext, exported.exportedDataKey,
      both.exportedDataKey, holderOpens(both.exportedDataKey, 'sha256'), random.plaintext, utf8(password.randomPassword), material,
      encryptedKeyMaterial, message)
    await kms.audit.flush()

    const records = (await kms.audit.query({ from: new Date(START).getTime() + 1000, limit: 1000 })).records
    const summary = records.filter((r) => r.principal === 'root').map((r) => [r.eventName, r.keyId ?? null, r.keyVersionId ?? null, r.result])
    expect(summary).toEqual([
      ['GetPublicKey', ec.keyId, ec.primaryKeyVersion, 'Success'],
      ['DescribeKey', ec.keyId, null, 'Success'],
      ['AsymmetricSign', ec.keyId, ec.primaryKeyVersion, 'Success'],
      ['AsymmetricVerify', ec.keyId, ec.primaryKeyVersion, 'Success'],
      ['AsymmetricEncrypt', rsa.keyId, rsa.primaryKeyVersion, 'Success'],
      ['AsymmetricDecrypt', rsa.keyId, rsa.primaryKeyVersion, 'Success'],
      ['GenerateMac', hmac.keyId, hmac.primaryKeyVersion, 'Success'],
      ['VerifyMac', hmac.keyId, hmac.primaryKeyVersion, 'Success'],
      ['GenerateDataKey', aes.keyId, aes.primaryKeyVersion, 'Success'],
      ['ExportDataKey', aes.keyId, aes.primaryKeyVersion, 'Success'],
      ['GenerateAndExportDataKey', aes.keyId, aes.primaryKeyVersion, 'Success'],
      ['GenerateRandom', null, null, 'Success'],
      ['GetRandomPassword', null, null, 'Success'],
      ['GetParametersForImport', external.keyId, null, 'Success'],
      ['ImportKeyMaterial', external.keyId, expect.any(String), 'Success'],
      ['DeleteKeyMaterial', external.keyId, null, 'Success'],
    ])
    expect(events.length).toBe((await kms.audit.verify() as { records: number }).records)
    expect((await kms.audit.verify()).ok).toBe(true)

    // Key use (sign, verify, decrypt, MAC, export) moves each key's last-used date.
    for (const keyId of [ec.keyId, rsa.keyId, hmac.keyId, aes.keyId]) {
      expect((await kms.describeKey({ keyId })).keyMetadata.lastUsedDate, keyId).toBe('2026-01-01T00:00:01Z')
    }

    const raw = await scanAll(storage)
    const haystacks = [...raw.map((r) => Buffer.from(r.value).toString('latin1')), ...raw.map((r) => r.key), ...events.map((e) => JSON.stringify(e))]
    for (const secret of secrets) {
      const forms = [hex(secret), base64(secret)]
      for (let at = 0; at + 16 <= secret.length; at += 8) forms.push(Buffer.from(secret.subarray(at, at + 16)).toString('latin1'), hex(secret.subarray(at, at + 16)))
      for (const form of forms) for (const hay of haystacks) expect(hay.includes(form)).toBe(false)
    }
    // The public key may be stored (it is public), but never in an audit record.
    for (const event of events) expect(JSON.stringify(event)).not.toContain(base64(publicKey.publicKeyDer).slice(0, 40))
  })

  it('refusals are recorded with their code', async () => {
    const kms = await open()
    const aes = (await kms.createKey()).keyMetadata.keyId
    await rejectsWith(kms.asymmetricSign({ keyId: aes, algorithm: 'ECDSA_SHA_256', message: utf8('x') }), 'InvalidKeyUsage')
    await rejectsWith(kms.generateRandom({ numberOfBytes: 0 }), 'InvalidParameter')
    const records = (await kms.audit.query({ limit: 1000 })).records.slice(-2)
    expect(records.map((r) => [r.eventName, r.keyId ?? null, r.result, r.errorCode])).toEqual([
      ['AsymmetricSign', aes, 'Failure', 'InvalidKeyUsage'],
      ['GenerateRandom', null, 'Failure', 'InvalidParameter'],
    ])
  })
})
