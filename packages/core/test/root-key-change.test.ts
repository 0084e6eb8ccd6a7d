/**
 * Changing the root key (`kms.changeRootKey`): on real LevelDB files and on memory-level,
 * every key still decrypts what it encrypted before, the store reopens under the new key
 * and refuses the old one with RootKeyMismatch, the store digest and the audit trail
 * verify, and the change is audited without key bytes. A change interrupted after its
 * marker was committed opens under either key and is finished by that open.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  Kms, KmsError, collectBackup, ephemeralRootKey, passphraseRootKey, rawRootKey, restoreKeystore,
  type CommitResult, type Mutation, type RootKeyProvider, type StorageAdapter,
} from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const OLD = new Uint8Array(32).fill(1)
const NEW = new Uint8Array(32).fill(2)
const CHEAP_SCRYPT = { N: 2 ** 14 }
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-rootkey-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const level = (): StorageAdapter => levelStorage(new ClassicLevel(path.join(dir, 'store')))

interface Written {
  readonly blobs: Array<{ blob: Uint8Array; plain: string; context?: Record<string, string> }>
  readonly hmacKeyId: string
  readonly mac: Uint8Array
  readonly signKeyId: string
  readonly signature: Uint8Array
  readonly importedKeyId: string
}

/** Keys of every kind the store wraps material for: symmetric (rotated), HMAC, signing, imported; an alias, a policy, an open import token. */
async function populate(kms: Kms): Promise<Written> {
  const blobs: Written['blobs'] = []
  const { keyId } = (await kms.createKey({ description: 'orders' })).keyMetadata
  blobs.push({ blob: (await kms.encrypt({ keyId, plaintext: utf8('before rotation') })).ciphertextBlob, plain: 'before rotation' })
  await kms.createKeyVersion({ keyId })
  const context = { tenant: 'acme' }
  blobs.push({ blob: (await kms.encrypt({ keyId, plaintext: utf8('after rotation'), encryptionContext: context })).ciphertextBlob, plain: 'after rotation', context })
  await kms.createAlias({ aliasName: 'alias/orders', keyId })
  await kms.createPolicy({ policyName: 'reader', policyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: ['*'] }] }) })
  const hmacKeyId = (await kms.createKey({ keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' })).keyMetadata.keyId
  const mac = (await kms.generateMac({ keyId: hmacKeyId, message: utf8('m'), macAlgorithm: 'HMAC_SHA_256' })).mac
  const signKeyId = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
  const signature = (await kms.asymmetricSign({ keyId: signKeyId, message: utf8('s'), algorithm: 'ECDSA_SHA_256' })).value
  const importedKeyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
  await importMaterial(kms, importedKeyId, new Uint8Array(32).fill(5))
  blobs.push({ blob: (await kms.encrypt({ keyId: importedKeyId, plaintext: utf8('imported') })).ciphertextBlob, plain: 'imported' })
  // A token left open: its wrapped private key must move to the new root key too.
  await kms.getParametersForImport({ keyId: importedKeyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
  return { blobs, hmacKeyId, mac, signKeyId, signature, importedKeyId }
}

/** BYOK: imports `material` into an EXTERNAL key through a fresh import token. */
async function importMaterial(kms: Kms, keyId: string, material: Uint8Array): Promise<void> {
  const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
  const encrypted = publicEncrypt({ key: createPublicKey(params.publicKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material)
  await kms.importKeyMaterial({ keyId, importToken: params.importToken, encryptedKeyMaterial: new Uint8Array(encrypted) })
}

/** Everything written before still decrypts, verifies and is there; the store and trail verify. */
async function expectIntact(kms: Kms, written: Written): Promise<void> {
  for (const { blob, plain, context } of written.blobs) {
    expect(text((await kms.decrypt({ ciphertextBlob: blob, ...(context === undefined ? {} : { encryptionContext: context }) })).plaintext)).toBe(plain)
  }
  expect((await kms.verifyMac({ keyId: written.hmacKeyId, message: utf8('m'), macAlgorithm: 'HMAC_SHA_256', mac: written.mac })).macValid).toBe(true)
  expect((await kms.asymmetricVerify({ keyId: written.signKeyId, message: utf8('s'), algorithm: 'ECDSA_SHA_256', value: written.signature })).value).toBe(true)
  expect((await kms.describeKey({ keyId: 'alias/orders' })).keyMetadata.description).toBe('orders')
  expect((await kms.getPolicy({ policyName: 'reader' })).policy.policyName).toBe('reader')
  const report = await kms.verify()
  expect(report).toMatchObject({ ok: true, records: { ok: true }, audit: { ok: true } })
}

describe('kms.changeRootKey on LevelDB', () => {
  it('re-wraps everything: reopens under the new passphrase, refuses the old one, and everything decrypts', async () => {
    let kms = await Kms.open({ storage: level(), rootKey: passphraseRootKey('old passphrase', CHEAP_SCRYPT) })
    const written = await populate(kms)
    expect(await kms.changeRootKey(passphraseRootKey('new passphrase', CHEAP_SCRYPT))).toEqual({ generation: 1 })
    // The engine keeps working on the new key without reopening.
    await expectIntact(kms, written)
    const fresh = (await kms.createKey()).keyMetadata.keyId
    const blob = (await kms.encrypt({ keyId: fresh, plaintext: utf8('new') })).ciphertextBlob
    await kms.close()

    await rejectsWith(Kms.open({ storage: level(), rootKey: passphraseRootKey('old passphrase', CHEAP_SCRYPT) }), 'RootKeyMismatch')
    kms = await Kms.open({ storage: level(), rootKey: passphraseRootKey('new passphrase', CHEAP_SCRYPT) })
    await expectIntact(kms, written)
    expect(text((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe('new')
    await kms.close()
  })

  it('changes kind (passphrase → raw) and changes again (generation 2)', async () => {
    let kms = await Kms.open({ storage: level(), rootKey: passphraseRootKey('first', CHEAP_SCRYPT) })
    const written = await populate(kms)
    await kms.changeRootKey(rawRootKey(OLD))
    expect(await kms.changeRootKey(rawRootKey(NEW))).toEqual({ generation: 2 })
    await kms.close()
    await rejectsWith(Kms.open({ storage: level(), rootKey: rawRootKey(OLD) }), 'RootKeyMismatch')
    await rejectsWith(Kms.open({ storage: level(), rootKey: passphraseRootKey('first', CHEAP_SCRYPT) }), 'RootKeyMismatch')
    kms = await Kms.open({ storage: level(), rootKey: rawRootKey(NEW) })
    await expectIntact(kms, written)
    await kms.close()
  })

  it('is audited as ChangeRootKey by the owner, with no key bytes in the trail', async () => {
    const kms = await Kms.open({ storage: level(), rootKey: rawRootKey(OLD) })
    await kms.createKey()
    await kms.changeRootKey(rawRootKey(NEW))
    const { records } = await kms.audit.query({ action: 'ChangeRootKey' })
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ eventName: 'ChangeRootKey', principal: 'root', result: 'Success' })
    let trail = ''
    for await (const line of kms.audit.export()) trail += line
    for (const secret of [OLD, NEW]) {
      expect(trail).not.toContain(Buffer.from(secret).toString('hex'))
      expect(trail).not.toContain(Buffer.from(secret).toString('base64'))
    }
    expect(await kms.audit.verify()).toMatchObject({ ok: true })
    await kms.close()
  })
})

describe('kms.changeRootKey on memory-level', () => {
  it('changes a memory store\'s root key; the engine keeps working and verifies', async () => {
    const db = new MemoryLevel()
    const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })
    const written = await populate(kms)
    await kms.changeRootKey(rawRootKey(NEW))
    await expectIntact(kms, written)
    await kms.close()
    await rejectsWith(Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) }), 'RootKeyMismatch')
    const again = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(NEW) })
    await expectIntact(again, written)
    await again.close()
  })

  it('takes an ephemeral key on a memory store (the default root key there)', async () => {
    const kms = await Kms.open({ storage: memoryStorage() })
    const written = await populate(kms)
    await kms.changeRootKey(ephemeralRootKey())
    await expectIntact(kms, written)
    await kms.close()
  })
})

