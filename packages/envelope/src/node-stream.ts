/**
 * Node stream forms: `Transform`s for `stream.pipeline`.
 *
 * ```ts
 * import { pipeline } from 'node:stream/promises'
 * import { sealStream, openStream } from '@strongroom/envelope/node'
 *
 * await pipeline(createReadStream('report.pdf'), sealStream(envelope, { keyIds: ['alias/app'] }), createWriteStream('report.pdf.sre'))
 * await pipeline(createReadStream('report.pdf.sre'), openStream(envelope), process.stdout)
 * ```
 *
 * Memory stays bounded by the streams' high-water marks plus one frame: the sealer keeps
 * at most one partial frame, the opener at most one unverified frame, and a Transform
 * does not take the next chunk while its output is backed up. The opener pushes only
 * verified frames; what a reader may have seen before an error is described in
 * streaming.ts. Destroying a stream wipes its frame key.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { Envelope, OpenOptions, StreamSealOptions } from './envelope.js'
import type { EnvelopeOpener, EnvelopeSealer } from './streaming.js'

class SealTransform extends Transform {
  readonly #envelope: Envelope
  readonly #options: StreamSealOptions
  #sealer: EnvelopeSealer | undefined

  constructor(envelope: Envelope, options: StreamSealOptions) {
    super()
    this.#envelope = envelope
    this.#options = options
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.#envelope.sealer(this.#options).then((sealer) => {
      this.#sealer = sealer
      this.push(sealer.header)
      callback()
    }, callback)
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      const frames = this.#sealer!.push(chunk)
      callback(null, frames)
    } catch (error) {
      callback(error as Error)
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      callback(null, this.#sealer!.finish())
    } catch (error) {
      callback(error as Error)
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#sealer?.destroy()
    callback(error)
  }
}

class OpenTransform extends Transform {
  readonly #opener: EnvelopeOpener

  constructor(envelope: Envelope, options: OpenOptions) {
    super()
    this.#opener = envelope.opener(options)
  }

  override _transform(chunk: Uint8Array, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#opener.push(chunk).then((frames) => {
      for (const frame of frames) this.push(frame)
      callback()
    }, (error: unknown) => callback(error as Error))
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.#opener.finish()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#opener.destroy()
    callback(error)
  }
}

/** A Transform that seals what is written to it. */
export function sealStream(envelope: Envelope, options: StreamSealOptions): Transform {
  return new SealTransform(envelope, options)
}

/** A Transform that opens an envelope written to it, pushing verified plaintext only. */
export function openStream(envelope: Envelope, options: OpenOptions = {}): Transform {
  return new OpenTransform(envelope, options)
}
