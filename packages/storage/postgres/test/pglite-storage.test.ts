/**
 * The conformance suite on PGlite (PostgreSQL compiled to WebAssembly, in this process):
 * the same SQL and the same code path as on a server, with no server. The database lives
 * in a temporary directory, so it is durable; each test gets its own schema.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Kms, KmsError, rawRootKey, type StorageAdapter } from '@strongroom/core'
import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'
import { SCHEMA_VERSION, pgliteStorage, type PGliteDatabase } from '@strongroom/storage-postgres'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-pglite-'))
const db = await PGlite.create(path.join(dir, 'main'))
afterAll(async () => {
  await db.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

let schemas = 0
const created: string[] = []
/** Where each adapter lives, for `reopen`. */
const origins = new WeakMap<StorageAdapter, { schema: string; table: string }>()

function open(schema: string, table = 'records'): StorageAdapter {
  const storage = pgliteStorage(db, { schema, table })
  origins.set(storage, { schema, table })
  return storage
}

function freshSchema(): string {
  const schema = `conformance_${schemas++}`
  created.push(schema)
  return schema
}

afterEach(async () => {
  for (const schema of created.splice(0)) await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
})

storageConformanceSuite({
  name: 'pglite',
  factory: async () => open(freshSchema()),
  reopen: async (old) => {
    await old.close()
    const { schema, table } = origins.get(old)!
    return open(schema, table)
  },
  namespaced: async () => {
    const schema = freshSchema()
    // 'kms2' also proves that one table name being a prefix of another does not leak.
    return { storage: open(schema, 'kms'), sibling: open(schema, 'kms2') }
  },
  shared: async () => {
    const schema = freshSchema()
    return [open(schema), open(schema)]
  },
})

describe('pgliteStorage', () => {
  it('a keystore survives closing PGlite itself and opening its directory again', async () => {
    const location = path.join(dir, 'restart')
    let instance = await PGlite.create(location)
    const rootKey = () => rawRootKey(new Uint8Array(32).fill(3))
    let kms = await Kms.open({ storage: pgliteStorage(instance), rootKey: rootKey() })
    const { keyMetadata } = await kms.createKey()
    const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('kept') })
    await kms.close()
    await instance.close()

    instance = await PGlite.create(location)
    kms = await Kms.open({ storage: pgliteStorage(instance), rootKey: rootKey() })
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('kept')
    await kms.close()
    const versions = await instance.query<{ version: number }>('SELECT version FROM strongroom.records_migrations')
    expect(versions.rows).toEqual([{ version: 1 }])
    await instance.close()
  })

  it('manifest: durable with a data directory, not durable in memory, never shared across processes', async () => {
    const storage = open(freshSchema())
    expect(storage.manifest).toEqual({ name: 'pglite', durable: true, atomic: true, sharedAcrossProcesses: false })
    // The manifest is decided from `dataDir` alone, without touching the database.
    for (const dataDir of [undefined, 'memory://kms']) {
      const inMemory = pgliteStorage({ ...(dataDir === undefined ? {} : { dataDir }) } as PGliteDatabase)
      expect(inMemory.manifest.durable).toBe(false)
      await inMemory.close()
    }
    await storage.close()
  })

  it('migrates a fresh schema once however many adapters start at once, and refuses a newer schema version', async () => {
    const schema = freshSchema()
    const adapters = [0, 1, 2].map(() => open(schema))
    await Promise.all(adapters.map((storage) => storage.get('x')))
    expect((await db.query(`SELECT version FROM "${schema}".records_migrations`)).rows).toEqual([{ version: SCHEMA_VERSION }])
    for (const storage of adapters) await storage.close()

    await db.query(`INSERT INTO "${schema}".records_migrations (version) VALUES ($1)`, [SCHEMA_VERSION + 1])
    const newer = open(schema)
    const error = await newer.get('x').catch((e: unknown) => e)
    expect(KmsError.is(error, 'StorageFailure')).toBe(true)
    expect(String((error as Error).message)).toMatch(/schema version 2/)
    await newer.close()
  })

  it('refuses schema and table names that would need escaping', () => {
    for (const schema of ['', 'Upper', 'a-b', 'a"b', '1abc', 'x'.repeat(49)]) {
      expect(() => pgliteStorage(db, { schema })).toThrow(/schema must be/)
    }
    expect(() => pgliteStorage(db, { table: 'drop table' })).toThrow(/table must be/)
  })
})
