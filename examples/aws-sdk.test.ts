/** The AWS SDK example is code a test runs, so it cannot rot. */
import { describe, expect, it } from 'vitest'
import { awsSdkDemo } from './aws-sdk.js'

describe('examples/aws-sdk.ts', () => {
  it('runs AWS KMS application code against Strongroom, in process and over HTTP', async () => {
    const outcome = await awsSdkDemo()
    expect(outcome.keyArn).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/)
    expect(outcome.decrypted).toBe('card 4111')
    expect(outcome.document).toBe('a long document')
    expect(outcome.aliasesOverHttp).toEqual(['alias/orders'])
  })
})
