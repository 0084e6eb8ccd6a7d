/** Sealing and opening byte arrays: sizes, recipients, context, allowed keys, parameter checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsError } from '@strongroom/core'
import {
  DEFAULT_FRAME_SIZE, Envelope, FRAME_OVERHEAD, framedLength, readEnvelopeHeader, type EnvelopeKms,
} from '@strongroom/envelope'
import { expectSameBytes, openFixture, pseudoRandomBytes, type Fixture } from './helpers.js'

let fixture: Fixture
beforeAll(async () => {
  fixture = await openFixture()
})
afterAll(async () => {
  await fixture.kms.close()
})

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp): Promise<KmsError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(KmsError)
  expect((error as KmsError).code).toBe(code)
  if (message !== undefined) expect((error as KmsError).message).toMatch(message)
  return error as KmsError
}

describe('seal and open byte arrays', () => {
  const sizes = [0, 1, 63, 64, 65, 200, 1000]
  it.each(sizes)('round-trips %i bytes in 64-byte frames with the exact sealed size', async (size) => {
    const envelope = new Envelope({ kms: fixture.kms, frameSize: 64 })
    const plaintext = pseudoRandomBytes(size, size + 1)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    const info = readEnvelopeHeader(sealed)
    expect(sealed.length).toBe(info.headerLength + framedLength(size, 64))
    expect(sealed.length).toBe(info.headerLength + Math.floor(size / 64) * (64 + FRAME_OVERHEAD) + (size % 64) + FRAME_OVERHEAD)
    const opened = await envelope.open(sealed)
    expect(opened.plaintext).toEqual(plaintext)
  })

  it('round-trips several default-size frames and reports the verified header', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const plaintext = pseudoRandomBytes(3 * DEFAULT_FRAME_SIZE + 17)
    const sealed = await envelope.seal(plaintext, { keyIds: ['alias/a'], encryptionContext: { tenant: 'acme', purpose: 'test' } })
    const opened = await envelope.open(sealed, { encryptionContext: { tenant: 'acme' } })
    expectSameBytes(opened.plaintext, plaintext)
    expect(opened.keyId).toBe(fixture.keys[0])
    expect(opened.frameSize).toBe(DEFAULT_FRAME_SIZE)
    expect(opened.formatVersion).toBe(1)
    expect(opened.encryptionContext).toEqual({ tenant: 'acme', purpose: 'test' })
    expect(opened.recipients.map((r) => r.keyId)).toEqual([fixture.keys[0]])
    expect(opened.messageId).toMatch(/^[0-9a-f]{64}$/)
  })

  it('never produces the same bytes twice (fresh message id and data key)', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const plaintext = new TextEncoder().encode('same input')
    const a = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    const b = await envelope.seal(plaintext, { keyIds: ['alias/a'] })
    expect(a).not.toEqual(b)
    expect(readEnvelopeHeader(a).messageId).not.toBe(readEnvelopeHeader(b).messageId)
  })

  it('accepts a key id, a resource name and an alias for recipients', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const { keyMetadata } = await fixture.kms.describeKey({ keyId: fixture.keys[1] })
    for (const ref of [fixture.keys[1], keyMetadata.arn, 'alias/b']) {
      const sealed = await envelope.seal(new Uint8Array([1, 2, 3]), { keyIds: [ref] })
      expect((await envelope.open(sealed)).keyId).toBe(fixture.keys[1])
    }
  })
})

describe('several recipients', () => {
  it('opens through any recipient, in header order, skipping keys this keystore does not have', async () => {
    const sealer = new Envelope({ kms: fixture.kms })
    const plaintext = pseudoRandomBytes(5000)
    const sealed = await sealer.seal(plaintext, { keyIds: ['alias/a', 'alias/b', 'alias/c'], encryptionContext: { app: 'x' } })
    expect(readEnvelopeHeader(sealed).recipients.map((r) => r.keyId)).toEqual([...fixture.keys])

    // Another keystore that has none of the keys: a clear InvalidCiphertext naming the recipients.
    const other = await openFixture()
    try {
      const error = await rejects(new Envelope({ kms: other.kms }).open(sealed), 'InvalidCiphertext', /no recipient/)
      expect(error.message).toContain(fixture.keys[0])
    } finally {
      await other.kms.close()
    }

    // Disable the first two: the third still opens it.
    await fixture.kms.disableKey({ keyId: 'alias/a' })
    await fixture.kms.disableKey({ keyId: 'alias/b' })
    try {
      const opened = await sealer.open(sealed)
      expect(opened.keyId).toBe(fixture.keys[2])
      expect(opened.plaintext).toEqual(plaintext)
      // With only disabled keys allowed, the engine's refusal says what to fix.
      await rejects(sealer.open(sealed, { keyIds: ['alias/a', 'alias/b'] }), 'Rejected.Disabled')
    } finally {
      await fixture.kms.enableKey({ keyId: 'alias/a' })
      await fixture.kms.enableKey({ keyId: 'alias/b' })
    }
  })

  it('restricts opening to the allowed keys', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const sealed = await envelope.seal(new Uint8Array(10), { keyIds: ['alias/a', 'alias/b'] })
    expect((await envelope.open(sealed, { keyIds: ['alias/b'] })).keyId).toBe(fixture.keys[1])
    await rejects(envelope.open(sealed, { keyIds: ['alias/c'] }), 'InvalidCiphertext', /allowed keys/)
    await rejects(envelope.open(sealed, { keyIds: ['alias/nope'] }), 'Forbidden.AliasNotFound')
  })

  it('refuses duplicate, empty and too many recipients', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const data = new Uint8Array(1)
    await rejects(envelope.seal(data, { keyIds: [] }), 'InvalidParameter')
    await rejects(envelope.seal(data, { keyIds: ['alias/a', 'alias/a'] }), 'InvalidParameter')
    await rejects(envelope.seal(data, { keyIds: Array.from({ length: 17 }, (_, i) => `alias/k${i}`) }), 'InvalidParameter')
    await rejects(envelope.seal(data, { keyIds: ['alias/missing'] }), 'Forbidden.AliasNotFound')
    await expect(envelope.seal(data, { keyIds: 'alias/a' as unknown as string[] })).rejects.toThrow(TypeError)
  })
})

describe('encryption context', () => {
  it('is stored in the header, bound to the wrapped keys, and checked as a subset on open', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const context = { tenant: 'acme', 'région': 'été', ab: 'c' }
    const sealed = await envelope.seal(new Uint8Array(100), { keyIds: ['alias/a'], encryptionContext: context })
    expect(readEnvelopeHeader(sealed).encryptionContext).toEqual(context)
    await envelope.open(sealed, { encryptionContext: { 'région': 'été' } })
    await rejects(envelope.open(sealed, { encryptionContext: { tenant: 'other' } }), 'InvalidCiphertext', /encryption context/)
    await rejects(envelope.open(sealed, { encryptionContext: { a: 'bc' } }), 'InvalidCiphertext', /encryption context/)
  })

  it('rejects contexts the engine rejects', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    await rejects(envelope.seal(new Uint8Array(1), { keyIds: ['alias/a'], encryptionContext: { '': 'x' } }), 'InvalidParameter')
    await rejects(envelope.seal(new Uint8Array(1), { keyIds: ['alias/a'], encryptionContext: { k: 'x'.repeat(9000) } }), 'InvalidParameter')
  })
})

describe('key state', () => {
  it('a disabled generator key cannot seal; a key pending deletion cannot open', async () => {
    const { kms, keys } = await openFixture()
    try {
      const envelope = new Envelope({ kms })
      const sealed = await envelope.seal(new Uint8Array(10), { keyIds: ['alias/a'] })
      await kms.disableKey({ keyId: keys[0] })
      await rejects(envelope.seal(new Uint8Array(10), { keyIds: ['alias/a'] }), 'Rejected.Disabled')
      await rejects(envelope.open(sealed), 'Rejected.Disabled')
      await kms.enableKey({ keyId: keys[0] })
      await kms.scheduleKeyDeletion({ keyId: keys[0], pendingWindowInDays: 7 })
      await rejects(envelope.open(sealed), 'Rejected.InvalidState')
    } finally {
      await kms.close()
    }
  })

  it('opens envelopes sealed before a rotation', async () => {
    const { kms } = await openFixture()
    try {
      const envelope = new Envelope({ kms })
      const sealed = await envelope.seal(new Uint8Array(10).fill(7), { keyIds: ['alias/a'] })
      await kms.createKeyVersion({ keyId: 'alias/a' })
      expect((await envelope.open(sealed)).plaintext).toEqual(new Uint8Array(10).fill(7))
    } finally {
      await kms.close()
    }
  })
})

describe('parameters', () => {
  it('validates frame sizes and types', async () => {
    expect(() => new Envelope({ kms: fixture.kms, frameSize: 63 })).toThrow(KmsError)
    expect(() => new Envelope({ kms: fixture.kms, frameSize: 2 ** 24 + 1 })).toThrow(KmsError)
    expect(() => new Envelope({ kms: fixture.kms, frameSize: 1.5 })).toThrow(TypeError)
    expect(() => new Envelope({ kms: {} as EnvelopeKms })).toThrow(TypeError)
    const envelope = new Envelope({ kms: fixture.kms })
    await expect(envelope.seal('text' as unknown as Uint8Array, { keyIds: ['alias/a'] })).rejects.toThrow(TypeError)
    await expect(envelope.open([1, 2] as unknown as Uint8Array)).rejects.toThrow(TypeError)
    await rejects(envelope.seal(new Uint8Array(1), { keyIds: ['alias/a'], frameSize: 10 }), 'InvalidParameter')
  })

  it('a per-message frame size overrides the default and is recorded in the header', async () => {
    const envelope = new Envelope({ kms: fixture.kms })
    const sealed = await envelope.seal(new Uint8Array(1000), { keyIds: ['alias/a'], frameSize: 256 })
    expect(readEnvelopeHeader(sealed).frameSize).toBe(256)
    expect((await envelope.open(sealed)).plaintext).toEqual(new Uint8Array(1000))
  })

  it('works with a bare object holding the four engine operations', async () => {
    const { kms } = fixture
    const narrow: EnvelopeKms = {
      generateDataKey: (r) => kms.generateDataKey(r), encrypt: (r) => kms.encrypt(r),
      decrypt: (r) => kms.decrypt(r), describeKey: (r) => kms.describeKey(r),
    }
    const envelope = new Envelope({ kms: narrow })
    const sealed = await envelope.seal(new Uint8Array(5), { keyIds: ['alias/a', 'alias/b'] })
    expect((await envelope.open(sealed)).plaintext).toEqual(new Uint8Array(5))
  })
})

describe('least privilege', () => {
  it('works through a principal\'s client, and a principal without Decrypt gets the engine\'s refusal', async () => {
    const { kms, keys } = await openFixture()
    try {
      const { keyMetadata } = await kms.describeKey({ keyId: keys[0] })
      const allow = (policyName: string, actions: string[]) => kms.createPolicy({
        policyName, policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: keyMetadata.arn }] },
      })
      await allow('seal-and-open', ['kms:GenerateDataKey', 'kms:Decrypt'])
      await allow('seal-only', ['kms:GenerateDataKey'])
      await kms.attachPolicy({ policyName: 'seal-and-open', principal: 'backup-service' })
      await kms.attachPolicy({ policyName: 'seal-only', principal: 'ingest' })
      const service = new Envelope({ kms: kms.as('backup-service') })
      const sealed = await service.seal(new Uint8Array([1, 2, 3]), { keyIds: [keys[0]] })
      expect((await service.open(sealed)).plaintext).toEqual(new Uint8Array([1, 2, 3]))
      const ingest = new Envelope({ kms: kms.as('ingest') })
      const fromIngest = await ingest.seal(new Uint8Array([4]), { keyIds: [keys[0]] })
      await rejects(ingest.open(fromIngest), 'Forbidden.NoPermission')
      await rejects(ingest.seal(new Uint8Array([4]), { keyIds: [keys[1]] }), 'Forbidden.NoPermission')
    } finally {
      await kms.close()
    }
  })
})
