/**
 * The conformance suite against a real PostgreSQL server, each test in its own schema
 * (dropped afterwards), plus what only a server has: several pools (as several processes
 * would have) on one table, connections killed by the server, concurrent first starts.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { EVERYTHING_CHANGED, KmsError, type StorageAdapter, type StorageChange } from '@strongroom/core'
import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'
import { postgresStorage } from '@strongroom/storage-postgres'
import { eventually, probeServer, skipLoudly, untilHeard } from './server.js'

const server = await probeServer()

if (server === undefined) {
  skipLoudly()
} else {
  const pool = server.pool()
  const origins = new WeakMap<StorageAdapter, { schema: string; table: string }>()
  const open = (schema: string, table = 'records', on = pool): StorageAdapter => {
    const storage = postgresStorage(on, { schema, table })
    origins.set(storage, { schema, table })
    return storage
  }
  const opened: StorageAdapter[] = []
  const track = (storage: StorageAdapter): StorageAdapter => {
    opened.push(storage)
    return storage
  }
  afterEach(async () => {
    for (const storage of opened.splice(0).reverse()) await storage.close()
    await server.dropSchemas()
  })
  afterAll(() => server.end())

  storageConformanceSuite({
    name: 'postgres (server)',
    factory: async () => open(server.freshSchema()),
    reopen: async (old) => {
      await old.close()
      const { schema, table } = origins.get(old)!
      return open(schema, table)
    },
    namespaced: async () => {
      const schema = server.freshSchema()
      return { storage: open(schema, 'kms'), sibling: open(schema, 'kms2') }
    },
    shared: async () => {
      const schema = server.freshSchema()
      return [open(schema), open(schema)]
    },
  })

  describe('postgres: several pools on one table (as several processes)', () => {
    it('each sees the other\'s commits through watch, within moments', async () => {
      const schema = server.freshSchema()
      const one = track(open(schema, 'records', server.pool()))
      const two = track(open(schema, 'records', server.pool()))
      const seen: StorageChange[][] = []
      two.watch!((changes) => seen.push([...changes]))
      await two.get('warm-up') // the subscription is live once the first operation returns
      const { revisions } = await one.commit([{ type: 'put', key: 'a', value: new Uint8Array([1]), expectedRevision: null }])
      await eventually(() => seen.length === 1)
      expect(seen).toEqual([[{ key: 'a', revision: revisions.get('a') }]])
      await one.commit([{ type: 'delete', key: 'a', expectedRevision: revisions.get('a')! }])
      await eventually(() => seen.length === 2)
      expect(seen[1]).toEqual([{ key: 'a', revision: null }])
    })

    it('a commit too large for one notification arrives in chunks; a key too long for any as EVERYTHING_CHANGED', async () => {
      const schema = server.freshSchema()
      const one = track(open(schema, 'records', server.pool()))
      const two = track(open(schema, 'records', server.pool()))
      const seen: StorageChange[] = []
      two.watch!((changes) => seen.push(...changes))
      await two.get('warm-up')
      const keys = Array.from({ length: 400 }, (_, i) => `key/${String(i).padStart(4, '0')}-${'x'.repeat(40)}`)
      const { revisions } = await one.commit(keys.map((key) => ({ type: 'put' as const, key, value: new Uint8Array(0), expectedRevision: null })))
      await eventually(() => seen.length === keys.length)
      expect(new Map(seen.map((c) => [c.key, c.revision]))).toEqual(revisions)
      seen.length = 0
      await one.commit([{ type: 'put', key: 'k'.repeat(9000), value: new Uint8Array(0), expectedRevision: null }])
      await eventually(() => seen.length === 1)
      expect(seen).toEqual([EVERYTHING_CHANGED])
    })

    it('racing commits on one key through different pools: exactly one wins; increments lose nothing', async () => {
      const schema = server.freshSchema()
      const adapters = [0, 1, 2, 3].map(() => track(open(schema, 'records', server.pool())))
      const { revisions } = await adapters[0]!.commit([{ type: 'put', key: 'k', value: new Uint8Array([0]), expectedRevision: null }])
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => adapters[i % 4]!.commit([{ type: 'put', key: 'k', value: new Uint8Array([i]), expectedRevision: revisions.get('k')! }])),
      )
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
      for (const o of outcomes) if (o.status === 'rejected') expect(KmsError.is(o.reason, 'Conflict')).toBe(true)

      // Read-modify-write with retries on Conflict: every increment counted exactly once.
      await adapters[0]!.commit([{ type: 'put', key: 'counter', value: new TextEncoder().encode('0'), expectedRevision: null }])
      const increment = async (storage: StorageAdapter): Promise<void> => {
        for (;;) {
          const record = (await storage.get('counter'))!
          const next = Number(new TextDecoder().decode(record.value)) + 1
          try {
            await storage.commit([{ type: 'put', key: 'counter', value: new TextEncoder().encode(String(next)), expectedRevision: record.revision }])
            return
          } catch (error) {
            if (!KmsError.is(error, 'Conflict')) throw error
          }
        }
      }
      await Promise.all(adapters.flatMap((storage) => Array.from({ length: 10 }, () => increment(storage))))
      expect(new TextDecoder().decode((await adapters[0]!.get('counter'))!.value)).toBe('40')
    })

    it('four processes starting on a fresh schema at once migrate it exactly once', async () => {
      const schema = server.freshSchema()
      const adapters = [0, 1, 2, 3].map(() => track(open(schema, 'records', server.pool())))
      await Promise.all(adapters.map((storage) => storage.get('x')))
      const { rows } = await pool.query(`SELECT version FROM "${schema}".records_migrations`)
      expect(rows).toEqual([{ version: 1 }])
    })
  })

  describe('postgres: connections killed by the server', () => {
    it('loses nothing acknowledged; the watcher reconnects and announces EVERYTHING_CHANGED', async () => {
      const schema = server.freshSchema()
      const victimPool = server.pool({ application_name: `victim_${schema}` })
      const victim = track(open(schema, 'records', victimPool))
      const observer = track(open(schema, 'records', server.pool()))
      const seen: StorageChange[][] = []
      victim.watch!((changes) => seen.push([...changes]))
      await victim.get('warm-up')

      const acknowledged = new Map<string, number>()
      const failures: unknown[] = []
      let writing = true
      const writer = async (id: number): Promise<void> => {
        for (let i = 0; writing; i++) {
          const key = `w${id}/${i}`
          try {
            const { revisions } = await victim.commit([{ type: 'put', key, value: new TextEncoder().encode(key), expectedRevision: null }])
            acknowledged.set(key, revisions.get(key)!)
          } catch (error) {
            failures.push(error)
          }
        }
      }
      const writers = [0, 1, 2].map(writer)
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 40))
        await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`victim_${schema}`])
      }
      await new Promise((resolve) => setTimeout(resolve, 40))
      writing = false
      await Promise.all(writers)

      expect(acknowledged.size).toBeGreaterThan(0)
      expect(failures.length, "the killed connections failed some commits").toBeGreaterThan(0)
      // Every failure is a storage failure (or a Conflict from a retried create), never anything vaguer.
      for (const error of failures) expect(KmsError.is(error, 'StorageFailure') || KmsError.is(error, 'Conflict')).toBe(true)
      for (const [key, revision] of acknowledged) {
        const record = await observer.get(key)
        expect({ key, revision: record?.revision }).toEqual({ key, revision })
      }
      // The subscription was killed too: the hub said so, reconnected, and hears the others again.
      await eventually(() => seen.some((changes) => changes.some((c) => c.key === EVERYTHING_CHANGED.key)), 3000)
      await untilHeard(observer, seen)
    })
  })
}
