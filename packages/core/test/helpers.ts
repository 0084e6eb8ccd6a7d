/** Helpers shared by the engine's test files (one way of asserting a KmsError). */
import { createDecipheriv, hkdfSync } from 'node:crypto'
import { KmsError, type KmsErrorCode, type StorageAdapter } from '@strongroom/core'

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

/**
 * Opens a sealed record by its documented format (sealed-storage.ts) with node:crypto only,
 * as a test holding the root secret can: key = HKDF-SHA-256(secret, header salt,
 * "strongroom/root/records/seal/v1"), AES-256-GCM with AAD "strongroom/record/v1" ‖ 0 ‖ storage key.
 */
export async function openSealedRecordBySpec(storage: StorageAdapter, storageKey: string, rootSecret: Uint8Array): Promise<Uint8Array> {
  const header = JSON.parse(new TextDecoder().decode((await storage.get('meta/keystore'))!.value)) as { salt: string }
  const key = Buffer.from(hkdfSync('sha256', rootSecret, Buffer.from(header.salt, 'base64'), 'strongroom/root/records/seal/v1', 32))
  const sealed = (await storage.get(storageKey))!.value
  if (sealed[0] !== 0x00 || sealed[1] !== 0x01) throw new Error(`${storageKey} is not sealed`)
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(2, 14))
  decipher.setAAD(Buffer.concat([Buffer.from('strongroom/record/v1\u0000'), Buffer.from(storageKey)]))
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([decipher.update(sealed.subarray(14, sealed.length - 16)), decipher.final()])
}
