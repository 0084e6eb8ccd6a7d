/**
 * Grants and IAM-style key policies end to end, driven by the real AWS SDK v3 in process
 * and over HTTP: callers signing with different access keys are different principals, a
 * grant lets its grantee do what no policy allows (within its constraint), its token is
 * accepted at once, retiring and revoking stop it, the audit trail names the grant, and
 * each documented error answers AWS's exception.
 */
import {
  CreateGrantCommand, CreateKeyCommand, DecryptCommand, EncryptCommand, GetKeyPolicyCommand, ListGrantsCommand,
  ListRetirableGrantsCommand, MalformedPolicyDocumentException, PutKeyPolicyCommand, RetireGrantCommand, RevokeGrantCommand,
  type KMSClient,
} from '@aws-sdk/client-kms'
import type { Kms } from '@strongroom/core'
import type { AccessKeys } from '@strongroom/aws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ACCOUNT, TRANSPORTS, kmsClient, openEngine, rejectsWith, text, utf8, type Transport, type TransportName } from './helpers.js'

const KEYS: AccessKeys = {
  AKIDOWNER: { secretAccessKey: 'owner-secret' },
  AKIDALICE: { secretAccessKey: 'alice-secret', principal: 'alice' },
  AKIDOPS: { secretAccessKey: 'ops-secret', principal: `arn:aws:iam::${ACCOUNT}:role/ops` },
}
const ALICE_ARN = `arn:aws:iam::${ACCOUNT}:user/alice`
const OPS_ARN = `arn:aws:iam::${ACCOUNT}:role/ops`

