/**
 * Bring your own key (issue 5), played as a user who has only `node:crypto`: create an
 * EXTERNAL key, fetch the wrapping public key and import token, make 32 bytes of material,
 * wrap them with `crypto.publicEncrypt` (RSAES-OAEP), import, use the key, delete the
 * material, import it again and decrypt what was encrypted before. Every way an import can
 * go wrong is a clear error code and leaves the key exactly as it was. Finally, the
 * "deterministic tests" recipe: a chosen key id plus fixed material is the same key in
 * every engine, so a ciphertext made by one engine decrypts in a completely fresh one.
 *
 * ```ts
 * const { keyId } = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata          // PendingImport
 * const { publicKey, importToken } = await kms.getParametersForImport({
 *   keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
 * const encryptedKeyMaterial = crypto.publicEncrypt(
 *   { key: publicKey, oaepHash: 'sha256', padding: crypto.constants.RSA_PKCS1_OAEP_PADDING }, material)
 * await kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial })           // Enabled
 * ```
 */
import { constants, createHmac, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DAY_MS, Kms, KmsError, ManualClock, rawRootKey, type StorageAdapter,
  type AuditRecord, type KeyStateChangedEvent, type KmsErrorCode,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { MemoryLevel } from 'memory-level'
import { rejectsWith, utf8 } from './helpers.js'

const START = '2026-01-01T00:00:00Z'
const START_UNIX = Date.parse(START) / 1000
const PLAINTEXT = utf8('card 4111-1111-1111-1111')
const CONTEXT = { tenant: 'acme' }

type WrappingAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'
const OAEP_HASH = { RSAES_OAEP_SHA_256: 'sha256', RSAES_OAEP_SHA_1: 'sha1' } as const

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Engine {
  readonly kms: Kms
  readonly clock: ManualClock
  readonly stateChanges: KeyStateChangedEvent[]
  readonly storage: StorageAdapter
}

async function engine(): Promise<Engine> {
  const clock = new ManualClock(START)
  const storage = memoryStorage()
  const kms = await Kms.open({ storage, clock })
  cleanups.push(() => kms.close())
  const stateChanges: KeyStateChangedEvent[] = []
  kms.events.on('keyStateChanged', (e) => stateChanges.push(e))
  return { kms, clock, stateChanges, storage }
}

/** What the user does with node:crypto alone: wrap the material under the wrapping public key (PEM). */
function wrap(publicKeyPem: string, material: Uint8Array, oaepHash: 'sha256' | 'sha1' = 'sha256'): Uint8Array {
  return new Uint8Array(publicEncrypt({ key: publicKeyPem, oaepHash, padding: constants.RSA_PKCS1_OAEP_PADDING }, material))
}

async function parameters(kms: Kms, keyId: string, wrappingAlgorithm: WrappingAlgorithm = 'RSAES_OAEP_SHA_256') {
  return kms.getParametersForImport({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' })
}

/** getParametersForImport, wrap, importKeyMaterial: the whole import as one step. */
async function importMaterial(kms: Kms, keyId: string, material: Uint8Array, keyMaterialExpireUnix?: number): Promise<void> {
  const { importToken, publicKey } = await parameters(kms, keyId)
  await kms.importKeyMaterial({
    keyId, importToken, encryptedKeyMaterial: wrap(publicKey, material), ...(keyMaterialExpireUnix === undefined ? {} : { keyMaterialExpireUnix }),
  })
}

/** Everything a failed step must leave as it was. */
async function snapshot(kms: Kms, keyId: string): Promise<unknown> {
  return {
    key: (await kms.describeKey({ keyId })).keyMetadata,
    versions: (await kms.listKeyVersions({ keyId, pageSize: 100 })).keyVersions,
  }
}

/** The call fails with `code` and the key is exactly as before. */
async function failsUntouched(kms: Kms, keyId: string, call: () => Promise<unknown>, code: KmsErrorCode): Promise<KmsError> {
  const before = await snapshot(kms, keyId)
  const error = await rejectsWith(call(), code)
  expect(await snapshot(kms, keyId)).toEqual(before)
  return error
}

async function state(kms: Kms, keyId: string): Promise<string> {
  return (await kms.describeKey({ keyId })).keyMetadata.keyState
}

describe('the whole BYOK flow with node:crypto only', () => {
  for (const wrappingAlgorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] as const) {
    it(`${wrappingAlgorithm}: import → use → delete material → re-import the same material → old ciphertexts decrypt`, async () => {
      const { kms, stateChanges } = await engine()
      const oaepHash = OAEP_HASH[wrappingAlgorithm]

      // 1. An EXTERNAL key starts without material.
      const { keyMetadata } = await kms.createKey({ origin: 'EXTERNAL', description: 'our own key' })
      const { keyId } = keyMetadata
      expect(keyMetadata).toMatchObject({ origin: 'EXTERNAL', keyState: 'PendingImport', keySpec: 'Aliyun_AES_256', keyUsage: 'ENCRYPT/DECRYPT' })
      expect(keyMetadata.primaryKeyVersion).toBeUndefined()
      expect((await kms.listKeyVersions({ keyId })).keyVersions).toEqual([])
      await rejectsWith(kms.encrypt({ keyId, plaintext: PLAINTEXT }), 'Rejected.InvalidState')

      // 2. The wrapping key and token: RSA_2048, 24 hours by the engine's clock.
      const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' })
      expect(params).toMatchObject({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048', tokenExpireTime: '2026-01-02T00:00:00Z' })
      const wrappingKey = createPublicKey(params.publicKey)
      expect([wrappingKey.asymmetricKeyType, wrappingKey.asymmetricKeyDetails?.modulusLength]).toEqual(['rsa', 2048])
      expect(Buffer.from(wrappingKey.export({ type: 'spki', format: 'der' })).equals(params.publicKeyDer)).toBe(true)

      // 3. The user's material, wrapped with plain node:crypto.
      const material = randomBytes(32)
      const encryptedKeyMaterial = publicEncrypt({ key: params.publicKey, oaepHash, padding: constants.RSA_PKCS1_OAEP_PADDING }, material)
      await kms.importKeyMaterial({ keyId, importToken: params.importToken, encryptedKeyMaterial })
      const imported = (await kms.describeKey({ keyId })).keyMetadata
      expect(imported.keyState).toBe('Enabled')
      expect(imported.primaryKeyVersion).toMatch(/^[0-9a-f-]{36}$/)
      expect(stateChanges.map((e) => [e.from, e.to])).toEqual([['PendingImport', 'Enabled']])

      // 4. The key works.
      const { ciphertextBlob, keyVersionId } = await kms.encrypt({ keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
      expect(keyVersionId).toBe(imported.primaryKeyVersion)
      expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
      const dataKey = await kms.generateDataKey({ keyId })
      expect((await kms.decrypt({ ciphertextBlob: dataKey.ciphertextBlob })).plaintext).toEqual(dataKey.plaintext)

      // 5. Deleting the material: PendingImport, nothing decrypts.
      await kms.deleteKeyMaterial({ keyId })
      const deleted = (await kms.describeKey({ keyId })).keyMetadata
      expect(deleted.keyState).toBe('PendingImport')
      expect(deleted.primaryKeyVersion).toBeUndefined()
      expect((await kms.listKeyVersions({ keyId })).keyVersions).toEqual([])
      await rejectsWith(kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT }), 'Rejected.InvalidState')
      await rejectsWith(kms.encrypt({ keyId, plaintext: PLAINTEXT }), 'Rejected.InvalidState')

      // 6. Different material can never go into this key.
      const other = await kms.getParametersForImport({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' })
      const error = await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
        keyId, importToken: other.importToken, encryptedKeyMaterial: wrap(other.publicKey, randomBytes(32), oaepHash),
      }), 'IncorrectKeyMaterial')
      expect(error.message).not.toMatch(/[0-9a-f]{32}/)

      // 7. The same material again, with a new token: Enabled, same version id, old ciphertexts decrypt.
      const again = await kms.getParametersForImport({ keyId, wrappingAlgorithm, wrappingKeySpec: 'RSA_2048' })
      await kms.importKeyMaterial({ keyId, importToken: again.importToken, encryptedKeyMaterial: wrap(again.publicKey, material, oaepHash) })
      const reimported = (await kms.describeKey({ keyId })).keyMetadata
      expect([reimported.keyState, reimported.primaryKeyVersion]).toEqual(['Enabled', imported.primaryKeyVersion])
      expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
      expect((await kms.decrypt({ ciphertextBlob: dataKey.ciphertextBlob })).plaintext).toEqual(dataKey.plaintext)
      expect(stateChanges.map((e) => [e.from, e.to])).toEqual([['PendingImport', 'Enabled'], ['Enabled', 'PendingImport'], ['PendingImport', 'Enabled']])

      // 8. While Enabled, different material is refused too; the unused token `other` still works for the right material.
      await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
        keyId, importToken: other.importToken, encryptedKeyMaterial: wrap(other.publicKey, randomBytes(32), oaepHash),
      }), 'IncorrectKeyMaterial')
      await kms.importKeyMaterial({ keyId, importToken: other.importToken, encryptedKeyMaterial: wrap(other.publicKey, material, oaepHash) })
      expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: 'Enabled', primaryKeyVersion: imported.primaryKeyVersion })
    })
  }
})

