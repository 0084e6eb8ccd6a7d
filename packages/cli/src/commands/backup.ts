/**
 * `strongroom backup FILE` and `strongroom restore FILE`: the whole keystore (keys,
 * versions, aliases, policies, audit trail) in one encrypted, authenticated file
 * (`backupKeystore` of @strongroom/core), and back into a new keystore directory.
 *
 * ```sh
 * strongroom --keystore ~/.strongroom backup keystore.backup                      # under the keystore passphrase
 * strongroom --keystore ~/.strongroom backup keystore.backup --backup-passphrase  # under a separate one
 * strongroom --keystore /new/dir restore keystore.backup [--backup-passphrase]
 * strongroom --store 'postgres://kms@db/keys?schema=restored' restore keystore.backup   # into an empty schema
 * ```
 *
 * The backup file is written through a temporary file and appears only when complete.
 * Restore refuses a directory holding a keystore or anything else; it verifies the whole
 * file before writing, and a failed restore removes what it created. A restore interrupted
 * by a crash leaves a LevelDB directory without a keystore header: run the same restore
 * again (it clears and redoes it), or delete the directory.
 */
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { backupKeystore, passphraseRootKey, restoreKeystore } from '@strongroom/core'
import { positional } from '../args.js'
import { flag, type Command, type CommandContext } from '../command.js'
import { EnvironmentError, UsageError } from '../errors.js'
import { looksInitialised, openInitialised, passphrase, scryptOptions } from '../keystore.js'
import { openStore } from '../store.js'
import { promptHidden } from '../prompt.js'
import { writeAtomically } from './files.js'

const BACKUP_PASSPHRASE_OPTION = {
  'backup-passphrase': {
    type: 'boolean', description: 'use a separate backup passphrase (STRONGROOM_BACKUP_PASSPHRASE, or asked) instead of the keystore passphrase',
  },
} as const

/** The backup passphrase: STRONGROOM_BACKUP_PASSPHRASE, or typed on the terminal (twice for a new backup). */
async function backupPassphrase(context: CommandContext, confirm: boolean): Promise<string> {
  const fromEnv = context.io.env['STRONGROOM_BACKUP_PASSPHRASE']
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const typed = await promptHidden(confirm ? 'New backup passphrase: ' : 'Backup passphrase: ')
  if (typed === undefined) throw new UsageError('no backup passphrase: set STRONGROOM_BACKUP_PASSPHRASE or run in a terminal')
  if (typed === '') throw new UsageError('the backup passphrase must not be empty')
  if (confirm && await promptHidden('Repeat the backup passphrase: ') !== typed) throw new UsageError('the backup passphrases do not match')
  return typed
}

export const backup: Command = {
  name: 'backup', args: 'FILE', summary: 'Write the whole keystore to an encrypted backup file', positionals: 1, needs: 'keystore',
  options: { ...BACKUP_PASSPHRASE_OPTION, force: { type: 'boolean', description: 'replace FILE if it exists' } },
  async run(context) {
    const { keystore, store, io, out, values } = context
    const file = positional(context.positionals, 0, 'FILE')
    if (store.kind === 'directory' && !looksInitialised(store.dir)) throw new EnvironmentError(`no keystore at ${keystore} (create one with: strongroom init)`)
    const rootKey = passphraseRootKey(await passphrase(io, false))
    const separate = flag(values, 'backup-passphrase') ? await backupPassphrase(context, true) : undefined
    const storage = await openInitialised(store)
    let bytes = 0
    try {
      const stream = backupKeystore({
        storage, rootKey, ...(separate === undefined ? {} : { passphrase: separate, scrypt: scryptOptions(io) }),
      })
      const counted = async function* () {
        for await (const chunk of stream) {
          bytes += chunk.length
          yield chunk
        }
      }
      await writeAtomically(file, flag(values, 'force'), 0o600, (sink) => pipeline(Readable.from(counted()), sink, { signal: context.signal }))
    } finally {
      await storage.close()
    }
    out.result({ keystore, file, bytes, key: separate === undefined ? 'keystore passphrase' : 'backup passphrase' },
      () => [`Backed up ${keystore} to ${file} (${bytes} bytes)`])
  },
}

export const restore: Command = {
  name: 'restore', args: 'FILE', summary: 'Restore a backup file into a new keystore directory', positionals: 1, needs: 'keystore',
  options: BACKUP_PASSPHRASE_OPTION,
  async run(context) {
    const { keystore, store, io, out, values } = context
    const file = positional(context.positionals, 0, 'FILE')
    if (!existsSync(file)) throw new EnvironmentError(`no backup file ${file}`)
    // A PostgreSQL schema is checked by restoreKeystore (empty, or an interrupted restore of this backup).
    const created = store.kind === 'directory' && !existsSync(keystore)
    // An existing LevelDB directory may hold an interrupted restore of this backup: restoreKeystore decides.
    if (store.kind === 'directory' && !created && !looksInitialised(keystore) && readdirSync(keystore).length > 0) {
      throw new EnvironmentError(`${keystore} is not empty; choose a new or empty directory`)
    }
    const secret = flag(values, 'backup-passphrase')
      ? { passphrase: await backupPassphrase(context, false) }
      : { rootKey: passphraseRootKey(await passphrase(io, false)) }
    if (store.kind === 'directory') mkdirSync(keystore, { recursive: true, mode: 0o700 })
    const storage = openStore(store, true)
    let info
    try {
      info = await restoreKeystore({ storage, backup: () => createReadStream(file), ...secret })
    } catch (error) {
      await storage.close().catch(() => undefined)
      if (created) rmSync(keystore, { recursive: true, force: true })
      throw error
    }
    await storage.close()
    out.result({ keystore, file, ...info, createdAt: new Date(info.createdAt).toISOString() },
      () => [`Restored ${info.records} records from ${file} (backup of ${new Date(info.createdAt).toISOString()}) into ${keystore}`])
  },
}
