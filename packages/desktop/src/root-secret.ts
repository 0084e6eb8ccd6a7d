/**
 * The 256-bit root secret the OS-protected providers create and keep, in the one text
 * form both store it in: `strongroom-root-v1:` followed by its base64. Text, because a
 * keychain entry and Electron's `safeStorage.encryptString` both hold strings; a prefix,
 * so a value that is not ours is told apart from a damaged one.
 *
 * ```ts
 * const text = encodeRootSecret(secret)   // 'strongroom-root-v1:q83v…'
 * const again = decodeRootSecret(text, 'the keychain entry "app/keystore"')
 * ```
 */
import { KmsError } from '@strongroom/core'

export const ROOT_SECRET_BYTES = 32
const PREFIX = 'strongroom-root-v1:'

export function encodeRootSecret(secret: Uint8Array): string {
  return PREFIX + Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString('base64')
}

/** A fresh Uint8Array (never a Buffer view the engine's wipe could miss); CorruptRecord when `text` is not a root secret. */
export function decodeRootSecret(text: string, where: string): Uint8Array {
  const bytes = text.startsWith(PREFIX) ? Buffer.from(text.slice(PREFIX.length), 'base64') : undefined
  if (bytes === undefined || bytes.length !== ROOT_SECRET_BYTES) {
    throw new KmsError('CorruptRecord', `${where} does not hold a Strongroom root key`)
  }
  const secret = new Uint8Array(bytes)
  bytes.fill(0)
  return secret
}
