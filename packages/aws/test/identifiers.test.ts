/**
 * AWS's identifier rules, from the AWS KMS API Reference, driven by the real SDK v3 through
 * both transports: which members take "key ID, key ARN, alias name, or alias ARN" and which
 * "key ID or key ARN" only (an alias there is NotFoundException "Invalid keyId <alias>", as
 * AWS answers), AliasName's pattern, prefix, reserved prefix and colon rule with AWS's
 * exceptions and messages, the tag quota, `Marker`'s pattern and `GrantTokens`' shape.
 */
import {
  CancelKeyDeletionCommand, CreateAliasCommand, CreateGrantCommand, CreateKeyCommand, DeleteAliasCommand, DescribeKeyCommand, DisableKeyCommand,
  DisableKeyRotationCommand, EnableKeyCommand, EnableKeyRotationCommand, EncryptCommand, GetKeyLastUsageCommand,
  GetKeyPolicyCommand, GetKeyRotationStatusCommand, GetParametersForImportCommand, ImportKeyMaterialCommand,
  DeleteImportedKeyMaterialCommand, LimitExceededException, ListAliasesCommand, ListKeyPoliciesCommand,
  ListKeyRotationsCommand, ListKeysCommand, ListResourceTagsCommand, NotFoundException, PutKeyPolicyCommand,
  RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, TagResourceCommand,
  UntagResourceCommand, UpdateAliasCommand, UpdateKeyDescriptionCommand, AlreadyExistsException, type KMSClient,
} from '@aws-sdk/client-kms'
import type { Kms } from '@strongroom/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ACCOUNT, REGION, TRANSPORTS, kmsClient, openEngine, rejectsWith, utf8, type Transport, type TransportName,
} from './helpers.js'

const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`
const aliasArnOf = (name: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`
const PATTERN_MESSAGE = (name: string): string =>
  `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`

/** Every member AWS documents as "key ID or key ARN", with the rest of a valid request. */
const KEY_ID_ONLY: ReadonlyArray<readonly [string, (client: KMSClient, keyId: string) => Promise<unknown>]> = [
  ['EnableKeyRotation', (c, KeyId) => c.send(new EnableKeyRotationCommand({ KeyId }))],
  ['GetKeyRotationStatus', (c, KeyId) => c.send(new GetKeyRotationStatusCommand({ KeyId }))],
  ['DisableKeyRotation', (c, KeyId) => c.send(new DisableKeyRotationCommand({ KeyId }))],
  ['DisableKey', (c, KeyId) => c.send(new DisableKeyCommand({ KeyId }))],
  ['EnableKey', (c, KeyId) => c.send(new EnableKeyCommand({ KeyId }))],
  ['UpdateKeyDescription', (c, KeyId) => c.send(new UpdateKeyDescriptionCommand({ KeyId, Description: 'changed' }))],
  ['TagResource', (c, KeyId) => c.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'team', TagValue: 'x' }] }))],
  ['UntagResource', (c, KeyId) => c.send(new UntagResourceCommand({ KeyId, TagKeys: ['team'] }))],
  ['ListResourceTags', (c, KeyId) => c.send(new ListResourceTagsCommand({ KeyId }))],
  ['ListKeyPolicies', (c, KeyId) => c.send(new ListKeyPoliciesCommand({ KeyId }))],
  ['GetKeyPolicy', (c, KeyId) => c.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }))],
  ['RotateKeyOnDemand', (c, KeyId) => c.send(new RotateKeyOnDemandCommand({ KeyId }))],
  ['ListKeyRotations', (c, KeyId) => c.send(new ListKeyRotationsCommand({ KeyId }))],
  ['ScheduleKeyDeletion', (c, KeyId) => c.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }))],
  ['CancelKeyDeletion', (c, KeyId) => c.send(new CancelKeyDeletionCommand({ KeyId }))],
  ['PutKeyPolicy', (c, KeyId) => c.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: '{"Version":"1","Statement":[]}' }))],
  ['GetKeyLastUsage', (c, KeyId) => c.send(new GetKeyLastUsageCommand({ KeyId }))],
  ['GetParametersForImport', (c, KeyId) => c.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }))],
  ['ImportKeyMaterial', (c, KeyId) => c.send(new ImportKeyMaterialCommand({ KeyId, ImportToken: utf8('t'), EncryptedKeyMaterial: utf8('m'), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }))],
  ['DeleteImportedKeyMaterial', (c, KeyId) => c.send(new DeleteImportedKeyMaterialCommand({ KeyId }))],
  ['ListAliases', (c, KeyId) => c.send(new ListAliasesCommand({ KeyId }))],
]

