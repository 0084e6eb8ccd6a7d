/**
 * The audit trail with several writers (audit/trail.ts, audit/chain.ts): every engine
 * instance appends to a chain of its own, so engines sharing a store never write the same
 * audit records and never conflict over the trail; verify, anchor and prune cover every
 * chain; queries merge the chains by time, then chain, then position. A store whose trail
 * was written before there were chains (`audit/head`, `audit/seg/…`) keeps verifying: it is
 * the first chain, `0`.
 */
import { createHmac, hkdfSync } from 'node:crypto'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Kms, KmsError, ManualClock, backupKeystore, collectBackup, rawRootKey, restoreKeystore, type AuditRecord, type CommitResult, type Mutation, type StorageAdapter, type StoredRecord,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const ROOT = new Uint8Array(32).fill(7)
const HEADS = 'audit/heads/'
const CHAINS = 'audit/chain/'
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** An adapter over a shared database that remembers the keys each of its commits wrote, and its conflicts. */
function recording(db: MemoryLevel): { storage: StorageAdapter; written: Set<string>; conflicts: () => number } {
  const inner = memoryStorage(db, { closeDatabase: false })
  const written = new Set<string>()
  let conflicts = 0
  const storage: StorageAdapter = {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    async commit(mutations: readonly Mutation[]): Promise<CommitResult> {
      try {
        const result = await inner.commit(mutations)
        for (const m of mutations) written.add(m.key)
        return result
      } catch (error) {
        if (KmsError.is(error, 'Conflict')) conflicts++
        throw error
      }
    },
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  return { storage, written, conflicts: () => conflicts }
}

async function scanAll(storage: StorageAdapter, prefix: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix, limit: 1000, ...(after === undefined ? {} : { after }) })
    out.push(...page.records)
    if (page.cursor === undefined || page.records.length === 0) return out
    after = page.cursor
  }
}

async function openOn(storage: StorageAdapter, clock?: ManualClock): Promise<Kms> {
  const kms = await Kms.open({ storage, rootKey: rawRootKey(ROOT), closeStorage: false, audit: { flushIntervalMs: 5, maxPendingRecords: 4 }, ...(clock === undefined ? {} : { clock }) })
  cleanups.push(() => kms.close())
  return kms
}

async function allRecords(kms: Kms, limit: number): Promise<AuditRecord[]> {
  const out: AuditRecord[] = []
  let cursor: string | undefined
  do {
    const page = await kms.audit.query({ limit, ...(cursor === undefined ? {} : { cursor }) })
    out.push(...page.records)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return out
}

const order = (r: AuditRecord): [number, string, number] => [Date.parse(r.eventTime), r.chain, r.seq]
function inQueryOrder(a: AuditRecord, b: AuditRecord): number {
  const [x, y] = [order(a), order(b)]
  return x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0) || x[2] - y[2]
}

