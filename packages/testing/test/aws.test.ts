/**
 * awsKmsClient: the real @aws-sdk/client-kms served in process — its own engine or a
 * shared one, AWS names and exceptions, ARNs in the engine's region.
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, NotFoundException, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { awsKmsClient, createTestKms } from '@strongroom/testing'

describe('awsKmsClient', () => {
  it('on its own engine: create, encrypt, decrypt, and AWS exceptions', async () => {
    const client = await awsKmsClient()
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'orders' }))
    expect(KeyMetadata?.Arn).toBe(`arn:aws:kms:local:000000000000:key/${KeyMetadata?.KeyId}`)
    const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('hi'), EncryptionContext: { t: 'a' } }))
    const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { t: 'a' } }))
    expect(Buffer.from(Plaintext!).toString()).toBe('hi')
    await expect(client.send(new EncryptCommand({ KeyId: 'alias/none', Plaintext: Buffer.from('x') }))).rejects.toBeInstanceOf(NotFoundException)
  })

  it('shares an engine with the test: ready keys by alias, the test\'s clock, the engine\'s region', async () => {
    const test = await createTestKms({ region: 'eu-west-1', keys: { orders: {} } })
    const client = await awsKmsClient(test)
    const viaSdk = await client.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('from the sdk') }))
    expect(viaSdk.KeyId).toBe(`arn:aws:kms:eu-west-1:000000000000:key/${test.keys.orders.keyId}`)
    const back = await test.kms.decrypt({ ciphertextBlob: viaSdk.CiphertextBlob! })
    expect(new TextDecoder().decode(back.plaintext)).toBe('from the sdk')
    // A bare Kms works as well as a TestKms.
    const again = await awsKmsClient(test.kms)
    expect((await again.send(new DecryptCommand({ CiphertextBlob: viaSdk.CiphertextBlob }))).KeyId).toBe(viaSdk.KeyId)
    // As in AWS, ScheduleKeyDeletion takes a key id or key ARN, not an alias.
    await expect(client.send(new ScheduleKeyDeletionCommand({ KeyId: 'alias/orders', PendingWindowInDays: 7 }))).rejects.toBeInstanceOf(NotFoundException)
    const { DeletionDate } = await client.send(new ScheduleKeyDeletionCommand({ KeyId: test.keys.orders.keyId, PendingWindowInDays: 7 }))
    expect(DeletionDate?.toISOString()).toBe('2026-01-08T00:00:00.000Z')
    await test.close()
  })
})
