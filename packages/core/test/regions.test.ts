/**
 * Regions for real: a key belongs to the region it was created in, and an engine opened for
 * another region on the same store does not see it — not by id, resource name, alias,
 * listing, ciphertext or maintenance.
 */
import { describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock, rawRootKey } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

describe('two regions on one store', () => {
  it('each engine sees only its own region\'s keys', async () => {
    const storage = memoryStorage()
    const rootKey = new Uint8Array(32).fill(4)
    const clock = new ManualClock('2026-01-01T00:00:00Z')
    const open = (region: string) => Kms.open({ storage, rootKey: rawRootKey(rootKey), region, clock, closeStorage: false })
    const hangzhou = await open('cn-hangzhou')
    const { keyId, arn } = (await hangzhou.createKey({ description: 'hz' })).keyMetadata
    await hangzhou.createAlias({ aliasName: 'alias/hz', keyId })
    const blob = (await hangzhou.encrypt({ keyId, plaintext: utf8('x') })).ciphertextBlob
    const doomed = (await hangzhou.createKey()).keyMetadata.keyId
    await hangzhou.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    const shanghai = await open('cn-shanghai')
    const own = (await shanghai.createKey({ description: 'sh' })).keyMetadata.keyId

    await rejectsWith(shanghai.describeKey({ keyId }), 'Forbidden.KeyNotFound')
    await rejectsWith(shanghai.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.KeyNotFound')
    await rejectsWith(shanghai.disableKey({ keyId }), 'Forbidden.KeyNotFound')
    await rejectsWith(shanghai.describeKey({ keyId: 'alias/hz' }), 'Forbidden.KeyNotFound')
    await rejectsWith(shanghai.describeKey({ keyId: arn }), 'Forbidden.KeyNotFound') // another region's resource name
    await rejectsWith(shanghai.decrypt({ ciphertextBlob: blob }), 'InvalidCiphertext')
    await rejectsWith(shanghai.createAlias({ aliasName: 'alias/sh', keyId }), 'Forbidden.KeyNotFound')
    expect((await shanghai.listKeys()).keys.map((k) => k.keyId)).toEqual([own])
    expect((await shanghai.listAliases()).aliases).toEqual([])
    // The engine's region first, then every other region with keys on the store.
    expect((await shanghai.describeRegions()).regions).toEqual([{ regionId: 'cn-shanghai' }, { regionId: 'cn-hangzhou' }])
    expect((await hangzhou.describeRegions()).regions).toEqual([{ regionId: 'cn-hangzhou' }, { regionId: 'cn-shanghai' }])

    // Maintenance in one region leaves the other's due keys to it.
    clock.advance(8 * DAY_MS)
    expect((await shanghai.maintenance()).purged).toEqual([])
    expect((await hangzhou.listKeys()).keys.map((k) => k.keyId)).toEqual([keyId])
    expect((await hangzhou.decrypt({ ciphertextBlob: blob })).keyId).toBe(keyId)
    await hangzhou.close()
    await shanghai.close()
  })
})
