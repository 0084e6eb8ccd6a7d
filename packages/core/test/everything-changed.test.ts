/**
 * EVERYTHING_CHANGED: an adapter that may have missed notifications (its channel to the
 * database was lost) tells the engine to drop every cached key, alias and policy.
 */
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import { EVERYTHING_CHANGED, Kms, rawRootKey, type StorageAdapter, type StorageChangeListener } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const ROOT = new Uint8Array(32).fill(5)

/** An adapter whose notifications can be lost, as a database connection can be. */
function lossyChannel(inner: StorageAdapter) {
  const listeners = new Set<StorageChangeListener>()
  let connected = true
  inner.watch!((changes) => {
    if (connected) for (const listener of listeners) listener(changes)
  })
  const storage: StorageAdapter = {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    commit: (mutations) => inner.commit(mutations),
    watch(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close: () => inner.close(),
  }
  return {
    storage,
    disconnect: () => {
      connected = false
    },
    reconnect: () => {
      connected = true
      for (const listener of listeners) listener([EVERYTHING_CHANGED])
    },
  }
}

const open: Kms[] = []
afterEach(async () => {
  for (const kms of open.splice(0)) await kms.close()
})

describe('EVERYTHING_CHANGED', () => {
  it('is the empty key, which no record can have', () => {
    expect(EVERYTHING_CHANGED).toEqual({ key: '', revision: null })
    expect(Object.isFrozen(EVERYTHING_CHANGED)).toBe(true)
  })

  it('drops cached keys, aliases and policies that changed while notifications were lost', async () => {
    const db = new MemoryLevel()
    const a = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT) })
    open.push(a)
    const channel = lossyChannel(memoryStorage(db, { closeDatabase: false }))
    const b = await Kms.open({ storage: channel.storage, rootKey: rawRootKey(ROOT) })
    open.push(b)

    const keyId = (await a.createKey()).keyMetadata.keyId
    const other = (await a.createKey()).keyMetadata.keyId
    await a.createAlias({ aliasName: 'alias/app', keyId })
    await a.createPolicy({ policyName: 'all', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } })
    await a.attachPolicy({ policyName: 'all', principal: 'alice' })
    // b has the key, the alias and alice's policies cached.
    await b.as('alice').encrypt({ keyId: 'alias/app', plaintext: utf8('warm') })

    channel.disconnect()
    await a.disableKey({ keyId })
    await a.updateAlias({ aliasName: 'alias/app', keyId: other })
    await a.detachPolicy({ policyName: 'all', principal: 'alice' })
    // Without notifications b still serves its cache: exactly the staleness the wildcard ends.
    expect((await b.as('alice').encrypt({ keyId, plaintext: utf8('stale') })).keyId).toBe(keyId)

    channel.reconnect()
    await rejectsWith(b.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
    expect((await b.encrypt({ keyId: 'alias/app', plaintext: utf8('x') })).keyId).toBe(other)
    await rejectsWith(b.as('alice').encrypt({ keyId: other, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    for (const kms of open.splice(0)) await kms.close()
    await db.close()
  })
})
