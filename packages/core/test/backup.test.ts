/**
 * Backup and restore of a whole keystore: a round trip between real stores (memory and
 * LevelDB, both ways) keeps every key, version, alias, policy and the audit trail, and the
 * restored store verifies; a backup that was modified, truncated or reordered, a wrong root
 * key or passphrase, and a non-empty target are refused before anything is written.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  Kms, backupKeystore, collectBackup, passphraseRootKey, rawRootKey, restoreKeystore,
  type BackupOptions, type StorageAdapter, type StoredRecord,
} from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const ROOT = new Uint8Array(32).fill(7)
const rootKey = () => rawRootKey(ROOT)
const CHEAP_SCRYPT = { N: 2 ** 14 }
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let dir: string
const cleanups: Array<() => Promise<unknown>> = []
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-backup-'))
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined)
  fs.rmSync(dir, { recursive: true, force: true })
})

function levelAt(name: string): StorageAdapter {
  const storage = levelStorage(new ClassicLevel(path.join(dir, name)))
  cleanups.push(() => storage.close())
  return storage
}

/** A memory store that outlives its adapters (engines close theirs). */
function memoryStore(): () => StorageAdapter {
  const db = new MemoryLevel()
  return () => memoryStorage(db, { closeDatabase: false })
}

async function allRecords(storage: StorageAdapter): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: '', limit: 1000, ...(after === undefined ? {} : { after }) })
    out.push(...page.records)
    if (page.cursor === undefined || page.records.length === 0) return out
    after = page.cursor
  }
}

/** A keystore with two keys (one rotated), an alias, a policy, blobs and an audit trail. */
async function populate(storage: StorageAdapter): Promise<{ blobs: Array<{ blob: Uint8Array; plain: string }>; keyIds: string[] }> {
  const kms = await Kms.open({ storage, rootKey: rootKey() })
  const blobs: Array<{ blob: Uint8Array; plain: string }> = []
  const a = (await kms.createKey({ description: 'orders' })).keyMetadata.keyId
  const b = (await kms.createKey({ description: 'invoices' })).keyMetadata.keyId
  blobs.push({ blob: (await kms.encrypt({ keyId: a, plaintext: utf8('before rotation') })).ciphertextBlob, plain: 'before rotation' })
  await kms.createKeyVersion({ keyId: a })
  blobs.push({ blob: (await kms.encrypt({ keyId: a, plaintext: utf8('after rotation') })).ciphertextBlob, plain: 'after rotation' })
  await kms.createAlias({ aliasName: 'alias/orders', keyId: a })
  blobs.push({ blob: (await kms.encrypt({ keyId: 'alias/orders', plaintext: utf8('via alias') })).ciphertextBlob, plain: 'via alias' })
  await kms.createPolicy({ policyName: 'all', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } })
  await kms.disableKey({ keyId: b })
  await kms.close()
  return { blobs, keyIds: [a, b] }
}

