/**
 * A client-side cache of secret values for services that read a secret on every request:
 * a value is served from memory for at most `maxAgeMs`, and dropped at once when the
 * engine announces a change to its secret (a rotation, a new value, a stage moved,
 * deletion) through `kms.events`.
 *
 * ```ts
 * const secrets = secretCache(kms, { maxAgeMs: 60_000 })
 * const { secretData } = await secrets.get('db/password')     // ACSCurrent, cached
 * secrets.close()                                              // stops listening, forgets every value
 * ```
 *
 * Events come from the engine they were made in: a change made by another process on a
 * shared store is seen when the entry's age runs out, so `maxAgeMs` bounds how stale a
 * value can be there. Values are held in memory as the engine returned them (strings cannot
 * be wiped); binary values are copied out so a caller cannot change the cached bytes.
 * Each read that reaches the engine is authorized and audited as usual; cached reads are not.
 */
import type { GetSecretValueResponse } from './api-secrets.js'
import { systemClock, type Clock } from './clock.js'
import type { KmsEventEmitter, SecretChangedEvent } from './events.js'

export interface SecretCacheOptions {
  /** How long a value is served without asking the engine again (1 ms to 24 h). */
  readonly maxAgeMs: number
  /** Where changes are announced; default the source's own `events` (a `Kms`). Pass `kms.events` for a `kms.as(principal)` client. */
  readonly events?: KmsEventEmitter
  /** Default: the system clock. Tests pass the engine's ManualClock. */
  readonly clock?: Clock
  /** Entries kept (least recently fetched dropped first). Default 1000. */
  readonly maxEntries?: number
}

export interface SecretCache {
  /** The value of the secret's version with `versionStage` (default ACSCurrent), from memory while fresh. */
  get(secretName: string, options?: { readonly versionStage?: string }): Promise<GetSecretValueResponse>
  /** Forgets one secret, or every one. */
  invalidate(secretName?: string): void
  /** Stops listening for changes and forgets every value. */
  close(): void
}

type SecretSource = {
  getSecretValue(request: { secretName: string; versionStage?: string }): Promise<GetSecretValueResponse>
  readonly events?: KmsEventEmitter
}

interface Entry {
  readonly secretName: string
  readonly fetchedAt: number
  readonly value: Promise<GetSecretValueResponse>
}

const MAX_AGE_LIMIT_MS = 86_400_000

export function secretCache(source: SecretSource, options: SecretCacheOptions): SecretCache {
  if (source === null || typeof source !== 'object' || typeof source.getSecretValue !== 'function') {
    throw new TypeError('secretCache needs a Kms (or a kms.as(principal) client)')
  }
  const { maxAgeMs } = options
  if (!Number.isInteger(maxAgeMs) || maxAgeMs < 1 || maxAgeMs > MAX_AGE_LIMIT_MS) throw new RangeError('maxAgeMs must be an integer from 1 to 86400000')
  const maxEntries = options.maxEntries ?? 1000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
  const clock = options.clock ?? systemClock
  const events = options.events ?? source.events
  // Keyed by name and stage; Map order is insertion order, so the first key is the oldest fetch.
  const entries = new Map<string, Entry>()
  let closed = false

  const invalidate = (secretName?: string): void => {
    if (secretName === undefined) {
      entries.clear()
      return
    }
    for (const [key, entry] of entries) if (entry.secretName === secretName) entries.delete(key)
  }
  const onChange = (event: SecretChangedEvent): void => invalidate(event.secretName)
  events?.on('secretChanged', onChange)

  const copy = (value: GetSecretValueResponse): GetSecretValueResponse =>
    value.secretDataType === 'binary' ? { ...value, secretData: value.secretData.slice() } : value

  return {
    async get(secretName, getOptions = {}) {
      if (closed) throw new TypeError('the secret cache is closed')
      const stage = getOptions.versionStage ?? 'ACSCurrent'
      const key = `${stage}\u0000${secretName}`
      const now = clock.now()
      const cached = entries.get(key)
      if (cached !== undefined && now - cached.fetchedAt < maxAgeMs) return copy(await cached.value)
      // Concurrent misses share one read; a failed read is not kept.
      const value = source.getSecretValue({ secretName, versionStage: stage })
      const entry: Entry = { secretName, fetchedAt: now, value }
      entries.delete(key)
      entries.set(key, entry)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key)
      })
      return copy(await value)
    },
    invalidate,
    close() {
      closed = true
      events?.off('secretChanged', onChange)
      entries.clear()
    },
  }
}
