/**
 * The keystore: a LevelDB directory or a PostgreSQL database (store.ts says how it is
 * named) holding an engine's records, every key wrapped under a root key derived from the
 * passphrase (`STRONGROOM_PASSPHRASE`, or a prompt on the terminal — never a command-line
 * argument, which would land in shell history and `ps`).
 *
 * ```ts
 * const kms = await openKeystore(location, io)   // unlocks; RootKeyMismatch on a wrong passphrase
 * await initKeystore(location, io)               // creates; asks for the passphrase twice
 * ```
 *
 * `STRONGROOM_SCRYPT_N` (for tests only) lowers the scrypt cost of a new keystore; the
 * engine refuses anything below 2^14, and a keystore remembers the cost it was made with.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Kms, passphraseRootKey, type KmsOptions, type PassphraseOptions, type StorageAdapter } from '@strongroom/core'
import { EnvironmentError, UsageError } from './errors.js'
import type { Io } from './output.js'
import { promptHidden } from './prompt.js'
import { firstContact, openStore, type StoreLocation } from './store.js'

/** README-documented record that every initialised keystore has. */
const KEYSTORE_HEADER_KEY = 'meta/keystore'

/** The shortest passphrase `init` accepts, in characters (an existing keystore opens with whatever it was made with). */
export const MIN_PASSPHRASE_LENGTH = 8

/** `confirm`: a new keystore's passphrase — at least MIN_PASSPHRASE_LENGTH characters, typed twice on a terminal. */
export function passphrase(io: Io, confirm: boolean): Promise<string> {
  return readPassphrase(io, 'STRONGROOM_PASSPHRASE', confirm ? 'New keystore passphrase: ' : 'Keystore passphrase: ', confirm)
}

/** `change-passphrase`'s new passphrase: STRONGROOM_NEW_PASSPHRASE, or typed twice on the terminal; as long as a new keystore's. */
export function newPassphrase(io: Io): Promise<string> {
  return readPassphrase(io, 'STRONGROOM_NEW_PASSPHRASE', 'New keystore passphrase: ', true)
}

/**
 * A passphrase from the environment variable `variable`, or typed on the terminal (never
 * an argument). `confirm`: one that will protect the keystore from now on — at least
 * MIN_PASSPHRASE_LENGTH characters, and typed twice when typed.
 */
async function readPassphrase(io: Io, variable: string, prompt: string, confirm: boolean): Promise<string> {
  const fromEnv = io.env[variable]
  const onTerminal = fromEnv === undefined || fromEnv === ''
  const typed = onTerminal ? await promptHidden(prompt) : fromEnv
  if (typed === undefined) throw new UsageError(`no passphrase: set ${variable} or run in a terminal`)
  if (typed === '') throw new UsageError('the passphrase must not be empty')
  if (confirm && [...typed].length < MIN_PASSPHRASE_LENGTH) {
    throw new UsageError(`the passphrase is too short: a new keystore needs at least ${MIN_PASSPHRASE_LENGTH} characters`)
  }
  if (confirm && onTerminal && await promptHidden('Repeat the passphrase: ') !== typed) throw new UsageError('the passphrases do not match')
  return typed
}

export function scryptOptions(io: Io): PassphraseOptions {
  const value = io.env['STRONGROOM_SCRYPT_N']
  if (value === undefined || value === '') return {}
  const N = Number(value)
  if (!Number.isSafeInteger(N)) throw new UsageError('STRONGROOM_SCRYPT_N must be an integer power of two')
  return { N }
}

export function looksInitialised(dir: string): boolean {
  return existsSync(join(dir, 'CURRENT'))
}

/** Runs `fn` on the store, closing it if `fn` fails. */
async function closingOnFailure<T>(storage: StorageAdapter, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    await storage.close().catch(() => undefined)
    throw error
  }
}

/** Creates a keystore: in `dir` (created if missing; it must be empty), or in an empty PostgreSQL schema. */
export async function initKeystore(location: StoreLocation, io: Io): Promise<void> {
  if (location.kind === 'directory') {
    const { dir } = location
    if (looksInitialised(dir)) throw new EnvironmentError(`${dir} already holds a keystore`)
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new EnvironmentError(`${dir} is not empty; choose a new or empty directory`)
  }
  const rootKey = passphraseRootKey(await passphrase(io, true), scryptOptions(io))
  if (location.kind === 'directory') mkdirSync(location.dir, { recursive: true, mode: 0o700 })
  const storage = openStore(location, true)
  await closingOnFailure(storage, async () => {
    if (location.kind === 'postgres') {
      if (await firstContact(location, () => storage.get(KEYSTORE_HEADER_KEY)) !== undefined) throw new EnvironmentError(`${location.display} already holds a keystore`)
      if ((await storage.scan({ prefix: '', limit: 1 })).records.length > 0) throw new EnvironmentError(`${location.display} is not empty; choose a new schema (?schema=NAME)`)
    }
  })
  const kms = await Kms.open({ storage, rootKey })
  await kms.close()
}

/** Unlocks the keystore; `options` are engine options a command adds (a secret rotation function). */
export async function openKeystore(location: StoreLocation, io: Io, options: Pick<KmsOptions, 'secretRotation'> = {}): Promise<Kms> {
  if (location.kind === 'directory' && !looksInitialised(location.dir)) {
    throw new EnvironmentError(`no keystore at ${location.dir} (create one with: strongroom init)`)
  }
  const rootKey = passphraseRootKey(await passphrase(io, false))
  const storage = await openInitialised(location)
  return closingOnFailure(storage, () => Kms.open({ storage, rootKey, ...options }))
}

/** The storage of an initialised keystore: refuses some other database (Kms.open would initialise it). */
export async function openInitialised(location: StoreLocation): Promise<StorageAdapter> {
  const storage = openStore(location, false)
  const header = await closingOnFailure(storage, () => firstContact(location, () => storage.get(KEYSTORE_HEADER_KEY)))
  if (header === undefined) {
    await storage.close()
    throw new EnvironmentError(location.kind === 'directory'
      ? `${location.dir} is a LevelDB database but not a Strongroom keystore`
      : `no keystore at ${location.display} (create one with: strongroom init)`)
  }
  return storage
}
