/**
 * Strongroom storage on any abstract-level database: classic-level (LevelDB) on Node,
 * `level`, browser-level, memory-level, or a sublevel of any of them.
 *
 * ```ts
 * import { ClassicLevel } from 'classic-level'
 * import { levelStorage } from '@strongroom/storage-level'
 *
 * const storage = levelStorage(new ClassicLevel('./keystore'))
 * // …hand `storage` to the engine; `await storage.close()` also closes the database.
 * ```
 *
 * The adapter receives the client instead of constructing it, so the native binding (or
 * the browser backend) stays the user's choice. It owns every key of the database it is
 * given; to share a database with other data, pass a sublevel: `db.sublevel('kms')`.
 *
 * The database is opened on first use if it is not open yet. An open failure (for example
 * LEVEL_LOCKED when another process holds the LevelDB directory) surfaces as
 * `KmsError('StorageFailure')` from that first operation, with the backend error as `cause`.
 */

import { AbstractLevelStorage, type AnyAbstractLevel } from './abstract-level-storage.js'
import type { StorageAdapter } from '@strongroom/core'

export interface LevelStorageOptions {
  /** `manifest.name`, for messages and benchmarks. Default `'level'`. */
  readonly name?: string
  /**
   * `manifest.durable`: whether acknowledged commits survive a restart. Default `true`;
   * pass `false` for a database that lives in memory (memory-level).
   */
  readonly durable?: boolean
  /**
   * Flush every commit to disk (fsync) before acknowledging it. Default `true`.
   * `false` makes commits much cheaper (classic-level: ≈ 3.5 µs per record instead of
   * ≈ 0.3 ms per commit) and still survives a crash of the process, because the write has
   * reached the OS; but an OS crash or power loss may lose the last acknowledged commits.
   * Backends without the notion (memory-level, browser-level) ignore it.
   */
  readonly sync?: boolean
  /**
   * Close the database when the adapter is closed. Default `true`: the database was
   * handed over. Pass `false` when several adapters (or other code) share the database,
   * and close it yourself after closing them.
   */
  readonly closeDatabase?: boolean
}

export function levelStorage(db: AnyAbstractLevel, options: LevelStorageOptions = {}): StorageAdapter {
  return new AbstractLevelStorage(db, {
    name: options.name ?? 'level',
    durable: options.durable ?? true,
    sync: options.sync ?? true,
    closeDatabase: options.closeDatabase ?? true,
  })
}
