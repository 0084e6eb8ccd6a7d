/**
 * The audit trail through the engine (issue 3): one record per call, whatever its outcome;
 * no secret in any record or event; tamper evidence checked by writing to the storage
 * directly, as someone with access to the store but not the root key would; atomic commit
 * with state changes, group commit with its bounds, fail-closed behaviour; retention;
 * last-used dates; `audit: false`; live events.
 *
 * Storage layout under test (audit/records.ts): each engine appends to a chain of its own;
 * `audit/chain/<chain>/<first seq, 16 hex>` holds the records of one commit as JSON lines,
 * `audit/heads/<chain>` the chain's MAC'd head, `audit/last-used/<keyId>/<chain>` last-use
 * times. Most tests here run one engine, so one chain (chains.test.ts has several).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DAY_MS, Kms, KmsError, ManualClock, passphraseRootKey, rawRootKey, seededRandom,
  type KmsOptions, type Mutation, type StorageAdapter, type StoredRecord,
} from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import type { AuditRecord } from '../src/audit.js'
import { rejectsWith, utf8 } from './helpers.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const base64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const ROOT = new Uint8Array(32).fill(9)
const START = '2026-01-01T00:00:00.000Z'
const SEGMENTS = 'audit/chain/'
const HEADS = 'audit/heads/'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `condition` holds (background commits run on timers; shared CI cores are slow). */
async function eventually(condition: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(5)
  }
}

/** The error code (or error name) a call failed with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    return KmsError.is(error) ? error.code : (error as Error).name
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: Partial<KmsOptions> = {}): Promise<{ kms: Kms; storage: StorageAdapter; clock: ManualClock }> {
  const storage = options.storage ?? memoryStorage()
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(START)
  const kms = await Kms.open({ random: seededRandom('audit tests'), ...options, storage, clock })
  cleanups.push(() => kms.close())
  return { kms, storage, clock }
}

// ---------------------------------------------------------------- raw storage access

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

/**
 * A stored line (audit.ts): a JSON array `[seq, eventId, timeMs, eventName, principal,
 * accountId, region, requestId, keyId, keyVersionId, sourceKeyId, aliasName,
 * encryptionContext, errorCode, prevHash, hash]`; the hash is SHA-256 of the line's text
 * without its hash element.
 */
type Fields = unknown[]
interface RawSegment { readonly key: string; readonly lines: Fields[] }

async function segments(storage: StorageAdapter): Promise<RawSegment[]> {
  return (await scanAll(storage, SEGMENTS)).map((r) => ({ key: r.key, lines: text(r.value).split('\n').map((l) => JSON.parse(l) as Fields) }))
}

/** The record a stored line stands for, as query() returns it. */
function recordOf(f: Fields, chain: string): AuditRecord {
  const optional = (name: string, value: unknown) => (value === null ? {} : { [name]: value })
  return {
    chain, seq: f[0], eventId: f[1], eventTime: new Date(f[2] as number).toISOString(), eventName: f[3], principal: f[4], accountId: f[5],
    region: f[6], requestId: f[7], ...optional('keyId', f[8]), ...optional('keyVersionId', f[9]), ...optional('sourceKeyId', f[10]),
    ...optional('aliasName', f[11]), ...optional('encryptionContext', f[12]), result: f[13] === null ? 'Success' : 'Failure',
    ...optional('errorCode', f[13]), prevHash: f[14], hash: f[15],
  } as AuditRecord
}

async function stored(storage: StorageAdapter): Promise<AuditRecord[]> {
  return (await segments(storage)).flatMap((s) => s.lines.map((f) => recordOf(f, s.key.split('/')[2]!)))
}

async function putRaw(storage: StorageAdapter, key: string, value: string): Promise<void> {
  const current = await storage.get(key)
  await storage.commit([{ type: 'put', key, value: utf8(value), expectedRevision: current?.revision ?? null }])
}

async function deleteRaw(storage: StorageAdapter, key: string): Promise<void> {
  const current = await storage.get(key)
  if (current === undefined) throw new Error(`no ${key}`)
  await storage.commit([{ type: 'delete', key, expectedRevision: current.revision }])
}

const writeSegment = (storage: StorageAdapter, key: string, lines: readonly Fields[]) =>
  putRaw(storage, key, lines.map((f) => JSON.stringify(f)).join('\n'))

/** A line with field `at` changed, keeping its (now wrong) hash. */
const edited = (f: Fields, at: number, value: unknown): Fields => f.map((v, i) => (i === at ? value : v))

/** The line with its hash recomputed, as someone who knows the format but not the MAC key can. */
function rehashed(f: Fields): Fields {
  const body = JSON.stringify(f.slice(0, 15))
  return [...f.slice(0, 15), createHash('sha256').update(body).digest('hex')]
}

/** The one chain's head key (the tests that use it run one engine, so one chain). */
async function headKey(storage: StorageAdapter): Promise<string> {
  const heads = await scanAll(storage, HEADS)
  if (heads.length !== 1) throw new Error(`expected one audit chain, found ${heads.length}`)
  return heads[0]!.key
}

/** A segment's key in the one chain. */
async function segmentKeyOf(storage: StorageAdapter, seq: number): Promise<string> {
  return `${SEGMENTS}${(await headKey(storage)).slice(HEADS.length)}/${seq.toString(16).padStart(16, '0')}`
}

