/**
 * Strongroom storage in memory, on memory-level: for tests, demos and short-lived engines.
 * Nothing survives the process (`manifest.durable` is false).
 *
 * ```ts
 * import { memoryStorage } from '@strongroom/storage-memory'
 *
 * const storage = memoryStorage()
 * await storage.commit([{ type: 'put', key: 'k', value: new Uint8Array([1]), expectedRevision: null }])
 * ```
 *
 * It is the same implementation as `@strongroom/storage-level` (one implementation, one
 * set of behaviours), over a `MemoryLevel` it creates or one you pass in — pass one to let
 * several adapters or engines share a store, each then sees the others' commits through
 * `watch`. Only give it a memory-level created with the default `storeEncoding: 'buffer'`:
 * with `'utf8'` memory-level orders keys by UTF-16 code units instead of UTF-8 bytes.
 */

import { MemoryLevel } from 'memory-level'
import { levelStorage, type AnyAbstractLevel } from '@strongroom/storage-level'
import type { StorageAdapter } from '@strongroom/core'

export interface MemoryStorageOptions {
  /**
   * Close the database when the adapter is closed. Default `true`. Pass `false` for all
   * but one adapter when several share the database you passed in.
   */
  readonly closeDatabase?: boolean
}

export function memoryStorage(db: AnyAbstractLevel = new MemoryLevel(), options: MemoryStorageOptions = {}): StorageAdapter {
  // Writes to memory have nothing to flush, so `sync` buys nothing here.
  return levelStorage(db, { name: 'memory-level', durable: false, sync: false, ...options })
}
