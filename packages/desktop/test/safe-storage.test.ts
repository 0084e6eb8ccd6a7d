/**
 * safeStorageRootKey with a real implementation of Electron's safeStorage interface on
 * node:crypto (AES-256-GCM under a per-test key). That key stands in for what Electron
 * gets from the OS (Keychain, DPAPI, Secret Service) per user and machine: a second
 * instance with another key plays "another OS user or machine".
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Kms, KmsError, type KmsErrorCode, type RootKeyProvider } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { safeStorageRootKey, type SafeStorageLike } from '@strongroom/desktop'

/** Electron's safeStorage contract on node:crypto; `available: false` is Linux without a keyring. */
class NodeSafeStorage implements SafeStorageLike {
  readonly #key = randomBytes(32)
  available = true
  encrypted: string[] = []
  isEncryptionAvailable(): boolean {
    return this.available
  }
  encryptString(plainText: string): Buffer {
    if (!this.available) throw new Error('Encryption is not available.')
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()])
    this.encrypted.push(plainText)
    return Buffer.concat([Buffer.from('v10'), iv, body, cipher.getAuthTag()])
  }
  decryptString(encrypted: Buffer): string {
    if (!this.available) throw new Error('Decryption is not available.')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, encrypted.subarray(3, 15))
    decipher.setAuthTag(encrypted.subarray(-16))
    // Electron throws on a ciphertext it cannot decrypt; so does GCM's final().
    return Buffer.concat([decipher.update(encrypted.subarray(15, -16)), decipher.final()]).toString('utf8')
  }
}

let dir: string
let file: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-safe-storage-'))
  file = path.join(dir, 'keystore.rootkey')
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

const openAt = (rootKey: RootKeyProvider): Promise<Kms> => Kms.open({ storage: levelStorage(new ClassicLevel(path.join(dir, 'keystore'))), rootKey })

async function codeOf(promise: Promise<unknown>): Promise<KmsErrorCode | 'success'> {
  try {
    await promise
    return 'success'
  } catch (error) {
    if (KmsError.is(error)) return error.code
    throw error
  }
}

describe('safeStorageRootKey', () => {
  it('creates a random root key, keeps it encrypted in a 0600 file, and reopens the keystore with it', async () => {
    const safeStorage = new NodeSafeStorage()
    const kms = await openAt(safeStorageRootKey(safeStorage, { file }))
    const { keyMetadata } = await kms.createKey({})
    const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('kept') })
    await kms.close()

    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const onDisk = fs.readFileSync(file, 'utf8')
    const [plain] = safeStorage.encrypted
    expect(plain).toMatch(/^strongroom-root-v1:/)
    expect(onDisk).not.toContain(plain!.split(':')[1])
    expect(JSON.parse(onDisk)).toMatchObject({ format: 'strongroom-safe-storage-root-key/v1' })
    expect(fs.readdirSync(dir).sort()).toEqual(['keystore', 'keystore.rootkey'])

    const again = await openAt(safeStorageRootKey(safeStorage, { file }))
    expect(new TextDecoder().decode((await again.decrypt({ ciphertextBlob })).plaintext)).toBe('kept')
    await again.close()
  })

  it('encryption not available is StorageFailure and writes nothing: no file, no keystore header', async () => {
    const safeStorage = new NodeSafeStorage()
    safeStorage.available = false
    const error = await openAt(safeStorageRootKey(safeStorage, { file })).catch((e: unknown) => e)
    expect(KmsError.is(error, 'StorageFailure')).toBe(true)
    expect((error as Error).message).toMatch(/safeStorage encryption is not available/)
    expect(fs.existsSync(file)).toBe(false)
    const db = new ClassicLevel(path.join(dir, 'keystore'))
    expect(await db.keys().all()).toEqual([])
    await db.close()
  })

  it('encryption becoming unavailable later is StorageFailure on open', async () => {
    const safeStorage = new NodeSafeStorage()
    await (await openAt(safeStorageRootKey(safeStorage, { file }))).close()
    safeStorage.available = false
    expect(await codeOf(openAt(safeStorageRootKey(safeStorage, { file })))).toBe('StorageFailure')
  })

  it('a file another OS user\'s (or machine\'s) safeStorage encrypted is RootKeyMismatch', async () => {
    await (await openAt(safeStorageRootKey(new NodeSafeStorage(), { file }))).close()
    const error = await openAt(safeStorageRootKey(new NodeSafeStorage(), { file })).catch((e: unknown) => e)
    expect(KmsError.is(error, 'RootKeyMismatch')).toBe(true)
    expect((error as Error).message).toMatch(/cannot be decrypted by this OS user's safeStorage/)
  })

  it.skipIf(process.getuid?.() !== 0)('a file owned by another OS user is RootKeyMismatch, before it is decrypted (needs root to chown)', async () => {
    const safeStorage = new NodeSafeStorage()
    await (await openAt(safeStorageRootKey(safeStorage, { file }))).close()
    fs.chownSync(file, 65534, 65534)
    const error = await openAt(safeStorageRootKey(safeStorage, { file })).catch((e: unknown) => e)
    expect(KmsError.is(error, 'RootKeyMismatch')).toBe(true)
    expect((error as Error).message).toMatch(/belongs to another OS user \(uid 65534\)/)
  })

  it('a missing file is RootKeyMismatch; a damaged one is CorruptRecord', async () => {
    const safeStorage = new NodeSafeStorage()
    await (await openAt(safeStorageRootKey(safeStorage, { file }))).close()
    const content = fs.readFileSync(file)
    fs.rmSync(file)
    expect(await codeOf(openAt(safeStorageRootKey(safeStorage, { file })))).toBe('RootKeyMismatch')
    fs.writeFileSync(file, content.subarray(0, 20), { mode: 0o600 })
    expect(await codeOf(openAt(safeStorageRootKey(safeStorage, { file })))).toBe('CorruptRecord')
  })

  it('an existing file is reused for a new keystore, never overwritten', async () => {
    const safeStorage = new NodeSafeStorage()
    await (await openAt(safeStorageRootKey(safeStorage, { file }))).close()
    const before = fs.readFileSync(file, 'utf8')
    fs.rmSync(path.join(dir, 'keystore'), { recursive: true })
    await (await openAt(safeStorageRootKey(safeStorage, { file }))).close()
    expect(fs.readFileSync(file, 'utf8')).toBe(before)
  })

  it('refuses an object that is not a safeStorage, and an empty path', () => {
    expect(() => safeStorageRootKey({} as SafeStorageLike, { file })).toThrow(TypeError)
    expect(() => safeStorageRootKey(new NodeSafeStorage(), { file: '' })).toThrow(/non-empty/)
  })
})