/** Every record of the trail through the API, all pages. */
async function everything(kms: Kms, query: Parameters<Kms['audit']['query']>[0] = {}): Promise<AuditRecord[]> {
  const out: AuditRecord[] = []
  let cursor: string | undefined
  do {
    const page = await kms.audit.query({ ...query, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
    out.push(...page.records)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return out
}

/** A storage adapter that passes through, except for the commits it is told to fail; it logs what it committed. */
function scripted(inner: StorageAdapter) {
  const committed: (readonly Mutation[])[] = []
  let failing: ((mutations: readonly Mutation[]) => Error | undefined) | undefined
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    get: (key) => inner.get(key),
    scan: (options) => inner.scan(options),
    async commit(mutations) {
      const error = failing?.(mutations)
      if (error !== undefined) throw error
      const result = await inner.commit(mutations)
      committed.push(mutations)
      return result
    },
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  return {
    adapter,
    committed,
    /** Fails commits for which `when` returns an error, until `recover()`. */
    fail(when: (mutations: readonly Mutation[]) => Error | undefined): void {
      failing = when
    },
    /** Fails the next commit matching `match` once, with `error`. */
    failOnce(match: (mutations: readonly Mutation[]) => boolean, error: Error): void {
      failing = (mutations) => {
        if (!match(mutations)) return undefined
        failing = undefined
        return error
      }
    },
    recover(): void {
      failing = undefined
    },
  }
}

// ---------------------------------------------------------------- one record per call

describe('one record for every call', () => {
  it('records each call once, allowed or denied, succeeded or failed, with its facts', async () => {
    const { kms, clock } = await open()
    const seen: AuditRecord[] = []
    kms.events.on('audit', (r) => seen.push(r))
    const expected: [string, string, string?][] = [] // eventName, principal, errorCode
    const ids: (string | undefined)[] = []
    const ok = async <T extends { requestId: string }>(eventName: string, principal: string, call: Promise<T>): Promise<T> => {
      const response = await call
      expected.push([eventName, principal])
      ids.push(response.requestId)
      return response
    }
    const fails = async (eventName: string, principal: string, call: Promise<unknown>, code: string): Promise<void> => {
      expect(await outcome(call)).toBe(code)
      expected.push([eventName, principal, code])
      ids.push(undefined)
    }

    const created = await ok('CreateKey', 'root', kms.createKey())
    const keyId = created.keyMetadata.keyId
    const v1 = created.keyMetadata.primaryKeyVersion!
    await ok('CreateAlias', 'root', kms.createAlias({ aliasName: 'alias/orders', keyId }))
    await ok('DescribeRegions', 'root', kms.describeRegions())
    clock.advance(1000)
    const sealed = await ok('Encrypt', 'root', kms.encrypt({ keyId: 'alias/orders', plaintext: utf8('p'), encryptionContext: { tenant: 'acme' } }))
    await ok('Decrypt', 'root', kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob, encryptionContext: { tenant: 'acme' } }))
    await fails('Decrypt', 'root', kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob }), 'InvalidCiphertext')
    await fails('Encrypt', 'root', kms.encrypt({ keyId, plaintext: new Uint8Array(0) }), 'InvalidParameter')
    await fails('Encrypt', 'root', kms.encrypt({ keyId, plaintext: 'not bytes' as unknown as Uint8Array }), 'TypeError')
    await fails('DescribeKey', 'root', kms.describeKey({ keyId: 'not-a-key' }), 'InvalidParameter')
    await fails('DescribeKey', 'root', kms.describeKey({ keyId: '00000000-0000-4000-8000-000000000000' }), 'Forbidden.KeyNotFound')
    const v2 = (await ok('CreateKeyVersion', 'root', kms.createKeyVersion({ keyId }))).keyVersion.keyVersionId
    await ok('DisableKey', 'root', kms.disableKey({ keyId }))
    await ok('DisableKey', 'root', kms.disableKey({ keyId })) // no change, still one record
    await fails('Encrypt', 'root', kms.encrypt({ keyId, plaintext: utf8('p') }), 'Rejected.Disabled')
    await ok('EnableKey', 'root', kms.enableKey({ keyId }))
    const alice = kms.as('alice')
    await ok('DescribeRegions', 'alice', alice.describeRegions())
    await fails('Encrypt', 'alice', alice.encrypt({ keyId: 'alias/orders', plaintext: utf8('p') }), 'Forbidden.NoPermission')
    await fails('ListKeys', 'alice', alice.listKeys(), 'Forbidden.NoPermission')
    await fails('Encrypt', 'alice', alice.encrypt({ keyId, plaintext: new Uint8Array(0) }), 'InvalidParameter')
    await ok('CreatePolicy', 'root', kms.createPolicy({ policyName: 'enc', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } }))
    await fails('CreatePolicy', 'root', kms.createPolicy({ policyName: 'bad', policyDocument: { Version: '1' } }), 'InvalidParameter')
    await ok('AttachPolicy', 'root', kms.attachPolicy({ policyName: 'enc', principal: 'alice' }))
    const other = (await ok('CreateKey', 'alice', alice.createKey())).keyMetadata.keyId
    const moved = await ok('ReEncrypt', 'alice', alice.reEncrypt({
      ciphertextBlob: sealed.ciphertextBlob, sourceEncryptionContext: { tenant: 'acme' }, destinationKeyId: other,
    }))
    await ok('GenerateDataKey', 'alice', alice.generateDataKey({ keyId, numberOfBytes: 16 }))

    const records = await everything(kms)
    expect(records.map((r) => [r.eventName, r.principal, ...(r.errorCode === undefined ? [] : [r.errorCode])])).toEqual(expected)
    // Each success carries the request id the caller got back; results follow error codes.
    for (const [i, r] of records.entries()) {
      if (ids[i] !== undefined) expect(r.requestId).toBe(ids[i])
      expect(r.result).toBe(r.errorCode === undefined ? 'Success' : 'Failure')
      expect(r.region).toBe('local')
      expect(r.accountId).toBe('000000000000')
      expect(r.seq).toBe(i + 1)
      expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/)
    }
    expect(new Set(records.map((r) => r.eventId)).size).toBe(records.length)
    expect(new Set(records.map((r) => r.requestId)).size).toBe(records.length)
    expect(records[0]).toMatchObject({ keyId, eventTime: START })
    const find = (eventName: string, principal: string, nth = 0) => records.filter((r) => r.eventName === eventName && r.principal === principal)[nth]!
    expect(find('CreateAlias', 'root')).toMatchObject({ keyId, aliasName: 'alias/orders' })
    expect(find('Encrypt', 'root')).toMatchObject({ keyId, keyVersionId: v1, aliasName: 'alias/orders', eventTime: '2026-01-01T00:00:01.000Z' })
    expect(find('Decrypt', 'root')).toMatchObject({ keyId, keyVersionId: v1 })
    expect(find('CreateKeyVersion', 'root')).toMatchObject({ keyId, keyVersionId: v2 })
    expect(find('DescribeRegions', 'root').keyId).toBeUndefined()
    expect(find('Encrypt', 'alice')).toMatchObject({ keyId, aliasName: 'alias/orders', errorCode: 'Forbidden.NoPermission' })
    expect(find('ReEncrypt', 'alice')).toMatchObject({ keyId: other, sourceKeyId: keyId, keyVersionId: moved.keyVersionId })
    expect(find('GenerateDataKey', 'alice')).toMatchObject({ keyId, keyVersionId: v2 })
    // Live sinks saw the same records, once each.
    expect(seen).toEqual(records)
    expect((await kms.audit.verify())).toMatchObject({ ok: true, records: records.length, firstSeq: 1, lastSeq: records.length })
  })

  it("records the engine's own changes (automatic rotation, purge) as principal 'system'", async () => {
    const { kms, clock } = await open()
    const rotating = (await kms.createKey({ enableAutomaticRotation: true, rotationInterval: '7d' })).keyMetadata.keyId
    const doomed = (await kms.createKey()).keyMetadata.keyId
    await kms.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    await kms.createPolicy({ policyName: 'enc', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'enc', principal: 'alice' })
    clock.advance(8 * DAY_MS)
    // alice's use triggers the due rotation; the rotation is the engine's, the encrypt hers.
    const sealed = await kms.as('alice').encrypt({ keyId: rotating, plaintext: utf8('x') })
    await kms.maintenance()
    const records = await everything(kms)
    const tail = records.slice(-3).map((r) => [r.eventName, r.principal, r.keyId])
    expect(tail).toEqual([['CreateKeyVersion', 'system', rotating], ['Encrypt', 'alice', rotating], ['PurgeKey', 'system', doomed]])
    expect(records.at(-3)!.keyVersionId).toBe(sealed.keyVersionId)
    expect((await kms.audit.verify()).ok).toBe(true)
  })

  it('query filters by key, principal, action and time, and pages with a cursor', async () => {
    const { kms, clock } = await open()
    const a = (await kms.createKey()).keyMetadata.keyId
    const b = (await kms.createKey()).keyMetadata.keyId
    await kms.createPolicy({ policyName: 'all', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'all', principal: 'alice' })
    const t0 = clock.now()
    for (let i = 0; i < 25; i++) {
      clock.advance(1000)
      await (i % 5 === 0 ? kms.as('alice') : kms).encrypt({ keyId: i % 2 === 0 ? a : b, plaintext: utf8(`m${i}`) })
    }
    const { ciphertextBlob } = await kms.encrypt({ keyId: a, plaintext: utf8('x') })
    await kms.reEncrypt({ ciphertextBlob, destinationKeyId: b })

    const all = await everything(kms)
    const forA = await everything(kms, { keyId: a })
    expect(forA).toEqual(all.filter((r) => r.keyId === a || r.sourceKeyId === a))
    expect(forA.at(-1)!.eventName).toBe('ReEncrypt') // found through its source key
    expect(await everything(kms, { principal: 'alice' })).toEqual(all.filter((r) => r.principal === 'alice'))
    expect((await everything(kms, { principal: 'alice' })).length).toBe(5)
    expect(await everything(kms, { action: 'CreateKey' })).toHaveLength(2)
    const from = t0 + 5000
    const to = t0 + 10_000
    const window = await everything(kms, { from, to })
    expect(window.map((r) => r.eventTime)).toEqual([5, 6, 7, 8, 9].map((s) => new Date(t0 + s * 1000).toISOString()))
    expect(await everything(kms, { from: new Date(from).toISOString(), to: new Date(to) })).toEqual(window)
    expect(await everything(kms, { keyId: b, principal: 'alice', action: 'Encrypt' })).toEqual(
      all.filter((r) => r.keyId === b && r.principal === 'alice' && r.eventName === 'Encrypt'))

    // Pages of 10 over 13 records for key a: 10, 3, and no cursor on the last page.
    const first = await kms.audit.query({ keyId: a, limit: 10 })
    expect(first.records).toEqual(forA.slice(0, 10))
    expect(first.nextCursor).toBeDefined()
    const second = await kms.audit.query({ keyId: a, limit: 10, cursor: first.nextCursor! })
    expect(second.records).toEqual(forA.slice(10))
    expect(second.nextCursor).toBeUndefined()
    // An exact fit leaves no dangling empty page.
    expect((await kms.audit.query({ keyId: a, limit: forA.length })).nextCursor).toBeUndefined()
    expect((await kms.audit.query()).records).toHaveLength(Math.min(100, all.length))

    await rejectsWith(kms.audit.query({ limit: 0 }), 'InvalidParameter')
    await rejectsWith(kms.audit.query({ limit: 1001 }), 'InvalidParameter')
    await rejectsWith(kms.audit.query({ cursor: 'abc' }), 'InvalidParameter')
    await rejectsWith(kms.audit.query({ from: 'yesterday' }), 'InvalidParameter')
  })

  it('export yields JSON lines identical to the query results', async () => {
    const { kms } = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    for (let i = 0; i < 30; i++) await kms.encrypt({ keyId, plaintext: utf8(`m${i}`), encryptionContext: { i: String(i) } })
    await kms.describeRegions()
    const lines: string[] = []
    for await (const line of kms.audit.export()) lines.push(line)
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true)
    expect(lines.map((l) => JSON.parse(l) as AuditRecord)).toEqual(await everything(kms))
    const filtered: string[] = []
    for await (const line of kms.audit.export({ action: 'Encrypt' })) filtered.push(line)
    expect(filtered.join('')).toBe((await everything(kms, { action: 'Encrypt' })).map((r) => JSON.stringify(r) + '\n').join(''))
    expect(filtered).toHaveLength(30)
  })
})

