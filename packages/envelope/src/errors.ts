/**
 * Envelope failures are engine errors (`KmsError` from @strongroom/core), so callers handle
 * one error type with the codes they already know. Anything wrong with sealed bytes —
 * malformed, modified, truncated, reordered, a wrong encryption context, no recipient this
 * keystore can open — is `InvalidCiphertext`, like a bad blob; the message says which.
 *
 * ```ts
 * try { await envelope.open(bytes) }
 * catch (err) { if (KmsError.is(err, 'InvalidCiphertext')) console.error(err.message) }
 * ```
 *
 * Messages name positions (frame numbers) and public facts only, never bytes of plaintext,
 * keys or the header.
 */
import { KmsError } from '@strongroom/core'

export function invalidEnvelope(reason: string): KmsError {
  return new KmsError('InvalidCiphertext', `envelope: ${reason}`)
}

export function invalidParameter(reason: string): KmsError {
  return new KmsError('InvalidParameter', reason)
}
