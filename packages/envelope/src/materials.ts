/**
 * Where data keys come from and go: the engine's public API only. Sealing generates one
 * data key under the first CMK (`generateDataKey`) and wraps the same key under every
 * other CMK (`encrypt`); opening unwraps it through any recipient this keystore can open
 * (`decrypt`). Both sides may go through their cache (cache.ts).
 *
 * ```ts
 * const materials = new Materials({ kms, crypto, random, dataKeyCache, unwrapCache })
 * const seal = await materials.forSealing(['alias/app', 'alias/backup'], { tenant: 'acme' }, 1024)
 * // seal.keys.frameKey, seal.keys.commitment, seal.wrappedKeys, seal.messageId
 * const open = await materials.forOpening(header, { encryptionContext: { tenant: 'acme' } })
 * ```
 *
 * Every wrapped key is bound to the envelope's encryption context (the engine's AAD), so
 * the context a reader sees in the header is the one the wrapping was made for. The
 * plaintext data key is wiped as soon as the message keys are derived from it.
 */
import { KmsError, encodeEncryptionContext, type EncryptionContext, type Kms } from '@strongroom/core'
import { wipe, type CryptoProvider, type RandomSource } from '@strongroom/crypto'
import { bytesKey } from './bytes.js'
import { DataKeyCache, UnwrapCache } from './cache.js'
import { invalidEnvelope, invalidParameter } from './errors.js'
import { DATA_KEY_BYTES, MAX_RECIPIENTS, MESSAGE_ID_BYTES, type EnvelopeHeader } from './format.js'
import { deriveMessageKeys, verifyHeader, type MessageKeys } from './keys.js'

/** The engine operations an envelope uses: a `Kms` satisfies it, and so can a facade over another KMS. */
export type EnvelopeKms = Pick<Kms, 'generateDataKey' | 'encrypt' | 'decrypt' | 'describeKey'>

export interface SealMaterials {
  readonly keys: MessageKeys
  readonly messageId: Uint8Array
  readonly encodedContext: Uint8Array
  readonly wrappedKeys: readonly Uint8Array[]
}

export interface OpenMaterials {
  readonly keys: MessageKeys
  /** The CMK that unwrapped the data key. */
  readonly keyId: string
}

export interface OpenConstraints {
  /** Pairs the envelope's context must hold (it may hold more). */
  readonly encryptionContext?: EncryptionContext
  /** Only these CMKs (ids, resource names or aliases) may unwrap the data key. */
  readonly keyIds?: readonly string[]
}

interface MaterialsOptions {
  readonly kms: EnvelopeKms
  readonly crypto: CryptoProvider
  readonly random: RandomSource
  readonly dataKeyCache: DataKeyCache | undefined
  readonly unwrapCache: UnwrapCache | undefined
}

/** Validates a recipient list: 1‥16 distinct non-empty strings. */
export function recipientsParam(keyIds: unknown): readonly string[] {
  if (!Array.isArray(keyIds)) throw new TypeError('keyIds must be an array of key ids, resource names or aliases')
  if (keyIds.length < 1 || keyIds.length > MAX_RECIPIENTS) throw invalidParameter(`keyIds must name 1 to ${MAX_RECIPIENTS} keys`)
  for (const keyId of keyIds as unknown[]) {
    if (typeof keyId !== 'string') throw new TypeError('each keyId must be a string')
    if (keyId.length === 0) throw invalidParameter('a keyId must not be empty')
  }
  if (new Set(keyIds).size !== keyIds.length) throw invalidParameter('keyIds must not repeat a key')
  return keyIds as readonly string[]
}

export class Materials {
  readonly #kms: EnvelopeKms
  readonly #crypto: CryptoProvider
  readonly #random: RandomSource
  readonly #dataKeyCache: DataKeyCache | undefined
  readonly #unwrapCache: UnwrapCache | undefined

  constructor(options: MaterialsOptions) {
    this.#kms = options.kms
    this.#crypto = options.crypto
    this.#random = options.random
    this.#dataKeyCache = options.dataKeyCache
    this.#unwrapCache = options.unwrapCache
  }

