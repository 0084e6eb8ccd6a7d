/**
 * Incremental sealing and opening of one envelope: the header plus the frame layer, with
 * the bookkeeping every stream adapter needs. `Envelope.sealer()` / `Envelope.opener()`
 * create them; the Node, Web-stream, async-iterable and file forms are loops over these.
 *
 * ```ts
 * const sealer = await envelope.sealer({ keyIds: ['alias/app'] })
 * write(sealer.header)
 * for await (const chunk of source) { const frames = sealer.push(chunk); if (frames) write(frames) }
 * write(sealer.finish())
 *
 * const opener = envelope.opener({ encryptionContext: { tenant: 'acme' } })
 * for await (const chunk of sealed) for (const plaintext of await opener.push(chunk)) use(plaintext)
 * opener.finish()   // throws InvalidCiphertext if the envelope was truncated
 * ```
 *
 * What a streaming reader sees before a failure: the opener releases a frame's plaintext
 * only after that frame's tag has verified, in order, so on a damaged envelope the caller
 * receives a prefix of whole, authentic frames (never a partial or unverified frame) and
 * then the error. A truncated envelope is only known to be truncated at its end. Treat
 * streamed output as provisional until `finish()` returns; the file functions do this
 * for you by writing to a temporary file that is renamed only after `finish()`.
 */
import { wipe, type CryptoProvider } from '@strongroom/crypto'
import { invalidEnvelope, invalidParameter } from './errors.js'
import {
  HEADER_PREFIX_BYTES, checkMagic, decodeHeader, encodeHeader, headerLength, type EnvelopeHeader,
} from './format.js'
import { FrameOpener, FrameSealer } from './frames.js'
import { sealHeader } from './keys.js'
import type { Materials, OpenConstraints, SealMaterials } from './materials.js'
import { headerInfo, type EnvelopeInfo } from './info.js'

export class EnvelopeSealer {
  /** The envelope header; write it before any frame. */
  readonly header: Uint8Array
  readonly frameSize: number
  readonly #frames: FrameSealer
  readonly #limit: number | undefined

  /** @internal Use `Envelope.sealer()`. */
  constructor(crypto: CryptoProvider, materials: SealMaterials, frameSize: number, plaintextLength: number | undefined) {
    const { keys, messageId, encodedContext, wrappedKeys } = materials
    try {
      this.header = encodeHeader({ frameSize, messageId, encodedContext, wrappedKeys, commitment: keys.commitment })
      sealHeader(crypto, keys.frameKey, this.header)
    } catch (error) {
      wipe(keys.frameKey)
      throw error
    }
    this.frameSize = frameSize
    // The frame sealer owns the frame key from here on and wipes it when done.
    this.#frames = new FrameSealer(crypto, keys.frameKey, messageId, frameSize)
    this.#limit = plaintextLength
  }

  /** Plaintext bytes pushed so far. */
  get plaintextLength(): number {
    return this.#frames.plaintextLength
  }

  /** The size of an `into` buffer that can take the output of any push of `length` bytes. */
  maxPushOutput(length: number): number {
    return this.#frames.maxPushOutput(length)
  }

  /**
   * Sealed frames completed by this chunk (one buffer), or `undefined` while a frame is
   * still filling. With `into` (see `maxPushOutput`), the frames are written there and a
   * view is returned, valid until the next push.
   */
  push(chunk: Uint8Array, into?: Uint8Array): Uint8Array | undefined {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('envelope input chunks must be Uint8Array (or Buffer)')
    if (this.#limit !== undefined && this.#frames.plaintextLength + chunk.length > this.#limit) {
      this.destroy()
      throw invalidParameter(`the input is longer than the announced plaintextLength (${this.#limit} bytes)`)
    }
    return this.#frames.push(chunk, into)
  }

  /** The final frame; the sealer is done and its key wiped. */
  finish(): Uint8Array {
    return this.#frames.finish()
  }

  /** @internal The byte-array fast path: all frames straight into `out`. */
  sealWhole(plaintext: Uint8Array, out: Uint8Array): void {
    this.#frames.sealWhole(plaintext, out)
  }

