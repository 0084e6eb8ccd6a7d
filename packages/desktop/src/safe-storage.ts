/**
 * A root key for Electron apps, protected by Electron's `safeStorage`: a random 256-bit
 * root key, encrypted with `safeStorage.encryptString` (which uses the macOS Keychain,
 * Windows DPAPI, or the Linux Secret Service / KWallet to hold its own key) and kept in a
 * small file beside the keystore. Only the same OS user on the same machine can decrypt it.
 *
 * ```ts
 * import { app, safeStorage } from 'electron'
 * const kms = await Kms.open({
 *   storage: levelStorage(new ClassicLevel(path.join(app.getPath('userData'), 'keystore'))),
 *   rootKey: safeStorageRootKey(safeStorage, { file: path.join(app.getPath('userData'), 'keystore.rootkey') }),
 * })
 * ```
 *
 * The file is written once, atomically (a temporary file with mode 0600, fsync, then linked into place),
 * and never overwritten: opening a new keystore when the file exists reuses its key.
 * Errors: `safeStorage.isEncryptionAvailable()` is false (on Linux: no keyring, or
 * Electron's `basic_text` fallback) → `StorageFailure`, nothing written; the file is
 * missing, belongs to another OS user, or cannot be decrypted by this one →
 * `RootKeyMismatch`; the file is not a root-key file → `CorruptRecord`.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { KmsError, type RootKeyProvider } from '@strongroom/core'
import { decodeRootSecret, encodeRootSecret, ROOT_SECRET_BYTES } from './root-secret.js'

/** The part of Electron's `safeStorage` this provider uses (pass `safeStorage` from 'electron'). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean
  encryptString(plainText: string): Buffer
  decryptString(encrypted: Buffer): string
}

export interface SafeStorageRootKeyOptions {
  /** The root-key file, e.g. beside the keystore directory. Created on the first open. */
  readonly file: string
}

export const SAFE_STORAGE_ROOT_KEY_KIND = 'electron-safe-storage'
const FILE_FORMAT = 'strongroom-safe-storage-root-key/v1'

export function safeStorageRootKey(safeStorage: SafeStorageLike, options: SafeStorageRootKeyOptions): RootKeyProvider {
  if (typeof safeStorage?.encryptString !== 'function' || typeof safeStorage.decryptString !== 'function' ||
      typeof safeStorage.isEncryptionAvailable !== 'function') {
    throw new TypeError('safeStorage must be Electron\'s safeStorage (isEncryptionAvailable, encryptString, decryptString)')
  }
  if (typeof options?.file !== 'string' || options.file.length === 0) throw new KmsError('InvalidParameter', 'the root-key file path must be a non-empty string')
  const file = path.resolve(options.file)
  const where = `the root-key file ${file}`

  function assertAvailable(): void {
    if (!safeStorage.isEncryptionAvailable()) {
      throw new KmsError('StorageFailure',
        'Electron safeStorage encryption is not available (on Linux: no Secret Service or KWallet); the root key cannot be protected')
    }
  }

  /** The stored secret, or undefined when the file does not exist. */
  function read(): Uint8Array | undefined {
    let stat: fs.Stats
    try {
      stat = fs.statSync(file)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new KmsError('StorageFailure', `${where} cannot be read`, { cause })
    }
    // Another user's file is not this user's key, whatever it decrypts to: refuse it.
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
      throw new KmsError('RootKeyMismatch', `${where} belongs to another OS user (uid ${stat.uid})`)
    }
    let ciphertext: Buffer
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { format?: unknown; ciphertext?: unknown }
      if (parsed?.format !== FILE_FORMAT || typeof parsed.ciphertext !== 'string') throw new Error('unknown format')
      ciphertext = Buffer.from(parsed.ciphertext, 'base64')
    } catch (cause) {
      throw new KmsError('CorruptRecord', `${where} is not a Strongroom root-key file`, { cause })
    }
    let text: string
    try {
      text = safeStorage.decryptString(ciphertext)
    } catch (cause) {
      throw new KmsError('RootKeyMismatch', `${where} cannot be decrypted by this OS user's safeStorage (another user or machine)`, { cause })
    }
    return decodeRootSecret(text, where)
  }

  return {
    kind: SAFE_STORAGE_ROOT_KEY_KIND,
    persistent: true,
    async create({ random }) {
      assertAvailable()
      const existing = read()
      if (existing !== undefined) return { secret: existing, params: {} }
      const secret = random.fill(new Uint8Array(ROOT_SECRET_BYTES))
      try {
        const ciphertext = safeStorage.encryptString(encodeRootSecret(secret))
        writeFileAtomically(file, JSON.stringify({ format: FILE_FORMAT, ciphertext: ciphertext.toString('base64') }) + '\n')
      } catch (cause) {
        secret.fill(0)
        if (cause instanceof KmsError) throw cause
        throw new KmsError('StorageFailure', `${where} could not be written`, { cause })
      }
      return { secret, params: {} }
    },
    async unlock() {
      assertAvailable()
      const secret = read()
      if (secret === undefined) throw new KmsError('RootKeyMismatch', `${where} does not exist; it holds this keystore's root key`)
      return secret
    },
  }
}

/**
 * Writes `text` to a new file with mode 0600 and links it in as `file` only when it is on
 * disk, so a crash leaves either no file or the whole file. Refuses to replace an existing one.
 */
function writeFileAtomically(file: string, text: string): void {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
  const fd = fs.openSync(temporary, 'wx', 0o600)
  try {
    fs.writeFileSync(fd, text)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    // link() fails when `file` exists (another process created it first): never overwrite a root key.
    fs.linkSync(temporary, file)
  } catch (cause) {
    throw (cause as NodeJS.ErrnoException).code === 'EEXIST'
      ? new KmsError('Conflict', `${file} was created by another process meanwhile; open again`)
      : cause
  } finally {
    fs.rmSync(temporary, { force: true })
  }
  syncDirectory(path.dirname(file))
}

function syncDirectory(directory: string): void {
  let fd: number | undefined
  try {
    fd = fs.openSync(directory, 'r')
    fs.fsyncSync(fd)
  } catch {
    // Windows cannot open a directory for fsync; the rename is as durable as the platform makes it.
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}
