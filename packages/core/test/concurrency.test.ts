/**
 * Concurrency: many calls in flight on one engine, two engines sharing one store (cache
 * invalidation through `watch`, no lost updates under optimistic concurrency), two engines
 * initialising a fresh store at once, and a storage backend that fails a commit.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DAY_MS, Kms, KmsError, ManualClock, passphraseRootKey, rawRootKey,
  type KmsErrorCode, type Mutation, type RootKeyProvider, type StorageAdapter,
} from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const ROOT = new Uint8Array(32).fill(42)

/** Outcome of a call: its value, or the KmsError code (anything else is re-thrown). */
async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: KmsErrorCode }> {
  try {
    return { ok: true, value: await promise }
  } catch (error) {
    if (KmsError.is(error)) return { ok: false, code: error.code }
    throw error
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('one engine, many calls in flight on one key', () => {
  it('keeps the record consistent and every acknowledged blob decryptable', async () => {
    const kms = await Kms.open({ storage: memoryStorage() })
    cleanups.push(() => kms.close())
    const { keyId, primaryKeyVersion } = (await kms.createKey()).keyMetadata

    // Calls start at staggered moments (a cached encrypt completes without awaiting, so
    // started all at once they would all run before the first change commits).
    const later = async <T>(turns: number, call: () => Promise<T>): Promise<T> => {
      for (let t = 0; t < turns; t++) await new Promise((resolve) => setImmediate(resolve))
      return call()
    }
    const versionCalls = Array.from({ length: 20 }, (_, i) => settle(later(i % 7, () => kms.createKeyVersion({ keyId }))))
    const toggles = Array.from({ length: 10 }, (_, i) => later(i * 2, async () => {
      await kms.disableKey({ keyId })
      await later(1, () => kms.enableKey({ keyId }))
    }))
    const tags = Array.from({ length: 15 }, (_, i) =>
      later(i % 3, () => kms.tagResource({ keyId, tags: [{ tagKey: `t${i}`, tagValue: String(i) }] })))
    const encrypts = Array.from({ length: 200 }, (_, i) =>
      settle(later(i % 25, () => kms.encrypt({ keyId, plaintext: utf8(`message ${i}`), encryptionContext: { i: String(i) } }))))
    const [versions, , , blobs] = await Promise.all([
      Promise.all(versionCalls), Promise.all(toggles), Promise.all(tags), Promise.all(encrypts),
    ])

    // Each toggle pair ends with enableKey, so the last state change was an enable.
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
    await kms.enableKey({ keyId })

    const made = versions.flatMap((v) => (v.ok ? [v.value.keyVersion.keyVersionId] : []))
    expect(versions.filter((v) => !v.ok).map((v) => (v.ok ? '' : v.code)).every((c) => c === 'Rejected.Disabled')).toBe(true)
    const listed = await kms.listKeyVersions({ keyId, pageSize: 100 })
    expect(listed.totalCount).toBe(1 + made.length)
    expect(new Set(made).size).toBe(made.length)
    expect(listed.keyVersions.map((v) => v.keyVersionId)).toEqual(expect.arrayContaining([primaryKeyVersion!, ...made]))
    expect((await kms.describeKey({ keyId })).keyMetadata.primaryKeyVersion).toBe(listed.keyVersions.at(-1)!.keyVersionId)

    const tagKeys = (await kms.listResourceTags({ keyId })).tags.map((t) => t.tagKey).sort()
    expect(tagKeys).toEqual(Array.from({ length: 15 }, (_, i) => `t${i}`).sort())

    const known = new Set(listed.keyVersions.map((v) => v.keyVersionId))
    let succeeded = 0
    for (const [i, outcome] of blobs.entries()) {
      if (!outcome.ok) {
        expect(outcome.code).toBe('Rejected.Disabled')
        continue
      }
      succeeded++
      expect(known.has(outcome.value.keyVersionId)).toBe(true)
      const back = await kms.decrypt({ ciphertextBlob: outcome.value.ciphertextBlob, encryptionContext: { i: String(i) } })
      expect([text(back.plaintext), back.keyVersionId]).toEqual([`message ${i}`, outcome.value.keyVersionId])
    }
    // The run really interleaved: encrypts met the key Enabled and Disabled, and under several versions.
    expect(succeeded).toBeGreaterThan(0)
    expect(succeeded).toBeLessThan(blobs.length)
    expect(made.length).toBeGreaterThan(0)
    expect(new Set(blobs.flatMap((o) => (o.ok ? [o.value.keyVersionId] : []))).size).toBeGreaterThan(1)
  })
})

// ---------------------------------------------------------------- two engines, one store

interface SharedBackend {
  readonly name: string
  /** Two adapters over one database; the caller closes the engines, then `close()`. */
  adapters(): Promise<{ a: StorageAdapter; b: StorageAdapter; close(): Promise<void> }>
}

const backends: SharedBackend[] = [
  {
    name: 'two memory adapters over one MemoryLevel',
    async adapters() {
      const db = new MemoryLevel()
      return {
        a: memoryStorage(db, { closeDatabase: false }),
        b: memoryStorage(db, { closeDatabase: false }),
        close: () => db.close(),
      }
    },
  },
  {
    name: 'two level adapters over one ClassicLevel',
    async adapters() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-'))
      const db = new ClassicLevel(dir)
      return {
        a: levelStorage(db, { closeDatabase: false, sync: false }),
        b: levelStorage(db, { closeDatabase: false, sync: false }),
        async close() {
          await db.close()
          fs.rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  },
]

/** Passes every call through, counting the commits storage refused with Conflict. */
function countingConflicts(inner: StorageAdapter, counter: { conflicts: number }): StorageAdapter {
  return {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    commit: (mutations) => inner.commit(mutations).catch((error: unknown) => {
      if (KmsError.is(error, 'Conflict')) counter.conflicts++
      throw error
    }),
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
}

async function twoEngines(backend: SharedBackend, clock = new ManualClock('2026-01-01T00:00:00Z')) {
  const { a: storageA, b: storageB, close } = await backend.adapters()
  cleanups.push(close)
  const counter = { conflicts: 0 }
  const a = await Kms.open({ storage: countingConflicts(storageA, counter), rootKey: rawRootKey(ROOT), clock })
  cleanups.push(() => a.close())
  const b = await Kms.open({ storage: countingConflicts(storageB, counter), rootKey: rawRootKey(ROOT), clock })
  cleanups.push(() => b.close())
  return { a, b, clock, counter }
}

describe.each(backends)('two engines sharing one store: $name', (backend) => {
  it('a change by B reaches the key A has hot in its cache at once', async () => {
    const { a, b, clock } = await twoEngines(backend)
    const { keyId, primaryKeyVersion: v1 } = (await a.createKey()).keyMetadata
    const hot = await a.encrypt({ keyId, plaintext: utf8('hot') })
    expect(text((await b.decrypt({ ciphertextBlob: hot.ciphertextBlob })).plaintext)).toBe('hot')

    await b.disableKey({ keyId })
    await rejectsWith(a.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
    await rejectsWith(a.decrypt({ ciphertextBlob: hot.ciphertextBlob }), 'Rejected.Disabled')
    await b.enableKey({ keyId })
    expect((await a.encrypt({ keyId, plaintext: utf8('x') })).keyVersionId).toBe(v1)

    const { keyVersionId: v2 } = (await b.createKeyVersion({ keyId })).keyVersion
    const fresh = await a.encrypt({ keyId, plaintext: utf8('new primary') })
    expect(fresh.keyVersionId).toBe(v2)
    expect(text((await b.decrypt({ ciphertextBlob: fresh.ciphertextBlob })).plaintext)).toBe('new primary')
    expect((await a.describeKey({ keyId })).keyMetadata.primaryKeyVersion).toBe(v2)

    // Aliases are cached too: B re-pointing one is seen by A's next call.
    const other = (await b.createKey()).keyMetadata.keyId
    await b.createAlias({ aliasName: 'alias/moving', keyId })
    expect((await a.encrypt({ keyId: 'alias/moving', plaintext: utf8('x') })).keyId).toBe(keyId)
    await b.updateAlias({ aliasName: 'alias/moving', keyId: other })
    expect((await a.encrypt({ keyId: 'alias/moving', plaintext: utf8('x') })).keyId).toBe(other)
    await b.deleteAlias({ aliasName: 'alias/moving' })
    await rejectsWith(a.encrypt({ keyId: 'alias/moving', plaintext: utf8('x') }), 'Forbidden.AliasNotFound')

    await b.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    await rejectsWith(a.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.InvalidState')
    await rejectsWith(a.generateDataKey({ keyId }), 'Rejected.InvalidState')
    expect((await a.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')

    clock.advance(7 * DAY_MS)
    expect((await b.maintenance()).purged).toEqual([keyId])
    await rejectsWith(a.describeKey({ keyId }), 'Forbidden.KeyNotFound')
    await rejectsWith(a.decrypt({ ciphertextBlob: fresh.ciphertextBlob }), 'InvalidCiphertext')
  })

  it('no lost updates: concurrent tags and aliases from both engines all land', async () => {
    const { a, b, counter } = await twoEngines(backend)
    const { keyId } = (await a.createKey()).keyMetadata
    // Warm both caches so both start from the same revision.
    await a.describeKey({ keyId })
    await b.describeKey({ keyId })

    const tag = (kms: Kms, name: string) => settle(kms.tagResource({ keyId, tags: [{ tagKey: name, tagValue: name }] }))
    const alias = (kms: Kms, name: string) => settle(kms.createAlias({ aliasName: `alias/${name}`, keyId }))
    const names = (engine: string) => Array.from({ length: 10 }, (_, i) => `${engine}${i}`)
    const outcomes = await Promise.all([
      ...names('a').map((n) => tag(a, n)), ...names('b').map((n) => tag(b, n)),
      ...names('a').map((n) => alias(a, n)), ...names('b').map((n) => alias(b, n)),
    ])
    const failures = outcomes.flatMap((o) => (o.ok ? [] : [o.code]))
    expect(failures).toEqual([])
    // Both engines started from the same cached revision, so the retry path really ran.
    expect(counter.conflicts).toBeGreaterThan(0)

    const expected = [...names('a'), ...names('b')].sort()
    for (const kms of [a, b]) {
      expect((await kms.listResourceTags({ keyId })).tags.map((t) => t.tagKey).sort()).toEqual(expected)
      const byKey = await kms.listAliasesByKeyId({ keyId, pageSize: 100 })
      expect(byKey.aliases.map((x) => x.aliasName)).toEqual(expected.map((n) => `alias/${n}`))
      const all = await kms.listAliases({ pageSize: 100 })
      expect(all.aliases.map((x) => x.aliasName)).toEqual(expected.map((n) => `alias/${n}`))
      expect(all.aliases.every((x) => x.keyId === keyId)).toBe(true)
    }
    // And each engine can use every alias the other made.
    for (const n of expected) expect((await a.describeKey({ keyId: `alias/${n}` })).keyMetadata.keyId).toBe(keyId)
  })

  it('no Conflict surfaces when two engines write one key many times at once (jittered retries)', async () => {
    // Regression: with 8 fixed retries, 2-4 % of such writes failed with Conflict.
    const { a, b, counter } = await twoEngines(backend)
    const { keyId } = (await a.createKey()).keyMetadata
    const writes = Array.from({ length: 40 }, (_, i) => {
      const kms = i % 2 === 0 ? a : b
      return settle(kms.updateKeyDescription({ keyId, description: `write ${i}` }))
    })
    const failures = (await Promise.all(writes)).flatMap((o) => (o.ok ? [] : [o.code]))
    expect(failures).toEqual([])
    expect(counter.conflicts).toBeGreaterThan(0)
  })

  it('no lost updates between engines racing on the state and the versions of one key', async () => {
    const { a, b, counter } = await twoEngines(backend)
    const { keyId } = (await a.createKey()).keyMetadata
    const outcomes = await Promise.all([
      ...Array.from({ length: 8 }, () => settle(a.createKeyVersion({ keyId }))),
      ...Array.from({ length: 8 }, () => settle(b.createKeyVersion({ keyId }))),
      settle(a.updateKeyDescription({ keyId, description: 'from a' })),
      settle(b.setDeletionProtection({ keyId, enableDeletionProtection: true })),
    ])
    expect(outcomes.flatMap((o) => (o.ok ? [] : [o.code]))).toEqual([])
    expect(counter.conflicts).toBeGreaterThan(0)
    const m = (await b.describeKey({ keyId })).keyMetadata
    expect(m).toMatchObject({ description: 'from a', deletionProtection: 'Enabled' })
    expect((await a.listKeyVersions({ keyId, pageSize: 100 })).totalCount).toBe(17)
    expect((await a.describeKey({ keyId })).keyMetadata).toEqual(m)
  })
})

describe('an adapter without watch', () => {
  it('makes the engine re-validate each use, so other engines\' changes are still seen', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const inner = memoryStorage(db, { closeDatabase: false })
    const blind: StorageAdapter = {
      manifest: inner.manifest,
      get: (key) => inner.get(key),
      scan: (options) => inner.scan(options),
      commit: (mutations) => inner.commit(mutations),
      close: () => inner.close(),
    }
    const a = await Kms.open({ storage: blind, rootKey: rawRootKey(ROOT) })
    cleanups.push(() => a.close())
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT) })
    cleanups.push(() => b.close())
    const { keyId } = (await a.createKey()).keyMetadata
    await a.encrypt({ keyId, plaintext: utf8('warm') })
    await b.disableKey({ keyId })
    await rejectsWith(a.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
    await b.enableKey({ keyId })
    const { keyVersionId } = (await b.createKeyVersion({ keyId })).keyVersion
    expect((await a.encrypt({ keyId, plaintext: utf8('x') })).keyVersionId).toBe(keyVersionId)
    // Its own writes still conflict-check against B's.
    await Promise.all([a.tagResource({ keyId, tags: [{ tagKey: 'a', tagValue: '1' }] }), b.tagResource({ keyId, tags: [{ tagKey: 'b', tagValue: '2' }] })])
    expect((await a.listResourceTags({ keyId })).tags.map((t) => t.tagKey).sort()).toEqual(['a', 'b'])
  })
})

describe('a commit of A that fails while B changes the same key', () => {
  // Regression (fixed in key-store.ts): while A has a commit in flight, KeyStore#onChanges
  // ignores notifications for that commit's keys (it takes them for A's own). When the
  // commit then failed with anything but Conflict (an I/O error), #runTransaction did not
  // evict those keys, so B's change was lost to A's cache for good: A kept encrypting
  // under a key B had disabled. Now every failure evicts the keys the commit touched.
  it('does not leave A trusting a stale cached key', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const inner = memoryStorage(db, { closeDatabase: false })
    let hold: Promise<void> | undefined
    let committing: () => void = () => undefined
    const storageA: StorageAdapter = {
      manifest: inner.manifest,
      get: (key) => inner.get(key),
      scan: (options) => inner.scan(options),
      async commit(mutations) {
        if (hold === undefined) return inner.commit(mutations)
        committing()
        await hold
        throw new Error('I/O error')
      },
      watch: (listener) => inner.watch!(listener),
      close: () => inner.close(),
    }
    const a = await Kms.open({ storage: storageA, rootKey: rawRootKey(ROOT) })
    cleanups.push(() => a.close())
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT) })
    cleanups.push(() => b.close())
    const { keyId } = (await a.createKey()).keyMetadata
    await a.encrypt({ keyId, plaintext: utf8('hot') })

    let release: () => void = () => undefined
    hold = new Promise((resolve) => {
      release = resolve
    })
    const inFlight = new Promise<void>((resolve) => {
      committing = resolve
    })
    const failing = settle(a.updateKeyDescription({ keyId, description: 'from a' }))
    await inFlight
    await b.disableKey({ keyId })
    release()
    expect(await failing).toEqual({ ok: false, code: 'StorageFailure' })
    hold = undefined

    expect((await b.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')
    expect((await a.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')
    await rejectsWith(a.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
  })
})

// ---------------------------------------------------------------- opening a fresh store at once

/** Counts the commits that wrote the keystore header. */
function countingHeaderWrites(inner: StorageAdapter, counter: { puts: number }): StorageAdapter {
  return {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    async commit(mutations: readonly Mutation[]) {
      const result = await inner.commit(mutations)
      if (mutations.some((m) => m.key === 'meta/keystore' && m.type === 'put')) counter.puts++
      return result
    },
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
}

describe('two engines opening a fresh shared store at the same moment', () => {
  const roots: Array<[string, () => RootKeyProvider]> = [
    ['raw root key', () => rawRootKey(ROOT)],
    ['passphrase', () => passphraseRootKey('shared secret', { N: 2 ** 14 })],
  ]
  it.each(roots)('both succeed with one header and read each other\'s blobs (%s)', async (_name, rootKey) => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const counter = { puts: 0 }
    const [a, b] = await Promise.all([
      Kms.open({ storage: countingHeaderWrites(memoryStorage(db, { closeDatabase: false }), counter), rootKey: rootKey() }),
      Kms.open({ storage: countingHeaderWrites(memoryStorage(db, { closeDatabase: false }), counter), rootKey: rootKey() }),
    ])
    cleanups.push(() => a.close(), () => b.close())
    expect(counter.puts).toBe(1)
    const fromA = await a.encrypt({ keyId: (await a.createKey()).keyMetadata.keyId, plaintext: utf8('from a') })
    const fromB = await b.encrypt({ keyId: (await b.createKey()).keyMetadata.keyId, plaintext: utf8('from b') })
    expect(text((await b.decrypt({ ciphertextBlob: fromA.ciphertextBlob })).plaintext)).toBe('from a')
    expect(text((await a.decrypt({ ciphertextBlob: fromB.ciphertextBlob })).plaintext)).toBe('from b')
    // A third engine opening later unlocks the same header.
    const c = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rootKey() })
    cleanups.push(() => c.close())
    expect(text((await c.decrypt({ ciphertextBlob: fromA.ciphertextBlob })).plaintext)).toBe('from a')
  })

  it('an ephemeral root key of another engine does not open the store', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const a = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }) })
    cleanups.push(() => a.close())
    await rejectsWith(Kms.open({ storage: memoryStorage(db, { closeDatabase: false }) }), 'RootKeyMismatch')
  })
})