describe('engines sharing one store', () => {
  it('deleteKeyMaterial and a re-import take effect at once in another engine that has the key cached', async () => {
    const db = new MemoryLevel()
    const rootKey = rawRootKey(new Uint8Array(32).fill(5))
    const a = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey })
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey })
    cleanups.push(async () => {
      await a.close()
      await b.close()
      await db.close()
    })
    const keyId = (await a.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    await importMaterial(a, keyId, material)
    const { ciphertextBlob } = await b.encrypt({ keyId, plaintext: PLAINTEXT })
    expect((await b.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
    await a.deleteKeyMaterial({ keyId })
    await rejectsWith(b.decrypt({ ciphertextBlob }), 'Rejected.InvalidState')
    await rejectsWith(b.encrypt({ keyId, plaintext: PLAINTEXT }), 'Rejected.InvalidState')
    // A token fetched from one engine is redeemed in the other.
    const { importToken, publicKey } = await a.getParametersForImport({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
    await b.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial: wrap(publicKey, material) })
    expect((await a.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
  })
})

describe('import errors: each a clear code, the key untouched', () => {
  it('a reused token, a token of another key, an unknown token → InvalidImportToken', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const otherKey = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    const used = await parameters(kms, keyId)
    await kms.importKeyMaterial({ keyId, importToken: used.importToken, encryptedKeyMaterial: wrap(used.publicKey, material) })
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
      keyId, importToken: used.importToken, encryptedKeyMaterial: wrap(used.publicKey, material) }), 'InvalidImportToken')

    const theirs = await parameters(kms, otherKey)
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
      keyId, importToken: theirs.importToken, encryptedKeyMaterial: wrap(theirs.publicKey, material) }), 'InvalidImportToken')
    // ...and it still belongs to, and works for, the other key.
    expect(await state(kms, otherKey)).toBe('PendingImport')
    await kms.importKeyMaterial({ keyId: otherKey, importToken: theirs.importToken, encryptedKeyMaterial: wrap(theirs.publicKey, randomBytes(32)) })
    expect(await state(kms, otherKey)).toBe('Enabled')

    for (const importToken of ['00000000-0000-4000-8000-000000000000', 'not-a-token', used.importToken.toUpperCase()]) {
      await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial: wrap(used.publicKey, material) }),
        'InvalidImportToken')
    }
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken: '', encryptedKeyMaterial: wrap(used.publicKey, material) }),
      'InvalidParameter')
  })

  it('a token expires 24 hours after getParametersForImport, by the engine clock → ExpiredImportToken', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    const early = await parameters(kms, keyId)
    const late = await parameters(kms, keyId)
    clock.advance(DAY_MS)
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
      keyId, importToken: early.importToken, encryptedKeyMaterial: wrap(early.publicKey, material) }), 'ExpiredImportToken')
    // A token fetched later is good until its own 24 hours are up.
    const fresh = await parameters(kms, keyId)
    expect(fresh.tokenExpireTime).toBe('2026-01-03T00:00:00Z')
    clock.advance(DAY_MS - 1)
    await kms.importKeyMaterial({ keyId, importToken: fresh.importToken, encryptedKeyMaterial: wrap(fresh.publicKey, material) })
    expect(await state(kms, keyId)).toBe('Enabled')
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({
      keyId, importToken: late.importToken, encryptedKeyMaterial: wrap(late.publicKey, material) }), 'ExpiredImportToken')
  })

  it('wrong wrapping (another RSA key, or the other OAEP hash) → InvalidCiphertext; the token stays usable', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    const sha256Token = await parameters(kms, keyId, 'RSAES_OAEP_SHA_256')
    const sha1Token = await parameters(kms, keyId, 'RSAES_OAEP_SHA_1')
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }) as string
    const wrongs: [string, Uint8Array][] = [
      [sha256Token.importToken, wrap(stranger, material)],
      [sha256Token.importToken, wrap(sha256Token.publicKey, material, 'sha1')],
      [sha1Token.importToken, wrap(sha1Token.publicKey, material, 'sha256')],
      // Wrapped for the other token's key pair.
      [sha256Token.importToken, wrap(sha1Token.publicKey, material)],
      [sha256Token.importToken, randomBytes(256)],
      [sha256Token.importToken, wrap(sha256Token.publicKey, material).subarray(1)],
    ]
    for (const [importToken, encryptedKeyMaterial] of wrongs) {
      await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial }), 'InvalidCiphertext')
    }
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken: sha256Token.importToken, encryptedKeyMaterial: new Uint8Array(0) }),
      'InvalidParameter')
    await kms.importKeyMaterial({ keyId, importToken: sha256Token.importToken, encryptedKeyMaterial: wrap(sha256Token.publicKey, material) })
    expect(await state(kms, keyId)).toBe('Enabled')
  })

  it('material of the wrong length for the spec → InvalidParameter (AES_256 takes 32 bytes, AES_128 16)', async () => {
    const { kms } = await engine()
    const aes256 = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const aes128 = (await kms.createKey({ origin: 'EXTERNAL', keySpec: 'Aliyun_AES_128' })).keyMetadata.keyId
    for (const [keyId, lengths] of [[aes256, [16, 31, 33, 64, 1]], [aes128, [32, 15, 17]]] as const) {
      const { importToken, publicKey } = await parameters(kms, keyId)
      for (const length of lengths) {
        const error = await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial: wrap(publicKey, randomBytes(length)) }),
          'InvalidParameter')
        expect(error.message).toMatch(/takes (32|16) bytes of material/)
      }
    }
    await importMaterial(kms, aes128, randomBytes(16))
    const { ciphertextBlob } = await kms.encrypt({ keyId: aes128, plaintext: PLAINTEXT })
    expect((await kms.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
  })

  it('bad getParametersForImport requests → InvalidParameter; import operations on generated keys → Rejected.UnsupportedOperation', async () => {
    const { kms } = await engine()
    const external = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await rejectsWith(kms.getParametersForImport({ keyId: external, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_4096' as never }), 'InvalidParameter')
    await rejectsWith(kms.getParametersForImport({ keyId: external, wrappingAlgorithm: 'RSAES_PKCS1_V1_5' as never, wrappingKeySpec: 'RSA_2048' }), 'InvalidParameter')

    const generated = (await kms.createKey()).keyMetadata.keyId
    const token = await parameters(kms, external)
    await failsUntouched(kms, generated, () => parameters(kms, generated), 'Rejected.UnsupportedOperation')
    await failsUntouched(kms, generated, () => kms.importKeyMaterial({
      keyId: generated, importToken: token.importToken, encryptedKeyMaterial: wrap(token.publicKey, randomBytes(32)) }), 'Rejected.UnsupportedOperation')
    await failsUntouched(kms, generated, () => kms.deleteKeyMaterial({ keyId: generated }), 'Rejected.UnsupportedOperation')
  })
})

describe('EXTERNAL keys do not rotate', () => {
  it('createKeyVersion, updateRotationPolicy and createKey with rotation → Rejected.UnsupportedOperation; only AES and HMAC specs can be EXTERNAL', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await failsUntouched(kms, keyId, () => kms.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' }), 'Rejected.UnsupportedOperation')
    await importMaterial(kms, keyId, randomBytes(32))
    await failsUntouched(kms, keyId, () => kms.createKeyVersion({ keyId }), 'Rejected.UnsupportedOperation')
    await failsUntouched(kms, keyId, () => kms.updateRotationPolicy({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' }), 'Rejected.UnsupportedOperation')
    await rejectsWith(kms.createKey({ origin: 'EXTERNAL', enableAutomaticRotation: true }), 'Rejected.UnsupportedOperation')
    for (const keySpec of ['EC_P256', 'RSA_2048', 'EC_P384', 'ED25519'] as const) {
      await rejectsWith(kms.createKey({ origin: 'EXTERNAL', keySpec }), 'Rejected.UnsupportedOperation')
    }
    expect((await kms.listKeys()).totalCount).toBe(1)
  })
})

describe('material expiry (keyMaterialExpireUnix)', () => {
  it('after the clock passes it the key returns to PendingImport on access, with a keyStateChanged event; the same material brings it back', async () => {
    const { kms, clock, stateChanges } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    await importMaterial(kms, keyId, material, START_UNIX + 3600)
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: 'Enabled', materialExpireTime: '2026-01-01T01:00:00Z' })
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: PLAINTEXT })
    clock.advance(3600 * 1000 - 1)
    expect((await kms.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)

    clock.advance(1)
    // The cached key must not serve the hot path past its expiry.
    await rejectsWith(kms.decrypt({ ciphertextBlob }), 'Rejected.InvalidState')
    const expired = (await kms.describeKey({ keyId })).keyMetadata
    expect(expired.keyState).toBe('PendingImport')
    expect(expired.materialExpireTime).toBeUndefined()
    expect(expired.primaryKeyVersion).toBeUndefined()
    expect(stateChanges.map((e) => [e.keyId, e.from, e.to, e.time])).toEqual([
      [keyId, 'PendingImport', 'Enabled', Date.parse(START)],
      [keyId, 'Enabled', 'PendingImport', Date.parse(START) + 3600_000],
    ])
    // The engine did it itself: audited as `system`.
    const records: AuditRecord[] = (await kms.audit.query({ keyId, principal: 'system' })).records as AuditRecord[]
    expect(records.map((r) => [r.eventName, r.result])).toEqual([['DeleteKeyMaterial', 'Success']])

    // Re-import (never expiring this time): the old ciphertext decrypts again.
    await importMaterial(kms, keyId, material)
    expect((await kms.describeKey({ keyId })).keyMetadata.materialExpireTime).toBeUndefined()
    expect((await kms.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
    clock.advance(365 * DAY_MS)
    expect((await kms.decrypt({ ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
  })

  it('maintenance() expires material of keys nobody touches (Enabled or Disabled) and emits the event', async () => {
    const { kms, clock, stateChanges } = await engine()
    const enabled = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const disabled = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const lasting = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await importMaterial(kms, enabled, randomBytes(32), START_UNIX + 60)
    await importMaterial(kms, disabled, randomBytes(32), START_UNIX + 60)
    await importMaterial(kms, lasting, randomBytes(32), START_UNIX + 3600)
    await kms.disableKey({ keyId: disabled })
    stateChanges.length = 0
    clock.advance(61_000)
    await kms.maintenance()
    expect(stateChanges.map((e) => [e.keyId, e.from, e.to]).sort()).toEqual([
      [enabled, 'Enabled', 'PendingImport'], [disabled, 'Disabled', 'PendingImport'],
    ].sort())
    stateChanges.length = 0
    expect(await state(kms, enabled)).toBe('PendingImport')
    expect(await state(kms, disabled)).toBe('PendingImport')
    expect(await state(kms, lasting)).toBe('Enabled')
    expect(stateChanges).toEqual([])
  })

  it('material that expires while PendingDeletion is erased; cancelKeyDeletion then returns the key to PendingImport', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const material = randomBytes(32)
    await importMaterial(kms, keyId, material, START_UNIX + 60)
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    clock.advance(61_000)
    await kms.maintenance()
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: 'PendingDeletion' })
    expect((await kms.listKeyVersions({ keyId })).keyVersions).toEqual([])
    await kms.cancelKeyDeletion({ keyId })
    expect(await state(kms, keyId)).toBe('PendingImport')
    await importMaterial(kms, keyId, material)
    expect(await state(kms, keyId)).toBe('Enabled')
  })

  it('an expiry in the past is InvalidParameter; 0 means never', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    const { importToken, publicKey } = await parameters(kms, keyId)
    const encryptedKeyMaterial = wrap(publicKey, randomBytes(32))
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial, keyMaterialExpireUnix: START_UNIX }),
      'InvalidParameter')
    await failsUntouched(kms, keyId, () => kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial, keyMaterialExpireUnix: -5 }),
      'InvalidParameter')
    await kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial, keyMaterialExpireUnix: 0 })
    expect((await kms.describeKey({ keyId })).keyMetadata).toMatchObject({ keyState: 'Enabled' })
    expect((await kms.describeKey({ keyId })).keyMetadata.materialExpireTime).toBeUndefined()
  })
})