/** A real adapter whose commits start failing after `allowed` more of them (a storage outage mid-change). */
function failingAfter(inner: StorageAdapter, state: { allowed: number }): StorageAdapter {
  return {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    commit: (mutations: readonly Mutation[]): Promise<CommitResult> => {
      if (state.allowed-- <= 0) return Promise.reject(new Error('disk unplugged'))
      return inner.commit(mutations)
    },
    close: () => inner.close(),
  }
}

describe('an interrupted change', () => {
  async function interrupted(allowedCommits: number): Promise<{ db: MemoryLevel; written: Written }> {
    const db = new MemoryLevel()
    const state = { allowed: Number.POSITIVE_INFINITY }
    const kms = await Kms.open({ storage: failingAfter(memoryStorage(db, { closeDatabase: false }), state), rootKey: rawRootKey(OLD), audit: { durability: 'sync' } })
    const written = await populate(kms)
    // Many records, so the re-sealing takes several page commits.
    for (let i = 0; i < 30; i++) await kms.createPolicy({ policyName: `p${i}`, policyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Deny', Action: ['kms:Encrypt'], Resource: ['*'] }] }) })
    state.allowed = allowedCommits
    const error = await kms.changeRootKey(rawRootKey(NEW)).then(() => undefined, (e: unknown) => e)
    expect(KmsError.is(error, 'StorageFailure')).toBe(true)
    await kms.close().catch(() => undefined)
    // Where the interruption left the store: with the pending-change marker once it was committed.
    const header = JSON.parse(text((await memoryStorage(db, { closeDatabase: false }).get('meta/keystore'))!.value)) as { pendingChange?: unknown }
    expect(header.pendingChange !== undefined).toBe(allowedCommits > 0)
    // Which root key each sealed record is under: its format byte (0x01 the first key, 0x02 the next).
    const raw = memoryStorage(db, { closeDatabase: false })
    const tags = new Set((await raw.scan({ prefix: 'key/', limit: 1000 })).records.map((r) => r.value[1]))
    expect([...tags]).toEqual(allowedCommits >= 2 ? [2] : [1])
    return { db, written }
  }

  const sides: Array<[string, () => RootKeyProvider]> = [['the old key', () => rawRootKey(OLD)], ['the new key', () => rawRootKey(NEW)]]
  // 1 commit allowed: the marker, no page re-sealed; 2: the marker and the page, not the swap.
  it.each(sides.flatMap(([name, provider]) => [1, 2].map((allowed) => [allowed, name, provider] as const)))(
    'after %i commits of the change: opens under %s, the open finishes the change, and then only the new key opens it', async (allowed, _, provider) => {
      const { db, written } = await interrupted(allowed)
      const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: provider() })
      await expectIntact(kms, written)
      // The open that finished it records it as the engine's own act (the failed call's record died with the storage).
      const { records } = await kms.audit.query({ action: 'ChangeRootKey' })
      expect(records.map((r) => [r.principal, r.result])).toEqual([['system', 'Success']])
      await kms.close()
      await rejectsWith(Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) }), 'RootKeyMismatch')
      const again = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(NEW) })
      await expectIntact(again, written)
      await again.close()
    })

  it('before the marker: nothing changed, the old key opens it and the new one does not', async () => {
    const { db, written } = await interrupted(0)
    await rejectsWith(Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(NEW) }), 'RootKeyMismatch')
    const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })
    await expectIntact(kms, written)
    await kms.close()
  })

  it('a third key opens neither side: RootKeyMismatch', async () => {
    const { db } = await interrupted(2)
    await rejectsWith(Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(new Uint8Array(32).fill(3)) }), 'RootKeyMismatch')
  })
})

