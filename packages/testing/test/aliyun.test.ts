import * as $Kms from '@alicloud/kms20160120'
import { describe, expect, it } from 'vitest'
import { aliyunKmsClient, createTestKms } from '@strongroom/testing'

describe('aliyunKmsClient', () => {
  it('drives a test engine through the official Alibaba Cloud KMS client: ready keys by alias, Alibaba errors, the engine sees the calls', async () => {
    const test = await createTestKms({ region: 'cn-hangzhou', keys: { orders: {} } })
    const aliyun = await aliyunKmsClient(test)
    try {
      const sealed = await aliyun.client.encrypt(new $Kms.EncryptRequest({ keyId: 'alias/orders', plaintext: Buffer.from('hi').toString('base64'), encryptionContext: { t: 'a' } }))
      expect(sealed.keyId).toBe(test.keys.orders.keyId)
      const opened = await aliyun.client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob, encryptionContext: { t: 'a' } }))
      expect(Buffer.from(opened.plaintext, 'base64').toString()).toBe('hi')
      const error = await aliyun.client.describeKey(new $Kms.DescribeKeyRequest({ keyId: 'alias/none' })).then(() => undefined, (e: unknown) => e as { code?: string; data?: { Code?: string } })
      expect(error?.data?.Code ?? error?.code).toBe('Forbidden.AliasNotFound')
      const { records } = await test.kms.audit.query({ action: 'Encrypt' })
      expect(records).toHaveLength(1)
    } finally {
      await aliyun.close()
      await test.close()
    }
  })

  it('makes its own engine when given none, and closes it', async () => {
    await using aliyun = await aliyunKmsClient()
    const created = await aliyun.client.createKey(new $Kms.CreateKeyRequest({}))
    expect(created.keyMetadata.keyState).toBe('Enabled')
  })
})
