/**
 * FORMAT.md is the specification: this file implements it again from the document alone,
 * with node:crypto and Buffer (no code from src/), and checks that
 * - reading the golden envelope by the spec gives the golden plaintext, and
 * - sealing the same inputs by the spec (data key, message id, context, wrapped keys)
 *   reproduces the golden envelope byte for byte,
 * so the document, the code and the committed files cannot drift apart.
 */
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { golden, openGoldenKms } from './golden/load.js'

interface SpecHeader {
  frameSize: number
  messageId: Buffer
  context: Buffer
  recipients: Buffer[]
  commitment: Buffer
  tag: Buffer
  headerLength: number
}

/** "Header" table of FORMAT.md. */
function parseBySpec(bytes: Buffer): SpecHeader {
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('SREN')
  expect(bytes[4]).toBe(1)
  expect(bytes[5]).toBe(1)
  const headerLength = bytes.readUInt32BE(6)
  const frameSize = bytes.readUInt32BE(10)
  const messageId = bytes.subarray(14, 46)
  const c = bytes.readUInt16BE(46)
  const context = bytes.subarray(48, 48 + c)
  let offset = 48 + c
  const n = bytes[offset++]!
  const recipients: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const w = bytes.readUInt16BE(offset)
    recipients.push(bytes.subarray(offset + 2, offset + 2 + w))
    offset += 2 + w
  }
  expect(offset).toBe(headerLength - 48)
  return {
    frameSize, messageId, context, recipients, headerLength,
    commitment: bytes.subarray(headerLength - 48, headerLength - 16), tag: bytes.subarray(headerLength - 16, headerLength),
  }
}

/** "Encryption context encoding": u16 count, then u16-length-prefixed UTF-8 key and value per pair. */
function decodeContextBySpec(bytes: Buffer): Record<string, string> {
  const out: Record<string, string> = {}
  if (bytes.length === 0) return out
  let offset = 2
  const take = (): string => {
    const n = bytes.readUInt16BE(offset)
    const text = bytes.subarray(offset + 2, offset + 2 + n).toString('utf8')
    offset += 2 + n
    return text
  }
  for (let i = bytes.readUInt16BE(0); i > 0; i--) {
    const key = take()
    out[key] = take()
  }
  return out
}

/** "Derivation" section. */
function deriveBySpec(dataKey: Buffer, messageId: Buffer): { frameKey: Buffer; commitment: Buffer } {
  const info = Buffer.concat([Buffer.from('strongroom/envelope/v1', 'ascii'), Buffer.from([1])])
  expect(info.length).toBe(23)
  const okm = Buffer.from(hkdfSync('sha256', dataKey, messageId, info, 64))
  return { frameKey: okm.subarray(0, 32), commitment: okm.subarray(32, 64) }
}

function nonce(s: number): Buffer {
  const out = Buffer.alloc(12)
  out.writeUInt32BE(s, 8)
  return out
}

function gcm(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { ciphertext, tag: cipher.getAuthTag() }
}

/** "Frames" section: the frames of a plaintext. */
function framesBySpec(frameKey: Buffer, messageId: Buffer, frameSize: number, plaintext: Buffer): Buffer {
  const parts: Buffer[] = []
  const full = Math.floor(plaintext.length / frameSize)
  for (let s = 1; s <= full + 1; s++) {
    const final = s === full + 1
    const chunk = plaintext.subarray((s - 1) * frameSize, final ? plaintext.length : s * frameSize)
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32BE((final ? 0x8000_0000 : 0) + chunk.length)
    const sequence = Buffer.alloc(4)
    sequence.writeUInt32BE(s)
    const { ciphertext, tag } = gcm(frameKey, nonce(s), chunk, Buffer.concat([messageId, sequence, prefix]))
    parts.push(prefix, ciphertext, tag)
  }
  return Buffer.concat(parts)
}