async function expectRestored(storage: StorageAdapter, fixture: Awaited<ReturnType<typeof populate>>): Promise<void> {
  const kms = await Kms.open({ storage, rootKey: rootKey() })
  try {
    for (const { blob, plain } of fixture.blobs) expect(text((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe(plain)
    expect((await kms.describeKey({ keyId: 'alias/orders' })).keyMetadata.keyId).toBe(fixture.keyIds[0])
    expect((await kms.describeKey({ keyId: fixture.keyIds[1]! })).keyMetadata.keyState).toBe('Disabled')
    expect((await kms.listKeyVersions({ keyId: fixture.keyIds[0]! })).keyVersions).toHaveLength(2)
    expect((await kms.getPolicy({ policyName: 'all' })).policy.policyName).toBe('all')
    const verification = await kms.verify()
    expect(verification.ok).toBe(true)
    expect(verification.audit?.ok).toBe(true)
    expect((await kms.audit.query({ limit: 1000 })).records.map((r) => r.eventName)).toContain('CreateAlias')
    // The restored keystore keeps working.
    await kms.encrypt({ keyId: 'alias/orders', plaintext: utf8('after restore') })
  } finally {
    await kms.close()
  }
}

describe('round trip', () => {
  it('memory → LevelDB under the root key', async () => {
    const source = memoryStore()
    const fixture = await populate(source())
    const file = await collectBackup(backupKeystore({ storage: source(), rootKey: rootKey() }))
    const before = (await allRecords(source())).map((r) => [r.key, r.value])

    const target = levelAt('target')
    const info = await restoreKeystore({ storage: target, backup: file, rootKey: rootKey() })
    expect(info.records).toBe(before.length - 1)
    // Byte for byte the same records (revisions are the new store's own).
    expect((await allRecords(target)).map((r) => [r.key, r.value])).toEqual(before)
    await target.close()
    await expectRestored(levelAt('target'), fixture)
  })

  it('LevelDB → memory under a backup passphrase, read back from a file stream', async () => {
    const fixture = await populate(levelAt('source'))
    const file = path.join(dir, 'keystore.backup')
    const stream = backupKeystore({ storage: levelAt('source'), rootKey: rootKey(), passphrase: 'backup words', scrypt: CHEAP_SCRYPT })
    await fs.promises.writeFile(file, stream)

    const target = memoryStore()
    // Restore needs only the backup passphrase, not the root key.
    await restoreKeystore({ storage: target(), backup: () => fs.createReadStream(file, { highWaterMark: 333 }), passphrase: 'backup words' })
    await expectRestored(target(), fixture)
  })

  it('a passphrase keystore backs up under its own root key', async () => {
    const source = memoryStore()
    const passphrase = () => passphraseRootKey('keystore words', CHEAP_SCRYPT)
    const kms = await Kms.open({ storage: source(), rootKey: passphrase() })
    const { keyId } = (await kms.createKey()).keyMetadata
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('x') })
    await kms.close()
    const file = await collectBackup(backupKeystore({ storage: source(), rootKey: passphrase() }))
    const target = memoryStore()
    await restoreKeystore({ storage: target(), backup: file, rootKey: passphrase() })
    const back = await Kms.open({ storage: target(), rootKey: passphrase() })
    expect(text((await back.decrypt({ ciphertextBlob })).plaintext)).toBe('x')
    expect((await back.verify()).ok).toBe(true)
    await back.close()
  })
})

describe('refusals', () => {
  let file: Uint8Array
  let chunks: Uint8Array[]
  const source = memoryStore()
  beforeEach(async () => {
    if (file !== undefined) return
    await populate(source())
    chunks = []
    for await (const part of backupKeystore({ storage: source(), rootKey: rootKey(), chunkBytes: 1024 })) chunks.push(part)
    // A plain Uint8Array: a Buffer's slice() is a view, and the tamper test edits copies.
    file = new Uint8Array(Buffer.concat(chunks))
  })

  async function expectRefused(backup: Uint8Array, codes: string[] = ['InvalidCiphertext'], target = memoryStorage()): Promise<void> {
    let error: unknown
    try {
      await restoreKeystore({ storage: target, backup, rootKey: rootKey() })
    } catch (e) {
      error = e
    }
    expect(codes).toContain((error as { code?: string })?.code)
    expect(await allRecords(target)).toEqual([])
  }

  it('the backup has a header and several chunks', () => {
    expect(chunks.length).toBeGreaterThan(4)
  })

  it('a modified byte anywhere', async () => {
    const prefixLength = chunks[0]!.length
    // Every byte of the header and the first chunk, then a byte in every 11 and the last 40.
    const firstChunkEnd = prefixLength + chunks[1]!.length
    const positions = Array.from({ length: file.length }, (_, at) => at)
      .filter((at) => at < firstChunkEnd || at % 11 === 0 || at >= file.length - 40)
    const target = memoryStorage()
    for (const at of positions) {
      const copy = file.slice()
      copy[at]! ^= 0x01
      // A change to the keystore header's root-key kind or parameters may read as a wrong root key.
      await expectRefused(copy, at < prefixLength ? ['InvalidCiphertext', 'RootKeyMismatch'] : ['InvalidCiphertext'], target)
    }
  })

  it('truncated at every chunk boundary, and mid-chunk', async () => {
    let end = 0
    for (const chunk of chunks.slice(0, -1)) {
      end += chunk.length
      await expectRefused(file.subarray(0, end))
      await expectRefused(file.subarray(0, end + 7))
    }
    await expectRefused(file.subarray(0, file.length - 1))
    await expectRefused(Buffer.concat([file, new Uint8Array([0])]))
  })

  it('chunks reordered, dropped, repeated, or from another backup', async () => {
    const [head, ...body] = chunks
    await expectRefused(Buffer.concat([head!, body[1]!, body[0]!, ...body.slice(2)]))
    await expectRefused(Buffer.concat([head!, ...body.slice(1)]))
    await expectRefused(Buffer.concat([head!, body[0]!, ...body]))
    const other: Uint8Array[] = []
    for await (const part of backupKeystore({ storage: source(), rootKey: rootKey(), chunkBytes: 1024 })) other.push(part)
    await expectRefused(Buffer.concat([head!, other[1]!, ...body.slice(1)]))
    await expectRefused(Buffer.concat([other[0]!, ...body]))
  })

  it('a wrong root key or passphrase is RootKeyMismatch', async () => {
    await rejectsWith(restoreKeystore({ storage: memoryStorage(), backup: file, rootKey: rawRootKey(new Uint8Array(32)) }), 'RootKeyMismatch')
    const locked = await collectBackup(backupKeystore({ storage: source(), rootKey: rootKey(), passphrase: 'right', scrypt: CHEAP_SCRYPT }))
    const target = memoryStorage()
    await rejectsWith(restoreKeystore({ storage: target, backup: locked, passphrase: 'wrong' }), 'RootKeyMismatch')
    await rejectsWith(restoreKeystore({ storage: target, backup: locked, rootKey: rootKey() }), 'InvalidParameter')
    expect(await allRecords(target)).toEqual([])
    // Backing up needs the keystore's own root key too.
    await rejectsWith(collectBackup(backupKeystore({ storage: source(), rootKey: rawRootKey(new Uint8Array(32)) })), 'RootKeyMismatch')
  })

  it('a non-empty target is AlreadyExists and keeps its records', async () => {
    const target = memoryStorage()
    await target.commit([{ type: 'put', key: 'unrelated', value: utf8('x'), expectedRevision: null }])
    await rejectsWith(restoreKeystore({ storage: target, backup: file, rootKey: rootKey() }), 'AlreadyExists')
    expect((await allRecords(target)).map((r) => r.key)).toEqual(['unrelated'])
    const restored = memoryStorage()
    await restoreKeystore({ storage: restored, backup: file, rootKey: rootKey() })
    await rejectsWith(restoreKeystore({ storage: restored, backup: file, rootKey: rootKey() }), 'AlreadyExists')
  })

  it('bad options', async () => {
    await rejectsWith(collectBackup(backupKeystore({ storage: source(), rootKey: rootKey(), chunkBytes: 10 })), 'InvalidParameter')
    await rejectsWith(collectBackup(backupKeystore({ storage: memoryStorage(), rootKey: rootKey() })), 'InvalidParameter')
    await expect(restoreKeystore({ storage: memoryStorage(), backup: 'file' as unknown as Uint8Array, rootKey: rootKey() })).rejects.toThrow(TypeError)
  })
})

async function expectRefusedAnywhere(backup: Uint8Array): Promise<void> {
  const target = memoryStorage()
  await rejectsWith(restoreKeystore({ storage: target, backup, rootKey: rootKey() }), 'InvalidCiphertext')
  expect(await allRecords(target)).toEqual([])
}

describe('interrupted restore and bounded memory', () => {
  it('a restore cut short leaves a store Kms.open refuses; restoring the same backup again completes it', async () => {
    const source = memoryStore()
    const fixture = await populate(source())
    const file = await collectBackup(backupKeystore({ storage: source(), rootKey: rootKey(), chunkBytes: 1024 }))
    const target = memoryStore()
    // The second (writing) pass dies halfway: the source fails after a few pieces.
    let opened = 0
    const failing = (): AsyncIterable<Uint8Array> => (async function* () {
      opened++
      for (let at = 0; at < file.length; at += 512) {
        if (opened === 2 && at > file.length / 2) throw new Error('disk gone')
        yield file.subarray(at, at + 512)
      }
    })()
    await expect(restoreKeystore({ storage: target(), backup: failing, rootKey: rootKey() })).rejects.toThrow('disk gone')
    expect((await allRecords(target())).length).toBeGreaterThan(1)
    await rejectsWith(Kms.open({ storage: target(), rootKey: rootKey() }), 'CorruptRecord')
    // Another backup is not mixed into it.
    const other = await collectBackup(backupKeystore({ storage: source(), rootKey: rootKey() }))
    await rejectsWith(restoreKeystore({ storage: target(), backup: other, rootKey: rootKey() }), 'AlreadyExists')
    await restoreKeystore({ storage: target(), backup: file, rootKey: rootKey() })
    await expectRestored(target(), fixture)
  })

  it('a store written to during the backup ends the stream with Conflict, before its final chunk', async () => {
    const source = memoryStore()
    await populate(source())
    const chunks: Uint8Array[] = []
    const stream = backupKeystore({ storage: source(), rootKey: rootKey(), chunkBytes: 1024 })
    const read = (async () => {
      for await (const part of stream) {
        chunks.push(part)
        if (chunks.length === 2) {
          const kms = await Kms.open({ storage: source(), rootKey: rootKey() })
          await kms.createKey()
          await kms.close()
        }
      }
    })()
    await rejectsWith(read, 'Conflict')
    await expectRefusedAnywhere(Buffer.concat(chunks))
  })

  it('20k records stream out as many chunks and back', async () => {
    const source = memoryStore()
    await Kms.open({ storage: source(), rootKey: rootKey() }).then((kms) => kms.close())
    const value = new Uint8Array(40).fill(1)
    for (let batch = 0; batch < 20; batch++) {
      await source().commit(Array.from({ length: 1000 }, (_, i) => ({
        type: 'put' as const, key: `audit/seg/${String(batch * 1000 + i).padStart(8, '0')}`, value, expectedRevision: null,
      })))
    }
    const options: BackupOptions = { storage: source(), rootKey: rootKey() }
    let count = 0
    let largest = 0
    const parts: Uint8Array[] = []
    for await (const part of backupKeystore(options)) {
      count++
      largest = Math.max(largest, part.length)
      parts.push(part)
    }
    expect(count).toBeGreaterThan(15)
    expect(largest).toBeLessThan(70_000)
    const target = memoryStorage()
    const info = await restoreKeystore({ storage: target, backup: Buffer.concat(parts), rootKey: rootKey() })
    // The 20,000 written, plus the index marker and the store digest written when the keystore was made.
    expect(info.records).toBe(20_002)
    expect((await allRecords(target)).length).toBe(20_003)
  })
})

describe('kms.backup()', () => {
  it('streams the running engine\'s keystore (pending audit records included) into a backup that restores elsewhere', async () => {
    const rootKey = new Uint8Array(32).fill(21)
    const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(rootKey) })
    const { keyId } = (await kms.createKey({ description: 'backed up' })).keyMetadata
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: new TextEncoder().encode('kept'), encryptionContext: { a: 'b' } })
    const bytes = await collectBackup(await kms.backup())
    await kms.close()
    const target = memoryStorage()
    await restoreKeystore({ storage: target, backup: bytes, rootKey: rawRootKey(rootKey) })
    const restored = await Kms.open({ storage: target, rootKey: rawRootKey(rootKey) })
    expect(new TextDecoder().decode((await restored.decrypt({ ciphertextBlob, encryptionContext: { a: 'b' } })).plaintext)).toBe('kept')
    expect((await restored.audit.query({ action: 'Encrypt' })).records).toHaveLength(1)
    expect((await restored.verify()).ok).toBe(true)
    await restored.close()
  })
})
