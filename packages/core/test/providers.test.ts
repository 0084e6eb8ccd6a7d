/**
 * Both crypto providers drive the whole engine and accept each other's bytes: a keystore
 * written with node:crypto opens with the pure-JS provider and vice versa.
 */
import { describe, expect, it } from 'vitest'
import { MemoryLevel } from 'memory-level'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { Kms, passphraseRootKey, rawRootKey, type CryptoProvider } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

const providers: [string, CryptoProvider][] = [['node', nodeCryptoProvider()], ['noble', nobleCryptoProvider()]]
const rootKey = new Uint8Array(32).map((_, i) => i)

describe.each(providers)('a keystore written with the %s provider', (_writerName, writer) => {
  it.each(providers)('is read by the %s provider', async (_readerName, reader) => {
    const db = new MemoryLevel()
    const first = await Kms.open({ storage: memoryStorage(db), rootKey: passphraseRootKey('shared passphrase', { N: 2 ** 14 }), crypto: writer, closeStorage: false })
    const { keyMetadata } = await first.createKey({ keySpec: 'Aliyun_AES_128' })
    const keyId = keyMetadata.keyId
    const encryptionContext = { tenant: 'acme', 'ключ': 'значение' }
    const blobs = [
      (await first.encrypt({ keyId, plaintext: new TextEncoder().encode('before rotation'), encryptionContext })).ciphertextBlob,
    ]
    await first.createKeyVersion({ keyId })
    blobs.push((await first.encrypt({ keyId, plaintext: new TextEncoder().encode('after rotation'), encryptionContext })).ciphertextBlob)
    const dataKey = await first.generateDataKey({ keyId, numberOfBytes: 48 })
    await first.close()

    const second = await Kms.open({ storage: memoryStorage(db), rootKey: passphraseRootKey('shared passphrase', { N: 2 ** 14 }), crypto: reader })
    const texts = await Promise.all(blobs.map(async (ciphertextBlob) =>
      new TextDecoder().decode((await second.decrypt({ ciphertextBlob, encryptionContext })).plaintext)))
    expect(texts).toEqual(['before rotation', 'after rotation'])
    expect((await second.decrypt({ ciphertextBlob: dataKey.ciphertextBlob })).plaintext).toEqual(dataKey.plaintext)
    // And the other direction inside the same keystore.
    const back = await second.encrypt({ keyId, plaintext: new Uint8Array([1, 2, 3]) })
    await second.close()
    const third = await Kms.open({ storage: memoryStorage(db), rootKey: passphraseRootKey('shared passphrase', { N: 2 ** 14 }), crypto: writer })
    expect((await third.decrypt({ ciphertextBlob: back.ciphertextBlob })).plaintext).toEqual(new Uint8Array([1, 2, 3]))
    await third.close()
  })
})

describe('the engine on the pure-JS provider alone', () => {
  it('runs the quickstart with a raw root key', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(rootKey), crypto: nobleCryptoProvider() })
    const { keyMetadata } = await kms.createKey({})
    const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new Uint8Array(6144).fill(7) })
    expect((await kms.decrypt({ ciphertextBlob })).plaintext).toEqual(new Uint8Array(6144).fill(7))
    await kms.close()
  })
})
