/**
 * An attacker who can write the keystore's bytes but does not hold the root key (malware
 * editing a LevelDB directory; the operator of a shared database) against a real LevelDB
 * keystore, with the engine closed and with it running. Every forged, edited, swapped,
 * relabelled or inserted record is CorruptRecord when it is read, before anything in it is
 * believed; a store without its header is never initialised afresh; a forged audit head is
 * never extended. Rollback to an older genuine copy is the one edit a record's seal cannot
 * reveal (see the README's threat model).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Kms, rawRootKey, type StorageAdapter } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { rejectsWith, utf8 } from './helpers.js'

const ROOT = new Uint8Array(32).fill(9)
const ATTACKER_ROOT = new Uint8Array(32).fill(66)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-tamper-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Where the audit chains keep their heads (one chain per engine instance). */
const HEADS = 'audit/heads/'

function openEngine(rootKey = ROOT): Promise<Kms> {
  return Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey: rawRootKey(rootKey), audit: { durability: 'sync' } })
}

/** The store as the attacker sees it: the storage contract over the same directory (engine closed). */
async function withStore<T>(work: (storage: StorageAdapter) => Promise<T>): Promise<T> {
  const storage = levelStorage(new ClassicLevel(dir))
  try {
    return await work(storage)
  } finally {
    await storage.close()
  }
}

async function put(storage: StorageAdapter, key: string, value: Uint8Array | undefined): Promise<void> {
  const current = await storage.get(key)
  if (value === undefined) {
    if (current !== undefined) await storage.commit([{ type: 'delete', key, expectedRevision: current.revision }])
    return
  }
  await storage.commit([{ type: 'put', key, value, expectedRevision: current?.revision ?? null }])
}

/** A keystore with two AES keys (one disabled), an HMAC key, an alias, a policy attached to alice. */
async function populate(): Promise<{ a: string; b: string; mac: string; blob: Uint8Array }> {
  const kms = await openEngine()
  const a = (await kms.createKey()).keyMetadata.keyId
  const b = (await kms.createKey()).keyMetadata.keyId
  const mac = (await kms.createKey({ keySpec: 'HMAC_SHA_256' })).keyMetadata.keyId
  await kms.createAlias({ aliasName: 'alias/app', keyId: a })
  await kms.createPolicy({ policyName: 'narrow', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: `acs:kms:local:000000000000:key/${a}` }] } })
  await kms.attachPolicy({ policyName: 'narrow', principal: 'alice' })
  await kms.disableKey({ keyId: b })
  const blob = (await kms.encrypt({ keyId: a, plaintext: utf8('secret') })).ciphertextBlob
  await kms.close()
  return { a, b, mac, blob }
}