// ---------------------------------------------------------------- secrets

describe('no secret in any record or event', () => {
  it('plaintexts, data keys, ciphertexts and the passphrase are absent from storage and from audit events', async () => {
    const passphrase = 'correct horse battery staple'
    const { kms, storage } = await open({
      rootKey: passphraseRootKey(passphrase, { N: 2 ** 14 }), audit: { encryptionContext: 'hmac' },
    })
    const events: string[] = []
    kms.events.on('audit', (r) => events.push(JSON.stringify(r)))
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const other = (await kms.createKey()).keyMetadata.keyId
    const secrets: Uint8Array[] = [utf8(passphrase)]
    const contextValue = 'tenant-value-7f3a9c'
    for (let i = 0; i < 5; i++) {
      const plaintext = utf8(`the plaintext number ${i} 4111-1111-1111-1111`)
      const sealed = await kms.encrypt({ keyId, plaintext, encryptionContext: { tenant: contextValue } })
      await kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob, encryptionContext: { tenant: contextValue } })
      const moved = await kms.reEncrypt({ ciphertextBlob: sealed.ciphertextBlob, sourceEncryptionContext: { tenant: contextValue }, destinationKeyId: other })
      const dataKey = await kms.generateDataKey({ keyId, encryptionContext: { tenant: contextValue } })
      const wrapped = await kms.generateDataKeyWithoutPlaintext({ keyId })
      // A failed decrypt of a (mangled) ciphertext must not record it either.
      const mangled = sealed.ciphertextBlob.slice()
      mangled[mangled.length - 1]! ^= 1
      await rejectsWith(kms.decrypt({ ciphertextBlob: mangled, encryptionContext: { tenant: contextValue } }), 'InvalidCiphertext')
      secrets.push(plaintext, sealed.ciphertextBlob, moved.ciphertextBlob, dataKey.plaintext, dataKey.ciphertextBlob, wrapped.ciphertextBlob, mangled)
    }
    await kms.audit.flush()
    const raw = await scanAll(storage, '')
    const records = await stored(storage)
    expect(records.length).toBeGreaterThan(30)
    expect(events).toHaveLength(records.length)
    const haystacks = [...raw.map((r) => Buffer.from(r.value).toString('latin1')), ...raw.map((r) => r.key), ...events]
    for (const secret of secrets) {
      // Whole, and any 16-byte window of it (a ciphertext body without its header).
      const forms = [Buffer.from(secret).toString('latin1'), hex(secret), base64(secret)]
      for (let at = 0; at + 16 <= secret.length; at += 8) {
        const window = secret.subarray(at, at + 16)
        forms.push(Buffer.from(window).toString('latin1'), hex(window))
      }
      for (const form of forms) for (const hay of haystacks) expect(hay.includes(form)).toBe(false)
    }
    // In hmac mode the context value itself is not stored either.
    for (const hay of haystacks) expect(hay.includes(contextValue)).toBe(false)
  })

  it("records encryption contexts as the setting says: 'hmac' (default), 'plain' or 'omit'", async () => {
    const run = async (audit: KmsOptions['audit']) => {
      const { kms } = await open(audit === undefined ? {} : { audit })
      const keyId = (await kms.createKey()).keyMetadata.keyId
      await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme', order: '42' } })
      await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme', order: '43' } })
      await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { order: 'acme' } })
      return (await everything(kms, { action: 'Encrypt' })).map((r) => r.encryptionContext)
    }
    expect(await run({ encryptionContext: 'plain' })).toEqual([
      { order: '42', tenant: 'acme' }, { order: '43', tenant: 'acme' }, { order: 'acme' },
    ])
    expect(await run({ encryptionContext: 'omit' })).toEqual([undefined, undefined, undefined])
    for (const hmac of [await run(undefined), await run({ encryptionContext: 'hmac' })]) {
      const [first, second, third] = hmac as Record<string, string>[]
      for (const value of [...Object.values(first!), ...Object.values(second!), ...Object.values(third!)]) {
        expect(value).toMatch(/^hmac-sha256:[A-Za-z0-9+/]+=*$/)
        expect(value).not.toContain('acme')
      }
      expect(Object.keys(first!)).toEqual(['order', 'tenant'])
      expect(first!['tenant']).toBe(second!['tenant']) // same value → same hmac
      expect(first!['order']).not.toBe(second!['order']) // different values differ
      expect(third!['order']).not.toBe(first!['tenant']) // the same value under another name differs
    }
  })

  it('records each call\'s own context when the caller reuses, changes or reorders one object between calls', async () => {
    const { kms } = await open({ audit: { encryptionContext: 'plain' } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const context: Record<string, string> = { tenant: 'acme' }
    const expected: Record<string, string>[] = []
    const call = async () => {
      await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: context })
      expected.push({ ...context })
    }
    await call()
    await call() // unchanged
    context['tenant'] = 'globex' // same key, new value
    await call()
    context['order'] = '7' // a key more
    await call()
    delete context['tenant'] // a key fewer
    await call()
    await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme', order: '7' } })
    await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { order: '7', tenant: 'acme' } }) // same pairs, other order
    await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { order: 'tenant', tenant: 'acme7' } }) // same text run together
    expected.push({ order: '7', tenant: 'acme' }, { order: '7', tenant: 'acme' }, { order: 'tenant', tenant: 'acme7' })
    expect((await everything(kms, { action: 'Encrypt' })).map((r) => r.encryptionContext)).toEqual(expected)
    expect((await kms.audit.verify()).ok).toBe(true)
  })

  it('records times exactly whatever the clock returns, fractions included', async () => {
    const { kms, clock, storage } = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    clock.advance(0.5)
    await kms.describeKey({ keyId })
    clock.advance(1234.25)
    await kms.describeKey({ keyId })
    await kms.audit.flush()
    const stored = (await segments(storage)).flatMap((s) => s.lines).filter((f) => f[3] === 'DescribeKey').map((f) => f[2])
    expect(stored).toEqual([Date.parse(START) + 0.5, Date.parse(START) + 1234.75])
    expect((await kms.audit.verify()).ok).toBe(true)
  })
})

