/**
 * What an envelope says about itself, readable without any key: format, frame size,
 * message id, encryption context and recipients. The header is public by design (like
 * the AWS Encryption SDK's): never put secrets in an encryption context.
 *
 * ```ts
 * const info = readEnvelopeHeader(firstBytes)   // throws InvalidCiphertext if malformed
 * info.recipients.map((r) => r.keyId)           // which CMKs can open it
 * ```
 *
 * Unauthenticated until opened: anyone can write a header, so decide nothing on it that
 * matters for security; `Envelope.open` returns the same facts after verifying them.
 */
import { decodeHeader, type EnvelopeHeader } from './format.js'
import type { EncryptionContext } from '@strongroom/core'

export interface EnvelopeInfo {
  readonly formatVersion: number
  /** Plaintext bytes per frame. */
  readonly frameSize: number
  /** Hex of the 32-byte random message id (public; handy in logs). */
  readonly messageId: string
  readonly encryptionContext: EncryptionContext
  /** The CMKs the data key is wrapped under, in header order (the first generated it). */
  readonly recipients: readonly { readonly keyId: string | undefined; readonly keyVersionId: string | undefined }[]
  /** Header bytes; frames start here. */
  readonly headerLength: number
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function headerInfo(header: EnvelopeHeader): EnvelopeInfo {
  let messageId = ''
  for (const byte of header.messageId) messageId += HEX[byte]
  return {
    formatVersion: header.formatVersion,
    frameSize: header.frameSize,
    messageId,
    encryptionContext: header.encryptionContext,
    recipients: header.recipients.map((r) => ({ keyId: r.keyId, keyVersionId: r.keyVersionId })),
    headerLength: header.bytes.length,
  }
}

/** Parses the header at the start of `bytes` (which may hold more); nothing is verified. */
export function readEnvelopeHeader(bytes: Uint8Array): EnvelopeInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('readEnvelopeHeader takes a Uint8Array')
  return headerInfo(decodeHeader(bytes))
}
