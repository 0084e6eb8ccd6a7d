/**
 * Building the indexes (key-index.ts) of a store written before they existed, when it is
 * opened: every key and alias record is read a page at a time (bounded memory) and the
 * index entries it lacks are added, then the counters are counted from the index and the
 * marker `meta/indexes` is written with them in one commit.
 *
 * ```ts
 * await ensureIndexes(sealedStorage)   // false when the marker says they are complete
 * ```
 *
 * Crash safe and resumable, as the first-release upgrade (sealed-storage.ts): until the
 * marker is written the build runs again on the next open, and every step only adds what
 * is missing (entries are derived from the records, so an entry written by an interrupted
 * run is the one this run would write). Engines opening the store at the same moment may
 * build together: a page whose records another writer changed is read and written again.
 */
import { KmsError } from './errors.js'
import {
  ALIAS_INDEX_PREFIX, COUNT_PREFIX, INDEXES_MARKER_KEY, INDEXES_VERSION, KEY_INDEX_PREFIX, aliasIndexKey, countKey, decodeJson,
  POLICY_COUNT_KEY, dueDates, dueIndexKey, encodeJson, keyIndexKey, type CountKind,
} from './key-index.js'
import { POLICY_PREFIX } from './policy-store.js'
import { decodeKeyRecord } from './key-record.js'
import { ALIAS_RECORD_PREFIX, KEY_RECORD_PREFIX } from './key-store.js'
import type { SealedStorage } from './sealed-storage.js'
import type { Mutation, StorageAdapter, StoredRecord } from './storage.js'

const PAGE = 200
const MAX_PASSES = 20

/** Builds whatever index the store lacks; true when it had to (the marker was absent or older). */
export async function ensureIndexes(storage: SealedStorage): Promise<boolean> {
  const marker = await storage.get(INDEXES_MARKER_KEY)
  if (marker !== undefined && decodeJson<{ schema: 1; version: number }>(marker, 'index marker').version >= INDEXES_VERSION) return false
  await eachPage(storage, KEY_RECORD_PREFIX, async (records) => {
    const wanted: { key: string; value: Uint8Array }[] = []
    for (const stored of records) {
      const r = decodeKeyRecord(stored.value, stored.key.slice(KEY_RECORD_PREFIX.length))
      wanted.push({ key: keyIndexKey(r.region, r.keyId), value: encodeJson({ schema: 1, account: r.account }) })
      for (const d of dueDates(r)) wanted.push({ key: dueIndexKey(r.region, d.kind, d.at, r.keyId), value: encodeJson({ schema: 1 }) })
    }
    return missing(storage, wanted)
  })
  await eachPage(storage, ALIAS_RECORD_PREFIX, async (records) => {
    const wanted: { key: string; value: Uint8Array }[] = []
    for (const stored of records) {
      const alias = decodeJson<{ schema: 1; keyId: string }>(stored, 'alias record')
      const key = await storage.get(KEY_RECORD_PREFIX + alias.keyId)
      // An alias whose key is gone names nothing: no region lists it.
      if (key === undefined) continue
      const { region } = decodeKeyRecord(key.value, alias.keyId)
      wanted.push({ key: aliasIndexKey(region, stored.key), value: encodeJson({ schema: 1, keyId: alias.keyId }) })
    }
    return missing(storage, wanted)
  })
  await writeCountsAndMarker(storage)
  return true
}

/** Puts for the wanted entries that do not exist yet. */
async function missing(storage: StorageAdapter, wanted: readonly { key: string; value: Uint8Array }[]): Promise<Mutation[]> {
  const out: Mutation[] = []
  for (const { key, value } of wanted) {
    if ((await storage.get(key)) === undefined) out.push({ type: 'put', key, value, expectedRevision: null })
  }
  return out
}

/** Runs `page` over every record under `prefix` and commits what it returns; a page that conflicts is done again. */
async function eachPage(storage: StorageAdapter, prefix: string, page: (records: readonly StoredRecord[]) => Promise<Mutation[]>): Promise<void> {
  let after: string | undefined
  for (;;) {
    const scanned = await storage.scan({ prefix, limit: PAGE, ...(after === undefined ? {} : { after }) })
    for (let pass = 0; ; pass++) {
      const mutations = await page(scanned.records)
      if (mutations.length === 0) break
      try {
        await storage.commit(mutations)
        break
      } catch (error) {
        // Another engine added the same entries meanwhile: look again at what is missing.
        if (!KmsError.is(error, 'Conflict') || pass >= MAX_PASSES) throw error
      }
    }
    if (scanned.cursor === undefined || scanned.records.length === 0) return
    after = scanned.cursor
  }
}

/** Counts every region's keys and aliases from the index and stores the counters with the marker, atomically. */
async function writeCountsAndMarker(storage: SealedStorage): Promise<void> {
  for (let pass = 0; ; pass++) {
    const existing = new Map<string, number>()
    await eachRecord(storage, COUNT_PREFIX, (record) => {
      existing.set(record.key, record.revision)
    })
    const counts = new Map<string, number>()
    const countUnder = (prefix: string, kind: CountKind) => eachName(storage, prefix, (name) => {
      const region = name.slice(prefix.length).split('/', 1)[0]!
      const key = countKey(region, kind)
      counts.set(key, (counts.get(key) ?? 0) + 1)
    })
    await countUnder(KEY_INDEX_PREFIX, 'keys')
    await countUnder(ALIAS_INDEX_PREFIX, 'aliases')
    await eachName(storage, POLICY_PREFIX, () => {
      counts.set(POLICY_COUNT_KEY, (counts.get(POLICY_COUNT_KEY) ?? 0) + 1)
    })
    const mutations: Mutation[] = []
    for (const [key, revision] of existing) if (!counts.has(key)) mutations.push({ type: 'delete', key, expectedRevision: revision })
    for (const [key, count] of counts) mutations.push({ type: 'put', key, value: encodeJson({ schema: 1, count }), expectedRevision: existing.get(key) ?? null })
    const marker = await storage.get(INDEXES_MARKER_KEY)
    mutations.push({ type: 'put', key: INDEXES_MARKER_KEY, value: encodeJson({ schema: 1, version: INDEXES_VERSION }), expectedRevision: marker?.revision ?? null })
    try {
      await storage.commit(mutations)
      return
    } catch (error) {
      // A record counted changed meanwhile (another engine finished first and took a call): count again.
      if (!KmsError.is(error, 'Conflict') || pass >= MAX_PASSES) throw error
    }
  }
}

async function eachRecord(storage: StorageAdapter, prefix: string, visit: (record: StoredRecord) => void): Promise<void> {
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix, limit: 500, ...(after === undefined ? {} : { after }) })
    for (const record of page.records) visit(record)
    if (page.cursor === undefined || page.records.length === 0) return
    after = page.cursor
  }
}

/** Storage keys only: counting a million index entries must not open a million records. */
async function eachName(storage: SealedStorage, prefix: string, visit: (name: string) => void): Promise<void> {
  let after: string | undefined
  for (;;) {
    const page = await storage.scanNames({ prefix, limit: 1000, ...(after === undefined ? {} : { after }) })
    for (const name of page.keys) visit(name)
    if (page.cursor === undefined || page.keys.length === 0) return
    after = page.cursor
  }
}
