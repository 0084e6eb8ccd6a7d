/**
 * Who called, end to end: AWS SDK clients signing with different access keys reach the
 * engine as different principals (SigV4 verified), the engine's least-privilege
 * authorization decides, refusals arrive as AccessDeniedException, and the audit trail
 * names the principal. Key policies travel over PutKeyPolicy / GetKeyPolicy.
 */
import {
  CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, GetKeyLastUsageCommand,
  GetKeyPolicyCommand, ListKeyPoliciesCommand, ListKeysCommand, MalformedPolicyDocumentException, NotFoundException, PutKeyPolicyCommand,
  type KMSClient,
} from '@aws-sdk/client-kms'
import type { Kms } from '@strongroom/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AccessKeys } from '@strongroom/aws'
import { ACCOUNT, TRANSPORTS, kmsClient, openEngine, rejectsWith, text, utf8, type Transport, type TransportName } from './helpers.js'

const KEYS: AccessKeys = {
  AKIDOWNER: { secretAccessKey: 'owner-secret' },
  AKIDALICE: { secretAccessKey: 'alice-secret', principal: 'alice' },
}

describe.each(Object.keys(TRANSPORTS) as TransportName[])('authorization and audit through the %s', (transportName) => {
  let kms: Kms
  let transport: Transport
  let owner: KMSClient
  let alice: KMSClient
  let keyId: string

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    transport = await TRANSPORTS[transportName](kms, { credentials: KEYS })
    owner = kmsClient(transport, { credentials: { accessKeyId: 'AKIDOWNER', secretAccessKey: 'owner-secret' } }).client
    alice = kmsClient(transport, { credentials: { accessKeyId: 'AKIDALICE', secretAccessKey: 'alice-secret' } }).client
    keyId = (await owner.send(new CreateKeyCommand({ Description: 'acme' }))).KeyMetadata!.KeyId!
    const { keyMetadata } = await kms.describeKey({ keyId })
    await kms.createPolicy({
      policyName: 'acme-encrypt',
      policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: keyMetadata.arn,
        Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } } }] },
    })
    await kms.attachPolicy({ policyName: 'acme-encrypt', principal: 'alice' })
  })
  afterEach(async () => {
    owner.destroy()
    alice.destroy()
    await transport.close()
    await kms.close()
  })

  it('a principal does what its policy allows and nothing else; the trail names it', async () => {
    const { CiphertextBlob } = await alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'acme' } }))
    await rejectsWith(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'globex' } })), 'AccessDeniedException')
    await rejectsWith(alice.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } })), 'AccessDeniedException')
    // A principal learns nothing about keys it may not see: missing and forbidden look alike.
    await rejectsWith(alice.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), 'AccessDeniedException')
    await rejectsWith(owner.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), NotFoundException)

    const { records } = await kms.audit.query({ principal: 'alice' })
    expect(records.map((r) => [r.eventName, r.result, r.errorCode ?? null])).toEqual([
      ['Encrypt', 'Success', null],
      ['Encrypt', 'Failure', 'Forbidden.NoPermission'],
      ['Decrypt', 'Failure', 'Forbidden.NoPermission'],
      ['DescribeKey', 'Failure', 'Forbidden.NoPermission'],
    ])
    expect((await kms.audit.verify()).ok).toBe(true)
  })

  it('PutKeyPolicy / GetKeyPolicy carry a Strongroom key policy too', async () => {
    // Without a key policy, AWS's default one: the account may do everything, identity policies decide for its principals.
    const none = await owner.send(new GetKeyPolicyCommand({ KeyId: keyId }))
    expect(none.PolicyName).toBe('default')
    expect(JSON.parse(none.Policy!)).toEqual({
      Version: '2012-10-17', Id: 'key-default-1',
      Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
    })
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Principal: { RAM: ['alice'] }, Action: 'kms:Decrypt', Resource: '*' }] }
    await owner.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: JSON.stringify(policy) }))
    const stored = await owner.send(new GetKeyPolicyCommand({ KeyId: keyId }))
    // Given back as it was put, as AWS does.
    expect(stored.Policy).toBe(JSON.stringify(policy))
    expect((await owner.send(new ListKeyPoliciesCommand({ KeyId: keyId }))).PolicyNames).toEqual(['default'])

    const { CiphertextBlob } = await alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('now yes'), EncryptionContext: { tenant: 'acme' } }))
    expect(text((await alice.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } }))).Plaintext)).toBe('now yes')

    const iam = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }] }
    await owner.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: JSON.stringify(iam) }))
    await rejectsWith(owner.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: JSON.stringify({ ...iam, Version: '2' }) })), MalformedPolicyDocumentException)
    await rejectsWith(owner.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: 'not json' })), MalformedPolicyDocumentException)
    await rejectsWith(owner.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'other' })), 'ValidationException')
    await rejectsWith(alice.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: JSON.stringify(policy) })), 'AccessDeniedException')
  })

  it('CreateKey with a Policy sets it; a refused policy leaves no key; a caller who may not set it leaves none usable', async () => {
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Principal: { RAM: ['alice'] }, Action: 'kms:Decrypt', Resource: '*' }] }
    const created = (await owner.send(new CreateKeyCommand({ Policy: JSON.stringify(policy) }))).KeyMetadata!.KeyId!
    expect(JSON.parse((await owner.send(new GetKeyPolicyCommand({ KeyId: created }))).Policy!)).toEqual(policy)

    const count = async (): Promise<number> => (await owner.send(new ListKeysCommand({}))).Keys!.length
    const before = await count()
    const iam = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: 'arn:aws:s3:::bucket' }] }
    await rejectsWith(owner.send(new CreateKeyCommand({ Policy: JSON.stringify(iam) })), MalformedPolicyDocumentException)
    await rejectsWith(owner.send(new CreateKeyCommand({ Policy: '{ not json' })), MalformedPolicyDocumentException)
    expect(await count()).toBe(before)

    await kms.createPolicy({ policyName: 'create-only', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'create-only', principal: 'alice' })
    await rejectsWith(alice.send(new CreateKeyCommand({ Policy: JSON.stringify(policy) })), 'AccessDeniedException')
    const keys = (await kms.listKeys({ pageSize: 100 })).keys
    expect(keys).toHaveLength(before + 1)
    const states = await Promise.all(keys.map(async (k) => (await kms.describeKey({ keyId: k.keyId })).keyMetadata.keyState))
    expect(states.filter((s) => s === 'PendingDeletion')).toHaveLength(1)
  })

  it('GetKeyLastUsage reports when the key was last used', async () => {
    expect((await owner.send(new GetKeyLastUsageCommand({ KeyId: keyId }))).KeyLastUsage).toBeUndefined()
    await owner.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))
    await kms.audit.flush()
    const usage = await owner.send(new GetKeyLastUsageCommand({ KeyId: keyId }))
    expect(usage.KeyLastUsage?.Timestamp).toBeInstanceOf(Date)
    expect(usage.KeyId).toMatch(/^arn:aws:kms:/)
  })
})
