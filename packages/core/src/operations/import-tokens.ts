/**
 * Import tokens: the stored record that getParametersForImport writes and
 * importKeyMaterial consumes (and maintenance drops once stale).
 *
 * ```ts
 * tx.putRecord(IMPORT_TOKEN_PREFIX + importToken, utf8Encode(JSON.stringify(record)), null)
 * ```
 *
 * The RSA private key in a token is wrapped under the root key, bound to key and token.
 */
import type { AsymmetricEncryptionAlgorithm, CryptoProvider } from '@strongroom/crypto'
import { concatBytes, toBase64, utf8Encode, wipe } from '../bytes.js'
import { DAY_MS } from '../clock.js'
import type { RootKeyring } from '../root-key.js'

/** Import tokens live under this prefix until used or, unused, forever (they are useless after expiry). */
export const IMPORT_TOKEN_PREFIX = 'import-token/'
export const IMPORT_TOKEN_LIFETIME_MS = DAY_MS

export interface ImportTokenRecord {
  readonly schema: 1
  readonly keyId: string
  readonly wrappingAlgorithm: AsymmetricEncryptionAlgorithm
  readonly expiresAt: number
  /** The RSA private key, wrapped under the root key bound to the key id and the token. */
  readonly wrappedPrivateKey: string
}

/**
 * The keyed fingerprint of imported material (under a key derived from the root key, so it
 * says nothing about the material to whoever reads the store); a root-key change
 * (engine/root-key-change.ts) recomputes it, without loading the import family.
 */
export function importedMaterialFingerprint(crypto: CryptoProvider, keyring: RootKeyring, keyId: string, material: Uint8Array): string {
  const fingerprintKey = keyring.deriveKey('import/fingerprint/v1')
  const fingerprint = toBase64(crypto.hmac('HMAC_SHA_256', fingerprintKey, concatBytes(utf8Encode(keyId), material)))
  wipe(fingerprintKey)
  return fingerprint
}