describe('several engines on one store', () => {
  it('each appends to its own chain: no audit record is written by two engines, crypto calls never conflict, every chain verifies', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const setup = await openOn(memoryStorage(db, { closeDatabase: false }))
    const keyId = (await setup.createKey()).keyMetadata.keyId
    await setup.close()
    const engines = [recording(db), recording(db), recording(db)]
    const kmses = await Promise.all(engines.map((e) => openOn(e.storage)))
    // Many small group commits from three engines at once, on one hot key.
    await Promise.all(kmses.map(async (kms, i) => {
      for (let n = 0; n < 60; n++) await kms.encrypt({ keyId, plaintext: utf8(`${i}/${n}`), encryptionContext: { n: String(n) } })
    }))
    for (const kms of kmses) await kms.audit.flush()
    expect(engines.map((e) => e.conflicts())).toEqual([0, 0, 0])
    const auditKeys = engines.map((e) => [...e.written].filter((k) => k.startsWith('audit/')))
    for (const keys of auditKeys) expect(keys.length).toBeGreaterThan(0)
    const seen = new Set<string>()
    for (const keys of auditKeys) for (const key of keys) {
      expect(seen.has(key), `${key} written by two engines`).toBe(false)
      seen.add(key)
    }

    const report = await kmses[0]!.audit.verify()
    expect(report).toMatchObject({ ok: true, records: 1 + 180 }) // setup: createKey; three engines: 60 encrypts each
    expect(report.ok && report.chains.map((c) => c.records).sort()).toEqual([1, 60, 60, 60].sort())
    expect((await kmses[1]!.verify()).ok).toBe(true)

    // One page or many, the same records in the same order: by time, then chain, then position.
    const whole = await allRecords(kmses[2]!, 1000)
    expect(whole).toHaveLength(181)
    expect([...whole].sort(inQueryOrder)).toEqual(whole)
    expect(await allRecords(kmses[2]!, 7)).toEqual(whole)
    const exported: AuditRecord[] = []
    for await (const line of kmses[1]!.audit.export()) exported.push(JSON.parse(line) as AuditRecord)
    expect(exported).toEqual(whole)
    // Each chain counts from 1 and links record to record.
    for (const chain of new Set(whole.map((r) => r.chain))) {
      expect(whole.filter((r) => r.chain === chain).map((r) => r.seq).sort((a, b) => a - b)[0]).toBe(1)
    }
  })

  it('a key used through one engine shows its last-use date through another; a forged last-use record is CorruptRecord', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const clock = new ManualClock('2026-03-01T00:00:00.000Z')
    const a = await openOn(memoryStorage(db, { closeDatabase: false }), clock)
    const b = await openOn(memoryStorage(db, { closeDatabase: false }), clock)
    const keyId = (await a.createKey()).keyMetadata.keyId
    clock.advance(60_000)
    await a.encrypt({ keyId, plaintext: utf8('x') })
    await a.audit.flush()
    expect((await b.describeKey({ keyId })).keyMetadata.lastUsedDate).toBe('2026-03-01T00:01:00Z')
    const raw = memoryStorage(db, { closeDatabase: false })
    const [used] = await scanAll(raw, `audit/last-used/${keyId}/`)
    expect(used).toBeDefined()
    await raw.commit([{ type: 'put', key: used!.key, value: utf8(text(used!.value).replace(/^\d+/, '9999999999999')), expectedRevision: used!.revision }])
    await rejectsWith(b.describeKey({ keyId }), 'CorruptRecord')
  })

  it('prune removes old records from every chain; the rest of each still verifies', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const clock = new ManualClock('2026-03-01T00:00:00.000Z')
    const a = await openOn(memoryStorage(db, { closeDatabase: false }), clock)
    const b = await openOn(memoryStorage(db, { closeDatabase: false }), clock)
    const keyId = (await a.createKey()).keyMetadata.keyId
    for (let day = 0; day < 4; day++) {
      await a.encrypt({ keyId, plaintext: utf8('a') })
      await b.encrypt({ keyId, plaintext: utf8('b') })
      await a.audit.flush()
      await b.audit.flush()
      clock.advance(86_400_000)
    }
    const before = (await allRecords(a, 1000)).length
    const { removed } = await b.audit.prune({ before: Date.parse('2026-03-03T00:00:00.000Z') })
    expect(removed).toBeGreaterThanOrEqual(4)
    const after = await allRecords(a, 1000)
    expect(after.length).toBe(before - removed + 1) // + the PruneAuditTrail record
    expect(new Set(after.map((r) => r.chain)).size).toBe(2)
    expect(await a.audit.verify()).toMatchObject({ ok: true })
  })
})

describe('backup and restore of a trail with several chains', () => {
  it('restores every chain; the restored store verifies, with the same records', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const a = await openOn(memoryStorage(db, { closeDatabase: false }))
    const b = await openOn(memoryStorage(db, { closeDatabase: false }))
    const keyId = (await a.createKey()).keyMetadata.keyId
    await b.encrypt({ keyId, plaintext: utf8('b') })
    await a.audit.flush()
    await b.audit.flush()
    const records = await allRecords(a, 1000)
    await b.close()
    await a.close()
    const file = await collectBackup(backupKeystore({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT) }))
    const target = memoryStorage()
    await restoreKeystore({ storage: target, backup: file, rootKey: rawRootKey(ROOT) })
    const restored = await openOn(target)
    const report = await restored.audit.verify()
    expect(report).toMatchObject({ ok: true, records: records.length })
    expect(report.ok && report.chains).toHaveLength(2)
    expect(await allRecords(restored, 1000)).toEqual(records)
    expect((await restored.verify()).ok).toBe(true)
  })
})

