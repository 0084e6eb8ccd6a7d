import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Kms, KmsError, rawRootKey } from '@strongroom/core'
import { defaultLevelStorage } from '@strongroom/storage-level'

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-default-level-'))
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true })
})

const rootKey = () => rawRootKey(new Uint8Array(32).fill(9))

describe('defaultLevelStorage', () => {
  it('on Node is LevelDB in a directory: a keystore survives close and reopen', async () => {
    const location = path.join(base, 'keystore')
    const storage = await defaultLevelStorage(location)
    expect(storage.manifest).toEqual({ name: 'level', durable: true, atomic: true, sharedAcrossProcesses: false })
    let kms = await Kms.open({ storage, rootKey: rootKey() })
    const { keyMetadata } = await kms.createKey()
    const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('kept') })
    await kms.close()
    // LevelDB's files are there: classic-level, not a store in memory.
    expect(fs.existsSync(path.join(location, 'CURRENT'))).toBe(true)

    kms = await Kms.open({ storage: await defaultLevelStorage(location), rootKey: rootKey() })
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('kept')
    await kms.close()
  })

  it('a second open of a directory in use fails with KeystoreInUse (LevelDB holds its lock)', async () => {
    const location = path.join(base, 'locked')
    const first = await defaultLevelStorage(location)
    await first.get('x')
    const second = await defaultLevelStorage(location)
    const error = await second.get('x').catch((e: unknown) => e)
    expect(KmsError.is(error, 'KeystoreInUse')).toBe(true)
    await second.close().catch(() => undefined)
    await first.close()
  })

  it('refuses an empty location', async () => {
    const error = await defaultLevelStorage('').catch((e: unknown) => e)
    expect(KmsError.is(error, 'InvalidParameter')).toBe(true)
  })
})
