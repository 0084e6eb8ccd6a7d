/**
 * Golden vectors: today's keystore and blobs (golden/keystore-v1.json, made once by
 * golden/generate.ts and committed) must open with every future release.
 *
 * - the engine: load the dumped records into a fresh store, open it with the same raw
 *   root key, decrypt every vector, and see the recorded metadata;
 * - the format, independently of the engine: with node:crypto only, follow the docs in
 *   root-key.ts and blob.ts to unwrap the key material and open every engine blob, and
 *   check the hand-made format vectors against node:crypto and `parseBlob`;
 * - determinism: the seeded recipe run again gives byte-identical records, ids and blobs.
 *
 * If a test here fails after a change, the change broke compatibility with stored data:
 * fix the change (or add an upgrade path and a new vector file), never regenerate v1.
 */
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Kms, KmsError, encodeEncryptionContext, parseBlob, rawRootKey, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { GOLDEN_FILE, GOLDEN_V1_FILE, GOLDEN_V2_FILE, buildGoldenKeystore, goldenRootKeyBytes, type GoldenKeystore } from './golden/generate.js'
import { openSealedRecordBySpec } from './helpers.js'

/** The first release's store: plain records, upgraded in place when opened. */
const golden = JSON.parse(readFileSync(GOLDEN_V1_FILE, 'utf8')) as GoldenKeystore
/** The second release's format: every record sealed, no listing indexes (built when opened), versions without their rotation. */
const goldenV2 = JSON.parse(readFileSync(GOLDEN_V2_FILE, 'utf8')) as GoldenKeystore
/** The current format: every record sealed, with the listing indexes, and a rotation's versions record what made them. */
const goldenV3 = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as GoldenKeystore

const fromB64 = (s: string): Buffer => Buffer.from(s, 'base64')
const fromHex = (s: string): Buffer => Buffer.from(s, 'hex')
const uuidBytes = (uuid: string): Buffer => fromHex(uuid.replaceAll('-', ''))
const uuidText = (bytes: Uint8Array): string => {
  const h = Buffer.from(bytes).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** A fresh memory store holding exactly the golden records. */
async function goldenStore(file: GoldenKeystore = golden): Promise<StorageAdapter> {
  const storage = memoryStorage()
  await storage.commit(file.records.map((r) => ({ type: 'put' as const, key: r.key, value: fromB64(r.valueBase64), expectedRevision: null })))
  return storage
}

async function openGolden(file: GoldenKeystore = golden): Promise<Kms> {
  return Kms.open({ storage: await goldenStore(file), rootKey: rawRootKey(goldenRootKeyBytes()) })
}

function record<T>(key: string): T {
  const found = golden.records.find((r) => r.key === key)
  if (found === undefined) throw new Error(`golden file has no record ${key}`)
  return JSON.parse(fromB64(found.valueBase64).toString('utf8')) as T
}

function gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  const decipher = createDecipheriv(key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce)
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()])
}

/** blob.ts, by hand: parse the header, derive the epoch subkey with HKDF, open with AES-GCM. */
function openBlobBySpec(blob: Buffer, material: Uint8Array, encodedContext: Uint8Array): Buffer {
  expect(blob[0]).toBe(0x01)
  expect(blob[1]).toBe(material.length === 16 ? 0x02 : 0x01)
  const header = blob.subarray(0, 62)
  const keyId = blob.subarray(2, 18)
  const versionId = blob.subarray(18, 34)
  const epoch = blob.subarray(34, 50)
  const nonce = blob.subarray(50, 62)
  const info = Buffer.concat([Buffer.from('strongroom/blob/v1'), keyId, versionId])
  const subkey = Buffer.from(hkdfSync('sha256', material, epoch, info, material.length))
  return gcmOpen(subkey, nonce, blob.subarray(62), Buffer.concat([header, encodedContext]))
}