describe.each(Object.keys(TRANSPORTS) as TransportName[])('grants and key policies through the %s', (transportName) => {
  let kms: Kms
  let transport: Transport
  let owner: KMSClient
  let alice: KMSClient
  let ops: KMSClient
  let keyId: string

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    transport = await TRANSPORTS[transportName](kms, { credentials: KEYS })
    const client = (accessKeyId: string, secretAccessKey: string): KMSClient =>
      kmsClient(transport, { credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }).client
    owner = client('AKIDOWNER', 'owner-secret')
    alice = client('AKIDALICE', 'alice-secret')
    ops = client('AKIDOPS', 'ops-secret')
    keyId = (await owner.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
  })
  afterEach(async () => {
    for (const c of [owner, alice, ops]) c.destroy()
    await transport.close()
    await kms.close()
  })

  it('a grant allows its grantee within its constraint, at once with its token; revoked, it stops', async () => {
    const { CiphertextBlob } = await owner.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('s3cret'), EncryptionContext: { tenant: 'acme' } }))
    await rejectsWith(alice.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } })), 'AccessDeniedException')
    const { GrantId, GrantToken } = await owner.send(new CreateGrantCommand({
      KeyId: keyId, GranteePrincipal: ALICE_ARN, Operations: ['Decrypt'], Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
    }))
    const opened = await alice.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' }, GrantTokens: [GrantToken!] }))
    expect(text(opened.Plaintext)).toBe('s3cret')
    const other = (await owner.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'globex' } }))).CiphertextBlob
    await rejectsWith(alice.send(new DecryptCommand({ CiphertextBlob: other, EncryptionContext: { tenant: 'globex' } })), 'AccessDeniedException')
    await rejectsWith(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'acme' } })), 'AccessDeniedException')

    const listed = await owner.send(new ListGrantsCommand({ KeyId: keyId }))
    expect(listed.Truncated).toBe(false)
    expect(listed.Grants).toMatchObject([{
      KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, GrantId, GranteePrincipal: ALICE_ARN, Operations: ['Decrypt'],
      IssuingAccount: `arn:aws:iam::${ACCOUNT}:root`, Constraints: { EncryptionContextSubset: { tenant: 'acme' } },
    }])
    expect(listed.Grants![0]!.CreationDate).toBeInstanceOf(Date)

    await owner.send(new RevokeGrantCommand({ KeyId: keyId, GrantId }))
    await rejectsWith(alice.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } })), 'AccessDeniedException')
    await rejectsWith(owner.send(new RevokeGrantCommand({ KeyId: keyId, GrantId })), 'NotFoundException')

    await kms.audit.flush()
    const decrypts = (await kms.audit.query({ principal: 'alice', action: 'Decrypt' })).records
    expect(decrypts.filter((r) => r.result === 'Success').map((r) => r.grantId)).toEqual([GrantId])
  })

  it('the retiring principal retires; ListRetirableGrants lists what it may retire', async () => {
    const { GrantId } = await owner.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: ALICE_ARN, RetiringPrincipal: OPS_ARN, Operations: ['Encrypt'] }))
    await alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))
    await rejectsWith(alice.send(new RetireGrantCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, GrantId })), 'AccessDeniedException')
    const retirable = await owner.send(new ListRetirableGrantsCommand({ RetiringPrincipal: OPS_ARN }))
    expect(retirable.Grants!.map((g) => g.GrantId)).toEqual([GrantId])
    await ops.send(new RetireGrantCommand({ KeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${keyId}`, GrantId }))
    await rejectsWith(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), 'AccessDeniedException')
    expect((await owner.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([])
  })

  it('answers AWS exceptions for bad grant requests', async () => {
    await rejectsWith(owner.send(new CreateGrantCommand({ KeyId: 'alias/x', GranteePrincipal: ALICE_ARN, Operations: ['Decrypt'] })), 'NotFoundException')
    await rejectsWith(owner.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: ALICE_ARN, Operations: [] })), 'ValidationException')
    await rejectsWith(owner.send(new CreateGrantCommand({
      KeyId: keyId, GranteePrincipal: ALICE_ARN, Operations: ['Sign'], Constraints: { EncryptionContextEquals: { a: 'b' } },
    })), 'ValidationException')
    await rejectsWith(owner.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: 'has space', Operations: ['Decrypt'] })), 'ValidationException')
    await rejectsWith(owner.send(new ListGrantsCommand({ KeyId: keyId, GrantId: 'x' })), 'InvalidGrantIdException')
    await rejectsWith(owner.send(new ListGrantsCommand({ KeyId: keyId, Marker: 'nope' })), 'InvalidMarkerException')
    await rejectsWith(owner.send(new RetireGrantCommand({ GrantToken: 'AAAA' })), 'InvalidGrantTokenException')
    await rejectsWith(owner.send(new RetireGrantCommand({ GrantId: 'a'.repeat(64) })), 'ValidationException')
    await rejectsWith(owner.send(new RevokeGrantCommand({ KeyId: keyId, GrantId: 'a'.repeat(64) })), 'NotFoundException')
    await rejectsWith(owner.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), GrantTokens: ['AAAA'] })), 'InvalidGrantTokenException')
    await rejectsWith(owner.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: ALICE_ARN, Operations: ['Decrypt'], DryRun: true })), 'DryRunOperationException')
    expect((await owner.send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toEqual([])
  })

  it('pages ListGrants with Limit and Marker', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) ids.add((await owner.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: `p${i}`, Operations: ['Decrypt'] }))).GrantId!)
    const seen: string[] = []
    let marker: string | undefined
    do {
      const page = await owner.send(new ListGrantsCommand({ KeyId: keyId, Limit: 2, ...(marker === undefined ? {} : { Marker: marker }) }))
      seen.push(...page.Grants!.map((g) => g.GrantId!))
      expect(page.Truncated).toBe(page.NextMarker !== undefined)
      marker = page.NextMarker
    } while (marker !== undefined)
    expect(new Set(seen)).toEqual(ids)
    expect(seen).toHaveLength(5)
  })

  it('an IAM-style key policy is evaluated, given back as put, and a malformed one refused', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17', Id: 'app',
      Statement: [
        { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
        { Sid: 'Alice encrypts for acme', Effect: 'Allow', Principal: { AWS: ALICE_ARN }, Action: 'kms:Encrypt', Resource: '*',
          Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } } },
      ],
    }, null, 2)
    await owner.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default', Policy: policy }))
    expect((await owner.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).toBe(policy)
    await alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'acme' } }))
    await rejectsWith(alice.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionContext: { tenant: 'globex' } })), 'AccessDeniedException')
    await rejectsWith(owner.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}' })), MalformedPolicyDocumentException)

    const created = (await owner.send(new CreateKeyCommand({ Policy: policy, BypassPolicyLockoutSafetyCheck: false }))).KeyMetadata!.KeyId!
    expect((await owner.send(new GetKeyPolicyCommand({ KeyId: created }))).Policy).toBe(policy)
  })

  it('the lockout safety check refuses a policy that would shut its author out', async () => {
    const admin = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: OPS_ARN }, Action: 'kms:*', Resource: '*' }] })
    await owner.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: admin }))
    const lockout = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: OPS_ARN }, Action: 'kms:Encrypt', Resource: '*' }] })
    await rejectsWith(ops.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: lockout })), MalformedPolicyDocumentException)
    await ops.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: lockout, BypassPolicyLockoutSafetyCheck: true }))
    await rejectsWith(ops.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: admin })), 'AccessDeniedException')
  })
})
