/**
 * Encryption-context conditions cannot be bypassed with look-alike keys: condition key names
 * match case-insensitively (as AWS's do), so a context whose keys differ only in case or
 * Unicode compatibility form would let one condition key stand for two context keys. Such
 * contexts are refused for every principal whose call is evaluated against policies.
 * Regression: `{ tenant: 'globex', Tenant: 'acme' }` passed `StringEquals tenant = acme`.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { Kms, KmsError } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { encryptionContextConditions } from '../src/policy.js'
import { rejectsWith, utf8 } from './helpers.js'

const engines: Kms[] = []
afterEach(async () => {
  for (const kms of engines.splice(0)) await kms.close()
})

async function fenced(): Promise<{ kms: Kms; keyId: string }> {
  const kms = await Kms.open({ storage: memoryStorage() })
  engines.push(kms)
  const { keyMetadata } = await kms.createKey()
  const acme = { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } }
  const actions = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext']
  await kms.createPolicy({ policyName: 'acme', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: keyMetadata.arn, Condition: acme }] } })
  await kms.attachPolicy({ policyName: 'acme', principal: 'writer' })
  // A deny-style fence: everything allowed except tenant=globex.
  await kms.createPolicy({
    policyName: 'fence',
    policyDocument: {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: actions, Resource: keyMetadata.arn },
        { Effect: 'Deny', Action: actions, Resource: keyMetadata.arn, Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'globex' } } },
      ],
    },
  })
  await kms.attachPolicy({ policyName: 'fence', principal: 'fenced' })
  return { kms, keyId: keyMetadata.keyId }
}

/** Every spelling of `tenant` that a case-insensitive condition key would also match. */
const LOOK_ALIKES = ['Tenant', 'TENANT', 'tEnAnT', 'ｔｅｎａｎｔ']

describe('encryption-context conditions', () => {
  it('refuse a context whose keys differ only in case (allow-style condition)', async () => {
    const { kms, keyId } = await fenced()
    const writer = kms.as('writer')
    for (const alike of LOOK_ALIKES) {
      const encryptionContext = { tenant: 'globex', [alike]: 'acme' }
      await rejectsWith(writer.encrypt({ keyId, plaintext: utf8('x'), encryptionContext }), 'InvalidParameter')
      await rejectsWith(writer.generateDataKey({ keyId, encryptionContext }), 'InvalidParameter')
      await rejectsWith(writer.generateDataKeyWithoutPlaintext({ keyId, encryptionContext }), 'InvalidParameter')
    }
    // The unambiguous context still works; the other tenant is still refused.
    await writer.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme' } })
    await rejectsWith(writer.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'globex' } }), 'Forbidden.NoPermission')
  })

  it('refuse it under a deny-style fence too', async () => {
    const { kms, keyId } = await fenced()
    const fencedClient = kms.as('fenced')
    for (const alike of LOOK_ALIKES) {
      await rejectsWith(fencedClient.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { [alike]: 'acme', tenant: 'globex' } }), 'InvalidParameter')
    }
    await rejectsWith(fencedClient.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'globex' } }), 'Forbidden.NoPermission')
    await fencedClient.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'initech' } })
  })

  it('a condition key matches the context key whatever the case of either (one match, never two)', async () => {
    const { kms, keyId } = await fenced()
    const writer = kms.as('writer')
    // AWS: condition key names are case-insensitive, including the context key part.
    await writer.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { Tenant: 'acme' } })
    await rejectsWith(writer.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { TENANT: 'globex' } }), 'Forbidden.NoPermission')
  })

  it('the owner, whose calls are never evaluated against policies, may still use such contexts', async () => {
    const { kms, keyId } = await fenced()
    const sealed = await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { a: '1', A: '2' } })
    const { plaintext } = await kms.decrypt({ ciphertextBlob: sealed.ciphertextBlob, encryptionContext: { a: '1', A: '2' } })
    expect(new TextDecoder().decode(plaintext)).toBe('x')
  })

  it('property: no condition key of an accepted context stands for two context keys', () => {
    const key = fc.string({ minLength: 1, maxLength: 6, unit: fc.constantFrom('t', 'T', 'e', 'E', 'K', '\u212a', 'k', 'ｔ', 'ß', 'ẞ') })
    fc.assert(fc.property(fc.dictionary(key, fc.string({ maxLength: 4 }), { maxKeys: 6 }), (context) => {
      let conditions: Record<string, string | readonly string[]>
      try {
        conditions = encryptionContextConditions(context)
      } catch (error) {
        // Refused: then two keys really do fold together.
        expect(KmsError.is(error, 'InvalidParameter')).toBe(true)
        const folds = Object.keys(context).map((k) => k.normalize('NFKC').toLowerCase())
        expect(new Set(folds).size).toBeLessThan(folds.length)
        return
      }
      const names = Object.keys(conditions).filter((n) => n !== 'kms:EncryptionContextKeys').map((n) => n.toLowerCase())
      expect(new Set(names).size).toBe(names.length)
    }), { numRuns: 500 })
  })
})
