/**
 * Envelope encryption of local data with keys from a Strongroom engine: seal and open
 * byte arrays, async iterables and Web streams (Node streams and files: `./node`).
 *
 * ```ts
 * import { Envelope } from '@strongroom/envelope'
 *
 * const envelope = new Envelope({ kms })
 * const sealed = await envelope.seal(plaintext, { keyIds: ['alias/app', 'alias/backup'], encryptionContext: { tenant: 'acme' } })
 * const { plaintext: back, keyId } = await envelope.open(sealed, { encryptionContext: { tenant: 'acme' } })
 *
 * const encrypted = readable.pipeThrough(envelope.sealWebStream({ keyIds: ['alias/app'] }))
 * ```
 *
 * Each envelope has one fresh 256-bit data key (or a cached one, if `dataKeyCache` is
 * set) wrapped under every recipient CMK; only the wrapped copies are stored, in the
 * header. The data is sealed in frames (64 KiB by default) under a per-message key
 * derived from the data key. See FORMAT.md for the byte layout and the guarantees.
 */
import { systemClock, type Clock, type EncryptionContext } from '@strongroom/core'
import { defaultCryptoProvider, pooledRandom, type CryptoProvider, type RandomSource } from '@strongroom/crypto'
import { DataKeyCache, UnwrapCache, type CacheStats, type DataKeyCacheOptions, type UnwrapCacheOptions } from './cache.js'
import { allocateForOverwrite } from './bytes.js'
import { invalidParameter } from './errors.js'
import { DEFAULT_FRAME_SIZE, MAX_FRAME_SIZE, MIN_FRAME_SIZE, decodeHeader, framedLength } from './format.js'
import { FrameOpener } from './frames.js'
import { headerInfo, type EnvelopeInfo } from './info.js'
import { Materials, recipientsParam, type EnvelopeKms, type OpenConstraints } from './materials.js'
import { EnvelopeOpener, EnvelopeSealer } from './streaming.js'

export interface EnvelopeOptions {
  /** The engine (or anything with its generateDataKey/encrypt/decrypt/describeKey). */
  readonly kms: EnvelopeKms
  /** Default: `defaultCryptoProvider()` (node:crypto on Node, pure JS elsewhere). */
  readonly crypto?: CryptoProvider
  /** Source of message ids. Default: a pooled CSPRNG. Tests may pass `seededRandom(seed)`. */
  readonly random?: RandomSource
  /** Time for cache ages. Default: the system clock. */
  readonly clock?: Clock
  /** Plaintext bytes per frame for new envelopes, 64 B to 16 MiB. Default 64 KiB. */
  readonly frameSize?: number
  /** Reuse data keys across messages (off by default). See cache.ts for the trade-off. */
  readonly dataKeyCache?: DataKeyCacheOptions
  /** Remember unwrapped data keys by wrapped-key bytes (off by default). */
  readonly unwrapCache?: UnwrapCacheOptions
}

export interface SealOptions {
  /**
   * CMKs that can open the envelope (key ids, resource names or aliases), 1 to 16. The
   * first generates the data key; the others wrap the same key, so any one of them opens it.
   */
  readonly keyIds: readonly string[]
  /** Bound to the wrapped keys and the header; stored in the clear in the header. */
  readonly encryptionContext?: EncryptionContext
  /** Overrides the envelope's frame size for this message. */
  readonly frameSize?: number
}

export interface StreamSealOptions extends SealOptions {
  /**
   * The exact plaintext length, when known in advance. It lets the data-key cache serve
   * a stream (its byte limit needs the size up front); more input than this is an error.
   */
  readonly plaintextLength?: number
}

export type OpenOptions = OpenConstraints

export interface OpenedInfo extends EnvelopeInfo {
  /** The CMK that unwrapped the data key. */
  readonly keyId: string
}

export interface OpenResult extends OpenedInfo {
  readonly plaintext: Uint8Array
}

function frameSizeParam(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError('frameSize must be an integer')
  if (value < MIN_FRAME_SIZE || value > MAX_FRAME_SIZE) {
    throw invalidParameter(`frameSize must be from ${MIN_FRAME_SIZE} to ${MAX_FRAME_SIZE} bytes`)
  }
  return value
}

function bytesParam(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  return value
}

function optionsObject<T>(value: T, name: string): T {
  if (value === null || typeof value !== 'object') throw new TypeError(`${name} must be an options object`)
  return value
}

export class Envelope {
  readonly crypto: CryptoProvider
  readonly frameSize: number
  readonly #materials: Materials
  readonly #dataKeyCache: DataKeyCache | undefined
  readonly #unwrapCache: UnwrapCache | undefined