  /** Abandons the envelope and wipes its key. Idempotent. */
  destroy(): void {
    this.#frames.destroy()
  }
}

export class EnvelopeOpener {
  readonly #crypto: CryptoProvider
  readonly #materials: Materials
  readonly #constraints: OpenConstraints
  /** Header bytes gathered so far; at most MAX_HEADER_BYTES. */
  #headerBytes: Uint8Array = new Uint8Array(HEADER_PREFIX_BYTES)
  #headerFilled = 0
  #frames: FrameOpener | undefined
  #info: (EnvelopeInfo & { readonly keyId: string }) | undefined
  #busy = false
  #failed = false

  /** @internal Use `Envelope.opener()`. */
  constructor(crypto: CryptoProvider, materials: Materials, constraints: OpenConstraints) {
    this.#crypto = crypto
    this.#materials = materials
    this.#constraints = constraints
  }

  /** The authenticated header's contents and the CMK that opened it, once the header is verified. */
  get info(): (EnvelopeInfo & { readonly keyId: string }) | undefined {
    return this.#info
  }

  /**
   * Consumes sealed bytes and resolves with the plaintext of every frame they complete,
   * each verified. The first call(s) gather the header and unwrap the data key. Calls
   * must not overlap (await each one).
   */
  async push(chunk: Uint8Array): Promise<Uint8Array[]> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('envelope input chunks must be Uint8Array (or Buffer)')
    if (this.#busy) throw new Error('EnvelopeOpener.push calls must not overlap')
    if (this.#failed) throw new Error('this envelope opener has failed')
    this.#busy = true
    try {
      if (this.#frames === undefined) {
        const rest = this.#gatherHeader(chunk)
        if (rest === undefined) return []
        await this.#unlock()
        return this.#frames!.push(rest)
      }
      return this.#frames.push(chunk)
    } catch (error) {
      this.destroy()
      throw error
    } finally {
      this.#busy = false
    }
  }

  /** At the end of input: throws InvalidCiphertext unless a whole, authentic envelope was read. */
  finish(): void {
    if (this.#failed) throw new Error('this envelope opener has failed')
    if (this.#frames === undefined) {
      this.destroy()
      throw invalidEnvelope(this.#headerFilled === 0 ? 'empty input' : 'truncated header')
    }
    this.#frames.finish()
  }

  /** Abandons the envelope and wipes its key. Idempotent. */
  destroy(): void {
    if (this.#frames === undefined || !this.#frames.complete) this.#failed = true
    this.#frames?.destroy()
  }

  /** Buffers header bytes; returns the bytes after the header once it is complete. */
  #gatherHeader(chunk: Uint8Array): Uint8Array | undefined {
    let read = 0
    if (this.#headerFilled < HEADER_PREFIX_BYTES) {
      read = Math.min(HEADER_PREFIX_BYTES - this.#headerFilled, chunk.length)
      this.#headerBytes.set(chunk.subarray(0, read), this.#headerFilled)
      this.#headerFilled += read
      checkMagic(this.#headerBytes.subarray(0, this.#headerFilled))
      if (this.#headerFilled < HEADER_PREFIX_BYTES) return undefined
      const grown = new Uint8Array(headerLength(this.#headerBytes))
      grown.set(this.#headerBytes)
      this.#headerBytes = grown
    }
    const take = Math.min(this.#headerBytes.length - this.#headerFilled, chunk.length - read)
    this.#headerBytes.set(chunk.subarray(read, read + take), this.#headerFilled)
    this.#headerFilled += take
    if (this.#headerFilled < this.#headerBytes.length) return undefined
    return chunk.subarray(read + take)
  }

  async #unlock(): Promise<void> {
    const header: EnvelopeHeader = decodeHeader(this.#headerBytes)
    const { keys, keyId } = await this.#materials.forOpening(header, this.#constraints)
    if (this.#failed) {
      // Destroyed while the data key was being unwrapped: do not keep the key.
      wipe(keys.frameKey)
      throw new Error('this envelope opener was destroyed')
    }
    this.#frames = new FrameOpener(this.#crypto, keys.frameKey, header.messageId, header.frameSize)
    this.#info = { ...headerInfo(header), keyId }
  }
}
