/**
 * Property tests: every single-byte change, every truncation, appended bytes, and every
 * way of reordering, duplicating, dropping or transplanting frames is rejected with
 * InvalidCiphertext — through the byte-array API and through the streaming opener, which
 * must never release more than the whole frames verified before the damage.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsError } from '@strongroom/core'
import { Envelope, FRAME_OVERHEAD, readEnvelopeHeader } from '@strongroom/envelope'
import { concat, openFixture, pseudoRandomBytes, type Fixture } from './helpers.js'

const FRAME = 64
let fixture: Fixture
let envelope: Envelope
beforeAll(async () => {
  fixture = await openFixture()
  envelope = new Envelope({ kms: fixture.kms, frameSize: FRAME })
})
afterAll(async () => {
  await fixture.kms.close()
})

/** Opens through the byte-array API; returns the error code, or 'opened'. */
async function openCode(sealed: Uint8Array): Promise<string> {
  try {
    await envelope.open(sealed)
    return 'opened'
  } catch (error) {
    if (!(error instanceof KmsError)) throw error // anything else (TypeError, RangeError…) is a bug
    return error.code
  }
}

/** Opens through the streaming opener in chunks; returns what was released and how it ended. */
async function openStreaming(sealed: Uint8Array, chunk: number): Promise<{ released: Uint8Array; code: string }> {
  const opener = envelope.opener()
  const parts: Uint8Array[] = []
  try {
    for (let i = 0; i < sealed.length; i += chunk) parts.push(...await opener.push(sealed.subarray(i, i + chunk)))
    opener.finish()
    return { released: concat(parts), code: 'opened' }
  } catch (error) {
    if (!(error instanceof KmsError)) throw error
    return { released: concat(parts), code: error.code }
  }
}

interface Split {
  readonly header: Uint8Array
  readonly frames: Uint8Array[]
}

function split(sealed: Uint8Array): Split {
  const { headerLength } = readEnvelopeHeader(sealed)
  const frames: Uint8Array[] = []
  for (let offset = headerLength; offset < sealed.length;) {
    const length = Math.min(FRAME + FRAME_OVERHEAD, sealed.length - offset)
    frames.push(sealed.slice(offset, offset + length))
    offset += length
  }
  return { header: sealed.slice(0, headerLength), frames }
}

