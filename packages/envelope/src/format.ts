/**
 * The envelope format, version 1: constants, the header codec and the per-frame layout.
 * Pure functions over bytes; no keys are handled here (see keys.ts). FORMAT.md is the
 * specification this file implements, field by field.
 *
 * ```ts
 * const bytes = encodeHeader({ frameSize: 65536, messageId, encryptionContext, recipients, commitment })
 * const header = decodeHeader(bytes)     // throws InvalidCiphertext on anything malformed
 * header.recipients[0]?.keyId            // readable without any key: the header is not secret
 * ```
 *
 * All integers are big-endian. The header ends with a 16-byte tag that keys.ts computes
 * over every byte before it, so the codec leaves those bytes zero and never checks them.
 */
import { encodeEncryptionContext, parseBlob, type EncryptionContext } from '@strongroom/core'
import { bytesEqual, readUint16, readUint32, writeUint16, writeUint32 } from '@strongroom/crypto'
import { utf8DecodeStrict } from './bytes.js'
import { invalidEnvelope } from './errors.js'

/** "SREN": StrongRoom ENvelope. */
export const MAGIC = Uint8Array.of(0x53, 0x52, 0x45, 0x4e)
export const ENVELOPE_FORMAT_VERSION = 1
/** Suite 1: AES-256-GCM frames, HKDF-SHA-256 key derivation, 256-bit key commitment. */
export const SUITE_AES_256_GCM_HKDF_SHA256_COMMIT = 1

export const DEFAULT_FRAME_SIZE = 65_536
export const MIN_FRAME_SIZE = 64
/** 16 MiB: a reader buffers at most one frame, so a hostile header cannot demand more. */
export const MAX_FRAME_SIZE = 16_777_216
export const MAX_RECIPIENTS = 16
/** A wrapped data key is an engine ciphertext blob (78 bytes of overhead + the 32-byte key). */
export const MAX_WRAPPED_KEY_BYTES = 1024
export const MAX_HEADER_BYTES = 65_536
/** Frames are numbered 1‥2^32 − 1; the header tag uses number 0. */
export const MAX_FRAMES = 0xffff_ffff

export const DATA_KEY_BYTES = 32
export const MESSAGE_ID_BYTES = 32
export const COMMITMENT_BYTES = 32
export const TAG_BYTES = 16
/** The u32 before each frame: bit 31 marks the final frame, bits 0‥30 give its plaintext length. */
export const FRAME_PREFIX_BYTES = 4
/** Bytes a frame adds to its plaintext: prefix and tag. */
export const FRAME_OVERHEAD = FRAME_PREFIX_BYTES + TAG_BYTES
export const FINAL_FLAG = 0x8000_0000

const OFFSET_VERSION = 4
const OFFSET_SUITE = 5
const OFFSET_HEADER_LENGTH = 6
const OFFSET_FRAME_SIZE = 10
const OFFSET_MESSAGE_ID = 14
const OFFSET_CONTEXT_LENGTH = 46
const OFFSET_CONTEXT = 48
/** Bytes before the header length is known: a streaming reader needs this many first. */
export const HEADER_PREFIX_BYTES = OFFSET_FRAME_SIZE
/** The smallest possible header: empty context, one 1-byte wrapped key. */
const MIN_HEADER_BYTES = OFFSET_CONTEXT + 1 + 2 + 1 + COMMITMENT_BYTES + TAG_BYTES

export interface Recipient {
  /** The engine ciphertext blob wrapping the data key under one CMK. */
  readonly wrappedKey: Uint8Array
  /** Read from the blob; `undefined` if the blob is not one this engine version can parse. */
  readonly keyId: string | undefined
  readonly keyVersionId: string | undefined
}

export interface EnvelopeHeader {
  readonly formatVersion: number
  readonly suite: number
  readonly frameSize: number
  readonly messageId: Uint8Array
  readonly encryptionContext: EncryptionContext
  /** The canonical context bytes exactly as stored (what the wrapped keys are bound to). */
  readonly encodedContext: Uint8Array
  readonly recipients: readonly Recipient[]
  readonly commitment: Uint8Array
  /** The whole header, tag included. */
  readonly bytes: Uint8Array
  /** Bytes 0 ‥ length − 16: what the header tag authenticates. */
  readonly authenticated: Uint8Array
  readonly tag: Uint8Array
}

