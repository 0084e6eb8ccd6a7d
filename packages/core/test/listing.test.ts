/**
 * Listing in O(page): keys and aliases are listed from index records (key-index.ts), by
 * marker or by page number; keys due for purge are hidden without writing; a page reads
 * only its own index entries; stores written before the indexes get them when opened,
 * resumably after a crash.
 */
import { defaultCryptoProvider, pooledRandom, type CryptoProvider } from '@strongroom/crypto'
import { describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock, rawRootKey, type ScanOptions, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { KEYSTORE_HEADER_KEY, RootKeyring, decodeKeystoreHeader } from '../src/root-key.js'
import { RECORD_SEAL_LABEL, RecordSealer, rebuildSealHead } from '../src/sealed-storage.js'
import { RECORD_DIGEST_LABEL, StoreDigest } from '../src/store-digest.js'
import { rejectsWith } from './helpers.js'

const ROOT = new Uint8Array(32).fill(7)
const START = '2026-01-01T00:00:00Z'

/** A real adapter wrapped: counts what the engine reads and writes through it. */
function counting(inner: StorageAdapter) {
  const counts = { gets: [] as string[], scanned: [] as string[], commits: 0 }
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    get: async (key) => {
      counts.gets.push(key)
      return inner.get(key)
    },
    scan: async (options: ScanOptions) => {
      const page = await inner.scan(options)
      counts.scanned.push(...page.records.map((r) => r.key))
      return page
    },
    commit: async (mutations) => {
      counts.commits++
      return inner.commit(mutations)
    },
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  const reset = (): void => {
    counts.gets.length = 0
    counts.scanned.length = 0
    counts.commits = 0
  }
  return { adapter, counts, reset }
}

/** The real crypto provider, counting AES-GCM openings (every sealed record read is one). */
function countingCrypto(): { crypto: CryptoProvider; opened: () => number; reset: () => void } {
  const real = defaultCryptoProvider()
  let opened = 0
  const decrypt: CryptoProvider['aesGcmDecrypt'] = (...args) => {
    opened++
    return real.aesGcmDecrypt(...args)
  }
  // The provider is a frozen object of plain functions: a copy with one of them wrapped.
  const crypto: CryptoProvider = { ...real, aesGcmDecrypt: decrypt }
  return { crypto, opened: () => opened, reset: () => { opened = 0 } }
}

async function open(storage: StorageAdapter, options: { clock?: ManualClock; region?: string; crypto?: CryptoProvider } = {}): Promise<Kms> {
  return Kms.open({ storage, rootKey: rawRootKey(ROOT), closeStorage: false, audit: false, ...options })
}

async function createKeys(kms: Kms, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await kms.createKey()).keyMetadata.keyId)
  return ids.sort()
}

async function allByMarker(kms: Kms, pageSize: number): Promise<string[]> {
  const seen: string[] = []
  let marker: string | undefined
  do {
    const page = await kms.listKeys({ pageSize, ...(marker === undefined ? {} : { marker }) })
    expect(page.keys.length).toBeLessThanOrEqual(pageSize)
    seen.push(...page.keys.map((k) => k.keyId))
    marker = page.nextMarker
  } while (marker !== undefined)
  return seen
}

