/**
 * The streaming forms — Node Transforms, Web TransformStreams, async iterables and the
 * incremental sealer/opener — produce and accept the same format as the byte-array API,
 * whatever the chunk boundaries, and keep memory bounded by backpressure.
 */
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsError } from '@strongroom/core'
import { Envelope, FRAME_OVERHEAD, readEnvelopeHeader } from '@strongroom/envelope'
import { openStream, sealStream } from '@strongroom/envelope/node'
import { collect, concat, expectSameBytes, openFixture, pseudoRandomBytes, type Fixture } from './helpers.js'

let fixture: Fixture
beforeAll(async () => {
  fixture = await openFixture()
})
afterAll(async () => {
  await fixture.kms.close()
})

function chunks(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = []
  let offset = 0
  for (let i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!)
    out.push(bytes.slice(offset, offset + size))
    offset += size
  }
  return out
}

async function* asyncOf(parts: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
}

describe('chunk boundaries do not matter', () => {
  it('sealChunks/openChunks agree with seal/open for any split of any input', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 64 })
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 700 }), fc.array(fc.integer({ min: 1, max: 150 }), { maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 150 }), { maxLength: 6 }),
      async (size, sealSizes, openSizes) => {
        const plaintext = pseudoRandomBytes(size, size + 3)
        const sealed = await collect(envelope.sealChunks(asyncOf(chunks(plaintext, sealSizes)), { keyIds: ['alias/a'] }))
        // Same layout as the byte-array API (only the message id and keys differ).
        const { headerLength } = readEnvelopeHeader(sealed)
        const whole = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
        expect(sealed.length).toBe(whole.length)
        expect((await envelope.open(sealed)).plaintext).toEqual(plaintext)
        const opened = await collect(envelope.openChunks(asyncOf(chunks(sealed, openSizes))))
        expect(opened).toEqual(plaintext)
        expect(headerLength).toBeGreaterThan(0)
      },
    ), { numRuns: 120 })
  })

  it('the opener releases each frame as soon as its last byte arrives, never before', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 64 })
    const plaintext = pseudoRandomBytes(64 * 3 + 10)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    const { headerLength } = readEnvelopeHeader(sealed)
    const opener = envelope.opener()
    const releasedAt: number[] = []
    for (let i = 0; i < sealed.length; i++) {
      const frames = await opener.push(sealed.subarray(i, i + 1))
      if (frames.length > 0) releasedAt.push(i + 1 - headerLength)
      expect(frames.length).toBeLessThanOrEqual(1)
    }
    opener.finish()
    const sealedFrame = 64 + FRAME_OVERHEAD
    expect(releasedAt).toEqual([sealedFrame, 2 * sealedFrame, 3 * sealedFrame, 3 * sealedFrame + 10 + FRAME_OVERHEAD])
    expect(opener.info?.keyId).toBe(fixture.keys[0])
  })
})

