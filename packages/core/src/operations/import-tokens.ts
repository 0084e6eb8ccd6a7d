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
import type { AsymmetricEncryptionAlgorithm } from '@strongroom/crypto'
import { DAY_MS } from '../clock.js'

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
