/** The committed golden files, and the committed keystore restored into a fresh engine. */
import { readFileSync } from 'node:fs'
import { Kms, rawRootKey } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { files, goldenRootKeyBytes, restoreStorage, type GoldenKeystore } from './generate.js'

export const golden = {
  keystore: JSON.parse(readFileSync(files.keystore, 'utf8')) as GoldenKeystore,
  plaintext: new Uint8Array(readFileSync(files.plaintext)),
  sealed: new Uint8Array(readFileSync(files.sealed)),
  empty: new Uint8Array(readFileSync(files.empty)),
}

export async function openGoldenKms(): Promise<Kms> {
  const storage = memoryStorage()
  await restoreStorage(storage, golden.keystore.records)
  return Kms.open({ storage, rootKey: rawRootKey(goldenRootKeyBytes()) })
}