/** "Reading" section, steps 5–8, given the unwrapped data key. */
function openBySpec(bytes: Buffer, dataKey: Buffer): Buffer {
  const header = parseBySpec(bytes)
  const { frameKey, commitment } = deriveBySpec(dataKey, header.messageId)
  expect(timingSafeEqual(commitment, header.commitment)).toBe(true)
  const tagCheck = createDecipheriv('aes-256-gcm', frameKey, nonce(0))
  tagCheck.setAAD(bytes.subarray(0, header.headerLength - 16))
  tagCheck.setAuthTag(header.tag)
  tagCheck.final()
  const out: Buffer[] = []
  let offset = header.headerLength
  for (let s = 1; ; s++) {
    const prefix = bytes.readUInt32BE(offset)
    const final = prefix >= 0x8000_0000
    const length = final ? prefix - 0x8000_0000 : prefix
    expect(final ? length < header.frameSize : length === header.frameSize).toBe(true)
    const sequence = Buffer.alloc(4)
    sequence.writeUInt32BE(s)
    const decipher = createDecipheriv('aes-256-gcm', frameKey, nonce(s))
    decipher.setAAD(Buffer.concat([header.messageId, sequence, bytes.subarray(offset, offset + 4)]))
    decipher.setAuthTag(bytes.subarray(offset + 4 + length, offset + 4 + length + 16))
    out.push(decipher.update(bytes.subarray(offset + 4, offset + 4 + length)))
    decipher.final()
    offset += 4 + length + 16
    if (final) break
  }
  expect(offset).toBe(bytes.length) // nothing after the final frame
  return Buffer.concat(out)
}

/** Reassembles a whole envelope from its inputs, by the spec. */
function sealBySpec(input: {
  frameSize: number; messageId: Buffer; context: Buffer; recipients: Buffer[]; dataKey: Buffer; plaintext: Buffer
}): Buffer {
  const { frameKey, commitment } = deriveBySpec(input.dataKey, input.messageId)
  const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b }
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
  const body = Buffer.concat([
    input.messageId, u16(input.context.length), input.context, Buffer.from([input.recipients.length]),
    ...input.recipients.flatMap((r) => [u16(r.length), r]), commitment,
  ])
  const headerLength = 4 + 1 + 1 + 4 + 4 + body.length + 16
  const authenticated = Buffer.concat([Buffer.from('SREN', 'latin1'), Buffer.from([1, 1]), u32(headerLength), u32(input.frameSize), body])
  const { ciphertext, tag } = gcm(frameKey, nonce(0), Buffer.alloc(0), authenticated)
  expect(ciphertext.length).toBe(0)
  return Buffer.concat([authenticated, tag, framesBySpec(frameKey, input.messageId, input.frameSize, input.plaintext)])
}

let kms: Kms
beforeAll(async () => {
  kms = await openGoldenKms()
})
afterAll(async () => {
  await kms.close()
})

describe('FORMAT.md, implemented independently', () => {
  for (const [name, sealed, plaintext] of [
    ['plaintext.txt.sre', golden.sealed, golden.plaintext],
    ['empty.sre', golden.empty, new Uint8Array(0)],
  ] as const) {
    it(`reads ${name} and re-seals it byte for byte`, async () => {
      const bytes = Buffer.from(sealed)
      const header = parseBySpec(bytes)
      // Step 4: each wrapped key is an engine blob of the 32-byte data key, under the header's context.
      const contextObject = decodeContextBySpec(header.context)
      const dataKeys = await Promise.all(header.recipients.map(async (r) =>
        Buffer.from((await kms.decrypt({ ciphertextBlob: r, encryptionContext: contextObject })).plaintext)))
      for (const key of dataKeys) expect(key.equals(dataKeys[0]!)).toBe(true)
      const dataKey = dataKeys[0]!
      expect(dataKey.length).toBe(32)
      expect(openBySpec(bytes, dataKey).equals(Buffer.from(plaintext))).toBe(true)
      const again = sealBySpec({
        frameSize: header.frameSize, messageId: header.messageId, context: header.context, recipients: header.recipients,
        dataKey, plaintext: Buffer.from(plaintext),
      })
      expect(again.equals(bytes)).toBe(true)
      // The sealed-size formula of the "Frames" section.
      const P = plaintext.length
      const F = header.frameSize
      expect(bytes.length).toBe(header.headerLength + Math.floor(P / F) * (F + 20) + (P % F) + 20)
    })
  }
})