describe('listKeys by marker and by page number', () => {
  it('walks every key once in id order, either way, with the total', async () => {
    const kms = await open(memoryStorage())
    const ids = await createKeys(kms, 23)
    for (const pageSize of [1, 5, 23, 100]) expect(await allByMarker(kms, pageSize)).toEqual(ids)
    const byNumber: string[] = []
    for (let pageNumber = 1; pageNumber <= 5; pageNumber++) {
      const page = await kms.listKeys({ pageNumber, pageSize: 5 })
      expect(page).toMatchObject({ totalCount: 23, pageNumber, pageSize: 5 })
      expect(page.nextMarker !== undefined).toBe(pageNumber < 5)
      byNumber.push(...page.keys.map((k) => k.keyId))
    }
    expect(byNumber).toEqual(ids)
    expect((await kms.listKeys({ pageNumber: 6, pageSize: 5 })).keys).toEqual([])
    const first = await kms.listKeys({ pageSize: 10 })
    expect((await kms.listKeys({ pageSize: 10, marker: first.nextMarker! })).pageNumber).toBe(2)
    await kms.close()
  })

  it('refuses a marker it did not issue, and a marker with a page number', async () => {
    const kms = await open(memoryStorage())
    await createKeys(kms, 3)
    for (const marker of ['', 'x', 'bm90IGpzb24=', btoa('{"a":1,"o":0}'), btoa('{"a":"k","o":-1}'), 'a'.repeat(2000)]) {
      await rejectsWith(kms.listKeys({ marker }), 'InvalidParameter')
    }
    const first = await kms.listKeys({ pageSize: 1 })
    await rejectsWith(kms.listKeys({ marker: first.nextMarker!, pageNumber: 2 }), 'InvalidParameter')
    await kms.close()
  })

  it('returns every key that exists throughout exactly once while keys are created and purged between pages', async () => {
    const clock = new ManualClock(START)
    const kms = await open(memoryStorage(), { clock })
    const ids = await createKeys(kms, 40)
    const doomed = new Set(ids.filter((_, i) => i % 4 === 1))
    const survivors = ids.filter((id) => !doomed.has(id))
    const seen: string[] = []
    let marker: string | undefined
    do {
      const page = await kms.listKeys({ pageSize: 6, ...(marker === undefined ? {} : { marker }) })
      seen.push(...page.keys.map((k) => k.keyId))
      marker = page.nextMarker
      const last = seen.at(-1)!
      for (const id of [[...doomed].find((x) => x < last), [...doomed].find((x) => x > last)]) {
        if (id === undefined) continue
        doomed.delete(id)
        await kms.scheduleKeyDeletion({ keyId: id, pendingWindowInDays: 7 })
      }
      clock.advance(8 * DAY_MS)
      await kms.maintenance()
      await kms.createKey()
    } while (marker !== undefined)
    expect(seen.filter((x) => survivors.includes(x))).toEqual(survivors)
    expect(new Set(seen).size).toBe(seen.length)
    await kms.close()
  })
})

describe('regions on one store', () => {
  it('each engine lists and counts only its own region\'s keys and aliases', async () => {
    const storage = memoryStorage()
    const hz = await open(storage, { region: 'cn-hangzhou' })
    const sh = await open(storage, { region: 'cn-shanghai' })
    const hzIds = await createKeys(hz, 4)
    const shIds = await createKeys(sh, 3)
    await hz.createAlias({ aliasName: 'alias/hz', keyId: hzIds[0]! })
    await sh.createAlias({ aliasName: 'alias/sh', keyId: shIds[0]! })
    expect(await allByMarker(hz, 2)).toEqual(hzIds)
    expect(await allByMarker(sh, 2)).toEqual(shIds)
    expect((await hz.listKeys()).totalCount).toBe(4)
    expect((await sh.listKeys()).totalCount).toBe(3)
    expect((await hz.listAliases()).aliases.map((a) => a.aliasName)).toEqual(['alias/hz'])
    expect((await sh.listAliases())).toMatchObject({ totalCount: 1, aliases: [{ aliasName: 'alias/sh', keyId: shIds[0] }] })
    await hz.close()
    await sh.close()
  })
})

describe('the counters under concurrent writers', () => {
  it('two engines on one store creating and purging keys at once keep one exact total', async () => {
    const storage = memoryStorage()
    const clock = new ManualClock(START)
    const a = await open(storage, { clock })
    const b = await open(storage, { clock })
    const made = await Promise.all([...Array.from({ length: 20 }, () => a.createKey()), ...Array.from({ length: 20 }, () => b.createKey())])
    expect((await a.listKeys()).totalCount).toBe(40)
    expect((await b.listKeys()).totalCount).toBe(40)
    const doomed = made.slice(0, 10).map((r) => r.keyMetadata.keyId)
    await Promise.all(doomed.map((keyId, i) => (i % 2 === 0 ? a : b).scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })))
    clock.advance(8 * DAY_MS)
    await Promise.all([a.maintenance(), b.maintenance(), a.createKey(), b.createKey()])
    for (const kms of [a, b]) {
      expect((await kms.listKeys()).totalCount).toBe(32)
      expect(await allByMarker(kms, 100)).toHaveLength(32)
    }
    expect((await a.verify()).records.ok).toBe(true)
    await a.close()
    await b.close()
  })
})