describe('Node streams', () => {
  it('seal and open through stream.pipeline with Transforms', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 1024 })
    const plaintext = pseudoRandomBytes(10_000)
    const sealedParts: Uint8Array[] = []
    await pipeline(
      Readable.from(chunks(plaintext, [333, 1024, 7])),
      sealStream(envelope, { keyIds: ['alias/a'], encryptionContext: { via: 'node' } }),
      new Writable({ write(chunk: Uint8Array, _e, cb) { sealedParts.push(chunk); cb() } }),
    )
    const sealed = concat(sealedParts)
    expect((await envelope.open(sealed, { encryptionContext: { via: 'node' } })).plaintext).toEqual(plaintext)
    const openedParts: Uint8Array[] = []
    await pipeline(
      Readable.from(chunks(sealed, [100])),
      openStream(envelope, { encryptionContext: { via: 'node' } }),
      new Writable({ write(chunk: Uint8Array, _e, cb) { openedParts.push(chunk); cb() } }),
    )
    expect(concat(openedParts)).toEqual(plaintext)
  })

  it('async generators work as pipeline stages too', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const plaintext = pseudoRandomBytes(200_000)
    const out: Uint8Array[] = []
    await pipeline(
      Readable.from([plaintext]),
      (source: AsyncIterable<Uint8Array>) => envelope.sealChunks(source, { keyIds: ['alias/b'] }),
      (source: AsyncIterable<Uint8Array>) => envelope.openChunks(source),
      new Writable({ write(chunk: Uint8Array, _e, cb) { out.push(chunk); cb() } }),
    )
    expectSameBytes(concat(out), plaintext)
  })

  it('a damaged stream fails the pipeline with InvalidCiphertext after releasing only verified frames', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 1024 })
    const plaintext = pseudoRandomBytes(5000)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    const { headerLength } = readEnvelopeHeader(sealed)
    sealed[headerLength + 2 * (1024 + FRAME_OVERHEAD) + 100]! ^= 1 // inside frame 3
    const received: Uint8Array[] = []
    const error = await pipeline(
      Readable.from(chunks(sealed, [512])),
      openStream(envelope),
      new Writable({ write(chunk: Uint8Array, _e, cb) { received.push(chunk); cb() } }),
    ).then(() => undefined, (e: unknown) => e)
    expect(KmsError.is(error, 'InvalidCiphertext')).toBe(true)
    expect((error as Error).message).toMatch(/frame 3/)
    expect(concat(received)).toEqual(plaintext.subarray(0, 2048))
  })

  it('a truncated stream fails at its end', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 1024 })
    const sealed = await envelope.seal(pseudoRandomBytes(3000), { keyIds: ['alias/a'] })
    const error = await pipeline(
      Readable.from([sealed.subarray(0, sealed.length - 30)]), openStream(envelope),
      new Writable({ write(_c, _e, cb) { cb() } }),
    ).then(() => undefined, (e: unknown) => e)
    expect(KmsError.is(error, 'InvalidCiphertext')).toBe(true)
    expect((error as Error).message).toMatch(/truncated/)
  })

  it('a sealing stream whose key cannot be used fails before writing anything', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const written: Uint8Array[] = []
    const error = await pipeline(
      Readable.from([new Uint8Array(10)]), sealStream(envelope, { keyIds: ['alias/none'] }),
      new Writable({ write(c: Uint8Array, _e, cb) { written.push(c); cb() } }),
    ).then(() => undefined, (e: unknown) => e)
    expect(KmsError.is(error, 'Forbidden.AliasNotFound')).toBe(true)
    expect(written).toEqual([])
  })

  it('holds only a few frames in flight when the consumer is slow (backpressure)', async () => {
    const frameSize = 4096
    const envelope = new Envelope({ kms: fixture.kms, frameSize })
    const total = 256 * frameSize
    const chunk = pseudoRandomBytes(frameSize)
    let produced = 0
    let consumed = 0
    let maxInFlight = 0
    const source = new Readable({
      highWaterMark: frameSize,
      read() {
        if (produced >= total) return void this.push(null)
        produced += chunk.length
        this.push(chunk.slice())
      },
    })
    const sink = new Writable({
      highWaterMark: frameSize,
      write(c: Uint8Array, _e, cb) {
        // Sealed bytes carry 20 bytes per frame more than plaintext; count plaintext-equivalent.
        consumed += c.length * frameSize / (frameSize + FRAME_OVERHEAD)
        maxInFlight = Math.max(maxInFlight, produced - consumed)
        setImmediate(cb)
      },
    })
    await pipeline(source, sealStream(envelope, { keyIds: ['alias/a'] }), sink)
    // Source buffer + Transform buffers + sink buffer: a handful of frames, never the whole input.
    expect(maxInFlight).toBeLessThanOrEqual(8 * frameSize)
    expect(produced).toBe(total)
  })
})

describe('Web streams', () => {
  it('seal and open through TransformStreams', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 256 })
    const plaintext = pseudoRandomBytes(3000)
    const source = () => new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of chunks(plaintext, [100, 700])) controller.enqueue(part)
        controller.close()
      },
    })
    const sealed = await collect(source().pipeThrough(envelope.sealWebStream({ keyIds: ['alias/c'] })))
    expect((await envelope.open(sealed)).plaintext).toEqual(plaintext)
    const opened = await collect(
      new ReadableStream<Uint8Array>({ start(c) { for (const p of chunks(sealed, [77])) c.enqueue(p); c.close() } })
        .pipeThrough(envelope.openWebStream()),
    )
    expect(opened).toEqual(plaintext)
  })

  it('a damaged Web stream errors with InvalidCiphertext', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 256 })
    const sealed = await envelope.seal(pseudoRandomBytes(1000), { keyIds: ['alias/a'] })
    sealed[sealed.length - 1]! ^= 1
    const readable = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(sealed); c.close() } }).pipeThrough(envelope.openWebStream())
    const error = await collect(readable).then(() => undefined, (e: unknown) => e)
    expect(KmsError.is(error, 'InvalidCiphertext')).toBe(true)
  })
})

describe('incremental API contracts', () => {
  it('a sealer refuses more input than the announced plaintextLength', async () => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 64 })
    const sealer = await envelope.sealer({ keyIds: ['alias/a'], plaintextLength: 10 })
    sealer.push(new Uint8Array(10))
    expect(() => sealer.push(new Uint8Array(1))).toThrow(KmsError)
    expect(() => sealer.push(new Uint8Array(1))).toThrow(/finished/)
  })

  it('an opener rejects overlapping pushes, non-bytes, and empty input', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const sealed = await envelope.seal(new Uint8Array(10), { keyIds: ['alias/a'] })
    const opener = envelope.opener()
    const first = opener.push(sealed)
    await expect(opener.push(new Uint8Array(0))).rejects.toThrow(/overlap/)
    expect(await first).toEqual([new Uint8Array(10)])
    opener.finish()
    await expect(envelope.opener().push('x' as unknown as Uint8Array)).rejects.toThrow(TypeError)
    expect(() => envelope.opener().finish()).toThrow(/empty input/)
  })
})