// ---------------------------------------------------------------- tamper evidence

/** Field positions in a stored line. */
const SEQ = 0
const PRINCIPAL = 4
const ERROR_CODE = 13
const PREV_HASH = 14
const HASH = 15

/**
 * A trail of four segments: [1] createKey (atomic with the key), [2..5] two encrypts and a
 * describeRegions waiting, committed with the disable, [6..9] likewise with the enable,
 * [10] a describeRegions flushed on its own.
 */
async function trailOfSegments() {
  const { kms, storage, clock } = await open({ audit: { flushIntervalMs: 60_000 } })
  const keyId = (await kms.createKey()).keyMetadata.keyId
  await kms.encrypt({ keyId, plaintext: utf8('a') })
  await kms.encrypt({ keyId, plaintext: utf8('b') })
  await kms.describeRegions()
  await kms.disableKey({ keyId })
  await kms.describeKey({ keyId })
  await kms.describeKey({ keyId })
  await kms.describeKey({ keyId })
  await kms.enableKey({ keyId })
  await kms.describeRegions()
  await kms.audit.flush()
  const segs = await segments(storage)
  expect(segs.map((s) => s.lines.map((f) => f[SEQ]))).toEqual([[1], [2, 3, 4, 5], [6, 7, 8, 9], [10]])
  expect(await kms.audit.verify()).toMatchObject({ ok: true, records: 10, firstSeq: 1, lastSeq: 10 })
  return { kms, storage, clock, segs, keyId }
}