  constructor(options: EnvelopeOptions) {
    optionsObject(options, 'Envelope options')
    const { kms } = options
    if (kms === null || typeof kms !== 'object' || typeof kms.generateDataKey !== 'function') {
      throw new TypeError('Envelope needs a kms (an engine from Kms.open)')
    }
    this.crypto = options.crypto ?? defaultCryptoProvider()
    this.frameSize = options.frameSize === undefined ? DEFAULT_FRAME_SIZE : frameSizeParam(options.frameSize)
    const clock = options.clock ?? systemClock
    this.#dataKeyCache = options.dataKeyCache === undefined ? undefined : new DataKeyCache(options.dataKeyCache, clock)
    this.#unwrapCache = options.unwrapCache === undefined ? undefined : new UnwrapCache(options.unwrapCache, clock)
    this.#materials = new Materials({
      kms, crypto: this.crypto, random: options.random ?? pooledRandom(this.crypto),
      dataKeyCache: this.#dataKeyCache, unwrapCache: this.#unwrapCache,
    })
  }

  /** Seals a whole byte array: header and every frame in one buffer, no per-frame allocation. */
  async seal(plaintext: Uint8Array, options: SealOptions): Promise<Uint8Array> {
    bytesParam(plaintext, 'plaintext')
    const sealer = await this.#sealer(options, plaintext.length)
    const header = sealer.header
    // Every byte is written below (header, then each frame's prefix, ciphertext and tag).
    const out = allocateForOverwrite(header.length + framedLength(plaintext.length, sealer.frameSize))
    out.set(header, 0)
    sealer.sealWhole(plaintext, out.subarray(header.length))
    return out
  }

  /** Opens a whole sealed byte array; throws InvalidCiphertext unless every byte is authentic. */
  async open(sealed: Uint8Array, options: OpenOptions = {}): Promise<OpenResult> {
    bytesParam(sealed, 'sealed')
    optionsObject(options, 'open options')
    const header = decodeHeader(sealed)
    const { keys, keyId } = await this.#materials.forOpening(header, options)
    const frames = new FrameOpener(this.crypto, keys.frameKey, header.messageId, header.frameSize)
    const parts = frames.push(sealed.subarray(header.bytes.length))
    frames.finish()
    return { ...headerInfo(header), keyId, plaintext: parts.length === 1 ? parts[0]! : concat(parts) }
  }

  /** An incremental sealer: write `header`, then what each `push` returns, then `finish()`. */
  async sealer(options: StreamSealOptions): Promise<EnvelopeSealer> {
    optionsObject(options, 'seal options')
    const length = options.plaintextLength
    if (length !== undefined && (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0)) {
      throw new TypeError('plaintextLength must be a non-negative integer')
    }
    return this.#sealer(options, length)
  }

  /** An incremental opener: `await push(chunk)` releases verified frames; `finish()` at the end. */
  opener(options: OpenOptions = {}): EnvelopeOpener {
    optionsObject(options, 'open options')
    return new EnvelopeOpener(this.crypto, this.#materials, options)
  }

  /**
   * Seals an async (or sync) iterable of chunks, yielding the sealed bytes. Works as a
   * `stream.pipeline` stage: `pipeline(source, (s) => envelope.sealChunks(s, options), sink)`.
   */
  async *sealChunks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: StreamSealOptions): AsyncGenerator<Uint8Array> {
    const sealer = await this.sealer(options)
    try {
      yield sealer.header
      for await (const chunk of source) {
        const frames = sealer.push(chunk)
        if (frames !== undefined) yield frames
      }
      yield sealer.finish()
    } finally {
      sealer.destroy()
    }
  }

  /** Opens an iterable of sealed chunks, yielding verified plaintext frame by frame (see streaming.ts). */
  async *openChunks(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: OpenOptions = {}): AsyncGenerator<Uint8Array> {
    const opener = this.opener(options)
    try {
      for await (const chunk of source) yield* await opener.push(chunk)
      opener.finish()
    } finally {
      opener.destroy()
    }
  }

  /** A Web `TransformStream` that seals: `readable.pipeThrough(envelope.sealWebStream(options))`. */
  sealWebStream(options: StreamSealOptions): TransformStream<Uint8Array, Uint8Array> {
    let sealer: EnvelopeSealer | undefined
    return new TransformStream({
      start: async (controller) => {
        sealer = await this.sealer(options)
        controller.enqueue(sealer.header)
      },
      transform: (chunk, controller) => {
        try {
          const frames = sealer!.push(chunk)
          if (frames !== undefined) controller.enqueue(frames)
        } catch (error) {
          sealer!.destroy()
          throw error
        }
      },
      flush: (controller) => {
        controller.enqueue(sealer!.finish())
      },
    })
  }

  /** A Web `TransformStream` that opens, releasing only verified frames. */
  openWebStream(options: OpenOptions = {}): TransformStream<Uint8Array, Uint8Array> {
    const opener = this.opener(options)
    return new TransformStream({
      transform: async (chunk, controller) => {
        for (const plaintext of await opener.push(chunk)) controller.enqueue(plaintext)
      },
      flush: () => {
        opener.finish()
      },
    })
  }

  /** Cache counters, for monitoring and tests. */
  cacheStats(): { readonly dataKeys?: CacheStats; readonly unwrapped?: CacheStats } {
    return {
      ...(this.#dataKeyCache === undefined ? {} : { dataKeys: this.#dataKeyCache.stats() }),
      ...(this.#unwrapCache === undefined ? {} : { unwrapped: this.#unwrapCache.stats() }),
    }
  }

  /** Wipes and forgets every cached data key. The envelope stays usable (it refills on demand). */
  clearCaches(): void {
    this.#dataKeyCache?.clear()
    this.#unwrapCache?.clear()
  }

  async #sealer(options: StreamSealOptions, plaintextLength: number | undefined): Promise<EnvelopeSealer> {
    optionsObject(options, 'seal options')
    const keyIds = recipientsParam(options.keyIds)
    const frameSize = options.frameSize === undefined ? this.frameSize : frameSizeParam(options.frameSize)
    const materials = await this.#materials.forSealing(keyIds, options.encryptionContext, plaintextLength)
    return new EnvelopeSealer(this.crypto, materials, frameSize, plaintextLength)
  }
}

/**
 * Joins verified frames into one array. The frame copies are not wiped: the caller holds
 * the same plaintext, and wiping would double the cost of opening (keys are what the
 * envelope wipes; see README "Security notes"). Not `concatBytes` from @strongroom/crypto:
 * that one zero-fills its result first, which for a multi-MiB plaintext costs about a tenth
 * of decrypting it; every byte here is overwritten by a frame (see `allocateForOverwrite`).
 */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  const out = allocateForOverwrite(length) // the parts fill it exactly
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
