/** The Alibaba Cloud SDK example is code a test runs, so it cannot rot. */
import { describe, expect, it } from 'vitest'
import { aliyunSdkDemo } from './aliyun-sdk.js'

describe('examples/aliyun-sdk.ts', () => {
  it('runs Alibaba Cloud KMS application code against Strongroom over loopback HTTP', async () => {
    const outcome = await aliyunSdkDemo()
    expect(outcome.masterKeyArn).toMatch(/^acs:kms:cn-hangzhou:000000000000:key\/[0-9a-f-]{36}$/)
    expect(outcome.tlsKeyWorks).toBe(true)
    expect(outcome.tlsKeyStoredEncrypted).toBe(true)
    expect(outcome.wrongContextCode).toBe('InvalidCiphertext')
    expect(outcome.fileContents).toBe('quarterly numbers: 42')
  })
})