describe('tamper evidence: verify() finds what was changed and where', () => {
  it('an untouched trail verifies, and keeps verifying as it grows', async () => {
    const { kms } = await trailOfSegments()
    await kms.describeRegions()
    expect(await kms.audit.verify()).toMatchObject({ ok: true, records: 11, firstSeq: 1, lastSeq: 11 })
    const { kms: empty } = await open()
    expect(await empty.audit.verify()).toMatchObject({ ok: true, records: 0, firstSeq: 1, lastSeq: 0 })
  })

  it('(a) one field of one record modified', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    const seg = segs[1]!
    // Hide a call by making it another principal's.
    const forged = seg.lines.map((f) => (f[SEQ] === 3 ? edited(f, PRINCIPAL, 'mallory') : f))
    await writeSegment(storage, seg.key, forged)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/record 3 was modified/) })
    // Or turn a failure into a success.
    const failed = seg.lines.map((f) => (f[SEQ] === 5 ? edited(f, ERROR_CODE, 'Forbidden.NoPermission') : f))
    await writeSegment(storage, seg.key, failed)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 5, problem: expect.stringMatching(/record 5 was modified/) })
    // With that record's own hash recomputed, the next record no longer follows it.
    forged[1] = rehashed(forged[1]!)
    await writeSegment(storage, seg.key, forged)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 4, problem: expect.stringMatching(/record 4 does not follow record 3/) })
    // A line that is no longer a record at all.
    await putRaw(storage, seg.key, JSON.stringify(seg.lines[0]) + '\n{"oops":1}')
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 2, problem: expect.stringMatching(/unreadable/) })
  })

  it('(b) a whole segment deleted in the middle', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    await deleteRaw(storage, segs[1]!.key)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 2, problem: expect.stringMatching(/records 2-5 are missing/) })
  })

  it('(c) a segment or a record inserted or duplicated', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    // A copy of records 3..5 under the name of a segment starting at 3.
    await writeSegment(storage, (await segmentKeyOf(storage, 3)), segs[1]!.lines.slice(1))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/record 3 appears again/) })
    await deleteRaw(storage, (await segmentKeyOf(storage, 3)))
    expect((await kms.audit.verify()).ok).toBe(true)
    // A copy of a segment under a name that does not match its content.
    await writeSegment(storage, (await segmentKeyOf(storage, 6)) + '0', segs[2]!.lines)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/does not start where its name says/) })
    await deleteRaw(storage, (await segmentKeyOf(storage, 6)) + '0')
    // A record duplicated inside its segment.
    const seg = segs[2]!
    await writeSegment(storage, seg.key, [seg.lines[0]!, seg.lines[1]!, seg.lines[1]!, ...seg.lines.slice(2)])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 7, problem: expect.stringMatching(/record 7 appears again/) })
    await writeSegment(storage, seg.key, seg.lines)
    // A record forged after the last one, correctly chained and hashed, but past the MAC'd head.
    const last = segs[3]!.lines[0]!
    const extra = rehashed([11, 'forged', ...last.slice(2, PREV_HASH), last[HASH], ''])
    await writeSegment(storage, (await segmentKeyOf(storage, 11)), [extra])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/does not end where its head says/) })
  })

  it('(d) two records swapped inside a segment', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    const [r6, r7, r8, r9] = segs[2]!.lines
    await writeSegment(storage, segs[2]!.key, [r6!, r8!, r7!, r9!])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 7, problem: expect.stringMatching(/record 7 is out of order \(record 8 comes before it\)/) })
    // The first two: the segment no longer starts with the record its name says.
    await writeSegment(storage, segs[2]!.key, [r7!, r6!, r8!, r9!])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 6, problem: expect.stringMatching(/does not start where its name says/) })
    const rest = [r8!, r9!]
    // Swapped and renumbered, so the sequence numbers still run 6, 7: the chain breaks.
    await writeSegment(storage, segs[2]!.key, [rehashed(edited(r7!, SEQ, 6)), rehashed(edited(r6!, SEQ, 7)), ...rest])
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 6, problem: expect.stringMatching(/record 6 does not follow record 5/) })
  })

  it('(e) truncated: the last segment deleted', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    await deleteRaw(storage, segs[3]!.key)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/truncated: records 10-10 are missing/) })
    await deleteRaw(storage, segs[2]!.key)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 6, problem: expect.stringMatching(/truncated: records 6-10 are missing/) })
  })

  it('(f) the head forged without the MAC key', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    const head = JSON.parse(text((await storage.get(await headKey(storage)))!.value)) as Record<string, unknown>
    // Truncate and move the head back to match: the MAC gives it away.
    await deleteRaw(storage, segs[3]!.key)
    const nine = segs[2]!.lines[3]!
    await putRaw(storage, await headKey(storage), JSON.stringify({ ...head, lastSeq: 9, lastHash: nine[HASH] }))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 9, problem: expect.stringMatching(/head was modified/) })
    // Only the hash changed.
    await putRaw(storage, await headKey(storage), JSON.stringify({ ...head, lastHash: nine[HASH] }))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/head was modified/) })
    // Retention forged: the anchor moved forward to hide the first records.
    await writeSegment(storage, segs[3]!.key, segs[3]!.lines)
    await deleteRaw(storage, segs[0]!.key)
    await putRaw(storage, await headKey(storage), JSON.stringify({ ...head, firstSeq: 2, anchorHash: segs[0]!.lines[0]![HASH] }))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/head was modified/) })
    // An unreadable head, or none at all.
    await writeSegment(storage, segs[0]!.key, segs[0]!.lines)
    await putRaw(storage, await headKey(storage), '{"schema":1')
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 0, problem: expect.stringMatching(/head is unreadable/) })
    await deleteRaw(storage, await headKey(storage))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 1, problem: expect.stringMatching(/head is missing/) })
  })

  it('(g) the whole chain rewritten consistently, without the MAC key', async () => {
    const { kms, storage, segs } = await trailOfSegments()
    const head = JSON.parse(text((await storage.get(await headKey(storage)))!.value)) as Record<string, unknown>
    let prevHash = '0'.repeat(64)
    const rewritten = segs.map((s) => ({
      key: s.key,
      lines: s.lines.map((f) => {
        const next = rehashed(edited(edited(f, PREV_HASH, prevHash), PRINCIPAL, f[SEQ] === 3 ? 'mallory' : f[PRINCIPAL]))
        prevHash = next[HASH] as string
        return next
      }),
    }))
    for (const s of rewritten) await writeSegment(storage, s.key, s.lines)
    // The old head no longer matches the end of the chain...
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/does not end where its head says/) })
    // ...and a head moved to the new end cannot carry a valid MAC.
    await putRaw(storage, await headKey(storage), JSON.stringify({ ...head, lastHash: prevHash }))
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 10, problem: expect.stringMatching(/head was modified/) })
  })

  it('(h) rolled back: newer records deleted and an older, genuine head put back', async () => {
    const storage = memoryStorage(new MemoryLevel(), { closeDatabase: false })
    const { kms } = await open({ storage, rootKey: rawRootKey(ROOT), closeStorage: false, audit: { flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.encrypt({ keyId, plaintext: utf8('a') })
    await kms.audit.flush()
    const savedHead = await storage.get(await headKey(storage)) // genuine, validly MAC'd, as it stood then
    const anchor = await kms.audit.anchor()
    expect(anchor.seq).toBe(2)
    await kms.encrypt({ keyId, plaintext: utf8('b') })
    await kms.describeRegions()
    await kms.audit.flush()
    expect((await kms.audit.anchor()).seq).toBe(4)
    const keep = await kms.audit.anchor()
    // Delete the newer segment and put the old head back: every MAC and hash still checks out.
    for (const seg of await segments(storage)) if (seg.lines.some((f) => (f[SEQ] as number) > 2)) await deleteRaw(storage, seg.key)
    await putRaw(storage, await headKey(storage), text(savedHead!.value))
    // This engine remembers committing record 4.
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/rolled back: it ends at record 2, but record 4/) })
    // A fresh engine has no such memory: the chain alone looks fine, the anchor kept outside does not.
    const fresh = await Kms.open({ storage, rootKey: rawRootKey(ROOT), closeStorage: false, audit: { flushIntervalMs: 60_000 } })
    cleanups.push(() => fresh.close())
    expect((await fresh.audit.verify()).ok).toBe(true)
    expect(await fresh.audit.verify({ anchor: keep })).toMatchObject({ ok: false, seq: 3, problem: expect.stringMatching(/rolled back/) })
  })

  it('on LevelDB: verifies after a restart, and detects a record modified while the engine was down', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-audit-'))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const rootKey = passphraseRootKey('audit passphrase', { N: 2 ** 14 })
    const first = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey })
    const keyId = (await first.createKey()).keyMetadata.keyId
    for (let i = 0; i < 5; i++) await first.encrypt({ keyId, plaintext: utf8(`m${i}`) })
    await first.disableKey({ keyId })
    await first.close()

    const second = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey })
    expect(await second.audit.verify()).toMatchObject({ ok: true, records: 7, firstSeq: 1, lastSeq: 7 })
    await second.close()

    const raw = levelStorage(new ClassicLevel(dir))
    const seg = (await segments(raw)).find((s) => s.lines.some((f) => f[3] === 'DisableKey'))!
    await writeSegment(raw, seg.key, seg.lines.map((f) => (f[3] === 'DisableKey' ? edited(f, ERROR_CODE, 'Rejected.Disabled') : f)))
    await raw.close()

    const third = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey })
    cleanups.push(() => third.close())
    expect(await third.audit.verify()).toMatchObject({ ok: false, seq: 7, problem: expect.stringMatching(/record 7 was modified/) })
  })
})