describe('deterministic tests: a chosen key id with fixed material', () => {
  const FIXED_ID = '6f1c2a3e-8b4d-4c5e-9f60-7a8b9c0d1e2f'
  const MATERIAL = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)

  /** A completely fresh engine (new memory store, new ephemeral root key) holding FIXED_ID with MATERIAL. */
  async function fixedKeyEngine(): Promise<Kms> {
    const { kms } = await engine()
    const { keyMetadata } = await kms.createKey({ origin: 'EXTERNAL', keyId: FIXED_ID, description: 'fixture' })
    expect(keyMetadata.keyId).toBe(FIXED_ID)
    await importMaterial(kms, FIXED_ID, MATERIAL)
    return kms
  }

  it('gives the same key id, version id and material in every engine: a ciphertext from one decrypts in a fresh one', async () => {
    const first = await fixedKeyEngine()
    const { ciphertextBlob, keyId, keyVersionId } = await first.encrypt({ keyId: FIXED_ID, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
    const dataKey = await first.generateDataKey({ keyId: FIXED_ID })
    await first.close()

    const second = await fixedKeyEngine()
    expect((await second.describeKey({ keyId: FIXED_ID })).keyMetadata.primaryKeyVersion).toBe(keyVersionId)
    const opened = await second.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })
    expect([opened.keyId, opened.keyVersionId]).toEqual([keyId, keyVersionId])
    expect(opened.plaintext).toEqual(PLAINTEXT)
    expect((await second.decrypt({ ciphertextBlob: dataKey.ciphertextBlob })).plaintext).toEqual(dataKey.plaintext)
    // And the other way round.
    const back = await second.encrypt({ keyId: FIXED_ID, plaintext: PLAINTEXT })
    const third = await fixedKeyEngine()
    expect((await third.decrypt({ ciphertextBlob: back.ciphertextBlob })).plaintext).toEqual(PLAINTEXT)
  })

  it('other material under the same id is another key: its ciphertexts do not open', async () => {
    const first = await fixedKeyEngine()
    const { ciphertextBlob } = await first.encrypt({ keyId: FIXED_ID, plaintext: PLAINTEXT })
    const { kms: other } = await engine()
    await other.createKey({ origin: 'EXTERNAL', keyId: FIXED_ID })
    await importMaterial(other, FIXED_ID, MATERIAL.map((b) => b ^ 1))
    await rejectsWith(other.decrypt({ ciphertextBlob }), 'InvalidCiphertext')
  })

  it('an existing keyId → AlreadyExists (the key untouched); a non-UUID → InvalidParameter; upper case is normalised', async () => {
    const kms = await fixedKeyEngine()
    await failsUntouched(kms, FIXED_ID, () => kms.createKey({ origin: 'EXTERNAL', keyId: FIXED_ID }), 'AlreadyExists')
    await failsUntouched(kms, FIXED_ID, () => kms.createKey({ keyId: FIXED_ID.toUpperCase() }), 'AlreadyExists')
    for (const keyId of ['abc', '', 'zzzzzzzz-zzzz-4zzz-8zzz-zzzzzzzzzzzz', `${FIXED_ID}0`, 'alias/fixed', `{${FIXED_ID.slice(1)}`]) {
      await rejectsWith(kms.createKey({ origin: 'EXTERNAL', keyId }), 'InvalidParameter')
    }
    expect((await kms.listKeys()).keys.map((k) => k.keyId)).toEqual([FIXED_ID])
    const upper = 'A0B1C2D3-E4F5-4A6B-8C7D-9E0F1A2B3C4D'
    expect((await kms.createKey({ keyId: upper })).keyMetadata.keyId).toBe(upper.toLowerCase())
    // A chosen id works for generated keys too (their material is random, unless the engine is seeded).
    expect((await kms.describeKey({ keyId: upper.toLowerCase() })).keyMetadata.origin).toBe('Aliyun_KMS')
  })
})

