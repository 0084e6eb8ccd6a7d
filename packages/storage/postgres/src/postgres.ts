/**
 * Strongroom storage on PostgreSQL, so several processes on several machines share one
 * keystore on a database people already run — and on PGlite, the same code in-process.
 *
 * ```ts
 * import pg from 'pg'
 * import { Kms, passphraseRootKey } from '@strongroom/core'
 * import { postgresStorage } from '@strongroom/storage-postgres'
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', (error) => console.error('idle PostgreSQL connection failed', error))
 * const kms = await Kms.open({ storage: postgresStorage(pool), rootKey: passphraseRootKey(passphrase) })
 * // … kms.close() closes the adapter; the pool stays yours: await pool.end()
 * ```
 *
 * The adapter receives the pool (or PGlite instance) instead of creating it, so driver
 * options, TLS and pool sizing stay the user's choice. It never ends the pool. The table is
 * created or migrated on first use.
 */

import type { StorageAdapter } from '@strongroom/core'
import { pgliteClient, poolClient, type PGliteDatabase, type PgPool } from './clients.js'
import { PostgresStorage } from './postgres-storage.js'
import { tableNames } from './schema.js'

export interface PostgresStorageOptions {
  /** Schema of the table, created if missing. Default `'strongroom'`. */
  readonly schema?: string
  /** Table name; its sequence and migrations table take it as prefix. Default `'records'`. */
  readonly table?: string
}

export interface PgliteStorageOptions extends PostgresStorageOptions {
  /**
   * `manifest.durable`. Default: true when the PGlite instance has a `dataDir` other than
   * `memory://…`, false for a database in memory.
   */
  readonly durable?: boolean
}

/** Storage on a PostgreSQL server through a node-postgres `Pool` (or anything of its shape). */
export function postgresStorage(pool: PgPool, options: PostgresStorageOptions = {}): StorageAdapter {
  const names = tableNames({ schema: options.schema ?? 'strongroom', table: options.table ?? 'records' })
  return new PostgresStorage(poolClient(pool), names, { name: 'postgres', durable: true, atomic: true, sharedAcrossProcesses: true })
}

/** Storage on PGlite (PostgreSQL in this process): tests, a machine without a server, a browser. */
export function pgliteStorage(db: PGliteDatabase, options: PgliteStorageOptions = {}): StorageAdapter {
  const names = tableNames({ schema: options.schema ?? 'strongroom', table: options.table ?? 'records' })
  const inMemory = db.dataDir === undefined || db.dataDir === '' || db.dataDir.startsWith('memory://')
  // One PGlite instance lives in one process: nothing else can open its data directory.
  return new PostgresStorage(pgliteClient(db), names, { name: 'pglite', durable: options.durable ?? !inMemory, atomic: true, sharedAcrossProcesses: false })
}