// ---------------------------------------------------------------- atomicity

describe('a state change and its record commit together', () => {
  it('a failed commit leaves neither the change nor a Success record; the Failure is recorded', async () => {
    const s = scripted(memoryStorage())
    const { kms, storage } = await open({ storage: s.adapter })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const changes: unknown[] = []
    kms.events.on('keyStateChanged', (e) => changes.push(e))
    s.failOnce((m) => m.some((x) => x.key === `key/${keyId}`), new Error('disk full'))
    await rejectsWith(kms.disableKey({ keyId }), 'StorageFailure')
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
    expect(changes).toEqual([])
    expect((await stored(storage)).filter((r) => r.eventName === 'DisableKey')).toEqual([]) // nothing yet
    const records = await everything(kms, { action: 'DisableKey' })
    expect(records.map((r) => [r.result, r.errorCode])).toEqual([['Failure', 'StorageFailure']])

    // The successful retry: the key change and its record are in one commit.
    await kms.disableKey({ keyId })
    const commit = s.committed.filter((m) => m.some((x) => x.key === `key/${keyId}` && x.type === 'put')).at(-1)!
    const segment = commit.find((x) => x.key.startsWith(SEGMENTS))
    expect(segment?.type).toBe('put')
    const inCommit = text((segment as { value: Uint8Array }).value).split('\n').map((l) => recordOf(JSON.parse(l) as Fields, segment!.key.split('/')[2]!))
    expect(inCommit.at(-1)).toMatchObject({ eventName: 'DisableKey', keyId, result: 'Success' })
    expect(commit.some((x) => x.key.startsWith(HEADS))).toBe(true)
    expect((await kms.audit.verify()).ok).toBe(true)
  })

  it('a change retried after a Conflict is recorded once', async () => {
    const s = scripted(memoryStorage())
    const { kms } = await open({ storage: s.adapter })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const changes: unknown[] = []
    const audited: AuditRecord[] = []
    kms.events.on('keyStateChanged', (e) => changes.push(e))
    kms.events.on('audit', (r) => audited.push(r))
    // Twice in a row, as another writer getting there first would cause.
    let conflicts = 0
    s.fail((m) => (m.some((x) => x.key === `key/${keyId}`) && conflicts++ < 2 ? new KmsError('Conflict') : undefined))
    await kms.disableKey({ keyId })
    expect(conflicts).toBe(3)
    expect(changes).toHaveLength(1)
    const records = await everything(kms, { action: 'DisableKey' })
    expect(records.map((r) => r.result)).toEqual(['Success'])
    expect(audited.filter((r) => r.eventName === 'DisableKey')).toEqual(records)
    expect((await kms.audit.verify()).ok).toBe(true)
  })
})

// ---------------------------------------------------------------- group commit

