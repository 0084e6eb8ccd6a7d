/**
 * The frame layer: synchronous state machines that turn plaintext chunks of any size into
 * frames and back, holding at most one frame of staged bytes. Every streaming form
 * (byte arrays, async iterables, Node and Web streams, files) is a thin loop over these.
 *
 * ```ts
 * const sealer = new FrameSealer(crypto, frameKey, messageId, 65536)
 * out.push(...sealer.push(chunk))     // whole frames, as soon as a frame's bytes are known
 * out.push(sealer.finish())           // the final frame (shorter than a frame, maybe empty)
 *
 * const opener = new FrameOpener(crypto, frameKey, messageId, 65536)
 * for (const plaintext of opener.push(chunk)) use(plaintext)  // verified frames only
 * opener.finish()                     // throws if the final frame never came
 * ```
 *
 * Frame n (from 1) is `u32 prefix ‖ AES-256-GCM(frameKey, nonce = 0⁸ ‖ u32 n, plaintext,
 * AAD = messageId ‖ u32 n ‖ prefix)`. The prefix holds the final flag and the length, so
 * a reader knows where a frame ends before decrypting it, and the AAD makes both
 * authenticated: a frame moved to another position, duplicated, dropped, flagged final
 * early or taken from another message fails its tag. A stream that ends without a final
 * frame is truncated. Regular frames hold exactly `frameSize` bytes and the final frame
 * fewer (possibly none), so every plaintext has exactly one framing.
 *
 * Speed: frames lying whole inside an input chunk are encrypted straight from it; only
 * a frame split across chunks is copied into the staging buffer. `push` returns all the
 * frames of one chunk in one buffer, so a 1 MiB chunk costs one allocation, not sixteen.
 */
import { readUint32, wipe, writeUint32, type CryptoProvider } from '@strongroom/crypto'
import { invalidEnvelope } from './errors.js'
import {
  FINAL_FLAG, FRAME_AAD_BYTES, FRAME_OVERHEAD, FRAME_PREFIX_BYTES, MAX_FRAMES, writeFrameAad, writeNonce,
} from './format.js'

/** Nonce and AAD scratch, reused for every frame: createCipheriv and setAAD copy what they read. */
class FrameScratch {
  readonly nonce = new Uint8Array(12)
  readonly aad = new Uint8Array(FRAME_AAD_BYTES)

  constructor(messageId: Uint8Array) {
    this.aad.set(messageId, 0)
  }

  prepare(sequence: number, prefix: number): void {
    writeNonce(this.nonce, sequence)
    writeFrameAad(this.aad, sequence, prefix)
  }
}

export class FrameSealer {
  readonly #crypto: CryptoProvider
  readonly #key: Uint8Array
  readonly #frameSize: number
  readonly #scratch: FrameScratch
  /** Allocated on first need: the byte-array path never needs it, and zeroing 64 KiB costs more than sealing 1 KiB. */
  #staged: Uint8Array | undefined
  #stagedLength = 0
  #sequence = 0
  #done = false

  constructor(crypto: CryptoProvider, frameKey: Uint8Array, messageId: Uint8Array, frameSize: number) {
    this.#crypto = crypto
    this.#key = frameKey
    this.#frameSize = frameSize
    this.#scratch = new FrameScratch(messageId)
  }