describe('an adapter that cannot watch', () => {
  it('keeps the counters exact for two engines creating at once (each reads the counter it replaces)', async () => {
    const inner = memoryStorage()
    const blind: StorageAdapter = {
      manifest: inner.manifest, get: (k) => inner.get(k), scan: (o) => inner.scan(o), commit: (m) => inner.commit(m), close: async () => undefined,
    }
    const a = await open(blind)
    const b = await open(blind)
    await Promise.all([...Array.from({ length: 15 }, () => a.createKey()), ...Array.from({ length: 15 }, () => b.createKey())])
    expect((await a.listKeys()).totalCount).toBe(30)
    expect((await b.listKeys()).totalCount).toBe(30)
    expect(await allByMarker(b, 7)).toHaveLength(30)
    await a.close()
    await b.close()
  })
})

describe('keys whose purge is due', () => {
  it('are hidden from listings without a write; maintenance purges them', async () => {
    const clock = new ManualClock(START)
    const { adapter, counts, reset } = counting(memoryStorage())
    const kms = await open(adapter, { clock })
    const [a, b, c] = await createKeys(kms, 3)
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: b! })
    await kms.createAlias({ aliasName: 'alias/kept', keyId: c! })
    await kms.scheduleKeyDeletion({ keyId: b!, pendingWindowInDays: 7 })
    // Pending but not due: still listed.
    expect((await kms.listKeys()).keys.map((k) => k.keyId)).toEqual([a, b, c])
    clock.advance(7 * DAY_MS)
    reset()
    const keys = await kms.listKeys({ pageSize: 1 })
    expect(keys.keys.map((k) => k.keyId)).toEqual([a])
    expect(keys.totalCount).toBe(2)
    expect((await kms.listKeys({ pageSize: 1, marker: keys.nextMarker! })).keys.map((k) => k.keyId)).toEqual([c])
    expect((await kms.listKeys({ pageSize: 1, pageNumber: 2 })).keys.map((k) => k.keyId)).toEqual([c])
    expect(await kms.listAliases()).toMatchObject({ totalCount: 1, aliases: [{ aliasName: 'alias/kept' }] })
    expect(counts.commits).toBe(0)
    expect((await kms.maintenance()).purged).toEqual([b])
    await rejectsWith(kms.describeKey({ keyId: b! }), 'Forbidden.KeyNotFound')
    expect((await kms.listKeys()).totalCount).toBe(2)
    expect((await kms.listAliases()).totalCount).toBe(1)
    expect((await kms.verify()).records.ok).toBe(true)
    await kms.close()
  })
})

describe('a page reads its own entries and nothing else', () => {
  it('listKeys and listAliases read no key record and open only the page', async () => {
    const { adapter, counts, reset } = counting(memoryStorage())
    const gcm = countingCrypto()
    const kms = await open(adapter, { crypto: gcm.crypto })
    const ids = await createKeys(kms, 300)
    for (let i = 0; i < 30; i++) await kms.createAlias({ aliasName: `alias/a${String(i).padStart(2, '0')}`, keyId: ids[i]! })
    reset()
    gcm.reset()
    const first = await kms.listKeys({ pageSize: 10 })
    expect(first.keys.map((k) => k.keyId)).toEqual(ids.slice(0, 10))
    expect(counts.scanned.filter((k) => k.startsWith('key/'))).toEqual([])
    expect(counts.gets.filter((k) => k.startsWith('key/'))).toEqual([])
    // The page and the one entry that proves a next page, plus the key counter.
    expect(counts.scanned.filter((k) => k.startsWith('idx/key/'))).toHaveLength(11)
    expect(gcm.opened()).toBeLessThanOrEqual(12)

    reset()
    gcm.reset()
    const second = await kms.listKeys({ pageSize: 10, marker: first.nextMarker! })
    expect(second.keys.map((k) => k.keyId)).toEqual(ids.slice(10, 20))
    expect(counts.scanned.filter((k) => k.startsWith('idx/key/'))).toHaveLength(11)
    expect(gcm.opened()).toBeLessThanOrEqual(12)

    // Page 20 by number: the 190 entries before it are read by name, none is opened.
    reset()
    gcm.reset()
    const twentieth = await kms.listKeys({ pageSize: 10, pageNumber: 20 })
    expect(twentieth.keys.map((k) => k.keyId)).toEqual(ids.slice(190, 200))
    expect(counts.scanned.filter((k) => k.startsWith('key/'))).toEqual([])
    expect(gcm.opened()).toBeLessThanOrEqual(12)

    reset()
    gcm.reset()
    const aliases = await kms.listAliases({ pageSize: 5 })
    expect(aliases.aliases.map((a) => a.aliasName)).toEqual(['alias/a00', 'alias/a01', 'alias/a02', 'alias/a03', 'alias/a04'])
    expect(aliases.totalCount).toBe(30)
    expect(counts.scanned.filter((k) => k.startsWith('key/') || k.startsWith('alias/'))).toEqual([])
    expect(gcm.opened()).toBeLessThanOrEqual(7)
    await kms.close()
  })
})