describe('imported material across a change', () => {
  it('the fingerprint moves to the new key: the same material imports again after deletion, other material does not', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(OLD) })
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = new Uint8Array(32).fill(8)
    await importMaterial(kms, keyId, material)
    const blob = (await kms.encrypt({ keyId, plaintext: utf8('byok') })).ciphertextBlob
    await kms.changeRootKey(rawRootKey(NEW))
    await kms.deleteKeyMaterial({ keyId })
    await rejectsWith(importMaterial(kms, keyId, new Uint8Array(32).fill(9)), 'IncorrectKeyMaterial')
    await importMaterial(kms, keyId, material)
    expect(text((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe('byok')
    await kms.close()
  })

  it('material deleted before the change can be imported again afterwards (its fingerprint cannot be carried over)', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(OLD) })
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = new Uint8Array(32).fill(8)
    await importMaterial(kms, keyId, material)
    const blob = (await kms.encrypt({ keyId, plaintext: utf8('byok') })).ciphertextBlob
    await kms.deleteKeyMaterial({ keyId })
    await kms.changeRootKey(rawRootKey(NEW))
    await importMaterial(kms, keyId, material)
    expect(text((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe('byok')
    await kms.close()
  })
})

describe('a trail of several chains', () => {
  it('every chain head and last-use record moves to the new key: the trail verifies and last-use dates still read', async () => {
    const db = new MemoryLevel()
    const open = (key: Uint8Array): Promise<Kms> => Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(key), audit: { durability: 'sync' } })
    const first = await open(OLD)
    const { keyId } = (await first.createKey()).keyMetadata
    await first.encrypt({ keyId, plaintext: utf8('one') })
    await first.close()
    const second = await open(OLD)
    await second.encrypt({ keyId, plaintext: utf8('two') })
    const used = (await second.describeKey({ keyId })).keyMetadata.lastUsedDate
    expect(used).toBeDefined()
    expect((await memoryStorage(db, { closeDatabase: false }).scan({ prefix: 'audit/heads/' })).records.length).toBeGreaterThanOrEqual(2)
    await second.changeRootKey(rawRootKey(NEW))
    expect(await second.verify()).toMatchObject({ ok: true })
    await second.close()
    const reopened = await open(NEW)
    expect(await reopened.verify()).toMatchObject({ ok: true })
    expect((await reopened.describeKey({ keyId })).keyMetadata.lastUsedDate).toBe(used)
    await reopened.close()
  })
})

