/**
 * End to end through the envelope: a writer fenced by policy to `tenant = acme` cannot seal
 * an envelope under a context with look-alike keys (`{ tenant: 'globex', Tenant: 'acme' }`),
 * so no such envelope can reach a reader that requires `{ tenant: 'globex' }`.
 * Regression: the engine's condition keys matched both context keys and the seal succeeded.
 */
import { describe, expect, it } from 'vitest'
import { Kms, KmsError } from '@strongroom/core'
import { Envelope } from '@strongroom/envelope'
import { memoryStorage } from '@strongroom/storage-memory'

describe('an envelope writer fenced to one tenant', () => {
  it('cannot seal under an ambiguous context, and still seals under its own tenant', async () => {
    const kms = await Kms.open({ storage: memoryStorage() })
    try {
      const { keyMetadata } = await kms.createKey()
      await kms.createPolicy({
        policyName: 'acme',
        policyDocument: {
          Version: '1',
          Statement: [{
            Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: keyMetadata.arn,
            Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
          }],
        },
      })
      await kms.attachPolicy({ policyName: 'acme', principal: 'writer' })
      const writer = new Envelope({ kms: kms.as('writer') })
      const payload = new TextEncoder().encode('payroll')
      const refused = await writer.seal(payload, { keyIds: [keyMetadata.keyId], encryptionContext: { tenant: 'globex', Tenant: 'acme' } })
        .then(() => undefined, (e: unknown) => e)
      expect(KmsError.is(refused, 'InvalidParameter')).toBe(true)
      const sealed = await writer.seal(payload, { keyIds: [keyMetadata.keyId], encryptionContext: { tenant: 'acme' } })
      const reader = new Envelope({ kms })
      const opened = await reader.open(sealed, { encryptionContext: { tenant: 'acme' } })
      expect(new TextDecoder().decode(opened.plaintext)).toBe('payroll')
    } finally {
      await kms.close()
    }
  })
})