  /**
   * Message keys for a new envelope. `plaintextLength` (when known) lets the data-key
   * cache account bytes; without it the cache is bypassed, since its byte limit could
   * not be honoured.
   */
  async forSealing(keyIds: readonly string[], context: EncryptionContext | undefined, plaintextLength: number | undefined): Promise<SealMaterials> {
    const encodedContext = encodeEncryptionContext(context)
    const messageId = this.#random.fill(new Uint8Array(MESSAGE_ID_BYTES))
    const cache = this.#dataKeyCache
    const cacheable = cache !== undefined && plaintextLength !== undefined && cache.accepts(plaintextLength)
    const cacheKey = cacheable ? `${keyIds.join('\u0000')}\u0001${bytesKey(encodedContext)}` : ''
    if (cacheable) {
      const hit = cache.take(cacheKey, plaintextLength)
      // Derive before any await: an eviction elsewhere may wipe the cached key afterwards.
      if (hit !== undefined) {
        return { keys: deriveMessageKeys(this.#crypto, hit.dataKey, messageId), messageId, encodedContext, wrappedKeys: hit.wrappedKeys }
      }
    }
    const generated = await this.#kms.generateDataKey({
      keyId: keyIds[0]!, keySpec: 'AES_256', ...(context === undefined ? {} : { encryptionContext: context }),
    })
    const dataKey = generated.plaintext
    try {
      if (dataKey.length !== DATA_KEY_BYTES) throw new KmsError('InternalFailure', 'generateDataKey returned a key of the wrong length')
      const wrappedKeys = [generated.ciphertextBlob]
      for (const keyId of keyIds.slice(1)) {
        const wrapped = await this.#kms.encrypt({ keyId, plaintext: dataKey, ...(context === undefined ? {} : { encryptionContext: context }) })
        wrappedKeys.push(wrapped.ciphertextBlob)
      }
      if (cacheable) cache.put(cacheKey, dataKey, wrappedKeys, plaintextLength)
      return { keys: deriveMessageKeys(this.#crypto, dataKey, messageId), messageId, encodedContext, wrappedKeys }
    } finally {
      wipe(dataKey)
    }
  }

  /**
   * Message keys for an envelope being opened, verified against its header (commitment
   * and header tag). Recipients are tried in header order; a recipient this keystore
   * does not know is skipped. When none works, the first engine refusal that is not
   * `InvalidCiphertext` (a disabled key, a key pending deletion, no permission) is
   * thrown, because it tells the caller what to fix; otherwise `InvalidCiphertext`.
   */
  async forOpening(header: EnvelopeHeader, constraints: OpenConstraints): Promise<OpenMaterials> {
    checkContext(header.encryptionContext, constraints.encryptionContext)
    const allowed = constraints.keyIds === undefined ? undefined : await this.#resolve(recipientsParam(constraints.keyIds))
    let refusal: KmsError | undefined
    for (const recipient of header.recipients) {
      if (recipient.keyId === undefined) continue // not a blob this engine version can read
      if (allowed !== undefined && !allowed.has(recipient.keyId)) continue
      const cacheKey = this.#unwrapCache === undefined ? '' : UnwrapCache.key(recipient.wrappedKey, header.encodedContext)
      const cached = this.#unwrapCache?.get(cacheKey)
      if (cached !== undefined) {
        const keys = deriveMessageKeys(this.#crypto, cached.dataKey, header.messageId)
        return this.#verified(keys, header, cached.keyId)
      }
      let dataKey: Uint8Array
      let keyId: string
      try {
        const opened = await this.#kms.decrypt({ ciphertextBlob: recipient.wrappedKey, encryptionContext: header.encryptionContext })
        dataKey = opened.plaintext
        keyId = opened.keyId
      } catch (error) {
        if (!KmsError.is(error)) throw error
        // Storage and internal faults are not about this recipient: stop and report them.
        if (error.kind === 'internal') throw error
        if (error.code !== 'InvalidCiphertext') refusal ??= error
        continue
      }
      try {
        const keys = deriveMessageKeys(this.#crypto, dataKey, header.messageId)
        const opened = this.#verified(keys, header, keyId)
        // Only a data key that passed the commitment check is worth remembering.
        this.#unwrapCache?.put(cacheKey, dataKey, keyId)
        return opened
      } finally {
        wipe(dataKey)
      }
    }
    if (refusal !== undefined) throw refusal
    const named = header.recipients.map((r) => r.keyId ?? '(unreadable)').join(', ')
    throw invalidEnvelope(
      allowed === undefined
        ? `no recipient of this envelope can be opened with this keystore (recipients: ${named})`
        : `no recipient of this envelope is among the allowed keys (recipients: ${named})`,
    )
  }

  #verified(keys: MessageKeys, header: EnvelopeHeader, keyId: string): OpenMaterials {
    try {
      verifyHeader(this.#crypto, keys, header)
    } catch (error) {
      wipe(keys.frameKey)
      throw error
    }
    return { keys, keyId }
  }

  /** Key ids, resource names and aliases → key ids (one describeKey each). */
  async #resolve(refs: readonly string[]): Promise<Set<string>> {
    const ids = new Set<string>()
    for (const ref of refs) ids.add((await this.#kms.describeKey({ keyId: ref })).keyMetadata.keyId)
    return ids
  }
}

/** Every required pair must be present with the same value; extra pairs in the envelope are fine. */
function checkContext(actual: EncryptionContext, required: EncryptionContext | undefined): void {
  if (required === undefined) return
  // Validates the caller's context the same way the engine does (types, well-formed text).
  encodeEncryptionContext(required)
  for (const [key, value] of Object.entries(required)) {
    if (!Object.hasOwn(actual, key) || actual[key] !== value) {
      throw invalidEnvelope('the encryption context does not match')
    }
  }
}
