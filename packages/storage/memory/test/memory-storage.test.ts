import { MemoryLevel } from 'memory-level'
import { describe, expect, it } from 'vitest'
import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'
import { memoryStorage } from '@strongroom/storage-memory'

storageConformanceSuite({
  name: 'memory-level',
  factory: async () => memoryStorage(),
  namespaced: async () => {
    const db = new MemoryLevel()
    return { storage: memoryStorage(db.sublevel('kms')), sibling: memoryStorage(db.sublevel('other')) }
  },
  shared: async () => {
    const db = new MemoryLevel()
    return [memoryStorage(db, { closeDatabase: false }), memoryStorage(db)]
  },
})

describe('memoryStorage', () => {
  it('declares an atomic, single-process store that does not survive the process', () => {
    expect(memoryStorage().manifest).toEqual({ name: 'memory-level', durable: false, atomic: true, sharedAcrossProcesses: false })
  })

  it('closes the database it created, and one passed in unless told not to', async () => {
    const given = new MemoryLevel()
    await memoryStorage(given).close()
    expect(given.status).toBe('closed')
    const kept = new MemoryLevel()
    await memoryStorage(kept, { closeDatabase: false }).close()
    expect(kept.status).toBe('open')
    await kept.close()
  })
})
