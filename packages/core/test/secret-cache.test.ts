/**
 * secretCache (issue 17): values served from memory up to their max age, refreshed at once
 * when the engine announces a change to the secret (a rotation, a new value), by the
 * injected clock, with reads counted in the audit trail.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Kms, ManualClock, secretCache } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(): Promise<{ kms: Kms; clock: ManualClock; reads: () => Promise<number> }> {
  const clock = new ManualClock('2026-01-01T00:00:00Z')
  let n = 0
  const kms = await Kms.open({ storage: memoryStorage(), clock, secretRotation: () => `rotated-${++n}` })
  cleanups.push(() => kms.close())
  const reads = async () => (await kms.audit.query({ action: 'GetSecretValue' })).records.length
  return { kms, clock, reads }
}

describe('secretCache', () => {
  it('serves a value from memory until it is maxAgeMs old', async () => {
    const { kms, clock, reads } = await open()
    await kms.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'one' })
    const cache = secretCache(kms, { maxAgeMs: 1000, clock })
    expect((await cache.get('db')).secretData).toBe('one')
    clock.advance(999)
    expect((await cache.get('db')).secretData).toBe('one')
    expect(await reads()).toBe(1)
    clock.advance(1)
    expect((await cache.get('db')).secretData).toBe('one')
    expect(await reads()).toBe(2)
    cache.close()
  })

  it('refreshes at once when a rotation or a new value is announced', async () => {
    const { kms, clock } = await open()
    await kms.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'one' })
    const cache = secretCache(kms, { maxAgeMs: 3_600_000, clock })
    expect((await cache.get('db')).secretData).toBe('one')
    await kms.rotateSecret({ secretName: 'db' })
    expect((await cache.get('db')).secretData).toBe('rotated-1')
    expect((await cache.get('db', { versionStage: 'ACSPrevious' })).secretData).toBe('one')
    await kms.putSecretValue({ secretName: 'db', versionId: 'v3', secretData: 'three' })
    expect((await cache.get('db')).secretData).toBe('three')
    cache.close()
    await expect(cache.get('db')).rejects.toThrow(TypeError)
  })

  it('shares one read between concurrent misses, keeps no failure, and copies binary values out', async () => {
    const { kms, clock, reads } = await open()
    await kms.createSecret({ secretName: 'bin', versionId: 'v1', secretData: new Uint8Array([1, 2, 3]) })
    const cache = secretCache(kms, { maxAgeMs: 60_000, clock })
    const [a, b] = await Promise.all([cache.get('bin'), cache.get('bin')])
    expect(await reads()).toBe(1)
    ;(a.secretData as Uint8Array)[0] = 9
    expect(b.secretData).toEqual(new Uint8Array([1, 2, 3]))
    expect((await cache.get('bin')).secretData).toEqual(new Uint8Array([1, 2, 3]))
    await rejectsWith(cache.get('missing'), 'Forbidden.ResourceNotFound')
    await kms.createSecret({ secretName: 'missing', versionId: 'v1', secretData: 'now here' })
    expect((await cache.get('missing')).secretData).toBe('now here')
    expect(() => secretCache(kms, { maxAgeMs: 0 })).toThrow(RangeError)
    cache.close()
  })
})
