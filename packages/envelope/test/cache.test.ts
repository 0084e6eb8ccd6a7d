/** Data-key caches: every limit, LRU bounds, wiping, and their effect on engine calls. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsError, ManualClock } from '@strongroom/core'
import { DataKeyCache, Envelope, UnwrapCache, readEnvelopeHeader, type EnvelopeKms } from '@strongroom/envelope'
import { openFixture, type Fixture } from './helpers.js'

let fixture: Fixture
beforeAll(async () => {
  fixture = await openFixture()
})
afterAll(async () => {
  await fixture.kms.close()
})

/** The real engine, counting the calls the envelope makes. */
function counted(kms: EnvelopeKms) {
  const calls = { generateDataKey: 0, encrypt: 0, decrypt: 0, describeKey: 0 }
  const wrapped: EnvelopeKms = {
    generateDataKey: (r) => (calls.generateDataKey++, kms.generateDataKey(r)),
    encrypt: (r) => (calls.encrypt++, kms.encrypt(r)),
    decrypt: (r) => (calls.decrypt++, kms.decrypt(r)),
    describeKey: (r) => (calls.describeKey++, kms.describeKey(r)),
  }
  return { kms: wrapped, calls }
}

const key = () => Uint8Array.from({ length: 32 }, (_, i) => i + 1)

describe('DataKeyCache', () => {
  it('serves a data key until its age limit, then wipes it', () => {
    const clock = new ManualClock(0)
    const cache = new DataKeyCache({ maxAgeMs: 1000 }, clock)
    cache.put('k', key(), [], 1)
    const hit = cache.take('k', 1)!
    expect(hit.dataKey).toEqual(key())
    clock.advance(999)
    expect(cache.take('k', 1)).toBeDefined()
    clock.advance(1)
    expect(cache.take('k', 1)).toBeUndefined()
    expect(hit.dataKey.every((b) => b === 0)).toBe(true)
    expect(cache.stats()).toEqual({ entries: 0, hits: 2, misses: 1 })
  })

  it('counts messages (the first one included) and bytes', () => {
    const clock = new ManualClock(0)
    const messages = new DataKeyCache({ maxMessages: 3 }, clock)
    messages.put('k', key(), [], 0)
    expect(messages.take('k', 0)).toBeDefined()
    expect(messages.take('k', 0)).toBeDefined()
    expect(messages.take('k', 0)).toBeUndefined()

    const bytes = new DataKeyCache({ maxBytes: 100 }, clock)
    expect(bytes.accepts(101)).toBe(false)
    bytes.put('k', key(), [], 60)
    expect(bytes.take('k', 40)).toBeDefined()
    expect(bytes.take('k', 1)).toBeUndefined()
  })

  it('keeps at most maxEntries, evicting (and wiping) the least recently used', () => {
    const cache = new DataKeyCache({ maxEntries: 2 }, new ManualClock(0))
    cache.put('a', key(), [], 0)
    const a = cache.take('a', 0)!
    cache.put('b', key(), [], 0)
    cache.take('a', 0) // a is now the most recently used
    cache.put('c', key(), [], 0)
    expect(cache.take('b', 0)).toBeUndefined()
    expect(cache.take('a', 0)).toBeDefined()
    expect(cache.stats().entries).toBe(2)
    cache.clear()
    expect(a.dataKey.every((b) => b === 0)).toBe(true)
    expect(cache.stats().entries).toBe(0)
  })

  it('copies the key it is given (the caller wipes its own)', () => {
    const cache = new DataKeyCache({}, new ManualClock(0))
    const mine = key()
    cache.put('k', mine, [], 0)
    mine.fill(0)
    expect(cache.take('k', 0)!.dataKey).toEqual(key())
  })

  it('validates its limits', () => {
    const clock = new ManualClock(0)
    expect(() => new DataKeyCache({ maxAgeMs: 0 }, clock)).toThrow(KmsError)
    expect(() => new DataKeyCache({ maxMessages: 2 ** 32 + 1 }, clock)).toThrow(KmsError)
    expect(() => new DataKeyCache({ maxBytes: 1.5 }, clock)).toThrow(TypeError)
    expect(() => new UnwrapCache({ maxEntries: 0 }, clock)).toThrow(KmsError)
  })
})

describe('UnwrapCache', () => {
  it('expires and wipes', () => {
    const clock = new ManualClock(0)
    const cache = new UnwrapCache({ maxAgeMs: 10 }, clock)
    const k = UnwrapCache.key(new Uint8Array([1, 2]), new Uint8Array([3]))
    expect(k).not.toBe(UnwrapCache.key(new Uint8Array([1]), new Uint8Array([2, 3])))
    cache.put(k, key(), 'key-id')
    const hit = cache.get(k)!
    expect(hit.keyId).toBe('key-id')
    clock.advance(10)
    expect(cache.get(k)).toBeUndefined()
    expect(hit.dataKey.every((b) => b === 0)).toBe(true)
  })
})