/**
 * A store as the previous release wrote it: the same records without the index entries,
 * counters and marker, with its store digest recomputed (as that release kept it).
 */
async function withoutIndexes(storage: StorageAdapter): Promise<void> {
  const all = (await storage.scan({ prefix: '', limit: 1000 })).records
  const doomed = all.filter((r) => r.key.startsWith('idx/') || r.key.startsWith('meta/count/') || r.key === 'meta/indexes')
  for (let i = 0; i < doomed.length; i += 200) {
    await storage.commit(doomed.slice(i, i + 200).map((r) => ({ type: 'delete' as const, key: r.key, expectedRevision: r.revision })))
  }
  const crypto = defaultCryptoProvider()
  const random = pooledRandom(crypto)
  const header = decodeKeystoreHeader((await storage.get(KEYSTORE_HEADER_KEY))!.value)
  const { keyring } = await RootKeyring.open(rawRootKey(ROOT), header, { crypto, random }, Date.now())
  await rebuildSealHead(storage, new RecordSealer(crypto, random, keyring.deriveKey(RECORD_SEAL_LABEL)), new StoreDigest(crypto, keyring.deriveKey(RECORD_DIGEST_LABEL)))
  keyring.wipe()
}

describe('a store written before the indexes', () => {
  async function oldStore(): Promise<{ storage: StorageAdapter; ids: string[]; clock: ManualClock }> {
    const storage = memoryStorage()
    const clock = new ManualClock(START)
    const kms = await open(storage, { clock })
    const ids = await createKeys(kms, 450)
    for (let i = 0; i < 12; i++) await kms.createAlias({ aliasName: `alias/n${String(i).padStart(2, '0')}`, keyId: ids[i]! })
    await kms.scheduleKeyDeletion({ keyId: ids[0]!, pendingWindowInDays: 7 })
    await kms.close()
    await withoutIndexes(storage)
    expect(await storage.get('meta/indexes')).toBeUndefined()
    return { storage, ids, clock }
  }

  it('gets them when opened: listings, totals and maintenance work, and the store verifies', async () => {
    const { storage, ids, clock } = await oldStore()
    const kms = await open(storage, { clock })
    expect((await kms.verify()).records.ok).toBe(true)
    expect(await allByMarker(kms, 100)).toEqual(ids)
    expect((await kms.listKeys()).totalCount).toBe(450)
    expect((await kms.listAliases()).totalCount).toBe(12)
    clock.advance(8 * DAY_MS)
    expect((await kms.listKeys()).totalCount).toBe(449)
    expect((await kms.maintenance()).purged).toEqual([ids[0]])
    expect((await kms.listAliases()).totalCount).toBe(11)
    await kms.close()
  })

  it('resumes a build interrupted by a crash, and ends with the same indexes', async () => {
    const { storage, ids, clock } = await oldStore()
    // The backend dies after the third commit of the build (the first pages made it).
    let commits = 0
    const dying: StorageAdapter = {
      ...storage, manifest: storage.manifest,
      get: (k) => storage.get(k), scan: (o) => storage.scan(o), close: async () => undefined,
      commit: async (m) => {
        if (++commits > 3) throw new Error('the disk went away')
        return storage.commit(m)
      },
    }
    await rejectsWith(open(dying, { clock }), 'StorageFailure')
    expect(await storage.get('meta/indexes')).toBeUndefined()
    expect((await storage.scan({ prefix: 'idx/key/', limit: 1000 })).records.length).toBeGreaterThan(0)
    const kms = await open(storage, { clock })
    expect(await allByMarker(kms, 100)).toEqual(ids)
    expect((await kms.listKeys()).totalCount).toBe(450)
    expect((await kms.listAliases({ pageSize: 100 })).aliases).toHaveLength(12)
    expect((await kms.verify()).records.ok).toBe(true)
    await kms.close()
  })
})
