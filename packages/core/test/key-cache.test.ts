/**
 * Cold keys and the key cache: a key's first use after opening costs one storage read and
 * one unwrap; the cache is bounded by count and by estimated bytes, and a working set larger
 * than it stays correct, each miss costing one read again (never more).
 */
import { defaultCryptoProvider, type CryptoProvider } from '@strongroom/crypto'
import { describe, expect, it } from 'vitest'
import { Kms, rawRootKey, type ScanOptions, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const ROOT = new Uint8Array(32).fill(9)

/** A real adapter wrapped: records the storage keys read. */
function counting(inner: StorageAdapter) {
  const reads: string[] = []
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    get: async (key) => {
      reads.push(key)
      return inner.get(key)
    },
    scan: async (options: ScanOptions) => {
      reads.push(`scan:${options.prefix}`)
      return inner.scan(options)
    },
    commit: (mutations) => inner.commit(mutations),
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  return { adapter, reads }
}

function countingCrypto(): { crypto: CryptoProvider; gcmOpens: () => number } {
  const real = defaultCryptoProvider()
  let opens = 0
  const crypto: CryptoProvider = {
    ...real,
    aesGcmDecrypt: (...args) => {
      opens++
      return real.aesGcmDecrypt(...args)
    },
  }
  return { crypto, gcmOpens: () => opens }
}

async function open(storage: StorageAdapter, options: { keyCacheSize?: number; keyCacheBytes?: number; crypto?: CryptoProvider } = {}): Promise<Kms> {
  return Kms.open({ storage, rootKey: rawRootKey(ROOT), closeStorage: false, audit: false, ...options })
}

describe('a cold key', () => {
  it('costs one storage read and one unwrap on its first use after opening, and nothing on the next', async () => {
    const storage = memoryStorage()
    const first = await open(storage)
    const { keyId } = (await first.createKey()).keyMetadata
    const { ciphertextBlob } = await first.encrypt({ keyId, plaintext: utf8('cold') })
    await first.close()

    const { adapter, reads } = counting(storage)
    const gcm = countingCrypto()
    const kms = await open(adapter, { crypto: gcm.crypto })
    reads.length = 0
    const before = gcm.gcmOpens()
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('cold')
    expect(reads).toEqual([`key/${keyId}`])
    // The key record's seal, the version's wrapped material, the blob itself.
    expect(gcm.gcmOpens() - before).toBe(3)
    reads.length = 0
    await kms.decrypt({ ciphertextBlob })
    expect(reads).toEqual([])
    await kms.close()
  })
})

describe('the key cache', () => {
  it('refuses a byte bound below 1 KiB', async () => {
    await rejectsWith(open(memoryStorage(), { keyCacheBytes: 100 }), 'InvalidParameter')
  })

  it('with a working set larger than the cache (by count, then by bytes), every call stays correct and a miss costs one read', async () => {
    for (const bounds of [{ keyCacheSize: 3 }, { keyCacheBytes: 2048 }]) {
      const { adapter, reads } = counting(memoryStorage())
      const kms = await open(adapter, bounds)
      const blobs: { keyId: string; blob: Uint8Array; text: string }[] = []
      for (let i = 0; i < 8; i++) {
        const { keyId } = (await kms.createKey()).keyMetadata
        const text = `secret ${i}`
        blobs.push({ keyId, text, blob: (await kms.encrypt({ keyId, plaintext: utf8(text) })).ciphertextBlob })
      }
      // Round-robin over 8 keys: the least recently used key is always the next one needed.
      for (let round = 0; round < 3; round++) {
        for (const { keyId, blob, text } of blobs) {
          reads.length = 0
          expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe(text)
          expect(reads).toEqual([`key/${keyId}`])
        }
      }
      // A working set that fits is served from the cache.
      await kms.decrypt({ ciphertextBlob: blobs[0]!.blob })
      reads.length = 0
      await kms.decrypt({ ciphertextBlob: blobs[0]!.blob })
      expect(reads).toEqual([])
      await kms.close()
    }
  })
})