describe.each(Object.keys(TRANSPORTS) as TransportName[])('AWS identifier rules through the %s', (transportName) => {
  let kms: Kms
  let transport: Transport
  let client: KMSClient

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    transport = await TRANSPORTS[transportName](kms)
    // LimitExceededException is throttling to the SDK: one attempt, so the test sees the first answer.
    client = kmsClient(transport, { maxAttempts: 1 }).client
  })
  afterEach(async () => {
    client.destroy()
    await transport.close()
    await kms.close()
  })

  async function newKey(): Promise<string> {
    return (await client.send(new CreateKeyCommand({ Description: 'original' }))).KeyMetadata!.KeyId!
  }

  describe('members that take a key id or key ARN only', () => {
    it.each(KEY_ID_ONLY)('%s refuses an alias name and an alias ARN with NotFoundException "Invalid keyId", and changes nothing', async (_, command) => {
      const keyId = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId }))
      for (const ref of ['alias/app', aliasArnOf('alias/app')]) {
        const error = await rejectsWith(command(client, ref), NotFoundException)
        expect(error.message).toBe(`Invalid keyId ${ref}`)
      }
      const { KeyMetadata: m } = await client.send(new DescribeKeyCommand({ KeyId: keyId }))
      expect([m!.KeyState, m!.Description]).toEqual(['Enabled', 'original'])
      expect((await client.send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations).toEqual([])
    })

    it('each accepts the key id and the key ARN', async () => {
      const keyId = await newKey()
      for (const ref of [keyId, arnOf(keyId)]) {
        await client.send(new EnableKeyRotationCommand({ KeyId: ref, RotationPeriodInDays: 90 }))
        expect((await client.send(new GetKeyRotationStatusCommand({ KeyId: ref }))).KeyRotationEnabled).toBe(true)
        await client.send(new DisableKeyRotationCommand({ KeyId: ref }))
        await client.send(new DisableKeyCommand({ KeyId: ref }))
        await client.send(new EnableKeyCommand({ KeyId: ref }))
        await client.send(new UpdateKeyDescriptionCommand({ KeyId: ref, Description: ref }))
        await client.send(new TagResourceCommand({ KeyId: ref, Tags: [{ TagKey: 'team', TagValue: 'x' }] }))
        expect((await client.send(new ListResourceTagsCommand({ KeyId: ref }))).Tags).toEqual([{ TagKey: 'team', TagValue: 'x' }])
        await client.send(new UntagResourceCommand({ KeyId: ref, TagKeys: ['team'] }))
        expect((await client.send(new ListKeyPoliciesCommand({ KeyId: ref }))).PolicyNames).toEqual(['default'])
        expect((await client.send(new GetKeyPolicyCommand({ KeyId: ref }))).PolicyName).toBe('default')
        await client.send(new RotateKeyOnDemandCommand({ KeyId: ref }))
        await client.send(new ScheduleKeyDeletionCommand({ KeyId: ref, PendingWindowInDays: 7 }))
        await client.send(new CancelKeyDeletionCommand({ KeyId: ref }))
        await client.send(new EnableKeyCommand({ KeyId: ref }))
        expect((await client.send(new GetKeyLastUsageCommand({ KeyId: ref }))).KeyId).toBe(arnOf(keyId))
        expect((await client.send(new ListAliasesCommand({ KeyId: ref }))).Aliases).toEqual([])
      }
      expect((await client.send(new ListKeyRotationsCommand({ KeyId: arnOf(keyId) }))).Rotations).toHaveLength(2)
      expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Description).toBe(arnOf(keyId))
    })

    it('members that take aliases still do: key id, key ARN, alias name and alias ARN', async () => {
      const keyId = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: arnOf(keyId) }))
      for (const ref of [keyId, keyId.toUpperCase(), arnOf(keyId), 'alias/app', aliasArnOf('alias/app')]) {
        expect((await client.send(new DescribeKeyCommand({ KeyId: ref }))).KeyMetadata!.KeyId).toBe(keyId)
        expect((await client.send(new EncryptCommand({ KeyId: ref, Plaintext: utf8('x') }))).KeyId).toBe(arnOf(keyId))
      }
    })

    it('a malformed reference, or an ARN of another account or region, is NotFoundException', async () => {
      const keyId = await newKey()
      for (const ref of ['not-a-key', 'key/' + keyId, `arn:aws:kms:${REGION}:999999999999:key/${keyId}`, `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${keyId}`]) {
        await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: ref })), NotFoundException)
        await rejectsWith(client.send(new DisableKeyCommand({ KeyId: ref })), NotFoundException)
      }
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'x'.repeat(2049) })), 'ValidationException')
    })
  })

  describe('alias names', () => {
    it('follow AWS pattern, prefix, reserved prefix and colon rules, with its exceptions and messages', async () => {
      const keyId = await newKey()
      for (const name of ['alias/my-alias!', 'alias/my-alias$', 'alias/my alias', 'alias/é']) {
        const error = await rejectsWith(client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId })), 'ValidationException')
        expect(error.message).toBe(PATTERN_MESSAGE(name))
      }
      const prefix = await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'wrongprefix/my-alias', TargetKeyId: keyId })), 'ValidationException')
      expect(prefix.message).toMatch(/^Alias must start with the prefix "alias\/"/)
      for (const name of ['alias/my:alias', 'alias/:alias']) {
        const error = await rejectsWith(client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId })), 'ValidationException')
        expect(error.message).toBe(`${name} contains invalid characters for an alias`)
      }
      for (const name of ['alias/aws/ebs', 'alias/aws/s3']) {
        await rejectsWith(client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId })), 'NotAuthorizedException')
        await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: keyId })), 'NotAuthorizedException')
        await rejectsWith(client.send(new DeleteAliasCommand({ AliasName: name })), 'NotAuthorizedException')
      }
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/', TargetKeyId: keyId })), 'ValidationException')
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/' + 'a'.repeat(251), TargetKeyId: keyId })), 'ValidationException')
      // 256 characters in all is valid, as on AWS.
      for (const name of ['alias/my-alias_/', 'alias/my_alias-/', 'alias/awsome', 'alias/aws', 'alias/' + 'a'.repeat(250)]) {
        await client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }))
      }
      // UpdateAlias and DeleteAlias check the name the same way.
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/my:alias', TargetKeyId: keyId })), 'ValidationException')
      await rejectsWith(client.send(new DeleteAliasCommand({ AliasName: 'wrongprefix/x' })), 'ValidationException')
    })

    it('answer AWS messages for an alias target, an existing and a missing alias', async () => {
      const keyId = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId }))
      const target = await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/other', TargetKeyId: 'alias/app' })), 'ValidationException')
      expect(target.message).toBe('Aliases must refer to keys. Not aliases')
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: aliasArnOf('alias/app') })), 'ValidationException')
      const exists = await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId })), AlreadyExistsException)
      expect(exists.message).toBe(`An alias with the name ${aliasArnOf('alias/app')} already exists`)
      const missing = await rejectsWith(client.send(new DeleteAliasCommand({ AliasName: 'alias/unknown-alias' })), NotFoundException)
      expect(missing.message).toBe(`Alias ${aliasArnOf('alias/unknown-alias')} is not found.`)
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/unknown-alias', TargetKeyId: keyId })), NotFoundException)
      // UpdateAlias keeps the alias on a key of the same type and key usage, as AWS requires.
      const rsa = (await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.KeyId!
      const hmac = (await client.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!.KeyId!
      for (const other of [rsa, hmac]) await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: other })), 'ValidationException')
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata!.KeyId).toBe(keyId)
      const second = await newKey()
      await client.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: second }))
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/app' }))).KeyMetadata!.KeyId).toBe(second)
    })
  })

  describe('tags, markers and grant tokens', () => {
    const tags = (n: number): Array<{ TagKey: string; TagValue: string }> =>
      Array.from({ length: n }, (_, i) => ({ TagKey: `k${String(i).padStart(2, '0')}`, TagValue: `v${i}` }))

    it('a key holds up to 50 tags; more is LimitExceededException (AWS quota)', async () => {
      await rejectsWith(client.send(new CreateKeyCommand({ Tags: tags(51) })), LimitExceededException)
      const keyId = await newKey()
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: tags(51) })), LimitExceededException)
      await client.send(new TagResourceCommand({ KeyId: keyId, Tags: tags(50) }))
      expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toHaveLength(50)
      await client.send(new CreateKeyCommand({ Tags: tags(50) }))
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'one-more', TagValue: '' }] })), LimitExceededException)
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'aws:x', TagValue: '' }] })), 'TagException')
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'x'.repeat(129), TagValue: '' }] })), 'ValidationException')
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'x', TagValue: 'v'.repeat(257) }] })), 'ValidationException')
    })

    it('a Marker outside [\\u0020-\\u00FF] is ValidationException; one that names nothing InvalidMarkerException', async () => {
      await rejectsWith(client.send(new ListKeysCommand({ Marker: 'Ā' })), 'ValidationException')
      await rejectsWith(client.send(new ListKeysCommand({ Marker: 'x'.repeat(1025) })), 'ValidationException')
      await rejectsWith(client.send(new ListKeysCommand({ Marker: 'not a marker' })), 'InvalidMarkerException')
      await rejectsWith(client.send(new ListAliasesCommand({ Limit: 101 })), 'ValidationException')
      await rejectsWith(client.send(new ListKeysCommand({ Limit: 0 })), 'ValidationException')
    })

    it('GrantTokens: at most 10, each 1-8192 characters', async () => {
      const keyId = await newKey()
      const { GrantToken } = await client.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: 'app', Operations: ['Encrypt'] }))
      await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), GrantTokens: Array.from({ length: 10 }, () => GrantToken!) }))
      // A token this endpoint did not issue is refused, as AWS refuses one it did not.
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), GrantTokens: ['token'] })), 'InvalidGrantTokenException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), GrantTokens: Array.from({ length: 11 }, () => 'token') })), 'ValidationException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), GrantTokens: [''] })), 'ValidationException')
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId, GrantTokens: ['t'.repeat(8193)] })), 'ValidationException')
    })
  })
})
