/**
 * A keystore that survives restarts: LevelDB files on disk, every key wrapped under a
 * root key derived from a passphrase. Opening it again with the same passphrase brings
 * every key back; a wrong passphrase fails with RootKeyMismatch and changes nothing.
 *
 * Run it: `npx tsx --conditions=source examples/persistent-keystore.ts [directory]`
 * (the passphrase comes from STRONGROOM_PASSPHRASE, never from the command line).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Kms, KmsError, passphraseRootKey } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'

export async function persistentKeystoreDemo(directory: string, passphrase: string): Promise<string> {
  // First run: the keystore is created and a key encrypts a secret.
  const first = await Kms.open({ storage: levelStorage(new ClassicLevel(directory)), rootKey: passphraseRootKey(passphrase) })
  const { keyMetadata } = await first.createKey({ description: 'app secrets' })
  await first.createAlias({ aliasName: 'alias/app', keyId: keyMetadata.keyId })
  const { ciphertextBlob } = await first.encrypt({
    keyId: 'alias/app', plaintext: new TextEncoder().encode('db password'), encryptionContext: { purpose: 'db' } })
  await first.close()

  // A wrong passphrase is refused before anything is written.
  try {
    await Kms.open({ storage: levelStorage(new ClassicLevel(directory)), rootKey: passphraseRootKey('not the passphrase') })
    throw new Error('a wrong passphrase must not open the keystore')
  } catch (error) {
    if (!KmsError.is(error, 'RootKeyMismatch')) throw error
  }

  // After a restart the same passphrase opens it and the ciphertext decrypts.
  const second = await Kms.open({ storage: levelStorage(new ClassicLevel(directory)), rootKey: passphraseRootKey(passphrase) })
  const { plaintext } = await second.decrypt({ ciphertextBlob, encryptionContext: { purpose: 'db' } })
  await second.close()
  return new TextDecoder().decode(plaintext)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const directory = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'strongroom-keystore-'))
  const passphrase = process.env['STRONGROOM_PASSPHRASE'] ?? 'correct horse battery staple'
  try {
    console.log(`decrypted after reopening: "${await persistentKeystoreDemo(directory, passphrase)}"`)
  } finally {
    if (process.argv[2] === undefined) rmSync(directory, { recursive: true, force: true })
  }
}