describe('golden keystore v1', () => {
  it('holds what the generator promises (a guard against an emptied or hand-edited file)', () => {
    expect(golden.formatVersion).toBe(1)
    expect(golden.rootKeyHex).toBe(Buffer.from(goldenRootKeyBytes()).toString('hex'))
    expect(golden.records.map((r) => r.key)).toContain('meta/keystore')
    expect(golden.vectors.length).toBeGreaterThanOrEqual(9)
    expect(new Set(golden.vectors.map((v) => v.keyVersionId)).size).toBe(3)
    expect(golden.formatVectors.length).toBeGreaterThanOrEqual(2)
  })

  it('opens with the same raw root key and decrypts every vector', async () => {
    const kms = await openGolden()
    for (const v of golden.vectors) {
      const back = await kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64'), v.description).toBe(v.plaintextBase64)
      expect(back.keyId, v.description).toBe(v.keyId)
      expect(back.keyVersionId, v.description).toBe(v.keyVersionId)
    }
    await kms.close()
  })

  it('still refuses each vector under a wrong context (the context is still bound)', async () => {
    const kms = await openGolden()
    for (const v of golden.vectors) {
      const wrong = v.encryptionContext ? {} : { tenant: 'acme' }
      await expect(kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), encryptionContext: wrong }), v.description)
        .rejects.toSatisfy((e) => e instanceof KmsError && e.code === 'InvalidCiphertext')
    }
    await kms.close()
  })

  it('shows the recorded metadata: describeKey, listKeyVersions, listAliases, listResourceTags', async () => {
    const kms = await openGolden()
    for (const metadata of golden.metadata.keys) {
      expect((await kms.describeKey({ keyId: metadata.keyId })).keyMetadata).toEqual(metadata)
      expect((await kms.listKeyVersions({ keyId: metadata.keyId, pageSize: 100 })).keyVersions).toEqual(golden.metadata.keyVersions[metadata.keyId])
      expect((await kms.listResourceTags({ keyId: metadata.keyId })).tags).toEqual(golden.metadata.tags[metadata.keyId])
    }
    expect((await kms.listAliases({ pageSize: 100 })).aliases).toEqual(golden.metadata.aliases)
    expect((await kms.listKeys({ pageSize: 100 })).keys.map((k) => k.keyId).sort()).toEqual(golden.metadata.keys.map((k) => k.keyId).sort())
    await kms.close()
  })

  it('keeps working as a store: new blobs under the old keys, a new version, a new key', async () => {
    const kms = await openGolden()
    const plaintext = new TextEncoder().encode('written by a later release')
    const sealed = await kms.encrypt({ keyId: 'alias/golden', plaintext })
    expect((await kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob })).plaintext).toEqual(plaintext)
    const aes256 = golden.metadata.keys[0]!.keyId
    await kms.createKeyVersion({ keyId: aes256 })
    expect((await kms.listKeyVersions({ keyId: aes256 })).totalCount).toBe(golden.metadata.keyVersions[aes256]!.length + 1)
    await kms.createKey()
    for (const v of golden.vectors) {
      const back = await kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64')).toBe(v.plaintextBase64)
    }
    await kms.close()
  })

  it('refuses another root key with RootKeyMismatch', async () => {
    const wrong = goldenRootKeyBytes().reverse()
    await expect(Kms.open({ storage: await goldenStore(), rootKey: rawRootKey(wrong) }))
      .rejects.toSatisfy((e) => e instanceof KmsError && e.code === 'RootKeyMismatch')
  })
})