export interface HeaderFields {
  readonly frameSize: number
  readonly messageId: Uint8Array
  readonly encodedContext: Uint8Array
  readonly wrappedKeys: readonly Uint8Array[]
  readonly commitment: Uint8Array
}

/** Header bytes with the tag left zero, for keys.ts to fill in. */
export function encodeHeader(fields: HeaderFields): Uint8Array {
  const { frameSize, messageId, encodedContext, wrappedKeys, commitment } = fields
  let length = OFFSET_CONTEXT + encodedContext.length + 1 + COMMITMENT_BYTES + TAG_BYTES
  for (const w of wrappedKeys) length += 2 + w.length
  // Preconditions: the sealer validated these; a violation here is a bug, not bad input.
  if (length > MAX_HEADER_BYTES || wrappedKeys.length < 1 || wrappedKeys.length > MAX_RECIPIENTS) {
    throw new RangeError('envelope header out of bounds')
  }
  const out = new Uint8Array(length)
  out.set(MAGIC, 0)
  out[OFFSET_VERSION] = ENVELOPE_FORMAT_VERSION
  out[OFFSET_SUITE] = SUITE_AES_256_GCM_HKDF_SHA256_COMMIT
  writeUint32(out, OFFSET_HEADER_LENGTH, length)
  writeUint32(out, OFFSET_FRAME_SIZE, frameSize)
  out.set(messageId, OFFSET_MESSAGE_ID)
  writeUint16(out, OFFSET_CONTEXT_LENGTH, encodedContext.length)
  out.set(encodedContext, OFFSET_CONTEXT)
  let offset = OFFSET_CONTEXT + encodedContext.length
  out[offset++] = wrappedKeys.length
  for (const w of wrappedKeys) {
    writeUint16(out, offset, w.length)
    out.set(w, offset + 2)
    offset += 2 + w.length
  }
  out.set(commitment, offset)
  return out
}

/**
 * The total header length announced by the first HEADER_PREFIX_BYTES bytes, after checking
 * magic, version and suite, so a streaming reader knows how much to buffer (at most 64 KiB).
 */
export function headerLength(prefix: Uint8Array): number {
  if (prefix.length < HEADER_PREFIX_BYTES) throw new RangeError('need the header prefix')
  checkMagic(prefix)
  const version = prefix[OFFSET_VERSION]!
  if (version !== ENVELOPE_FORMAT_VERSION) throw invalidEnvelope(`unsupported envelope format version ${version}`)
  const suite = prefix[OFFSET_SUITE]!
  if (suite !== SUITE_AES_256_GCM_HKDF_SHA256_COMMIT) throw invalidEnvelope(`unsupported envelope suite ${suite}`)
  const length = readUint32(prefix, OFFSET_HEADER_LENGTH)
  if (length < MIN_HEADER_BYTES || length > MAX_HEADER_BYTES) throw invalidEnvelope('malformed header (bad header length)')
  return length
}

/** Fails fast on foreign bytes: checks as much of the magic as `bytes` holds. */
export function checkMagic(bytes: Uint8Array): void {
  const n = Math.min(bytes.length, MAGIC.length)
  if (!bytesEqual(bytes.subarray(0, n), MAGIC.subarray(0, n))) throw invalidEnvelope('not a Strongroom envelope (bad magic bytes)')
}

/**
 * Parses a complete header (`bytes` may continue past it). Checks structure only: every
 * length agrees, the context is in canonical form. Authenticity comes later (keys.ts).
 */
