/**
 * The keystore: a LevelDB directory (`--keystore DIR` or `STRONGROOM_KEYSTORE`) holding an
 * engine's records, every key wrapped under a root key derived from the passphrase
 * (`STRONGROOM_PASSPHRASE`, or a prompt on the terminal — never a command-line argument,
 * which would land in shell history and `ps`).
 *
 * ```ts
 * const kms = await openKeystore(dir, io)        // unlocks; RootKeyMismatch on a wrong passphrase
 * await initKeystore(dir, io)                    // creates; asks for the passphrase twice
 * ```
 *
 * `STRONGROOM_SCRYPT_N` (for tests only) lowers the scrypt cost of a new keystore; the
 * engine refuses anything below 2^14, and a keystore remembers the cost it was made with.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Kms, passphraseRootKey, type KmsOptions, type PassphraseOptions } from '@strongroom/core'
import { levelStorage, type AnyAbstractLevel } from '@strongroom/storage-level'
import { EnvironmentError, UsageError } from './errors.js'
import type { Io } from './output.js'
import { promptHidden } from './prompt.js'

/** README-documented record that every initialised keystore has. */
const KEYSTORE_HEADER_KEY = 'meta/keystore'

export function keystoreDirectory(flag: string | undefined, io: Io): string {
  const dir = flag ?? io.env['STRONGROOM_KEYSTORE']
  if (dir === undefined || dir === '') throw new UsageError('no keystore: pass --keystore DIR or set STRONGROOM_KEYSTORE')
  return resolve(dir)
}

/** The shortest passphrase `init` accepts, in characters (an existing keystore opens with whatever it was made with). */
export const MIN_PASSPHRASE_LENGTH = 8

/** `confirm`: a new keystore's passphrase — at least MIN_PASSPHRASE_LENGTH characters, typed twice on a terminal. */
export async function passphrase(io: Io, confirm: boolean): Promise<string> {
  const fromEnv = io.env['STRONGROOM_PASSPHRASE']
  const onTerminal = fromEnv === undefined || fromEnv === ''
  const typed = onTerminal ? await promptHidden(confirm ? 'New keystore passphrase: ' : 'Keystore passphrase: ') : fromEnv
  if (typed === undefined) throw new UsageError('no passphrase: set STRONGROOM_PASSPHRASE or run in a terminal')
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

/** Creates a keystore in `dir` (created if missing; it must be empty). */
export async function initKeystore(dir: string, io: Io): Promise<void> {
  if (looksInitialised(dir)) throw new EnvironmentError(`${dir} already holds a keystore`)
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new EnvironmentError(`${dir} is not empty; choose a new or empty directory`)
  const rootKey = passphraseRootKey(await passphrase(io, true), scryptOptions(io))
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const kms = await Kms.open({ storage: levelStorage(openLevel(dir, true)), rootKey })
  await kms.close()
}

/** Unlocks the keystore in `dir`; `options` are engine options a command adds (a secret rotation function). */
export async function openKeystore(dir: string, io: Io, options: Pick<KmsOptions, 'secretRotation'> = {}): Promise<Kms> {
  if (!looksInitialised(dir)) throw new EnvironmentError(`no keystore at ${dir} (create one with: strongroom init)`)
  const rootKey = passphraseRootKey(await passphrase(io, false))
  const storage = levelStorage(openLevel(dir, false))
  // Refuse to initialise some other LevelDB database by accident (Kms.open would).
  let header
  try {
    header = await storage.get(KEYSTORE_HEADER_KEY)
  } catch (error) {
    await storage.close().catch(() => undefined)
    throw error
  }
  if (header === undefined) {
    await storage.close()
    throw new EnvironmentError(`${dir} is a LevelDB database but not a Strongroom keystore`)
  }
  return Kms.open({ storage, rootKey, ...options })
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