describe('tampering', () => {
  it('every single-byte change anywhere in a two-recipient envelope is rejected (exhaustive over positions)', async () => {
    const plaintext = pseudoRandomBytes(200, 3)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a', 'alias/b'], encryptionContext: { tenant: 'acme' } })
    const masks = [0x01, 0x80, 0xff]
    for (let position = 0; position < sealed.length; position++) {
      const mask = masks[position % masks.length]!
      const damaged = sealed.slice()
      damaged[position]! ^= mask
      expect(await openCode(damaged), `byte ${position}`).toBe('InvalidCiphertext')
    }
  })

  it('any byte changed to any other value is rejected, by both APIs, and streaming releases only frames before the damage', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 400 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 200 }),
      async (size, where, mask, chunk) => {
        const plaintext = pseudoRandomBytes(size, size + 7)
        const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
        const position = where % sealed.length
        const damaged = sealed.slice()
        damaged[position]! ^= mask
        expect(await openCode(damaged)).toBe('InvalidCiphertext')
        const { released, code } = await openStreaming(damaged, chunk)
        expect(code).toBe('InvalidCiphertext')
        const { headerLength } = readEnvelopeHeader(sealed)
        // Released bytes are exactly the plaintext of the whole frames before the damaged one.
        const intactFrames = position < headerLength ? 0 : Math.floor((position - headerLength) / (FRAME + FRAME_OVERHEAD))
        expect(released.length % FRAME).toBe(0)
        expect(released.length).toBeLessThanOrEqual(intactFrames * FRAME)
        expect(released).toEqual(plaintext.subarray(0, released.length))
      },
    ), { numRuns: 150 })
  })

  it('every truncation is rejected, and appended bytes are rejected', async () => {
    const plaintext = pseudoRandomBytes(300, 11)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    for (let length = 0; length < sealed.length; length++) {
      expect(await openCode(sealed.subarray(0, length)), `length ${length}`).toBe('InvalidCiphertext')
    }
    for (const extra of [[0], [0, 0, 0, 0], Array.from(sealed.subarray(sealed.length - 20))]) {
      expect(await openCode(concat([sealed, Uint8Array.from(extra)]))).toBe('InvalidCiphertext')
    }
    // The streaming reader names truncation at a frame boundary as such.
    const { frames } = split(sealed)
    const cut = sealed.subarray(0, sealed.length - frames.at(-1)!.length)
    await expect(envelope.open(cut)).rejects.toThrow(/truncated/)
  })

  it('any reordering, duplication or removal of frames is rejected', async () => {
    const plaintext = pseudoRandomBytes(5 * FRAME + 10, 5)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    const { header, frames } = split(sealed)
    expect(frames.length).toBe(6)
    const indexes = frames.map((_, i) => i)
    await fc.assert(fc.asyncProperty(
      fc.array(fc.constantFrom(...indexes), { minLength: 1, maxLength: 9 }),
      async (order) => {
        fc.pre(order.join() !== indexes.join())
        expect(await openCode(concat([header, ...order.map((i) => frames[i]!)]))).toBe('InvalidCiphertext')
      },
    ), { numRuns: 200 })
    // And the exhaustive pairwise swaps.
    for (let i = 0; i < frames.length; i++) {
      for (let j = i + 1; j < frames.length; j++) {
        const swapped = [...frames]
        ;[swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!]
        expect(await openCode(concat([header, ...swapped]))).toBe('InvalidCiphertext')
      }
    }
  })

  it('frames from another envelope under the same (cached) data key are rejected', async () => {
    const cached = new Envelope({ kms: fixture.kms, frameSize: FRAME, dataKeyCache: { maxMessages: 10 } })
    const one = split(await cached.seal(pseudoRandomBytes(3 * FRAME + 5, 1), { keyIds: ['alias/a'] }))
    const two = split(await cached.seal(pseudoRandomBytes(3 * FRAME + 5, 2), { keyIds: ['alias/a'] }))
    // Same data key: the wrapped keys are identical; only the message ids differ.
    expect(readEnvelopeHeader(one.header).recipients).toEqual(readEnvelopeHeader(two.header).recipients)
    for (let i = 0; i < one.frames.length; i++) {
      const mixed = [...one.frames]
      mixed[i] = two.frames[i]!
      expect(await openCode(concat([one.header, ...mixed]))).toBe('InvalidCiphertext')
    }
    // Another envelope's header with this one's frames.
    expect(await openCode(concat([two.header, ...one.frames]))).toBe('InvalidCiphertext')
    expect(await openCode(concat([one.header, ...one.frames]))).toBe('opened')
  })

  it('a recipient swapped in from another envelope fails the key commitment, not silently', async () => {
    const a = await envelope.seal(new Uint8Array(10), { keyIds: ['alias/a'] })
    const b = await envelope.seal(new Uint8Array(10), { keyIds: ['alias/a'] })
    const ha = readEnvelopeHeader(a)
    // Same layout (same key, same context), so the wrapped key sits at the same offset.
    const offset = 48 + 1 + 2
    const blobLength = ha.headerLength - offset - 48
    const forged = a.slice()
    forged.set(b.subarray(offset, offset + blobLength), offset)
    await expect(envelope.open(forged)).rejects.toThrow(/key commitment/)
  })

  it('a final flag set early, or cleared, is rejected', async () => {
    const sealed = await envelope.seal(pseudoRandomBytes(2 * FRAME + 3), { keyIds: ['alias/a'] })
    const { header, frames } = split(sealed)
    const early = frames[0]!.slice()
    early[0]! |= 0x80
    expect(await openCode(concat([header, early]))).toBe('InvalidCiphertext')
    const cleared = frames[2]!.slice()
    cleared[0]! &= 0x7f
    expect(await openCode(concat([header, frames[0]!, frames[1]!, cleared]))).toBe('InvalidCiphertext')
  })

  it('random garbage and foreign bytes are InvalidCiphertext, never another error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
      expect(await openCode(bytes)).toBe('InvalidCiphertext')
    }), { numRuns: 200 })
    // Garbage behind a valid magic and version, so parsing goes deeper.
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 10, maxLength: 600 }), async (bytes) => {
      const forged = bytes.slice()
      forged.set([0x53, 0x52, 0x45, 0x4e, 1, 1, 0, 0, bytes.length >> 8, bytes.length & 0xff].slice(0, forged.length))
      expect(await openCode(forged)).toBe('InvalidCiphertext')
    }), { numRuns: 200 })
  })
})
