/** Helpers shared by the engine's test files (one way of asserting a KmsError). */
import { KmsError, type KmsErrorCode } from '@strongroom/core'

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Awaits `promise` and returns its KmsError, failing unless it rejected with exactly `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: KmsErrorCode): Promise<KmsError> {
  let error: unknown
  try {
    await promise
  } catch (e) {
    error = e
  }
  if (!KmsError.is(error, code)) {
    throw new Error(`expected KmsError ${code}, got ${error === undefined ? 'success' : String((error as Error)?.stack ?? error)}`)
  }
  return error
}
