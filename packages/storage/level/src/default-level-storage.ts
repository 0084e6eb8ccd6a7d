/**
 * "The default persistent store on whatever runtime this is", through the `level` package:
 * classic-level (LevelDB in a directory) on Node, browser-level (IndexedDB) in browsers —
 * `level` picks one by its `browser` field, so the same code runs in both.
 *
 * ```ts
 * import { Kms, passphraseRootKey } from '@strongroom/core'
 * import { defaultLevelStorage } from '@strongroom/storage-level'
 *
 * const kms = await Kms.open({
 *   storage: await defaultLevelStorage('./keystore'),      // a directory on Node, an IndexedDB name in a browser
 *   rootKey: passphraseRootKey(passphrase),
 * })
 * ```
 *
 * `level` is an optional peer dependency, loaded only when this function is called: users
 * who pass their own database to `levelStorage()` never need it. Choose `levelStorage(db)`
 * when the database's options matter (cache size, compression, a sublevel of a database the
 * application already has); choose this when they do not.
 */

import { KmsError, type StorageAdapter } from '@strongroom/core'
import type { AnyAbstractLevel } from './abstract-level-storage.js'
import { levelStorage, type LevelStorageOptions } from './level-storage.js'

export async function defaultLevelStorage(location: string, options: LevelStorageOptions = {}): Promise<StorageAdapter> {
  if (typeof location !== 'string' || location.length === 0) throw new KmsError('InvalidParameter', 'location must be a non-empty string')
  let Level: new (location: string) => AnyAbstractLevel
  try {
    ;({ Level } = (await import('level')) as unknown as { Level: typeof Level })
  } catch (cause) {
    throw new KmsError('StorageFailure', "defaultLevelStorage needs the 'level' package (npm install level)", { cause })
  }
  return levelStorage(new Level(location), { ...options, name: options.name ?? 'level' })
}
