/**
 * The real PostgreSQL server the tests run against: `STRONGROOM_TEST_POSTGRES`, default
 * `postgres://root@127.0.0.1:5432/test` (CI starts it). When it cannot be reached the tests
 * that need it are skipped with a loud message, never passed silently.
 *
 * ```ts
 * const server = await probeServer()
 * if (server === undefined) skipLoudly() else { const pool = server.pool(); … }
 * ```
 */
import pg from 'pg'
import { it } from 'vitest'
import type { StorageAdapter, StorageChange } from '@strongroom/core'

export const POSTGRES_URL = process.env.STRONGROOM_TEST_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test'

export interface TestServer {
  /** A new pool on the test database, ended after the file's tests. */
  pool(options?: pg.PoolConfig): pg.Pool
  /** A schema name no other test (or concurrent run) uses; dropped by `dropSchemas`. */
  freshSchema(): string
  /** Drops every schema handed out so far. */
  dropSchemas(): Promise<void>
  /** Ends every pool. */
  end(): Promise<void>
}

export async function probeServer(): Promise<TestServer | undefined> {
  const probe = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.query('SELECT 1')
  } catch {
    return undefined
  } finally {
    await probe.end().catch(() => undefined)
  }
  const pools: pg.Pool[] = []
  const schemas: string[] = []
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 })
  admin.on('error', () => {})
  let counter = 0
  const dropSchemas = async (): Promise<void> => {
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  }
  return {
    pool(options = {}) {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 6, ...options })
      // Connections the server kills (the tests do) fail while idle; the pool replaces them.
      pool.on('error', () => {})
      pools.push(pool)
      return pool
    },
    freshSchema() {
      const schema = `t${process.pid}_${Date.now().toString(36)}_${counter++}`
      schemas.push(schema)
      return schema
    },
    dropSchemas,
    async end() {
      await dropSchemas()
      for (const pool of pools.splice(0)) await pool.end()
      await admin.end()
    },
  }
}

/** Registers one visibly skipped test and says why on the console. */
export function skipLoudly(): void {
  console.warn(`\n*** SKIPPED: no PostgreSQL server at ${POSTGRES_URL}; the real-server tests did not run. ***\n`)
  it.skip('SKIPPED: no PostgreSQL server', () => {})
}

export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Commits fresh keys through `writer` until `seen` (what a watcher recorded) holds one of
 * them: proof that the watcher's subscription is live. A subscription coming back after a
 * lost connection does so on its own schedule, and commits made before that are covered by
 * its EVERYTHING_CHANGED rather than key by key.
 */
export async function untilHeard(writer: StorageAdapter, seen: readonly (readonly StorageChange[])[], timeoutMs = 10_000): Promise<void> {
  let attempt = 0
  await eventually(async () => {
    const key = `heard/${attempt++}`
    const { revisions } = await writer.commit([{ type: 'put', key, value: new Uint8Array(0), expectedRevision: null }])
    await new Promise((resolve) => setTimeout(resolve, 100))
    return seen.some((changes) => changes.some((c) => c.key === key && c.revision === revisions.get(key)))
  }, timeoutMs)
}
