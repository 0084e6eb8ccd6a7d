/**
 * Root-key providers given a Node `Buffer`: they keep their own copy, so closing the
 * engine (which wipes the secret it was handed) never zeroes the caller's buffer, and
 * wiping the caller's buffer never changes the provider's copy.
 */
import { describe, expect, it } from 'vitest'
import { Kms, passphraseRootKey, rawRootKey, type RootKeyProvider } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { utf8 } from './helpers.js'

/** Creates a key in a fresh store, closes the engine, and reopens the same store with `reopenWith`. */
async function createCloseReopen(first: RootKeyProvider, reopenWith: () => RootKeyProvider): Promise<Uint8Array> {
  const storage = memoryStorage()
  const kms = await Kms.open({ storage, rootKey: first, closeStorage: false })
  const { keyMetadata } = await kms.createKey({})
  const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: utf8('kept') })
  await kms.close()
  const again = await Kms.open({ storage, rootKey: reopenWith() })
  try {
    return (await again.decrypt({ ciphertextBlob })).plaintext
  } finally {
    await again.close()
  }
}

describe('rawRootKey with a Node Buffer', () => {
  it('close() leaves the caller\'s buffer intact, and the same buffer opens the store again', async () => {
    const buffer = Buffer.alloc(32, 0x5a)
    const plaintext = await createCloseReopen(rawRootKey(buffer), () => rawRootKey(buffer))
    expect(Buffer.from(plaintext).toString()).toBe('kept')
    expect(buffer.equals(Buffer.alloc(32, 0x5a))).toBe(true)
  })

  it('the same provider opens the store again after close()', async () => {
    const provider = rawRootKey(Buffer.alloc(32, 0x17))
    expect(Buffer.from(await createCloseReopen(provider, () => provider)).toString()).toBe('kept')
  })

  it('a Buffer that is a view into a larger pool is copied: wiping the pool after open changes nothing', async () => {
    const pool = Buffer.alloc(64, 0x33)
    const provider = rawRootKey(pool.subarray(16, 48))
    const reopenAfterWipe = (): RootKeyProvider => {
      pool.fill(0)
      return provider
    }
    expect(Buffer.from(await createCloseReopen(provider, reopenAfterWipe)).toString()).toBe('kept')
  })
})

describe('passphraseRootKey with a Node Buffer', () => {
  it('keeps its own copy: wiping the caller\'s buffer after handing it over does not change the key', async () => {
    const buffer = Buffer.from('correct horse battery staple')
    const provider = passphraseRootKey(buffer, { N: 2 ** 14 })
    const reopenAfterWipe = (): RootKeyProvider => {
      buffer.fill(0)
      return provider
    }
    expect(Buffer.from(await createCloseReopen(provider, reopenAfterWipe)).toString()).toBe('kept')
  })

  it('close() leaves the caller\'s buffer intact', async () => {
    const buffer = Buffer.from('another passphrase')
    const plaintext = await createCloseReopen(passphraseRootKey(buffer, { N: 2 ** 14 }), () => passphraseRootKey(buffer, { N: 2 ** 14 }))
    expect(Buffer.from(plaintext).toString()).toBe('kept')
    expect(buffer.toString()).toBe('another passphrase')
  })
})
