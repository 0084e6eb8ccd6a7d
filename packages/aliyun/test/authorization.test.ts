/**
 * Who called, end to end: clients signing with different AccessKeys reach the engine as
 * different principals, the engine's least-privilege authorization decides, refusals
 * arrive as Forbidden.NoPermission (403), and the audit trail names the principal. Key
 * policies travel over SetKeyPolicy / GetKeyPolicy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { startAliyunKmsServer, type AliyunKmsServer } from '@strongroom/aliyun'
import { $OpenApi, OpenApiClient, REGION, b64, callV3, failure, openEngine } from './helpers.js'

const SECRET = 'the plaintext of alice, never audited'

describe('authorization and audit', () => {
  let kms: Kms
  let server: AliyunKmsServer
  let keyId: string
  const client = (id: string, secret: string) => new OpenApiClient(new $OpenApi.Config({
    accessKeyId: id, accessKeySecret: secret, endpoint: server.endpoint, protocol: 'http', regionId: REGION,
  }))

  beforeAll(async () => {
    kms = await openEngine()
    server = await startAliyunKmsServer({
      kms, credentials: { LTAIowner: { secret: 'owner-secret' }, LTAIalice: { secret: 'alice-secret', principal: 'alice' } },
    })
    const { keyMetadata } = await kms.createKey({ description: 'acme' })
    keyId = keyMetadata.keyId
    await kms.createPolicy({
      policyName: 'acme-encrypt',
      policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: keyMetadata.arn,
        Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } } }] },
    })
    await kms.attachPolicy({ policyName: 'acme-encrypt', principal: 'alice' })
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  it('a principal does what its policy allows and nothing else; the trail names it', async () => {
    const alice = client('LTAIalice', 'alice-secret')
    const encrypted = await callV3(alice, 'Encrypt', { KeyId: keyId, Plaintext: b64(SECRET), EncryptionContext: '{"tenant":"acme"}' })
    const other = await failure(callV3(alice, 'Encrypt', { KeyId: keyId, Plaintext: b64(SECRET), EncryptionContext: '{"tenant":"globex"}' }))
    expect([other.code, other.status]).toEqual(['Forbidden.NoPermission', 403])
    const decrypt = await failure(callV3(alice, 'Decrypt', { CiphertextBlob: encrypted['CiphertextBlob'] as string, EncryptionContext: '{"tenant":"acme"}' }))
    expect(decrypt.code).toBe('Forbidden.NoPermission')

    const { records } = await kms.audit.query({ principal: 'alice' })
    expect(records.map((r) => [r.eventName, r.result, r.errorCode ?? null])).toEqual([
      ['Encrypt', 'Success', null],
      ['Encrypt', 'Failure', 'Forbidden.NoPermission'],
      ['Decrypt', 'Failure', 'Forbidden.NoPermission'],
    ])
    // A plaintext long enough that its base64 cannot turn up by chance inside a context HMAC.
    expect(JSON.stringify(records)).not.toContain(b64(SECRET))
  })

  it('SetKeyPolicy / GetKeyPolicy carry the key policy; the owner sets it, alice may not', async () => {
    const owner = client('LTAIowner', 'owner-secret')
    expect((await callV3(owner, 'GetKeyPolicy', { KeyId: keyId, PolicyName: 'default' }))['Policy']).toBe('')
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Principal: { RAM: ['alice'] }, Action: 'kms:Decrypt', Resource: '*' }] }
    await callV3(owner, 'SetKeyPolicy', { KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(policy) })
    const stored = JSON.parse((await callV3(owner, 'GetKeyPolicy', { KeyId: keyId }))['Policy'] as string) as Record<string, unknown>
    expect(stored).toMatchObject({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'] }] })

    const alice = client('LTAIalice', 'alice-secret')
    const encrypted = await callV3(alice, 'Encrypt', { KeyId: keyId, Plaintext: b64('now yes'), 'EncryptionContext.tenant': 'acme' })
    const decrypted = await callV3(alice, 'Decrypt', { CiphertextBlob: encrypted['CiphertextBlob'] as string, 'EncryptionContext.tenant': 'acme' })
    expect(decrypted['Plaintext']).toBe(b64('now yes'))
    const refused = await failure(callV3(alice, 'SetKeyPolicy', { KeyId: keyId, Policy: JSON.stringify(policy) }))
    expect(refused.code).toBe('Forbidden.NoPermission')
    const malformed = await failure(callV3(owner, 'SetKeyPolicy', { KeyId: keyId, Policy: 'not json' }))
    expect([malformed.code, malformed.status]).toEqual(['InvalidParameter', 400])
    const otherName = await failure(callV3(owner, 'GetKeyPolicy', { KeyId: keyId, PolicyName: 'other' }))
    expect(otherName.code).toBe('InvalidParameter')
  })
})