describe('group commit, durability and failing closed', () => {
  it('crypto records wait for the next commit; query and flush commit them', async () => {
    const { kms, storage } = await open({ audit: { flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const committed = (await stored(storage)).length
    for (let i = 0; i < 3; i++) await kms.encrypt({ keyId, plaintext: utf8('x') })
    await kms.describeKey({ keyId })
    expect((await stored(storage)).length).toBe(committed)
    await kms.audit.flush()
    expect((await stored(storage)).length).toBe(committed + 4)
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect((await stored(storage)).length).toBe(committed + 4)
    expect((await kms.audit.query()).records).toHaveLength(committed + 5) // query flushes first
    expect((await stored(storage)).length).toBe(committed + 5)
  })

  it('the timer commits pending records within flushIntervalMs', async () => {
    const { kms, storage } = await open({ audit: { flushIntervalMs: 10 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect(await stored(storage)).toHaveLength(1)
    await eventually(async () => (await stored(storage)).length === 2, 'the timer committed the encrypt record')
  })

  it('maxPendingRecords starts a commit without waiting for the timer', async () => {
    const { kms, storage } = await open({ audit: { flushIntervalMs: 60_000, maxPendingRecords: 4 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    for (let i = 0; i < 3; i++) await kms.encrypt({ keyId, plaintext: utf8('x') })
    await sleep(5)
    expect(await stored(storage)).toHaveLength(1)
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    await eventually(async () => (await stored(storage)).length === 5, 'the fourth record started a commit')
  })

  it('records that arrive while a maxPendingRecords commit is under way are still committed within flushIntervalMs', async () => {
    const { kms, storage } = await open({ audit: { flushIntervalMs: 20, maxPendingRecords: 1 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    // Each call starts a commit; the calls made while one is in flight must not be left behind.
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await kms.encrypt({ keyId, plaintext: utf8('x') })).requestId)
    await eventually(async () => {
      const onStore = new Set((await stored(storage)).map((r) => r.requestId))
      return ids.every((id) => onStore.has(id))
    }, 'every record was committed without another call')
  })

  it("durability 'sync': the record is stored when the call resolves, failed calls included", async () => {
    const { kms, storage } = await open({ audit: { durability: 'sync', flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const sealed = await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect((await stored(storage)).at(-1)).toMatchObject({ eventName: 'Encrypt', requestId: sealed.requestId })
    await kms.describeRegions()
    expect((await stored(storage)).at(-1)!.eventName).toBe('DescribeRegions')
    await rejectsWith(kms.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    expect((await stored(storage)).at(-1)).toMatchObject({ eventName: 'Encrypt', principal: 'alice', errorCode: 'Forbidden.NoPermission' })
    // Concurrent calls share commits but each waits for its own record.
    const calls = await Promise.all(Array.from({ length: 10 }, () => kms.encrypt({ keyId, plaintext: utf8('x') })))
    const ids = new Set((await stored(storage)).map((r) => r.requestId))
    expect(calls.every((c) => ids.has(c.requestId))).toBe(true)
  })

  it('a clean close loses no pending record', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const options = { rootKey: rawRootKey(ROOT), audit: { flushIntervalMs: 60_000 } } as const
    const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), ...options })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push((await kms.encrypt({ keyId, plaintext: utf8('x') })).requestId)
    ids.push((await kms.describeRegions()).requestId)
    // And a call still in flight when close() is called (a principal's call reads storage).
    await kms.createPolicy({ policyName: 'p', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'p', principal: 'alice' })
    const inFlight = kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
    await kms.close()
    const lastCall = await outcome(inFlight)

    const reopened = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), ...options })
    cleanups.push(() => reopened.close())
    const records = await everything(reopened)
    const recorded = new Set(records.map((r) => r.requestId))
    expect(ids.every((id) => recorded.has(id))).toBe(true)
    expect(records.filter((r) => r.principal === 'alice').map((r) => r.errorCode ?? 'ok')).toEqual([lastCall])
    expect(await reopened.audit.verify()).toMatchObject({ ok: true, records: records.length, firstSeq: 1, lastSeq: records.length })
  })

  it('fails closed: after a failed background commit every call is refused with AuditFailure until storage recovers', async () => {
    const s = scripted(memoryStorage())
    const { kms } = await open({ storage: s.adapter, audit: { flushIntervalMs: 5 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.encrypt({ keyId, plaintext: utf8('before') })
    await kms.audit.flush()
    s.fail(() => new Error('disk full'))
    const lost = await kms.encrypt({ keyId, plaintext: utf8('during') }) // returns; its record is pending
    // The timer's commit fails; from then on calls are refused.
    await eventually(async () => (await outcome(kms.describeRegions())) === 'AuditFailure', 'a background commit failed')
    const refused = [
      kms.encrypt({ keyId, plaintext: utf8('x') }), kms.describeRegions(), kms.describeKey({ keyId }),
      kms.disableKey({ keyId }), kms.as('alice').describeRegions(),
    ]
    for (const call of refused) {
      const error = await rejectsWith(call, 'AuditFailure')
      expect(error.kind).toBe('internal')
    }
    await rejectsWith(kms.audit.flush(), 'AuditFailure')
    await rejectsWith(kms.audit.verify(), 'AuditFailure')
    expect((await kms.describeKey({ keyId }).catch(() => undefined))).toBeUndefined()

    s.recover()
    await kms.encrypt({ keyId, plaintext: utf8('after') })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
    const records = await everything(kms)
    expect(records.some((r) => r.requestId === lost.requestId)).toBe(true) // nothing pending was dropped
    expect(await kms.audit.verify()).toMatchObject({ ok: true, records: records.length, firstSeq: 1, lastSeq: records.length })
  })

  it('fails closed when a maxPendingRecords commit fails, too', async () => {
    const s = scripted(memoryStorage())
    const { kms } = await open({ storage: s.adapter, audit: { flushIntervalMs: 60_000, maxPendingRecords: 2 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    s.fail((m) => (m.some((x) => x.key.startsWith(SEGMENTS)) ? new Error('io error') : undefined))
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    await kms.encrypt({ keyId, plaintext: utf8('x') }) // starts a commit that fails
    await eventually(async () => (await outcome(kms.describeRegions())) === 'AuditFailure', 'the commit failed')
    await rejectsWith(kms.encrypt({ keyId, plaintext: utf8('x') }), 'AuditFailure')
    s.recover()
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect(await everything(kms, { action: 'Encrypt' })).toHaveLength(3)
  })
})

describe('two engines sharing one store', () => {
  it('each appends to a chain of its own, never the same records: every call recorded once, and every chain verifies', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const options = { rootKey: rawRootKey(ROOT), audit: { flushIntervalMs: 5, maxPendingRecords: 8 } } as const
    const a = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), ...options })
    cleanups.push(() => a.close())
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), ...options })
    cleanups.push(() => b.close())
    const keyId = (await a.createKey()).keyMetadata.keyId
    const calls = await Promise.all(Array.from({ length: 60 }, (_, i) => {
      const engine = i % 2 === 0 ? a : b
      if (i % 10 === 3) return engine.updateKeyDescription({ keyId, description: `d${i}` })
      return engine.encrypt({ keyId, plaintext: utf8(`m${i}`) })
    }))
    await a.audit.flush()
    await b.audit.flush()
    const records = await everything(a)
    expect(records).toEqual(await everything(b))
    const ids = records.map((r) => r.requestId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(calls.every((c) => ids.includes(c.requestId))).toBe(true)
    expect(records).toHaveLength(61)
    // Two chains, one per engine; queries merge them by time.
    expect(new Set(records.map((r) => r.chain)).size).toBe(2)
    const times = records.map((r) => Date.parse(r.eventTime))
    expect(times).toEqual([...times].sort((x, y) => x - y))
    const verified = await a.audit.verify()
    expect(verified).toMatchObject({ ok: true, records: 61, firstSeq: 1 })
    expect(verified.ok && verified.chains.map((c) => c.records).reduce((x, y) => x + y)).toBe(61)
    expect(await b.audit.verify()).toEqual(verified)
  })
})

// ---------------------------------------------------------------- retention

describe('retention', () => {
  it('prune removes old segments, keeps the rest verifiable and is itself recorded', async () => {
    const { kms, storage, clock } = await open({ audit: { flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 3; i++) await kms.encrypt({ keyId, plaintext: utf8('x') })
      await kms.audit.flush()
      clock.advance(DAY_MS)
    }
    const before = await everything(kms)
    expect(before).toHaveLength(31)
    const cutoff = Date.parse(START) + 5 * DAY_MS
    const { removed } = await kms.audit.prune({ before: cutoff })
    // createKey's segment and days 0-4 (the first encrypt group shares day 0).
    expect(removed).toBe(1 + 5 * 3)
    const after = await everything(kms)
    expect(after.every((r) => Date.parse(r.eventTime) >= cutoff)).toBe(true)
    expect(after.slice(0, -1)).toEqual(before.filter((r) => Date.parse(r.eventTime) >= cutoff))
    expect(after.at(-1)).toMatchObject({ eventName: 'PruneAuditTrail', principal: 'root', result: 'Success' })
    expect(await kms.audit.query({ keyId, to: cutoff })).toEqual({ records: [] })
    const firstKept = after[0]!.seq
    expect(await kms.audit.verify()).toMatchObject({ ok: true, records: after.length, firstSeq: firstKept, lastSeq: 32 })
    expect((await segments(storage))[0]!.lines[0]![SEQ]).toBe(firstKept)

    // Still tamper-evident after pruning: deleting the oldest kept segment is noticed.
    await deleteRaw(storage, (await segments(storage))[0]!.key)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, seq: firstKept, problem: expect.stringMatching(/missing/) })
  })

  it('never removes the newest records, and pruning nothing removes nothing', async () => {
    const { kms, clock } = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    clock.advance(DAY_MS)
    expect(await kms.audit.prune({ before: '2020-01-01T00:00:00Z' })).toEqual({ removed: 0 })
    const { removed } = await kms.audit.prune({ before: new Date(clock.now() + DAY_MS) })
    expect(removed).toBeGreaterThan(0)
    const left = await everything(kms)
    expect(left.length).toBeGreaterThan(0)
    expect((await kms.audit.verify()).ok).toBe(true)
    await rejectsWith(kms.audit.prune({ before: 'not a date' }), 'InvalidParameter')
  })
})

// ---------------------------------------------------------------- last used

describe('describeKey lastUsedDate', () => {
  it('moves with encrypt, decrypt and generateDataKey, not with describeKey or refused calls', async () => {
    const { kms, clock } = await open()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const lastUsed = async () => (await kms.describeKey({ keyId })).keyMetadata.lastUsedDate
    expect(await lastUsed()).toBeUndefined()
    clock.advance(1000)
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect(await lastUsed()).toBe('2026-01-01T00:00:01Z')
    clock.advance(1000)
    expect(await lastUsed()).toBe('2026-01-01T00:00:01Z')
    await rejectsWith(kms.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await rejectsWith(kms.decrypt({ ciphertextBlob, encryptionContext: { wrong: 'context' } }), 'InvalidCiphertext')
    expect(await lastUsed()).toBe('2026-01-01T00:00:01Z')
    await kms.decrypt({ ciphertextBlob })
    expect(await lastUsed()).toBe('2026-01-01T00:00:02Z')
    clock.advance(1000)
    await kms.generateDataKey({ keyId })
    expect(await lastUsed()).toBe('2026-01-01T00:00:03Z')
  })

  it('survives a restart on LevelDB', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-audit-'))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const rootKey = passphraseRootKey('last used', { N: 2 ** 14 })
    const clock = new ManualClock(START)
    const first = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey, clock })
    const used = (await first.createKey()).keyMetadata.keyId
    const unused = (await first.createKey()).keyMetadata.keyId
    clock.advance(60_000)
    await first.generateDataKeyWithoutPlaintext({ keyId: used })
    await first.close()
    clock.advance(60_000)
    const second = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey, clock })
    cleanups.push(() => second.close())
    expect((await second.describeKey({ keyId: used })).keyMetadata.lastUsedDate).toBe('2026-01-01T00:01:00Z')
    expect((await second.describeKey({ keyId: unused })).keyMetadata.lastUsedDate).toBeUndefined()
  })
})

// ---------------------------------------------------------------- off, events

describe('audit: false', () => {
  it('records nothing, and the trail administration is unsupported', async () => {
    const { kms, storage } = await open({ audit: false })
    const events: unknown[] = []
    kms.events.on('audit', (r) => events.push(r))
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.encrypt({ keyId, plaintext: utf8('x') })
    await rejectsWith(kms.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await kms.disableKey({ keyId })
    expect((await kms.describeKey({ keyId })).keyMetadata.lastUsedDate).toBeUndefined()
    expect(await scanAll(storage, 'audit/')).toEqual([])
    expect(events).toEqual([])
    await rejectsWith(kms.audit.query(), 'Rejected.UnsupportedOperation')
    await rejectsWith(kms.audit.verify(), 'Rejected.UnsupportedOperation')
    await rejectsWith(kms.audit.prune({ before: Date.now() }), 'Rejected.UnsupportedOperation')
    await rejectsWith((async () => {
      for await (const line of kms.audit.export()) void line
    })(), 'Rejected.UnsupportedOperation')
  })
})

describe("the 'audit' event", () => {
  it('delivers every committed record once, in order, and not before it is committed', async () => {
    const { kms, storage } = await open({ audit: { flushIntervalMs: 60_000 } })
    const seen: AuditRecord[] = []
    kms.events.on('audit', (r) => seen.push(r))
    const keyId = (await kms.createKey()).keyMetadata.keyId
    expect(seen.map((r) => r.eventName)).toEqual(['CreateKey'])
    for (let i = 0; i < 5; i++) await kms.encrypt({ keyId, plaintext: utf8('x') })
    expect(seen).toHaveLength(1) // still pending
    await kms.disableKey({ keyId }) // commits the pending ones with the change
    expect(seen.map((r) => r.eventName)).toEqual(['CreateKey', 'Encrypt', 'Encrypt', 'Encrypt', 'Encrypt', 'Encrypt', 'DisableKey'])
    const onStore = await stored(storage)
    expect(seen).toEqual(onStore)
    await kms.describeRegions()
    await kms.audit.flush()
    await kms.audit.flush()
    expect(seen).toEqual(await everything(kms))
    // A throwing listener does not fail the call; its error is re-thrown on a later tick.
    const errors: unknown[] = []
    const onUncaught = (e: unknown) => errors.push(e)
    process.on('uncaughtException', onUncaught)
    kms.events.on('audit', () => {
      throw new Error('sink down')
    })
    await kms.describeRegions()
    await kms.audit.flush()
    await sleep(5)
    process.off('uncaughtException', onUncaught)
    expect(seen.at(-1)!.eventName).toBe('DescribeRegions')
    expect(seen).toEqual(await everything(kms))
    expect(errors).toHaveLength(1)
  })
})

describe('a context object changed after the call', () => {
  it('is recorded as it was at the call, not as it is at the group commit', async () => {
    const { kms } = await open({ audit: { encryptionContext: 'plain', flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const context: Record<string, string> = { tenant: 'acme' }
    await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: context })
    context['tenant'] = 'globex' // reused and changed before the records are committed
    const [record] = (await kms.audit.query({ action: 'Encrypt' })).records
    expect(record?.encryptionContext).toEqual({ tenant: 'acme' })
  })
})

describe('records are valid JSON whatever the names', () => {
  it('principal and alias names with every allowed punctuation, and odd error names, round-trip', async () => {
    const { kms } = await open({ audit: { flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const principal = 'a+b=c,d.e@f_g/h:i-j'
    const aliasName = 'alias/x:y/z_w-v'
    await kms.createAlias({ aliasName, keyId })
    await kms.as(principal).describeKey({ keyId: aliasName }).catch(() => undefined)
    await kms.encrypt({ keyId: aliasName, plaintext: utf8('x'), encryptionContext: { 'quote"key': 'back\\slash\nnewline', '😀': 'ü' } })
    await kms.encrypt({ keyId, plaintext: 42 as unknown as Uint8Array }).catch(() => undefined) // a TypeError
    expect((await kms.audit.verify()).ok).toBe(true)
    const records = (await kms.audit.query({})).records
    expect(records.find((r) => r.principal === principal)?.aliasName).toBe(aliasName)
    expect(records.some((r) => r.errorCode === 'TypeError')).toBe(true)
  })
})

describe('lines written byte by byte', () => {
  it('record a context key named __proto__ as a pair like any other', async () => {
    const { kms } = await open({ audit: { encryptionContext: 'plain', flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const context = JSON.parse('{"__proto__":"","tenant":"acme"}') as Record<string, string>
    const { requestId } = await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: context })
    const record = (await kms.audit.query({ action: 'Encrypt' })).records.find((r) => r.requestId === requestId)
    expect(Object.entries(record?.encryptionContext ?? {})).toEqual([['__proto__', ''], ['tenant', 'acme']])
    expect((await kms.audit.verify()).ok).toBe(true)
  })

  it('record any context and error text exactly, and verify (property)', async () => {
    const { default: fc } = await import('fast-check')
    const { kms } = await open({ audit: { encryptionContext: 'plain', flushIntervalMs: 60_000 } })
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const text = fc.string({ unit: 'grapheme', maxLength: 12 })
    await fc.assert(fc.asyncProperty(fc.dictionary(text.filter((k) => k.length > 0), text, { maxKeys: 3 }), async (context) => {
      const { requestId } = await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: context })
      const record = (await kms.audit.query({ action: 'Encrypt', limit: 1000 })).records.find((r) => r.requestId === requestId)
      expect(record?.encryptionContext ?? {}).toEqual(context)
    }), { numRuns: 60 })
    expect((await kms.audit.verify()).ok).toBe(true)
  })
})
