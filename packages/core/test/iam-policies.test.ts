/**
 * IAM-style key policies (Version "2012-10-17") through the engine's public API: AWS
 * principals name engine principals, AWS action names govern the engine's operations, the
 * `kms:` condition keys hold what the request carries, the account principal is what lets
 * identity policies decide (AWS's "Enable IAM User Permissions"), the lockout safety check
 * refuses a policy that would shut its author out, and the text is given back as it was set.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Kms, ManualClock, parsePolicyDocument, seededRandom } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(): Promise<Kms> {
  const kms = await Kms.open({
    storage: memoryStorage(), random: seededRandom(new Uint8Array(32).fill(9)), clock: new ManualClock('2026-01-01T00:00:00Z'), accountId: '111122223333',
    audit: { flushIntervalMs: 60_000 },
  })
  cleanups.push(() => kms.close())
  return kms
}

type Statement = Record<string, unknown>
const iam = (...Statement: Statement[]): string => JSON.stringify({ Version: '2012-10-17', Id: 'test', Statement }, null, 2)

describe('IAM-style key policies', () => {
  it('name engine principals by IAM ARN, and speak AWS action names', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const account = kms.accountId
    await kms.setKeyPolicy({
      keyId,
      policy: iam(
        { Sid: 'Use', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${account}:user/alice`] }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' },
        { Sid: 'Admin', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:role/ops/admin` }, Action: 'kms:PutKeyPolicy', Resource: `arn:aws:kms:*:${account}:key/*` },
        { Sid: 'Foreign', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:user/bob' }, Action: 'kms:*', Resource: '*' },
      ),
    })
    const { ciphertextBlob } = await kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
    await kms.as('alice').decrypt({ ciphertextBlob })
    await rejectsWith(kms.as('alice').describeKey({ keyId }), 'Forbidden.NoPermission')
    await rejectsWith(kms.as('bob').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    // kms:PutKeyPolicy governs setKeyPolicy; the new policy still lets admin set it (lockout check passes).
    await kms.as('admin').setKeyPolicy({ keyId, policy: iam({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:role/admin` }, Action: 'kms:PutKeyPolicy', Resource: '*' }) })
  })

  it('let identity policies decide only when the key policy allows the account itself', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createPolicy({ policyName: 'enc', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'enc', principal: 'alice' })
    const root = { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${kms.accountId}:root` }, Action: 'kms:*', Resource: '*' }
    await kms.setKeyPolicy({ keyId, policy: iam(root) })
    await kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
    // Without the account statement, the identity policy no longer reaches the key.
    await kms.setKeyPolicy({ keyId, policy: iam({ ...root, Principal: { AWS: `arn:aws:iam::${kms.accountId}:user/carol` } }) })
    await rejectsWith(kms.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    // The account id alone names the account, as in AWS.
    await kms.setKeyPolicy({ keyId, policy: iam({ ...root, Principal: { AWS: kms.accountId } }) })
    await kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
  })

  it('test the kms: condition keys the request carries', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/orders', keyId })
    const account = kms.accountId
    const alice = { AWS: `arn:aws:iam::${account}:user/alice` }
    await kms.setKeyPolicy({
      keyId,
      policy: iam(
        { Effect: 'Allow', Principal: alice, Action: 'kms:Encrypt', Resource: '*',
          // A number where a string is compared is its text, as IAM reads it.
          Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme', 'kms:CallerAccount': Number(account) }, StringLike: { 'aws:PrincipalArn': '*:user/alice' } } },
        { Effect: 'Allow', Principal: alice, Action: 'kms:GenerateDataKey', Resource: '*',
          Condition: { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'region'] }, Null: { 'kms:EncryptionContextKeys': 'false' } } },
        { Effect: 'Allow', Principal: alice, Action: 'kms:DescribeKey', Resource: '*', Condition: { StringEquals: { 'kms:RequestAlias': 'alias/orders' } } },
        { Effect: 'Allow', Principal: alice, Action: 'kms:GetPublicKey', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/orders' } } },
        { Effect: 'Allow', Principal: alice, Action: 'kms:CreateGrant', Resource: '*',
          Condition: { 'ForAllValues:StringEquals': { 'kms:GrantOperations': ['Decrypt', 'Encrypt'] }, StringEquals: { 'kms:GranteePrincipal': 'svc' }, Bool: { 'kms:GrantIsForAWSResource': 'false' } } },
        { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } } },
      ),
    })
    const as = kms.as('alice')
    await as.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme' } })
    await rejectsWith(as.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'globex' } }), 'Forbidden.NoPermission')
    await as.generateDataKey({ keyId, encryptionContext: { tenant: 'acme', region: 'eu' } })
    await rejectsWith(as.generateDataKey({ keyId, encryptionContext: { tenant: 'acme', user: 'x' } }), 'Forbidden.NoPermission')
    await rejectsWith(as.generateDataKey({ keyId }), 'Forbidden.NoPermission')
    await as.describeKey({ keyId: 'alias/orders' })
    await rejectsWith(as.describeKey({ keyId }), 'Forbidden.NoPermission')
    // kms:ResourceAliases: the key's aliases, whatever the request named (an AES key then refuses GetPublicKey by its usage).
    await rejectsWith(as.getPublicKey({ keyId }), 'InvalidKeyUsage')
    await as.createGrant({ keyId, granteePrincipal: 'svc', operations: ['Decrypt'] })
    await rejectsWith(as.createGrant({ keyId, granteePrincipal: 'svc', operations: ['Decrypt', 'RetireGrant'] }), 'Forbidden.NoPermission')
    await rejectsWith(as.createGrant({ keyId, granteePrincipal: 'other', operations: ['Decrypt'] }), 'Forbidden.NoPermission')
  })

  it('refuse a policy that would lock its author out, unless the check is bypassed', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const admin = { AWS: `arn:aws:iam::${kms.accountId}:user/admin` }
    await kms.setKeyPolicy({ keyId, policy: iam({ Effect: 'Allow', Principal: admin, Action: 'kms:*', Resource: '*' }) })
    const lockout = iam({ Effect: 'Allow', Principal: admin, Action: 'kms:Encrypt', Resource: '*' })
    const error = await rejectsWith(kms.as('admin').setKeyPolicy({ keyId, policy: lockout }), 'InvalidParameter')
    expect(error.message).toContain('bypassPolicyLockoutSafetyCheck')
    await kms.as('admin').setKeyPolicy({ keyId, policy: lockout, bypassPolicyLockoutSafetyCheck: true })
    await rejectsWith(kms.as('admin').setKeyPolicy({ keyId, policy: lockout }), 'Forbidden.NoPermission')
    // The owner is never locked out.
    await kms.setKeyPolicy({ keyId, policy: lockout })
  })

  it('are given back as they were set, and parsed to the same normalised form as the engine language', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const text = iam({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: '*' })
    await kms.setKeyPolicy({ keyId, policy: text })
    const got = await kms.getKeyPolicy({ keyId })
    expect(got.policyText).toBe(text)
    expect(got.policy).toEqual({ Version: '2012-10-17', Id: 'test', Statement: [{ Effect: 'Allow', Principal: { AWS: ['*'] }, Action: ['kms:Decrypt'], Resource: ['*'] }] })
    // An object has no text to keep; a later object replaces the earlier text.
    await kms.setKeyPolicy({ keyId, policy: JSON.parse(text) })
    expect((await kms.getKeyPolicy({ keyId })).policyText).toBeUndefined()
  })

  it('refuse what AWS refuses, naming the element', () => {
    const bad = (document: unknown, path: string): void => {
      expect(() => parsePolicyDocument(document, 'key')).toThrow(path)
    }
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'not an arn!' }, Action: 'kms:*', Resource: '*' }] }, 'Statement[0].Principal.AWS')
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: 'arn:aws:s3:::b' }] }, 'Statement[0].Resource')
    bad({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', NotAction: 'kms:*', Resource: '*' }] }, 'Statement[0].NotAction')
    bad({ Version: '2012-10-17', Id: 'bad/id', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*', Resource: '*' }] }, 'Id')
  })
})
