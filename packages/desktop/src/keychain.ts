/**
 * A root key kept in the operating system's credential store — macOS Keychain, Windows
 * Credential Manager, the Linux Secret Service (GNOME Keyring, KWallet) — through
 * `@napi-rs/keyring`. The first open of a new keystore makes a random 256-bit root key and
 * stores it in the entry `{ service, account }`; later opens read it back. The key never
 * touches the disk beside the keystore: copying the keystore directory to another machine
 * or OS user does not copy the key.
 *
 * ```ts
 * const kms = await Kms.open({
 *   storage: levelStorage(new ClassicLevel(dir)),
 *   rootKey: keychainRootKey({ service: 'com.example.notes', account: 'keystore' }),
 * })
 * ```
 *
 * Errors: the store cannot be reached (no Secret Service running, keychain locked, access
 * refused) → `StorageFailure`, nothing written; the entry is missing (deleted, another
 * machine or user) → `RootKeyMismatch`; the entry holds something else → `CorruptRecord`.
 *
 * On Linux the entry is pinned to the Secret Service. The library's fallback, the kernel
 * keyring (keyutils), forgets its keys at logout or reboot, and a root key kept only there
 * would lose the keystore with it.
 */
import { AsyncEntry, type LinuxStore } from '@napi-rs/keyring'
import { KmsError, type RootKeyProvider } from '@strongroom/core'
import { decodeRootSecret, encodeRootSecret, ROOT_SECRET_BYTES } from './root-secret.js'

export interface KeychainOptions {
  /** The entry's service name, e.g. your app id (`com.example.notes`). */
  readonly service: string
  /** The entry's account (user) name, e.g. `keystore` or the keystore's name. */
  readonly account: string
  /**
   * Linux only: the credential store. Default `'secret-service'`; `'keyutils'` (the kernel
   * keyring, lost at reboot) only for throw-away keystores.
   */
  readonly linuxStore?: LinuxStore
}

export const KEYCHAIN_ROOT_KEY_KIND = 'keychain'

/** A RootKeyProvider whose secret lives only in the OS credential store entry `{ service, account }`. */
export function keychainRootKey(options: KeychainOptions): RootKeyProvider {
  const { service, account } = options
  for (const [name, value] of [['service', service], ['account', account]] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
      throw new KmsError('InvalidParameter', `the keychain ${name} must be a string of 1 to 256 characters`)
    }
  }
  const where = `the keychain entry "${service}/${account}"`
  const entry = (): AsyncEntry => {
    try {
      return new AsyncEntry(service, account, { linux: { store: options.linuxStore ?? 'secret-service' } })
    } catch (cause) {
      throw unavailable(where, cause)
    }
  }

  async function read(): Promise<Uint8Array | undefined> {
    let text: string | null
    try {
      text = await entry().getPassword()
    } catch (cause) {
      throw unavailable(where, cause)
    }
    return text === null ? undefined : decodeRootSecret(text, where)
  }

  return {
    kind: KEYCHAIN_ROOT_KEY_KIND,
    persistent: true,
    async create({ random }) {
      // An entry that already exists is another keystore's root key, or this one's from a
      // store that was deleted: reuse it, never overwrite it (that would lose a keystore).
      const existing = await read()
      if (existing !== undefined) return { secret: existing, params: { service, account } }
      const secret = random.fill(new Uint8Array(ROOT_SECRET_BYTES))
      try {
        await entry().setPassword(encodeRootSecret(secret))
      } catch (cause) {
        secret.fill(0)
        throw unavailable(where, cause)
      }
      return { secret, params: { service, account } }
    },
    async unlock(params) {
      if (params['service'] !== service || params['account'] !== account) {
        throw new KmsError('RootKeyMismatch',
          `this keystore's root key is in the keychain entry "${String(params['service'])}/${String(params['account'])}", not "${service}/${account}"`)
      }
      const secret = await read()
      if (secret === undefined) {
        throw new KmsError('RootKeyMismatch', `${where} does not exist (deleted, or this is another machine or OS user)`)
      }
      return secret
    },
  }
}

function unavailable(where: string, cause: unknown): KmsError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new KmsError('StorageFailure', `the OS credential store holding ${where} cannot be used: ${reason}`, { cause })
}