describe('the stored format, read with node:crypto only (root-key.ts and blob.ts docs)', () => {
  interface Header { rootKeyKind: string; salt: string; check: string }
  interface KeyRecordJson { keyId: string; keySpec: string; versions: { keyVersionId: string; wrappedMaterial: string }[] }

  const secret = goldenRootKeyBytes()
  const header = record<Header>('meta/keystore')
  const salt = fromB64(header.salt)

  it('the keystore header check value is HMAC(HKDF(secret, salt, "strongroom/root/check/v1"), "strongroom/keystore/v1" ‖ salt)', () => {
    expect(header.rootKeyKind).toBe('raw')
    const checkKey = Buffer.from(hkdfSync('sha256', secret, salt, 'strongroom/root/check/v1', 32))
    const check = createHmac('sha256', checkKey).update(Buffer.concat([Buffer.from('strongroom/keystore/v1'), salt])).digest()
    expect(check.toString('base64')).toBe(header.check)
  })

  it('unwraps every version\'s material and opens every engine blob by hand', () => {
    const kek = Buffer.from(hkdfSync('sha256', secret, salt, 'strongroom/root/kek/v1', 32))
    const materials = new Map<string, Buffer>()
    for (const r of golden.records.filter((x) => x.key.startsWith('key/'))) {
      const key = record<KeyRecordJson>(r.key)
      for (const v of key.versions) {
        // 0x01 ‖ nonce(12) ‖ AES-256-GCM(KEK, nonce, material, AAD = "strongroom/material/v1" ‖ keyId ‖ versionId)
        const wrapped = fromB64(v.wrappedMaterial)
        expect(wrapped[0]).toBe(0x01)
        const aad = Buffer.concat([Buffer.from('strongroom/material/v1'), uuidBytes(key.keyId), uuidBytes(v.keyVersionId)])
        const material = gcmOpen(kek, wrapped.subarray(1, 13), wrapped.subarray(13), aad)
        expect(material.length).toBe(key.keySpec === 'Aliyun_AES_128' ? 16 : 32)
        materials.set(v.keyVersionId, material)
      }
    }
    for (const v of golden.vectors) {
      const blob = fromB64(v.blobBase64)
      expect(uuidText(blob.subarray(2, 18))).toBe(v.keyId)
      expect(uuidText(blob.subarray(18, 34))).toBe(v.keyVersionId)
      const plaintext = openBlobBySpec(blob, materials.get(v.keyVersionId)!, encodedContextBySpec(v.encryptionContext))
      expect(plaintext.toString('base64'), v.description).toBe(v.plaintextBase64)
    }
  })

  it('format vectors: node:crypto opens them, parseBlob reads their header, the engine encodes their context identically', () => {
    for (const f of golden.formatVectors) {
      const blob = fromB64(f.blobBase64)
      const material = fromHex(f.materialHex)
      expect(encodedContextBySpec(f.encryptionContext).toString('hex'), f.description).toBe(f.encodedContextHex)
      expect(Buffer.from(encodeEncryptionContext(f.encryptionContext)).toString('hex'), f.description).toBe(f.encodedContextHex)
      expect(openBlobBySpec(blob, material, fromHex(f.encodedContextHex)).toString('base64'), f.description).toBe(f.plaintextBase64)

      const parsed = parseBlob(blob)
      expect(parsed, f.description).toBeDefined()
      expect(parsed!.algorithm).toBe(f.algorithm)
      expect(parsed!.keyId).toBe(f.keyId)
      expect(parsed!.keyVersionId).toBe(f.keyVersionId)
      expect(Buffer.from(parsed!.epoch).toString('hex')).toBe(f.epochHex)
      expect(Buffer.from(parsed!.nonce).toString('hex')).toBe(f.nonceHex)
      expect(Buffer.from(parsed!.header)).toEqual(blob.subarray(0, 62))
      expect(Buffer.from(parsed!.sealed)).toEqual(blob.subarray(62))
      expect(blob.length).toBe(fromB64(f.plaintextBase64).length + 78)
    }
  })
})

/** context.ts, by hand (independent of the engine and of generate.ts): sorted by UTF-8 bytes, u16 lengths. */
function encodedContextBySpec(context: Record<string, string> | undefined): Buffer {
  const entries = Object.entries(context ?? {})
  if (entries.length === 0) return Buffer.alloc(0)
  const parts: Buffer[] = [Buffer.from([entries.length >> 8, entries.length & 0xff])]
  const pairs = entries.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as const).sort(([a], [b]) => Buffer.compare(a, b))
  for (const [k, v] of pairs) parts.push(Buffer.from([k.length >> 8, k.length & 0xff]), k, Buffer.from([v.length >> 8, v.length & 0xff]), v)
  return Buffer.concat(parts)
}