describe('rollback of one chain', () => {
  it('a whole chain deleted (head and segments) is caught against what the engine verified, and against an anchor', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const a = await openOn(memoryStorage(db, { closeDatabase: false }))
    const keyId = (await a.createKey()).keyMetadata.keyId
    const b = await openOn(memoryStorage(db, { closeDatabase: false }))
    await b.encrypt({ keyId, plaintext: utf8('b') })
    await b.audit.flush()
    const anchor = await a.audit.anchor()
    expect(Object.keys(anchor.chains ?? {})).toHaveLength(2)
    expect(await a.audit.verify()).toMatchObject({ ok: true })
    // Someone with write access removes b's chain entirely, as if b never ran.
    const raw = memoryStorage(db, { closeDatabase: false })
    const heads = await scanAll(raw, HEADS)
    const bChain = (await b.audit.query({ limit: 1000 })).records.find((r) => r.eventName === 'Encrypt')!.chain
    await b.close()
    const doomed = [...heads.filter((h) => h.key === HEADS + bChain), ...await scanAll(raw, `${CHAINS}${bChain}/`)]
    await raw.commit(doomed.map((r) => ({ type: 'delete' as const, key: r.key, expectedRevision: r.revision })))
    expect(await a.audit.verify()).toMatchObject({ ok: false, chain: bChain, problem: expect.stringMatching(/deleted/) })
    // A fresh engine knows nothing of b's chain: the anchor kept outside the store does.
    const c = await openOn(memoryStorage(db, { closeDatabase: false }))
    expect(await c.audit.verify()).toMatchObject({ ok: true })
    expect(await c.audit.verify({ anchor })).toMatchObject({ ok: false, chain: bChain, problem: expect.stringMatching(/deleted/) })
    await rejectsWith(c.audit.verify({ anchor: { seq: 1, hash: 'not a hash' } }), 'InvalidParameter')
    await rejectsWith(c.audit.verify({ anchor: { seq: 1, hash: '0'.repeat(64), chains: { '../x': { seq: 1, hash: '0'.repeat(64) } } } }), 'InvalidParameter')
  })
})

/**
 * Moves an engine's chain to where a store kept its whole trail before there were chains
 * (`audit/seg/<first seq>`, `audit/head` with the first chain's MAC), computing the head's
 * MAC by the documented construction: HMAC-SHA-256 under HKDF(root, header salt,
 * "strongroom/root/audit/mac/v1") of `strongroom/audit/head/v1|first|anchor|last|lastHash`.
 */
async function moveToFirstChain(storage: StorageAdapter): Promise<void> {
  const [head] = await scanAll(storage, HEADS)
  const chain = head!.key.slice(HEADS.length)
  const segments = await scanAll(storage, `${CHAINS}${chain}/`)
  const h = JSON.parse(text(head!.value)) as { firstSeq: number; anchorHash: string; lastSeq: number; lastHash: string }
  const header = JSON.parse(text((await storage.get('meta/keystore'))!.value)) as { salt: string }
  const macKey = Buffer.from(hkdfSync('sha256', ROOT, Buffer.from(header.salt, 'base64'), 'strongroom/root/audit/mac/v1', 32))
  const mac = createHmac('sha256', macKey).update(`strongroom/audit/head/v1|${h.firstSeq}|${h.anchorHash}|${h.lastSeq}|${h.lastHash}`).digest('base64')
  await storage.commit([
    ...segments.map((s) => ({ type: 'delete' as const, key: s.key, expectedRevision: s.revision })),
    { type: 'delete', key: head!.key, expectedRevision: head!.revision },
    ...segments.map((s) => ({ type: 'put' as const, key: `audit/seg/${s.key.slice(-16)}`, value: s.value, expectedRevision: null })),
    { type: 'put', key: 'audit/head', value: utf8(JSON.stringify({ schema: 1, ...h, mac })), expectedRevision: null },
  ])
}

describe('a store whose trail was written before there were chains', () => {
  it('keeps verifying as the first chain; new engines add chains of their own; an old anchor is a first-chain position; tampering names chain 0', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const first = await openOn(memoryStorage(db, { closeDatabase: false }))
    const keyId = (await first.createKey()).keyMetadata.keyId
    await first.encrypt({ keyId, plaintext: utf8('old') })
    await first.close()
    const raw = memoryStorage(db, { closeDatabase: false })
    await moveToFirstChain(raw)
    const oldHead = JSON.parse(text((await raw.get('audit/head'))!.value)) as { lastSeq: number; lastHash: string }

    const kms = await openOn(memoryStorage(db, { closeDatabase: false }))
    expect(await kms.audit.verify()).toMatchObject({ ok: true, records: 2, chains: [{ chain: '0', records: 2, firstSeq: 1, lastSeq: 2 }] })
    await kms.encrypt({ keyId, plaintext: utf8('new') })
    const report = await kms.audit.verify({ anchor: { seq: oldHead.lastSeq, hash: oldHead.lastHash } })
    expect(report).toMatchObject({ ok: true, records: 3 })
    expect(report.ok && report.chains.map((c) => c.chain)[0]).toBe('0')
    expect((await allRecords(kms, 1000)).map((r) => [r.chain === '0', r.eventName])).toEqual([[true, 'CreateKey'], [true, 'Encrypt'], [false, 'Encrypt']])
    expect(Object.keys((await kms.audit.anchor()).chains ?? {})).toContain('0')

    const [segment] = await scanAll(raw, 'audit/seg/')
    await raw.commit([{ type: 'put', key: segment!.key, value: utf8(text(segment!.value).replace('CreateKey', 'DeleteKey')), expectedRevision: segment!.revision }])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, chain: '0', seq: 1 })
  })
})