export function decodeHeader(bytes: Uint8Array): EnvelopeHeader {
  checkMagic(bytes)
  if (bytes.length < HEADER_PREFIX_BYTES) throw invalidEnvelope('truncated header')
  const length = headerLength(bytes)
  if (bytes.length < length) throw invalidEnvelope('truncated header')
  const header = bytes.subarray(0, length)
  const frameSize = readUint32(header, OFFSET_FRAME_SIZE)
  if (frameSize < MIN_FRAME_SIZE || frameSize > MAX_FRAME_SIZE) throw invalidEnvelope('malformed header (bad frame size)')
  const tagOffset = length - TAG_BYTES
  const commitmentOffset = tagOffset - COMMITMENT_BYTES
  const contextLength = readUint16(header, OFFSET_CONTEXT_LENGTH)
  let offset = OFFSET_CONTEXT + contextLength
  if (offset + 1 > commitmentOffset) throw invalidEnvelope('malformed header (bad context length)')
  const encodedContext = header.subarray(OFFSET_CONTEXT, offset)
  const encryptionContext = decodeEncryptionContext(encodedContext)
  const count = header[offset++]!
  if (count < 1 || count > MAX_RECIPIENTS) throw invalidEnvelope('malformed header (bad recipient count)')
  const recipients: Recipient[] = []
  for (let i = 0; i < count; i++) {
    if (offset + 2 > commitmentOffset) throw invalidEnvelope('malformed header (recipients overrun)')
    const n = readUint16(header, offset)
    offset += 2
    if (n < 1 || n > MAX_WRAPPED_KEY_BYTES || offset + n > commitmentOffset) throw invalidEnvelope('malformed header (bad wrapped key length)')
    const wrappedKey = header.subarray(offset, offset + n)
    offset += n
    const parsed = parseBlob(wrappedKey)
    recipients.push({ wrappedKey, keyId: parsed?.keyId, keyVersionId: parsed?.keyVersionId })
  }
  // Canonical: no unclaimed bytes between the last recipient and the commitment.
  if (offset !== commitmentOffset) throw invalidEnvelope('malformed header (unexpected bytes before the commitment)')
  return {
    formatVersion: ENVELOPE_FORMAT_VERSION,
    suite: SUITE_AES_256_GCM_HKDF_SHA256_COMMIT,
    frameSize,
    messageId: header.subarray(OFFSET_MESSAGE_ID, OFFSET_MESSAGE_ID + MESSAGE_ID_BYTES),
    encryptionContext,
    encodedContext,
    recipients,
    commitment: header.subarray(commitmentOffset, tagOffset),
    bytes: header,
    authenticated: header.subarray(0, tagOffset),
    tag: header.subarray(tagOffset),
  }
}

/**
 * The inverse of core's canonical context encoding (u16 count, then sorted pairs of
 * u16-length-prefixed UTF-8). Re-encoding must give back the same bytes, so unsorted,
 * duplicated or non-UTF-8 contexts are malformed rather than silently normalised.
 */
export function decodeEncryptionContext(bytes: Uint8Array): EncryptionContext {
  const context: Record<string, string> = {}
  if (bytes.length === 0) return context
  const fail = (): never => {
    throw invalidEnvelope('malformed header (encryption context is not in canonical form)')
  }
  if (bytes.length < 2) fail()
  const count = readUint16(bytes, 0)
  let offset = 2
  const take = (): string => {
    if (offset + 2 > bytes.length) fail()
    const n = readUint16(bytes, offset)
    if (offset + 2 + n > bytes.length) fail()
    const text = utf8DecodeStrict(bytes.subarray(offset + 2, offset + 2 + n))
    if (text === undefined) fail()
    offset += 2 + n
    return text!
  }
  for (let i = 0; i < count; i++) {
    const key = take()
    const value = take()
    if (Object.hasOwn(context, key)) fail()
    Object.defineProperty(context, key, { value, enumerable: true, writable: true, configurable: true })
  }
  if (offset !== bytes.length || count === 0) fail()
  let again: Uint8Array
  try {
    again = encodeEncryptionContext(context)
  } catch {
    return fail()
  }
  if (!bytesEqual(again, bytes)) fail()
  return context
}

/** The 12-byte GCM nonce of frame `sequence` (0 = the header tag): eight zero bytes ‖ u32. */
export function writeNonce(nonce: Uint8Array, sequence: number): void {
  writeUint32(nonce, 8, sequence)
}

/** Frame AAD (40 bytes): message id ‖ u32 sequence ‖ the frame's u32 prefix. */
export const FRAME_AAD_BYTES = MESSAGE_ID_BYTES + 4 + FRAME_PREFIX_BYTES

export function writeFrameAad(aad: Uint8Array, sequence: number, prefix: number): void {
  writeUint32(aad, MESSAGE_ID_BYTES, sequence)
  writeUint32(aad, MESSAGE_ID_BYTES + 4, prefix)
}

/** Sealed size of `plaintextLength` bytes in frames of `frameSize` (header excluded). */
export function framedLength(plaintextLength: number, frameSize: number): number {
  const full = Math.floor(plaintextLength / frameSize)
  return full * (frameSize + FRAME_OVERHEAD) + (plaintextLength - full * frameSize) + FRAME_OVERHEAD
}