// ---------------------------------------------------------------- failing storage

/** A memory adapter whose next `failCommits` commits throw (synchronously or as a rejection). */
function flaky(inner: StorageAdapter) {
  const control = { failCommits: 0, failGets: 0, sync: false, commits: 0 }
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    get(key) {
      if (control.failGets > 0) {
        control.failGets--
        return Promise.reject(new Error('read error'))
      }
      return inner.get(key)
    },
    scan: (options) => inner.scan(options),
    commit(mutations) {
      if (control.failCommits > 0) {
        control.failCommits--
        const error = new Error('disk full')
        if (control.sync) throw error
        return Promise.reject(error)
      }
      control.commits++
      return inner.commit(mutations)
    },
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  return { adapter, control }
}

describe('a storage backend that fails', () => {
  it.each([false, true])('a failed commit is StorageFailure, acknowledges nothing, and later calls work (sync throw: %s)', async (sync) => {
    const { adapter, control } = flaky(memoryStorage())
    control.sync = sync
    const kms = await Kms.open({ storage: adapter })
    cleanups.push(() => kms.close())
    const events: string[] = []
    for (const name of ['keyCreated', 'keyStateChanged', 'keyVersionCreated', 'keyUpdated', 'aliasChanged'] as const) {
      kms.events.on(name, () => events.push(name))
    }
    const { keyId, primaryKeyVersion } = (await kms.createKey()).keyMetadata
    await kms.encrypt({ keyId, plaintext: utf8('warm the cache') })
    events.length = 0

    const failing: Array<() => Promise<unknown>> = [
      () => kms.disableKey({ keyId }),
      () => kms.createKeyVersion({ keyId }),
      () => kms.tagResource({ keyId, tags: [{ tagKey: 't', tagValue: 'v' }] }),
      () => kms.createAlias({ aliasName: 'alias/f', keyId }),
      () => kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }),
      () => kms.createKey(),
    ]
    for (const call of failing) {
      control.failCommits = 1
      const error = await rejectsWith(call(), 'StorageFailure')
      expect(error.kind).toBe('internal')
      expect((error.cause as Error).message).toBe('disk full')
    }
    expect(events).toEqual([])

    // Nothing was acknowledged, neither in storage nor in the engine's cache.
    const m = (await kms.describeKey({ keyId })).keyMetadata
    expect(m).toMatchObject({ keyState: 'Enabled', primaryKeyVersion })
    expect((await kms.listKeyVersions({ keyId })).totalCount).toBe(1)
    expect((await kms.listResourceTags({ keyId })).tags).toEqual([])
    expect((await kms.listAliases()).totalCount).toBe(0)
    expect((await kms.listKeys()).totalCount).toBe(1)
    const reader = await Kms.open({ storage: memoryStorage(), closeStorage: true })
    cleanups.push(() => reader.close())

    // Later calls succeed and the state moves on consistently.
    await kms.disableKey({ keyId })
    await rejectsWith(kms.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
    await kms.enableKey({ keyId })
    const { keyVersionId } = (await kms.createKeyVersion({ keyId })).keyVersion
    expect((await kms.encrypt({ keyId, plaintext: utf8('x') })).keyVersionId).toBe(keyVersionId)
    await kms.createAlias({ aliasName: 'alias/f', keyId })
    expect((await kms.listAliasesByKeyId({ keyId })).aliases.map((x) => x.aliasName)).toEqual(['alias/f'])
    expect(events).toEqual(['keyStateChanged', 'keyStateChanged', 'keyVersionCreated', 'aliasChanged'])
  })

  // Doubtful: Kms.open passes an adapter's raw error through, while every operation after
  // it wraps a non-KmsError from storage into StorageFailure (key-store.ts storageFailure).
  // Adapters are meant to throw StorageFailure themselves, but the engine should not rely
  // on it in one place only: wrap the errors of #unlock's get/commit the same way.
  it('a backend error while opening is StorageFailure too', async () => {
    const { adapter, control } = flaky(memoryStorage())
    control.failGets = 1
    await rejectsWith(Kms.open({ storage: adapter }), 'StorageFailure')
  })

  it('a failed read is StorageFailure too', async () => {
    const { adapter, control } = flaky(memoryStorage())
    const kms = await Kms.open({ storage: adapter })
    cleanups.push(() => kms.close())
    await kms.createKey()
    control.failGets = 1
    await rejectsWith(kms.describeKey({ keyId: 'alias/anything' }), 'StorageFailure')
    await rejectsWith(kms.describeKey({ keyId: 'alias/anything' }), 'Forbidden.AliasNotFound')
  })
})