describe('the first release\'s store is upgraded in place', () => {
  it('every record but the header and the audit chain gets sealed, the header becomes schema 2, and nothing is lost', async () => {
    const storage = await goldenStore()
    const kms = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false })
    await kms.close()
    const header = JSON.parse(new TextDecoder().decode((await storage.get('meta/keystore'))!.value)) as { schema: number; records?: string }
    expect(header).toMatchObject({ schema: 2, records: 'sealed-v1' })
    const sealedKeys: string[] = []
    for (const r of golden.records) {
      const now = (await storage.get(r.key))!.value
      if (r.key === 'meta/keystore' || r.key.startsWith('audit/seg/') || r.key === 'audit/head') continue
      expect([r.key, now[0]]).toEqual([r.key, 0x00])
      // Same content, sealed: open it by the documented format.
      expect(Buffer.from(await openSealedRecordBySpec(storage, r.key, goldenRootKeyBytes())).toString('base64')).toBe(r.valueBase64)
      sealedKeys.push(r.key)
    }
    expect(sealedKeys.some((k) => k.startsWith('key/'))).toBe(true)
    expect(sealedKeys).toContain('alias/golden')
    // The upgraded store opens again and still decrypts every vector.
    const again = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()) })
    for (const v of golden.vectors) {
      const back = await again.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64')).toBe(v.plaintextBase64)
    }
    expect((await again.audit.verify()).ok).toBe(true)
    await again.close()
  })

  it('an upgrade interrupted half-way resumes on the next open (some records sealed, header still schema 1)', async () => {
    const storage = await goldenStore()
    // Seal two of the records, as an interrupted upgrade leaves them (header still schema 1).
    const half = golden.records.filter((r) => r.key.startsWith('key/') || r.key.startsWith('alias/')).slice(0, 2)
    expect(half.length).toBe(2)
    // A fully upgraded copy provides the sealed values of those records.
    const upgraded = await goldenStore()
    await Kms.open({ storage: upgraded, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false }).then((k) => k.close())
    for (const r of half) {
      const sealedValue = (await upgraded.get(r.key))!.value
      const current = (await storage.get(r.key))!
      await storage.commit([{ type: 'put', key: r.key, value: sealedValue, expectedRevision: current.revision }])
    }
    const kms = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false })
    for (const v of golden.vectors) {
      const back = await kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64')).toBe(v.plaintextBase64)
    }
    await kms.close()
    expect(JSON.parse(new TextDecoder().decode((await storage.get('meta/keystore'))!.value))).toMatchObject({ schema: 2 })
  })
})

describe.each([['v2', goldenV2], ['v3', goldenV3]] as const)('golden keystore %s (sealed records)', (name, file) => {
  it('opens with the same raw root key, decrypts every vector and shows the recorded metadata', async () => {
    expect(file.formatVersion).toBe(name === 'v2' ? 2 : 3)
    const kms = await openGolden(file)
    for (const metadata of file.metadata.keys) expect((await kms.describeKey({ keyId: metadata.keyId })).keyMetadata).toEqual(metadata)
    for (const v of file.vectors) {
      const back = await kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64'), v.description).toBe(v.plaintextBase64)
    }
    // The rotated key's second version: made by createKeyVersion, which v3 records and v2 did not.
    const rotated = file.metadata.keys.find((k) => k.description === 'golden AES-256, rotated once')!
    const versions = (await kms.listKeyVersions({ keyId: rotated.keyId })).keyVersions
    expect(versions.map((v) => v.rotation)).toEqual(name === 'v2' ? [undefined, undefined] : [undefined, 'manual'])
    await kms.close()
  })

  it('its key records open by the documented sealed format (sealed-storage.ts) and hold no material in the clear', async () => {
    const storage = await goldenStore(file)
    for (const r of file.records.filter((x) => x.key.startsWith('key/'))) {
      const record = JSON.parse(Buffer.from(await openSealedRecordBySpec(storage, r.key, goldenRootKeyBytes())).toString('utf8')) as { keyId: string }
      expect(`key/${record.keyId}`).toBe(r.key)
    }
  })
})