describe('an envelope with caches', () => {
  it('seals many small messages with one generateDataKey, within the limits', async () => {
    const { kms, calls } = counted(fixture.kms)
    const clock = new ManualClock(0)
    const envelope = new Envelope({ kms, clock, dataKeyCache: { maxMessages: 5, maxAgeMs: 60_000 } })
    const sealed: Uint8Array[] = []
    for (let i = 0; i < 12; i++) sealed.push(await envelope.seal(new Uint8Array([i]), { keyIds: ['alias/a', 'alias/b'] }))
    expect(calls.generateDataKey).toBe(3) // 5 + 5 + 2
    expect(calls.encrypt).toBe(3) // the second recipient, once per data key
    // Each message still has its own id (hence its own frame key).
    expect(new Set(sealed.map((s) => readEnvelopeHeader(s).messageId)).size).toBe(12)
    clock.advance(60_000)
    await envelope.seal(new Uint8Array(1), { keyIds: ['alias/a', 'alias/b'] })
    expect(calls.generateDataKey).toBe(4)
    // Different recipients or context: a different data key.
    await envelope.seal(new Uint8Array(1), { keyIds: ['alias/a'] })
    await envelope.seal(new Uint8Array(1), { keyIds: ['alias/a'], encryptionContext: { t: '1' } })
    expect(calls.generateDataKey).toBe(6)
    for (let i = 0; i < 12; i++) expect((await envelope.open(sealed[i]!)).plaintext).toEqual(new Uint8Array([i]))
    expect(envelope.cacheStats().dataKeys?.entries).toBe(3)
    envelope.clearCaches()
    expect(envelope.cacheStats().dataKeys?.entries).toBe(0)
  })

  it('bypasses the cache for streams of unknown length, and for messages over maxBytes', async () => {
    const { kms, calls } = counted(fixture.kms)
    const envelope = new Envelope({ kms, dataKeyCache: { maxBytes: 100 } })
    for (let i = 0; i < 3; i++) (await envelope.sealer({ keyIds: ['alias/a'] })).destroy()
    expect(calls.generateDataKey).toBe(3)
    for (let i = 0; i < 3; i++) (await envelope.sealer({ keyIds: ['alias/a'], plaintextLength: 10 })).destroy()
    expect(calls.generateDataKey).toBe(4)
    await envelope.seal(new Uint8Array(101), { keyIds: ['alias/a'] })
    expect(calls.generateDataKey).toBe(5)
  })

  it('opens envelopes sharing a wrapped key with one decrypt, and still checks each commitment', async () => {
    const { kms, calls } = counted(fixture.kms)
    const envelope = new Envelope({ kms, dataKeyCache: {}, unwrapCache: { maxAgeMs: 60_000 } })
    const sealed: Uint8Array[] = []
    for (let i = 0; i < 5; i++) sealed.push(await envelope.seal(new Uint8Array([i]), { keyIds: ['alias/a'] }))
    for (let i = 0; i < 5; i++) expect((await envelope.open(sealed[i]!)).plaintext).toEqual(new Uint8Array([i]))
    expect(calls.decrypt).toBe(1)
    expect(envelope.cacheStats().unwrapped).toEqual({ entries: 1, hits: 4, misses: 1 })
    // A cached key does not excuse a forged header.
    const forged = sealed[0]!.slice()
    forged[readEnvelopeHeader(forged).headerLength - 20]! ^= 1 // inside the commitment
    await expect(envelope.open(forged)).rejects.toThrow(/key commitment/)
  })

  it('a cache hit skips the engine: a disabled key keeps working until the entry expires (documented trade-off)', async () => {
    const { kms, keys } = await openFixture()
    try {
      const clock = new ManualClock(0)
      const envelope = new Envelope({ kms, clock, dataKeyCache: { maxAgeMs: 1000 }, unwrapCache: { maxAgeMs: 1000 } })
      const sealed = await envelope.seal(new Uint8Array(3), { keyIds: ['alias/a'] })
      await envelope.open(sealed)
      await kms.disableKey({ keyId: keys[0] })
      await envelope.seal(new Uint8Array(3), { keyIds: ['alias/a'] })
      await envelope.open(sealed)
      clock.advance(1000)
      await expect(envelope.seal(new Uint8Array(3), { keyIds: ['alias/a'] })).rejects.toThrow(KmsError)
      await expect(envelope.open(sealed)).rejects.toThrow(KmsError)
    } finally {
      await kms.close()
    }
  })
})
