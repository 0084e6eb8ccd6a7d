/**
 * Maintenance in a fleet: when several engines on one database run `maintenance()` at the
 * same moment, each due item is handled once — one purge, one automatic rotation, one
 * expiry of imported material — never once per engine. The item's transaction re-checks
 * that it is still due against the record it commits over, and a commit that lost the race
 * re-reads and finds nothing left to do. Counted in the audit trail (a system change is
 * recorded only when it commits) and in the key's versions.
 *
 * Runs on PGlite (one in-process database, an adapter per engine) everywhere, and on the
 * real PostgreSQL server (a pool per engine, as separate processes have) when it is there.
 */
import { constants, publicEncrypt } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock, rawRootKey, type StorageAdapter } from '@strongroom/core'
import { pgliteStorage, postgresStorage } from '@strongroom/storage-postgres'
import { probeServer, skipLoudly } from './server.js'

const ROOT_KEY = new Uint8Array(32).fill(23)
const ENGINES = 4
const server = await probeServer()
const pglite = await PGlite.create()
afterAll(async () => {
  await server?.end()
  await pglite.close()
})

/** One engine's storage on a shared database: `name` picks the database. */
type Backend = (schema: string) => StorageAdapter

async function fleetOn(backend: Backend, schema: string, clock: ManualClock): Promise<Kms[]> {
  const first = await Kms.open({ storage: backend(schema), rootKey: rawRootKey(ROOT_KEY.slice()), clock })
  const others = await Promise.all(Array.from({ length: ENGINES - 1 }, () => Kms.open({ storage: backend(schema), rootKey: rawRootKey(ROOT_KEY.slice()), clock })))
  return [first, ...others]
}

async function importExpiring(kms: Kms, keyId: string, expireUnix: number): Promise<void> {
  const { importToken, publicKey } = await kms.getParametersForImport({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
  const encryptedKeyMaterial = publicEncrypt({ key: publicKey, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, new Uint8Array(32).fill(5))
  await kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial: new Uint8Array(encryptedKeyMaterial), keyMaterialExpireUnix: expireUnix })
}

function maintenanceOnce(name: string, backend: () => Backend, freshSchema: () => string): void {
  it(`${name}: ${ENGINES} engines running maintenance at once purge, rotate and expire each due item exactly once`, async () => {
    const clock = new ManualClock('2026-05-01T00:00:00.000Z')
    const engines = await fleetOn(backend(), freshSchema(), clock)
    try {
      const [a] = engines as [Kms]
      const doomed = (await a.createKey()).keyMetadata.keyId
      await a.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
      const rotating = (await a.createKey({ enableAutomaticRotation: true, rotationInterval: '7d' })).keyMetadata.keyId
      const imported = (await a.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
      await importExpiring(a, imported, Math.floor(clock.now() / 1000) + 3 * 86_400)
      clock.advance(8 * DAY_MS)

      // Every engine at once, twice: the second round finds nothing due.
      const results = [
        ...await Promise.all(engines.map((kms) => kms.maintenance())),
        ...await Promise.all(engines.map((kms) => kms.maintenance())),
      ]
      expect(results.flatMap((r) => r.purged)).toEqual([doomed])
      expect(results.flatMap((r) => r.rotated)).toEqual([rotating])

      for (const kms of engines) await kms.audit.flush()
      const system = (await a.audit.query({ principal: 'system', limit: 1000 })).records
      const count = (action: string, keyId: string): number => system.filter((r) => r.eventName === action && r.keyId === keyId && r.result === 'Success').length
      expect(count('PurgeKey', doomed)).toBe(1)
      expect(count('CreateKeyVersion', rotating)).toBe(1)
      expect(count('DeleteKeyMaterial', imported)).toBe(1)
      expect((await a.listKeyVersions({ keyId: rotating, pageSize: 100 })).keyVersions).toHaveLength(2)
      for (const kms of engines) {
        expect((await kms.describeKey({ keyId: imported })).keyMetadata.keyState).toBe('PendingImport')
        await expect(kms.describeKey({ keyId: doomed })).rejects.toMatchObject({ code: 'Forbidden.KeyNotFound' })
      }
      expect(await a.audit.verify()).toMatchObject({ ok: true })
    } finally {
      for (const kms of engines) await kms.close()
    }
  })
}

let pgliteSchemas = 0
describe('maintenance across a fleet', () => {
  maintenanceOnce('PGlite', () => (schema) => pgliteStorage(pglite, { schema }), () => `maintenance_${pgliteSchemas++}`)
  if (server === undefined) skipLoudly()
  else maintenanceOnce('PostgreSQL', () => (schema) => postgresStorage(server.pool(), { schema }), () => server.freshSchema())
})