describe('golden keystore v2 gets its listing indexes when opened', () => {
  it('builds them, lists what the store holds, and the store still verifies', async () => {
    const storage = await goldenStore(goldenV2)
    expect(await storage.get('meta/indexes')).toBeUndefined()
    const kms = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false })
    const keys = await kms.listKeys({ pageSize: 100 })
    expect(keys.keys.map((k) => k.keyId)).toEqual(goldenV2.metadata.keys.map((k) => k.keyId).sort())
    expect(keys.totalCount).toBe(goldenV2.metadata.keys.length)
    const aliases = await kms.listAliases({ pageSize: 100 })
    expect(aliases.aliases).toEqual(goldenV2.metadata.aliases)
    expect(aliases.totalCount).toBe(goldenV2.metadata.aliases.length)
    expect((await kms.verify()).records.ok).toBe(true)
    await kms.close()
    expect(await storage.get('meta/indexes')).toBeDefined()
    // Opened again, nothing is rebuilt: the same records, the same revisions.
    const before = await dumpRevisions(storage)
    const again = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false })
    await again.close()
    expect(await dumpRevisions(storage)).toEqual(before)
  })

  it('the indexes built are the entries the current release writes: one per key and alias, and the counters', async () => {
    const storage = await goldenStore(goldenV2)
    const kms = await Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()), closeStorage: false })
    await kms.close()
    const v2 = goldenV2.records.map((r) => r.key)
    const expected = [
      ...v2.filter((k) => k.startsWith('alias/')).map((k) => `idx/alias/local/${k}`),
      ...v2.filter((k) => k.startsWith('key/')).map((k) => `idx/key/local/${k.slice(4)}`),
      'meta/count/local/aliases', 'meta/count/local/keys',
    ]
    const built = (await dumpRevisions(storage)).map(([k]) => k).filter((k) => k.startsWith('idx/') || k.startsWith('meta/count/'))
    expect(built).toEqual(expected)
    // The same shape as the current release's own store.
    expect(goldenV3.records.map((r) => r.key).filter((k) => k.startsWith('idx/') || k.startsWith('meta/count/')).map((k) => k.replace(/[0-9a-f-]{36}$/, 'ID')))
      .toEqual(expected.map((k) => k.replace(/[0-9a-f-]{36}$/, 'ID')))
  })
})

async function dumpRevisions(storage: StorageAdapter): Promise<[string, number][]> {
  return (await storage.scan({ prefix: '', limit: 1000 })).records.map((r) => [r.key, r.revision])
}

describe('golden keystore v3 (sealed records and listing indexes)', () => {
  it('opens with the same raw root key, decrypts every vector and lists the recorded metadata', async () => {
    expect(goldenV3.formatVersion).toBe(3)
    const kms = await openGolden(goldenV3)
    for (const v of goldenV3.vectors) {
      const back = await kms.decrypt({ ciphertextBlob: fromB64(v.blobBase64), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
      expect(Buffer.from(back.plaintext).toString('base64'), v.description).toBe(v.plaintextBase64)
    }
    expect((await kms.listAliases({ pageSize: 100 })).aliases).toEqual(goldenV3.metadata.aliases)
    await kms.close()
  })
})

describe('determinism', () => {
  it('the seeded recipe run again gives byte-identical records, ids, blobs and metadata', async () => {
    const again = await buildGoldenKeystore()
    expect(again.records).toEqual(goldenV3.records)
    expect(again.vectors).toEqual(goldenV3.vectors)
    expect(again.metadata).toEqual(goldenV3.metadata)
    expect(again.formatVectors).toEqual(goldenV3.formatVectors)
    expect(again).toEqual(goldenV3)
  })
})