  #staging(): Uint8Array {
    this.#staged ??= new Uint8Array(this.#frameSize)
    return this.#staged
  }

  /** Plaintext bytes pushed so far. */
  get plaintextLength(): number {
    return this.#sequence * this.#frameSize + this.#stagedLength
  }

  /** Bytes `push` may return for a chunk of `length` bytes: the size an `into` buffer needs. */
  maxPushOutput(length: number): number {
    return Math.floor((this.#frameSize - 1 + length) / this.#frameSize) * (this.#frameSize + FRAME_OVERHEAD)
  }

  /**
   * Seals every frame this chunk completes; returns them in one buffer, or none. With
   * `into` (at least `maxPushOutput(chunk.length)` bytes) the frames are written there and
   * a view of it is returned, so a loop that writes each result before the next push
   * allocates nothing per chunk.
   */
  push(chunk: Uint8Array, into?: Uint8Array): Uint8Array | undefined {
    this.#assertOpen()
    const frameSize = this.#frameSize
    const frames = Math.floor((this.#stagedLength + chunk.length) / frameSize)
    if (frames === 0) {
      this.#staging().set(chunk, this.#stagedLength)
      this.#stagedLength += chunk.length
      return undefined
    }
    if (this.#sequence + frames >= MAX_FRAMES) {
      this.destroy()
      throw new RangeError('an envelope holds at most 2^32 − 1 frames; use a larger frame size')
    }
    const size = frames * (frameSize + FRAME_OVERHEAD)
    if (into !== undefined && into.length < size) throw new RangeError('the output buffer is too small for this chunk')
    const out = into === undefined ? new Uint8Array(size) : into.subarray(0, size)
    let read = 0
    let written = 0
    if (this.#stagedLength > 0) {
      read = frameSize - this.#stagedLength
      const staged = this.#staging()
      staged.set(chunk.subarray(0, read), this.#stagedLength)
      written = this.#sealFrame(staged, false, out, 0)
      this.#stagedLength = 0
    }
    while (chunk.length - read >= frameSize) {
      written += this.#sealFrame(chunk.subarray(read, read + frameSize), false, out, written)
      read += frameSize
    }
    this.#stagedLength = chunk.length - read
    if (this.#stagedLength > 0) this.#staging().set(chunk.subarray(read))
    return out
  }

  /**
   * Seals a whole message into `out` (exactly `framedLength(plaintext.length, frameSize)`
   * bytes) with no allocation per frame: the byte-array fast path. Finishes the sealer.
   */
  sealWhole(plaintext: Uint8Array, out: Uint8Array): void {
    this.#assertOpen()
    if (this.#sequence !== 0 || this.#stagedLength !== 0) throw new Error('sealWhole needs a fresh sealer')
    const frameSize = this.#frameSize
    const full = Math.floor(plaintext.length / frameSize)
    if (full >= MAX_FRAMES) throw new RangeError('an envelope holds at most 2^32 − 1 frames; use a larger frame size')
    let written = 0
    try {
      for (let i = 0; i < full; i++) {
        written += this.#sealFrame(plaintext.subarray(i * frameSize, (i + 1) * frameSize), false, out, written)
      }
      this.#sealFrame(plaintext.subarray(full * frameSize), true, out, written)
    } finally {
      this.destroy()
    }
  }

  /** The final frame. The sealer is finished afterwards and its key wiped. */
  finish(): Uint8Array {
    this.#assertOpen()
    const length = this.#stagedLength
    const out = new Uint8Array(length + FRAME_OVERHEAD)
    this.#sealFrame(length === 0 ? new Uint8Array(0) : this.#staging().subarray(0, length), true, out, 0)
    this.destroy()
    return out
  }

  /** Wipes the frame key and staged plaintext; further use throws. Idempotent. */
  destroy(): void {
    this.#done = true
    wipe(this.#key)
    wipe(this.#staged)
    this.#stagedLength = 0
  }

  #assertOpen(): void {
    if (this.#done) throw new Error('this envelope sealer is finished')
  }

  #sealFrame(plaintext: Uint8Array, final: boolean, out: Uint8Array, offset: number): number {
    const sequence = ++this.#sequence
    const prefix = (final ? FINAL_FLAG : 0) + plaintext.length
    writeUint32(out, offset, prefix)
    this.#scratch.prepare(sequence, prefix)
    const end = offset + FRAME_OVERHEAD + plaintext.length
    this.#crypto.aesGcmEncrypt(this.#key, this.#scratch.nonce, plaintext, this.#scratch.aad, out.subarray(offset + FRAME_PREFIX_BYTES, end))
    return end - offset
  }
}

export class FrameOpener {
  readonly #crypto: CryptoProvider
  readonly #key: Uint8Array
  readonly #frameSize: number
  readonly #scratch: FrameScratch
  /** One whole frame at most: a frame split across input chunks is assembled here (allocated on first need). */
  #staged: Uint8Array | undefined
  #stagedLength = 0
  /** Length of the frame being assembled, once its prefix is read; else -1. */
  #expected = -1
  #final = false
  #sequence = 0
  #failed = false

  constructor(crypto: CryptoProvider, frameKey: Uint8Array, messageId: Uint8Array, frameSize: number) {
    this.#crypto = crypto
    this.#key = frameKey
    this.#frameSize = frameSize
    this.#scratch = new FrameScratch(messageId)
  }

  #staging(): Uint8Array {
    this.#staged ??= new Uint8Array(this.#frameSize + FRAME_OVERHEAD)
    return this.#staged
  }

  /** Frames verified so far. */
  get frames(): number {
    return this.#sequence
  }

  /** True once the final frame has been verified. */
  get complete(): boolean {
    return this.#final
  }

  /**
   * Consumes sealed bytes; returns the plaintext of each frame they complete, each one
   * verified before it is returned. Throws InvalidCiphertext at the first bad frame.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw new Error('this envelope opener has failed')
    const out: Uint8Array[] = []
    let read = 0
    try {
      while (read < chunk.length) {
        if (this.#final) throw invalidEnvelope('unexpected bytes after the final frame')
        // Fast path: nothing staged and the whole frame is in this chunk.
        if (this.#stagedLength === 0 && chunk.length - read >= FRAME_PREFIX_BYTES) {
          const length = this.#frameLength(readUint32(chunk, read))
          const total = length + FRAME_OVERHEAD
          if (chunk.length - read >= total) {
            out.push(this.#openFrame(chunk.subarray(read, read + total), length))
            read += total
            continue
          }
        }
        // Slow path: assemble the frame in the staging buffer.
        const staged = this.#staging()
        if (this.#expected < 0) {
          const take = Math.min(FRAME_PREFIX_BYTES - this.#stagedLength, chunk.length - read)
          staged.set(chunk.subarray(read, read + take), this.#stagedLength)
          this.#stagedLength += take
          read += take
          if (this.#stagedLength < FRAME_PREFIX_BYTES) break
          this.#expected = this.#frameLength(readUint32(staged, 0))
        }
        const total = this.#expected + FRAME_OVERHEAD
        const take = Math.min(total - this.#stagedLength, chunk.length - read)
        staged.set(chunk.subarray(read, read + take), this.#stagedLength)
        this.#stagedLength += take
        read += take
        if (this.#stagedLength < total) break
        out.push(this.#openFrame(staged.subarray(0, total), this.#expected))
        this.#stagedLength = 0
        this.#expected = -1
      }
    } catch (error) {
      // Frames already verified in this call are withheld too: the caller gets the error.
      for (const frame of out) wipe(frame)
      this.destroy()
      throw error
    }
    return out
  }

  /** Call at the end of input: throws InvalidCiphertext unless the final frame was verified. */
  finish(): void {
    if (this.#failed) throw new Error('this envelope opener has failed')
    const complete = this.#final
    this.destroy()
    if (!complete) {
      throw invalidEnvelope(`truncated: the input ended after ${this.#sequence} whole frame(s), before the final frame`)
    }
  }

  /** Wipes the frame key and staged bytes; further pushes throw. Idempotent. */
  destroy(): void {
    if (!this.#final) this.#failed = true
    wipe(this.#key)
    wipe(this.#staged)
  }

  /** Validates a prefix against the framing rules before trusting its length for buffering. */
  #frameLength(prefix: number): number {
    const final = prefix >= FINAL_FLAG
    const length = final ? prefix - FINAL_FLAG : prefix
    if (final ? length >= this.#frameSize : length !== this.#frameSize) {
      throw invalidEnvelope(`malformed frame ${this.#sequence + 1} (bad length field)`)
    }
    return length
  }

  #openFrame(frame: Uint8Array, length: number): Uint8Array {
    const sequence = this.#sequence + 1
    if (sequence > MAX_FRAMES) throw invalidEnvelope('too many frames')
    const prefix = readUint32(frame, 0)
    this.#scratch.prepare(sequence, prefix)
    const plaintext = this.#crypto.aesGcmDecrypt(this.#key, this.#scratch.nonce, frame.subarray(FRAME_PREFIX_BYTES), this.#scratch.aad)
    if (plaintext === undefined || plaintext.length !== length) {
      throw invalidEnvelope(`frame ${sequence} failed authentication (modified, reordered, truncated or from another envelope)`)
    }
    this.#sequence = sequence
    if (prefix >= FINAL_FLAG) this.#final = true
    return plaintext
  }
}
