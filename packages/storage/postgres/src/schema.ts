/**
 * Where the records live in PostgreSQL, and the versioned migrations that create it.
 *
 * ```sql
 * CREATE TABLE "strongroom"."records" (
 *   key      bytea  PRIMARY KEY,   -- UTF-8 bytes of the storage key: bytea compares bytewise
 *   value    bytea  NOT NULL,
 *   revision bigint NOT NULL       -- from "records_revision", never reused
 * )
 * ```
 *
 * ```ts
 * const names = tableNames({ schema: 'strongroom', table: 'records' })
 * await migrate(session, names)      // inside a transaction: takes the advisory lock, applies what is missing
 * ```
 *
 * Why `bytea` and not `text`: text compares by the database's collation, which disagrees
 * with the contract's UTF-8 byte order (and differs between servers); bytea compares bytes.
 * Its primary-key B-tree serves `get`, the prefix range of `scan` and `ORDER BY key`.
 *
 * Why a sequence: `nextval` is never rolled back, so a revision handed out once — even by a
 * transaction that later failed — is never handed out again, across restarts and processes.
 * Its maximum is 2^53 - 1 so every revision is a safe JavaScript integer; past that it
 * refuses (an error, never a reuse).
 *
 * Migrations run in one transaction under `pg_advisory_xact_lock`, so processes starting at
 * once apply each one exactly once; the `<table>_migrations` table records which are done.
 */

import { KmsError } from '@strongroom/core'

/** Identifiers are restricted to lower-case names that need no escaping (and are still quoted). */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/

export interface TableNames {
  readonly schema: string
  readonly table: string
  /** Quoted, schema-qualified names for SQL text. */
  readonly records: string
  readonly sequence: string
  readonly migrations: string
  /** Unquoted `schema.table`, for messages, the advisory lock and the notification channel. */
  readonly qualified: string
}

export function tableNames(options: { readonly schema: string; readonly table: string }): TableNames {
  const { schema, table } = options
  for (const [what, name] of [['schema', schema], ['table', table]] as const) {
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
      throw new KmsError('InvalidParameter', `${what} must be 1-48 lower-case letters, digits or _ (not starting with a digit)`)
    }
  }
  return {
    schema,
    table,
    records: `"${schema}"."${table}"`,
    sequence: `"${schema}"."${table}_revision"`,
    migrations: `"${schema}"."${table}_migrations"`,
    qualified: `${schema}.${table}`,
  }
}

/** What migrate() needs: one statement at a time inside the caller's transaction. */
export interface MigrationSession {
  query(text: string, params?: readonly unknown[]): Promise<readonly Record<string, unknown>[]>
}

/** Each entry migrates from the previous version; append, never edit a released one. */
function migrations(n: TableNames): readonly (readonly string[])[] {
  return [
    // 1: the records and their revision sequence.
    [
      `CREATE SEQUENCE ${n.sequence} AS bigint MINVALUE 1 MAXVALUE 9007199254740991 NO CYCLE`,
      `CREATE TABLE ${n.records} (key bytea PRIMARY KEY, value bytea NOT NULL, revision bigint NOT NULL)`,
    ],
  ]
}

/** The schema version this code writes. */
export const SCHEMA_VERSION = 1

/**
 * Brings the schema up to SCHEMA_VERSION. Call inside a transaction: the advisory lock is
 * held until it commits, so concurrent starters wait and then find the work done.
 */
export async function migrate(session: MigrationSession, n: TableNames): Promise<void> {
  await session.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`strongroom:migrate:${n.qualified}`])
  await session.query(`CREATE SCHEMA IF NOT EXISTS "${n.schema}"`)
  await session.query(`CREATE TABLE IF NOT EXISTS ${n.migrations} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
  const rows = await session.query(`SELECT coalesce(max(version), 0) AS version FROM ${n.migrations}`)
  const current = Number(rows[0]?.version ?? 0)
  if (current > SCHEMA_VERSION) {
    throw new KmsError('StorageFailure', `${n.qualified} has schema version ${current}; this version of the adapter knows up to ${SCHEMA_VERSION}`)
  }
  const steps = migrations(n)
  for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
    for (const statement of steps[version - 1]!) await session.query(statement)
    await session.query(`INSERT INTO ${n.migrations} (version) VALUES ($1)`, [version])
  }
}