describe('import token housekeeping', () => {
  it('maintenance() deletes tokens that expired or whose key is gone, and keeps live ones', async () => {
    const { kms, clock, storage } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await parameters(kms, keyId)
    clock.advance(DAY_MS / 2)
    const live = await parameters(kms, keyId)
    const tokens = async () => (await storage.scan({ prefix: 'import-token/' })).records.map((r) => r.key)
    expect(await tokens()).toHaveLength(2)
    clock.advance(DAY_MS / 2 + 1) // the first token has expired, the second has not
    await kms.maintenance()
    expect(await tokens()).toEqual([`import-token/${live.importToken}`])
    // The live one still imports.
    await kms.importKeyMaterial({ keyId, importToken: live.importToken, encryptedKeyMaterial: wrap(live.publicKey, randomBytes(32)) })
    expect(await tokens()).toEqual([])
  })
})

describe('HMAC keys with imported material', () => {
  it('take material from the digest length to the block size (AWS\'s rule); MACs are plain HMACs of it; other material is refused', async () => {
    const { kms } = await engine()
    for (const [keySpec, hash, min, max] of [['HMAC_SHA_256', 'sha256', 32, 64], ['HMAC_SHA_512', 'sha512', 64, 128]] as const) {
      const { keyId, keyState } = (await kms.createKey({ keySpec, origin: 'EXTERNAL' })).keyMetadata
      expect(keyState).toBe('PendingImport')
      for (const wrong of [min - 1, max + 1]) {
        await rejectsWith(importMaterial(kms, keyId, randomBytes(wrong)), 'InvalidParameter')
      }
      const material = randomBytes(min + 1)
      await importMaterial(kms, keyId, material)
      const { mac } = await kms.generateMac({ keyId, macAlgorithm: keySpec, message: PLAINTEXT })
      expect(Buffer.from(mac).equals(createHmac(hash, material).update(PLAINTEXT).digest())).toBe(true)
      await rejectsWith(importMaterial(kms, keyId, randomBytes(min + 1)), 'IncorrectKeyMaterial')
    }
  })
})
