/**
 * Where the keystore lives: a LevelDB directory (one process at a time) or a PostgreSQL
 * database that several processes on several machines share. One option names either:
 * `--store DIR|postgres://…` or `STRONGROOM_STORE`, and `--keystore DIR` /
 * `STRONGROOM_KEYSTORE` keep working (they accept a connection string too).
 *
 * ```ts
 * const location = storeLocation(values, io)      // { kind: 'postgres', url, schema, display } | { kind: 'directory', dir, display }
 * const storage = openStore(location, false)      // a StorageAdapter; close() also ends the pg pool
 * ```
 *
 * A connection string may name the schema with `?schema=NAME` (default `strongroom`); the
 * parameter is taken out before the string reaches the driver. Messages show the string
 * without its password. A database that cannot be reached (refused, unknown host, failed
 * login, no such database) is the environment's problem: exit 3, with the driver's reason.
 */
import { resolve } from 'node:path'
import pg from 'pg'
import { KmsError, type StorageAdapter } from '@strongroom/core'
import { levelStorage, type AnyAbstractLevel } from '@strongroom/storage-level'
import { postgresStorage } from '@strongroom/storage-postgres'
import { ClassicLevel } from 'classic-level'
import type { OptionValues } from './command.js'
import { EnvironmentError, UsageError } from './errors.js'
import type { Io } from './output.js'

export type StoreLocation =
  | { readonly kind: 'directory'; readonly dir: string; readonly display: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string | undefined; readonly display: string }

const POSTGRES_URL = /^postgres(ql)?:\/\//i
/** A schema name the adapter accepts (it quotes it; this keeps messages and URLs plain). */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Whether a location names a PostgreSQL database rather than a directory. */
export function isPostgresUrl(location: string): boolean {
  return POSTGRES_URL.test(location)
}

/** The keystore named on the command line or in the environment; a UsageError when none is. */
export function storeLocation(values: OptionValues, io: Io): StoreLocation {
  const store = values['store']
  const keystore = values['keystore']
  if (typeof store === 'string' && typeof keystore === 'string') throw new UsageError('pass either --store or --keystore, not both')
  const named = typeof store === 'string' ? store : typeof keystore === 'string' ? keystore : io.env['STRONGROOM_STORE'] || io.env['STRONGROOM_KEYSTORE']
  if (named === undefined || named === '') {
    throw new UsageError('no keystore: pass --store DIR|postgres://… (or --keystore DIR), or set STRONGROOM_STORE')
  }
  return isPostgresUrl(named) ? postgresLocation(named) : { kind: 'directory', dir: resolve(named), display: resolve(named) }
}

function postgresLocation(text: string): StoreLocation {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError('the PostgreSQL connection string is malformed (expected postgres://user@host:port/database)')
  }
  const schema = url.searchParams.get('schema') ?? undefined
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new UsageError('schema= must be a plain identifier (letters, digits, underscores)')
  const shown = new URL(url.href)
  if (shown.password !== '') shown.password = '***'
  url.searchParams.delete('schema')
  return { kind: 'postgres', url: url.href, schema, display: shown.href }
}

/** Opens the keystore's storage; `create` lets LevelDB create a missing directory (PostgreSQL creates its table on first use). */
export function openStore(location: StoreLocation, create: boolean): StorageAdapter {
  if (location.kind === 'directory') return levelStorage(openLevel(location.dir, create))
  // One command at a time: a small pool; `strongroom serve-aws` answers calls concurrently.
  const pool = new pg.Pool({ connectionString: location.url, max: 4, application_name: 'strongroom' })
  // An idle connection the server drops is replaced by the pool; the adapter reports failed calls.
  pool.on('error', () => undefined)
  return withPool(postgresStorage(pool, location.schema === undefined ? {} : { schema: location.schema }), pool)
}

/**
 * Runs the first call on a freshly opened store: a PostgreSQL database that cannot be
 * reached is an EnvironmentError naming the location and the driver's reason (which holds
 * no password), not a storage failure of the KMS.
 */
export async function firstContact<T>(location: StoreLocation, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (location.kind !== 'postgres' || !KmsError.is(error, 'StorageFailure')) throw error
    let reason: unknown = error
    while (reason instanceof Error && reason.cause !== undefined) reason = reason.cause
    throw new EnvironmentError(`cannot use the keystore at ${location.display}: ${reason instanceof Error ? reason.message : String(reason)}`)
  }
}

/** The adapter, whose close() also ends the pool the command created for it. */
function withPool(storage: StorageAdapter, pool: pg.Pool): StorageAdapter {
  let ended: Promise<void> | undefined
  return {
    manifest: storage.manifest,
    get: (key) => storage.get(key),
    scan: (options) => storage.scan(options),
    commit: (mutations) => storage.commit(mutations),
    ...(storage.watch === undefined ? {} : { watch: storage.watch.bind(storage) }),
    close: () => (ended ??= storage.close().finally(() => pool.end())),
  }
}

/**
 * The LevelDB database of a keystore directory. The cast (through `unknown`, so no
 * structural check runs) is only for the type checker:
 * checked here, ClassicLevel's hook generics make TypeScript measure abstract-level's
 * variance in an order that then fails every other `levelStorage(new ClassicLevel(…))`
 * in the workspace program. The storage names its own encodings on every call.
 */
export function openLevel(dir: string, create: boolean): AnyAbstractLevel {
  return new ClassicLevel(dir, { createIfMissing: create }) as unknown as AnyAbstractLevel
}
