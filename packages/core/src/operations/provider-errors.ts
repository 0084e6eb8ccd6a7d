/**
 * Crypto provider failures that are the caller's doing or the platform's limits, as
 * KmsErrors (shared by asymmetric keys and data-key export).
 *
 * ```ts
 * const value = cryptoCall('asymmetricSign', () => crypto.sign(spec, algorithm, privateKey, input, isDigest))
 * ```
 *
 * An unsupported algorithm is Rejected.UnsupportedOperation; a RangeError is InvalidParameter.
 */
import { UnsupportedAlgorithmError } from '@strongroom/crypto'
import { KmsError } from '../errors.js'

/** Provider failures that are the caller's doing or the platform's limits, as KmsErrors. */
export function cryptoCall<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof UnsupportedAlgorithmError) throw new KmsError('Rejected.UnsupportedOperation', `${what}: ${error.message}`, { cause: error })
    if (error instanceof RangeError) throw new KmsError('InvalidParameter', `${what}: ${error.message}`, { cause: error })
    throw error
  }
}
