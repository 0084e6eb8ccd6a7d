/**
 * Data-key caches, both opt-in and both bounded:
 *
 * - `DataKeyCache` (sealing): one generateDataKey serves many messages with the same
 *   recipients and encryption context, until it reaches its age, message or byte limit.
 *   Each message still gets its own frame key (HKDF with a fresh message id), so reuse
 *   does not weaken the frames; the limits bound how much data one data key protects
 *   and how long a change on the KMS side (a disabled key, a retargeted alias) takes to
 *   show.
 * - `UnwrapCache` (opening): the data key a wrapped key (with its context) unwrapped to,
 *   so many envelopes sealed under one cached data key need one `decrypt`.
 *
 * ```ts
 * const envelope = new Envelope({ kms, dataKeyCache: { maxAgeMs: 60_000, maxMessages: 1000 },
 *                                 unwrapCache: { maxAgeMs: 60_000 } })
 * ```
 *
 * A cache hit skips the KMS call, and with it the KMS's state checks, authorization and
 * audit for that message: keep the limits short where that matters. Evicted, expired and
 * exhausted keys are overwritten with zeros, and `clear()` wipes everything (the
 * envelope's `close()` calls it). JS cannot wipe copies that `node:crypto` or the GC made.
 */
import type { Clock } from '@strongroom/core'
import { wipe } from '@strongroom/crypto'
import { bytesKey } from './bytes.js'
import { invalidParameter } from './errors.js'

export interface DataKeyCacheOptions {
  /** How long a data key may seal new messages, in ms. Default 60 000. */
  readonly maxAgeMs?: number
  /** Messages one data key may seal. Default 10 000 (at most 2^32). */
  readonly maxMessages?: number
  /** Plaintext bytes one data key may seal, all messages together. Default 2^32 (4 GiB). */
  readonly maxBytes?: number
  /** Distinct (recipients, context) entries kept; the least recently used goes first. Default 100. */
  readonly maxEntries?: number
}

export interface UnwrapCacheOptions {
  /** How long an unwrapped data key is reused, in ms. Default 60 000. */
  readonly maxAgeMs?: number
  /** Wrapped keys remembered; the least recently used goes first. Default 100. */
  readonly maxEntries?: number
}

export interface CacheStats {
  readonly entries: number
  readonly hits: number
  readonly misses: number
}

function limit(value: number | undefined, fallback: number, name: string, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer`)
  if (value < 1 || value > max) throw invalidParameter(`${name} must be from 1 to ${max}`)
  return value
}

interface Entry {
  readonly dataKey: Uint8Array
  readonly created: number
}

/** An LRU map of secret entries that wipes every key it lets go of. */
class SecretLru<E extends Entry> {
  readonly #entries = new Map<string, E>()
  readonly #maxEntries: number
  #hits = 0
  #misses = 0

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  /** The live entry, moved to most recently used, or `undefined` (after evicting it) when `usable` says no. */
  take(key: string, usable: (entry: E) => boolean): E | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && usable(entry)) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      this.#hits++
      return entry
    }
    if (entry !== undefined) this.evict(key)
    this.#misses++
    return undefined
  }

  put(key: string, entry: E): void {
    this.evict(key)
    this.#entries.set(key, entry)
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string
      this.evict(oldest)
    }
  }

  evict(key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    wipe(entry.dataKey)
  }

  clear(): void {
    for (const key of [...this.#entries.keys()]) this.evict(key)
  }

  stats(): CacheStats {
    return { entries: this.#entries.size, hits: this.#hits, misses: this.#misses }
  }
}

export interface CachedDataKey extends Entry {
  readonly wrappedKeys: readonly Uint8Array[]
  messages: number
  bytes: number
}

/**
 * Sealing-side cache. `take` reserves one message of `bytes` on a live entry. The key it
 * returns may be wiped by a later eviction, so callers derive from it before any `await`.
 */
export class DataKeyCache {
  readonly #lru: SecretLru<CachedDataKey>
  readonly #clock: Clock
  readonly maxAgeMs: number
  readonly maxMessages: number
  readonly maxBytes: number

  constructor(options: DataKeyCacheOptions, clock: Clock) {
    this.maxAgeMs = limit(options.maxAgeMs, 60_000, 'dataKeyCache.maxAgeMs', 2 ** 31)
    this.maxMessages = limit(options.maxMessages, 10_000, 'dataKeyCache.maxMessages', 2 ** 32)
    this.maxBytes = limit(options.maxBytes, 2 ** 32, 'dataKeyCache.maxBytes', Number.MAX_SAFE_INTEGER)
    this.#lru = new SecretLru(limit(options.maxEntries, 100, 'dataKeyCache.maxEntries', 1_000_000))
    this.#clock = clock
  }

  /** Whether a message of this size may use the cache at all. */
  accepts(bytes: number): boolean {
    return bytes <= this.maxBytes
  }

  take(key: string, bytes: number): CachedDataKey | undefined {
    const now = this.#clock.now()
    const entry = this.#lru.take(key, (e) =>
      now - e.created < this.maxAgeMs && e.messages < this.maxMessages && e.bytes + bytes <= this.maxBytes)
    if (entry === undefined) return undefined
    entry.messages++
    entry.bytes += bytes
    return entry
  }

  /** Keeps a copy of `dataKey`; the caller still owns (and wipes) its own. The first message is counted. */
  put(key: string, dataKey: Uint8Array, wrappedKeys: readonly Uint8Array[], bytes: number): void {
    this.#lru.put(key, { dataKey: dataKey.slice(), wrappedKeys, created: this.#clock.now(), messages: 1, bytes })
  }

  clear(): void {
    this.#lru.clear()
  }

  stats(): CacheStats {
    return this.#lru.stats()
  }
}

export interface UnwrappedKey extends Entry {
  readonly keyId: string
}

/** Opening-side cache, keyed by the exact wrapped-key bytes and the context they are bound to. */
export class UnwrapCache {
  readonly #lru: SecretLru<UnwrappedKey>
  readonly #clock: Clock
  readonly maxAgeMs: number

  constructor(options: UnwrapCacheOptions, clock: Clock) {
    this.maxAgeMs = limit(options.maxAgeMs, 60_000, 'unwrapCache.maxAgeMs', 2 ** 31)
    this.#lru = new SecretLru(limit(options.maxEntries, 100, 'unwrapCache.maxEntries', 1_000_000))
    this.#clock = clock
  }

  static key(wrappedKey: Uint8Array, encodedContext: Uint8Array): string {
    // The blob length is public and fixed per format, but a separator keeps the split unambiguous.
    return `${wrappedKey.length}:${bytesKey(wrappedKey)}${bytesKey(encodedContext)}`
  }

  get(key: string): UnwrappedKey | undefined {
    const now = this.#clock.now()
    return this.#lru.take(key, (e) => now - e.created < this.maxAgeMs)
  }

  /** Keeps a copy of `dataKey`. */
  put(key: string, dataKey: Uint8Array, keyId: string): void {
    this.#lru.put(key, { dataKey: dataKey.slice(), keyId, created: this.#clock.now() })
  }

  clear(): void {
    this.#lru.clear()
  }

  stats(): CacheStats {
    return this.#lru.stats()
  }
}
