/**
 * createTestKms: ready keys by name, a seeded engine that repeats itself exactly, a
 * manual clock that moves deletion and rotation, and the engine's real errors.
 */
import { DAY_MS, KmsError } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { createTestKms } from '@strongroom/testing'

const utf8 = (s: string) => new TextEncoder().encode(s)

describe('createTestKms', () => {
  it('makes the keys asked for, under alias/<name>, with the specs asked for', async () => {
    await using test = await createTestKms({ keys: { orders: {}, signing: { keySpec: 'EC_P256' }, hooks: { keySpec: 'HMAC_SHA_256' } } })
    const { kms, keys } = test
    expect(keys.orders).toMatchObject({ keySpec: 'Aliyun_AES_256', keyUsage: 'ENCRYPT/DECRYPT', description: 'orders', keyState: 'Enabled' })
    expect(keys.signing).toMatchObject({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })
    expect(keys.hooks).toMatchObject({ keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' })
    const sealed = await kms.encrypt({ keyId: 'alias/orders', plaintext: utf8('card 4111') })
    expect(sealed.keyId).toBe(keys.orders.keyId)
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob })).plaintext)).toBe('card 4111')
    const signature = await kms.asymmetricSign({ keyId: 'alias/signing', algorithm: 'ECDSA_SHA_256', message: utf8('m') })
    expect((await kms.asymmetricVerify({ keyId: 'alias/signing', algorithm: 'ECDSA_SHA_256', message: utf8('m'), value: signature.value })).value).toBe(true)
  })

  it('is seeded: the same seed repeats ids and ciphertexts; another seed does not', async () => {
    const run = async (seed?: string) => {
      await using test = await createTestKms({ ...(seed === undefined ? {} : { seed }), keys: { a: {} } })
      const { ciphertextBlob } = await test.kms.encrypt({ keyId: 'alias/a', plaintext: utf8('x') })
      return { keyId: test.keys.a.keyId, blob: Buffer.from(ciphertextBlob).toString('hex') }
    }
    const first = await run()
    expect(await run()).toEqual(first)
    const other = await run('another seed')
    expect(other.keyId).not.toBe(first.keyId)
    expect(other.blob).not.toBe(first.blob)
  })

  it('runs on a manual clock: a deletion window passes when the test says so', async () => {
    await using test = await createTestKms({ now: '2030-05-01T00:00:00Z', keys: { old: {} } })
    const { kms, clock, keys } = test
    expect(Date.parse(keys.old.creationDate)).toBe(Date.parse('2030-05-01T00:00:00Z'))
    await kms.scheduleKeyDeletion({ keyId: 'alias/old', pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS)
    expect((await kms.maintenance()).purged).toEqual([keys.old.keyId])
  })

  it('gives the engine\'s real errors, and refuses a bad ready key without leaving an engine open', async () => {
    await using test = await createTestKms()
    await expect(test.kms.describeKey({ keyId: 'alias/missing' })).rejects.toSatisfy((e) => KmsError.is(e, 'Forbidden.AliasNotFound'))
    await expect(createTestKms({ keys: { bad: { keySpec: 'AES_1024' as never } } })).rejects.toSatisfy((e) => KmsError.is(e, 'InvalidParameter'))
  })
})