describe('tampering with a closed keystore', () => {
  it('a key record edited in place (one byte) is CorruptRecord at use', async () => {
    const { a, blob } = await populate()
    await withStore(async (s) => {
      const value = (await s.get(`key/${a}`))!.value.slice()
      value[value.length - 20]! ^= 1
      await put(s, `key/${a}`, value)
    })
    const kms = await openEngine()
    await rejectsWith(kms.encrypt({ keyId: a, plaintext: utf8('x') }), 'CorruptRecord')
    await rejectsWith(kms.decrypt({ ciphertextBlob: blob }), 'CorruptRecord')
    // Listing reads the key index, not key records (O(page)): the edit shows at use and in verify().
    expect((await kms.listKeys()).keys.map((k) => k.keyId)).toContain(a)
    expect((await kms.verify()).records.ok).toBe(false)
    await kms.close()
  })

  it('a disabled key cannot be re-enabled by writing a plain (unsealed) record, nor by another key\'s sealed record', async () => {
    const { a, b } = await populate()
    await withStore(async (s) => {
      await put(s, `key/${b}`, utf8(JSON.stringify({ schema: 1, keyId: b, keyState: 'Enabled' })))
    })
    let kms = await openEngine()
    await rejectsWith(kms.encrypt({ keyId: b, plaintext: utf8('x') }), 'CorruptRecord')
    await kms.close()
    // Swap: key A's (enabled, genuine) record moved under B's storage key.
    await withStore(async (s) => put(s, `key/${b}`, (await s.get(`key/${a}`))!.value))
    kms = await openEngine()
    await rejectsWith(kms.encrypt({ keyId: b, plaintext: utf8('x') }), 'CorruptRecord')
    await kms.close()
  })

  it('an HMAC key cannot be relabelled as an AES key (its record is sealed to its own id and content)', async () => {
    const { a, mac } = await populate()
    await withStore(async (s) => put(s, `key/${mac}`, (await s.get(`key/${a}`))!.value))
    const kms = await openEngine()
    await rejectsWith(kms.encrypt({ keyId: mac, plaintext: utf8('x') }), 'CorruptRecord')
    await kms.close()
  })

  it('an alias cannot be redirected, inserted or moved', async () => {
    const { b } = await populate()
    await withStore(async (s) => {
      await put(s, 'alias/other', (await s.get('alias/app'))!.value)
      await put(s, 'alias/app', utf8(JSON.stringify({ schema: 1, aliasName: 'alias/app', keyId: b, creationDate: 0, updateDate: 0 })))
    })
    const kms = await openEngine()
    await rejectsWith(kms.encrypt({ keyId: 'alias/app', plaintext: utf8('x') }), 'CorruptRecord')
    await rejectsWith(kms.encrypt({ keyId: 'alias/other', plaintext: utf8('x') }), 'CorruptRecord')
    // Listing reads the alias index: the copied record is not listed, and verify() reports it.
    expect((await kms.listAliases()).aliases.map((x) => x.aliasName)).toEqual(['alias/app'])
    expect((await kms.verify()).records.ok).toBe(false)
    await kms.close()
  })

  it('an index entry cannot be edited or copied in: listing it is CorruptRecord', async () => {
    const { a, b } = await populate()
    await withStore(async (s) => {
      const value = (await s.get(`idx/key/local/${a}`))!.value.slice()
      value[value.length - 3]! ^= 1
      await put(s, `idx/key/local/${a}`, value)
      await put(s, 'idx/alias/local/alias/forged', (await s.get('idx/alias/local/alias/app'))!.value)
    })
    const kms = await openEngine()
    await rejectsWith(kms.listKeys(), 'CorruptRecord')
    await rejectsWith(kms.listAliases(), 'CorruptRecord')
    // The keys themselves are untouched.
    expect((await kms.describeKey({ keyId: b })).keyMetadata.keyState).toBe('Disabled')
    await kms.close()
  })

  it('an identity policy cannot be widened, nor a policy attached to another principal', async () => {
    await populate()
    const star = utf8(JSON.stringify({ schema: 1, policyName: 'narrow', description: '', createDate: 0, updateDate: 0, document: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:*'], Resource: ['*'] }] } }))
    await withStore(async (s) => {
      await put(s, 'policy/narrow', star)
      await put(s, 'principal/mallory', (await s.get('principal/alice'))!.value)
    })
    const kms = await openEngine()
    await rejectsWith(kms.as('alice').listKeys(), 'CorruptRecord')
    await rejectsWith(kms.as('mallory').listKeys(), 'CorruptRecord')
    await kms.close()
  })

  it('a store whose header was deleted is never initialised afresh, whatever the root key', async () => {
    await populate()
    await withStore((s) => put(s, 'meta/keystore', undefined))
    await rejectsWith(openEngine(ATTACKER_ROOT), 'CorruptRecord')
    await rejectsWith(openEngine(ROOT), 'CorruptRecord')
  })

  it('a header that was edited, or turned back into a first-release header, is refused at open', async () => {
    await populate()
    const header = await withStore(async (s) => text((await s.get('meta/keystore'))!.value))
    const edited = JSON.parse(header) as Record<string, unknown>
    await withStore((s) => put(s, 'meta/keystore', utf8(JSON.stringify({ ...edited, createdAt: 0 }))))
    await rejectsWith(openEngine(), 'CorruptRecord')
    // Downgrade: schema 1 would make the engine accept plain records again. Its check value differs.
    const { mac: _mac, records: _records, ...rest } = edited
    await withStore((s) => put(s, 'meta/keystore', utf8(JSON.stringify({ ...rest, schema: 1 }))))
    await rejectsWith(openEngine(), 'RootKeyMismatch')
    await withStore((s) => put(s, 'meta/keystore', utf8(header)))
    const kms = await openEngine()
    expect((await kms.audit.verify()).ok).toBe(true)
    await kms.close()
  })

  it('a forged audit head is never extended: verify() names the problem and the chain; a new engine appends to a chain of its own', async () => {
    const { a } = await populate()
    const chain = await withStore(async (s) => {
      const [stored] = (await s.scan({ prefix: HEADS, limit: 2 })).records
      const head = JSON.parse(text(stored!.value)) as Record<string, unknown>
      await put(s, stored!.key, utf8(JSON.stringify({ ...head, mac: Buffer.alloc(32, 1).toString('base64') })))
      return stored!.key.slice(HEADS.length)
    })
    const kms = await openEngine()
    expect(await kms.audit.verify()).toMatchObject({ ok: false, chain, problem: expect.stringMatching(/head was modified/) })
    // Nobody extends the forged head: this engine's records go to its own chain.
    await kms.disableKey({ keyId: a })
    expect(await kms.audit.verify()).toMatchObject({ ok: false, chain })
    await kms.close()
  })

  it('a forged head of a running engine fails its writes closed until the explicit, audited reseal; then calls are accepted again', async () => {
    const { a } = await populate()
    const earlier = await withStore(async (s) => (await s.scan({ prefix: HEADS, limit: 10 })).records.map((r) => r.key))
    const db = new ClassicLevel(dir)
    const kms = await Kms.open({ storage: levelStorage(db), rootKey: rawRootKey(ROOT), audit: { durability: 'sync' } })
    await kms.encrypt({ keyId: a, plaintext: utf8('x') })
    const intruder = levelStorage(db, { closeDatabase: false })
    const heads = (await intruder.scan({ prefix: HEADS, limit: 10 })).records
    const own = heads.find((h) => !earlier.includes(h.key))! // the running engine's chain, not populate()'s
    expect(heads).toHaveLength(2)
    await put(intruder, own.key, undefined)
    expect(await kms.audit.verify()).toMatchObject({ ok: false, chain: own.key.slice(HEADS.length), problem: expect.stringMatching(/head is missing/) })
    await rejectsWith(kms.disableKey({ keyId: a }), 'CorruptRecord')
    await rejectsWith(kms.encrypt({ keyId: a, plaintext: utf8('x') }), 'AuditFailure')
    const { lastSeq, chains } = await kms.audit.reseal()
    expect(lastSeq).toBeGreaterThan(0)
    expect(chains).toEqual([own.key.slice(HEADS.length)])
    await kms.disableKey({ keyId: a })
    const report = await kms.verify()
    expect(report.ok).toBe(true)
    const { records } = await kms.audit.query({ limit: 1000 })
    expect(records.map((r) => r.eventName)).toContain('ResealAuditTrail')
    // The refusals while the head was bad were kept and committed after the reseal.
    const ownChain = records.filter((r) => r.chain === own.key.slice(HEADS.length))
    expect(ownChain.filter((r) => r.eventName === 'DisableKey').map((r) => r.result)).toEqual(['Failure', 'Success'])
    await kms.close()
  })

  it('a dropped head of a closed engine\'s chain is resealed by the operator action; verify() passes again', async () => {
    await populate()
    await withStore(async (s) => put(s, (await s.scan({ prefix: HEADS, limit: 1 })).records[0]!.key, undefined))
    const kms = await openEngine()
    expect(await kms.audit.verify()).toMatchObject({ ok: false, problem: expect.stringMatching(/head is missing/) })
    await kms.audit.reseal()
    expect((await kms.verify()).ok).toBe(true)
    await kms.close()
  })

  it('reseal refuses a chain that is itself broken (an edited record)', async () => {
    await populate()
    await withStore(async (s) => {
      const segment = (await s.scan({ prefix: 'audit/chain/', limit: 1 })).records[0]!
      await put(s, segment.key, utf8(text(segment.value).replace('"Success"', '"Fail"').replace('CreateKey', 'DeleteKey')))
    })
    const kms = await openEngine()
    await rejectsWith(kms.audit.reseal(), 'CorruptRecord')
    await kms.close()
  })
})

/** Every record as stored (the attacker's copy of the store at one moment). */
async function snapshot(): Promise<Array<{ key: string; value: Uint8Array }>> {
  return withStore(async (s) => {
    const out: Array<{ key: string; value: Uint8Array }> = []
    let after: string | undefined
    for (;;) {
      const page = await s.scan({ prefix: '', limit: 1000, ...(after === undefined ? {} : { after }) })
      out.push(...page.records.map((r) => ({ key: r.key, value: r.value.slice() })))
      if (page.cursor === undefined || page.records.length === 0) return out
      after = page.cursor
    }
  })
}

async function restore(records: ReadonlyArray<{ key: string; value: Uint8Array }>, only?: (key: string) => boolean): Promise<void> {
  await withStore(async (s) => {
    for (const r of records) if (only === undefined || only(r.key)) await put(s, r.key, r.value)
  })
}

describe('rollback: a record replaced by an older genuine copy of itself', () => {
  it('a disabled key put back to its Enabled record, an alias put back, a rotation rolled back, a deleted record: kms.verify() reports each', async () => {
    const { a, b } = await populate()
    const before = await snapshot()
    let kms = await openEngine()
    const v2 = (await kms.createKeyVersion({ keyId: a })).keyVersion.keyVersionId
    await kms.updateAlias({ aliasName: 'alias/app', keyId: b }).catch(() => undefined)
    await kms.disableKey({ keyId: a })
    expect(await kms.verify()).toMatchObject({ ok: true, records: { ok: true }, audit: { ok: true } })
    await kms.close()

    const cases: Array<[string, () => Promise<void>]> = [
      ['key record before disable and rotation', () => restore(before, (k) => k === `key/${a}`)],
      ['alias record before it moved', () => restore(before, (k) => k === 'alias/app')],
      ['a deleted key record', () => withStore((s) => put(s, `key/${b}`, undefined))],
    ]
    for (const [what, tamper] of cases) {
      const genuine = await snapshot()
      await tamper()
      kms = await openEngine()
      const report = await kms.verify()
      expect([what, report.ok, report.records.ok]).toEqual([what, false, false])
      expect(report.records).toMatchObject({ problem: expect.stringMatching(/not the ones last written/) })
      await kms.close()
      await restore(genuine)
    }
    // Put back as it was, the store verifies again, with the rotation and the disable in place.
    kms = await openEngine()
    expect((await kms.verify()).ok).toBe(true)
    expect((await kms.describeKey({ keyId: a })).keyMetadata).toMatchObject({ keyState: 'Disabled', primaryKeyVersion: v2 })
    await kms.close()
  })

  it('the whole store rolled back together is caught by the audit anchor kept outside the store', async () => {
    const { a } = await populate()
    const old = await snapshot()
    let kms = await openEngine()
    await kms.disableKey({ keyId: a })
    const anchor = await kms.audit.anchor()
    await kms.close()
    await restore(old)
    await withStore(async (s) => {
      // Records written after the snapshot are removed too: nothing newer remains.
      for (const r of (await s.scan({ prefix: 'audit/', limit: 1000 })).records) {
        if (!old.some((o) => o.key === r.key)) await put(s, r.key, undefined)
      }
    })
    kms = await openEngine()
    expect((await kms.verify()).records.ok).toBe(true) // consistent with itself...
    // The chain that recorded the disable is gone with everything else newer: the anchor names it.
    expect(await kms.verify({ anchor })).toMatchObject({ ok: false, audit: { ok: false, problem: expect.stringMatching(/rolled back|deleted/) } })
    await kms.close().catch(() => undefined)
  })
})

describe('tampering while the engine runs', () => {
  it('a key record replaced under a running engine is CorruptRecord on its next load', async () => {
    const { a, b } = await populate()
    const db = new ClassicLevel(dir)
    const kms = await Kms.open({ storage: levelStorage(db), rootKey: rawRootKey(ROOT) })
    await kms.encrypt({ keyId: a, plaintext: utf8('warm') })
    // Another writer on the same database (it announces its commit, so the engine drops its cached copy).
    const intruder = levelStorage(db, { closeDatabase: false })
    await put(intruder, `key/${a}`, (await intruder.get(`key/${b}`))!.value)
    await rejectsWith(kms.encrypt({ keyId: a, plaintext: utf8('x') }), 'CorruptRecord')
    await kms.close()
  })
})