describe('another engine on the same store', () => {
  it('fails closed after the change (RootKeyMismatch), never serving or writing under the old key; reopened with the new key it works', async () => {
    const db = new MemoryLevel()
    const a = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })
    const { keyId } = (await a.createKey()).keyMetadata
    const blob = (await a.encrypt({ keyId, plaintext: utf8('shared') })).ciphertextBlob
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })
    expect(text((await b.decrypt({ ciphertextBlob: blob })).plaintext)).toBe('shared')
    await a.changeRootKey(rawRootKey(NEW))
    await rejectsWith(b.decrypt({ ciphertextBlob: blob }), 'RootKeyMismatch')
    await rejectsWith(b.createKey(), 'RootKeyMismatch')
    await b.close().catch(() => undefined)
    const report = await a.verify()
    expect(report, JSON.stringify(report)).toMatchObject({ ok: true })
    const reopened = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(NEW) })
    expect(text((await reopened.decrypt({ ciphertextBlob: blob })).plaintext)).toBe('shared')
    await reopened.close()
    await a.close()
  })
})

describe('a store that does not verify', () => {
  async function rawPut(db: MemoryLevel, key: string, value: Uint8Array): Promise<void> {
    const raw = memoryStorage(db, { closeDatabase: false })
    const current = await raw.get(key)
    await raw.commit([{ type: 'put', key, value, expectedRevision: current?.revision ?? null }])
  }

  it('a record rolled back to an older copy: the change is refused and nothing changes', async () => {
    const db = new MemoryLevel()
    const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })
    const { keyId } = (await kms.createKey()).keyMetadata
    const enabled = (await memoryStorage(db, { closeDatabase: false }).get(`key/${keyId}`))!.value
    await kms.disableKey({ keyId })
    await rawPut(db, `key/${keyId}`, enabled)
    const error = await rejectsWith(kms.changeRootKey(rawRootKey(NEW)), 'CorruptRecord')
    expect(error.message).toMatch(/does not verify/)
    await kms.close()
    await (await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD) })).close()
  })

  it('an audit head that fails its check: refused until the trail is resealed, then it changes', async () => {
    const db = new MemoryLevel()
    const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(OLD), audit: { durability: 'sync' } })
    await kms.createKey()
    const raw = memoryStorage(db, { closeDatabase: false })
    const [stored] = (await raw.scan({ prefix: 'audit/heads/', limit: 1 })).records
    const head = JSON.parse(text(stored!.value)) as Record<string, unknown>
    await rawPut(db, stored!.key, utf8(JSON.stringify({ ...head, mac: Buffer.alloc(32).toString('base64') })))
    await rejectsWith(kms.changeRootKey(rawRootKey(NEW)), 'CorruptRecord')
    await kms.audit.reseal()
    await kms.changeRootKey(rawRootKey(NEW))
    expect(await kms.verify()).toMatchObject({ ok: true })
    await kms.close()
  })
})

describe('backups across a change', () => {
  it('a backup taken after the change restores under the new key', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(OLD) })
    const written = await populate(kms)
    await kms.changeRootKey(rawRootKey(NEW))
    const bytes = await collectBackup(await kms.backup())
    await kms.close()
    const target = new MemoryLevel()
    await restoreKeystore({ storage: memoryStorage(target, { closeDatabase: false }), backup: bytes, rootKey: rawRootKey(NEW) })
    const restored = await Kms.open({ storage: memoryStorage(target, { closeDatabase: false }), rootKey: rawRootKey(NEW) })
    await expectIntact(restored, written)
    await restored.close()
  })
})

describe('changeRootKey refuses', () => {
  it('what is not a provider, an ephemeral key on durable storage, and a closed engine; clients cannot call it', async () => {
    const kms = await Kms.open({ storage: level(), rootKey: rawRootKey(OLD) })
    await expect(kms.changeRootKey(null as unknown as RootKeyProvider)).rejects.toThrow(TypeError)
    await rejectsWith(kms.changeRootKey(ephemeralRootKey()), 'InvalidParameter')
    expect('changeRootKey' in kms.as('app')).toBe(false)
    await kms.close()
    await rejectsWith(kms.changeRootKey(rawRootKey(NEW)), 'Closed')
    // Nothing changed: the old key still opens the store.
    await (await Kms.open({ storage: level(), rootKey: rawRootKey(OLD) })).close()
  })
})
