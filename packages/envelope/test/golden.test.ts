/**
 * Golden files: envelopes committed when format version 1 was made must open with this
 * release, through every API and with both crypto providers, on the committed keystore.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { Envelope, readEnvelopeHeader } from '@strongroom/envelope'
import { GOLDEN_CONTEXT, GOLDEN_FRAME_SIZE, GOLDEN_PLAINTEXT } from './golden/generate.js'
import { golden, openGoldenKms } from './golden/load.js'
import { collect } from './helpers.js'

let kms: Kms
beforeAll(async () => {
  kms = await openGoldenKms()
})
afterAll(async () => {
  await kms.close()
})

describe('golden envelopes (format version 1)', () => {
  it('the plaintext fixture is what the generator wrote', () => {
    expect(new TextDecoder().decode(golden.plaintext)).toBe(GOLDEN_PLAINTEXT)
  })

  it('the header reads as it was written', () => {
    const info = readEnvelopeHeader(golden.sealed)
    const [a, b] = golden.keystore.keys
    expect(info.formatVersion).toBe(1)
    expect(info.frameSize).toBe(GOLDEN_FRAME_SIZE)
    expect(info.encryptionContext).toEqual(GOLDEN_CONTEXT)
    expect(info.recipients.map((r) => r.keyId)).toEqual([a!.keyId, b!.keyId])
  })

  for (const crypto of [nodeCryptoProvider(), nobleCryptoProvider()]) {
    it(`opens with the ${crypto.name} provider through either recipient and every API`, async () => {
      const envelope = new Envelope({ kms, crypto })
      const [a, b] = golden.keystore.keys
      const opened = await envelope.open(golden.sealed, { encryptionContext: GOLDEN_CONTEXT })
      expect(opened.plaintext).toEqual(golden.plaintext)
      expect(opened.keyId).toBe(a!.keyId)
      expect((await envelope.open(golden.sealed, { keyIds: [b!.alias] })).keyId).toBe(b!.keyId)
      expect(await collect(envelope.openChunks([golden.sealed.subarray(0, 100), golden.sealed.subarray(100)]))).toEqual(golden.plaintext)
      expect((await envelope.open(golden.empty)).plaintext).toEqual(new Uint8Array(0))
    })
  }

  it('still opens after the keys are rotated', async () => {
    const rotated = await openGoldenKms()
    try {
      for (const { keyId } of golden.keystore.keys) await rotated.createKeyVersion({ keyId })
      expect((await new Envelope({ kms: rotated }).open(golden.sealed)).plaintext).toEqual(golden.plaintext)
    } finally {
      await rotated.close()
    }
  })
})
