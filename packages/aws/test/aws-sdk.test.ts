/**
 * The real `@aws-sdk/client-kms` against Strongroom, every mapped operation and its error
 * cases, run once through the in-process request handler and once through the loopback
 * HTTP server. Errors are asserted as the SDK's own exception classes, client faults as
 * tried exactly once (never retried), server faults as retried.
 */
import {
  AlreadyExistsException, CancelKeyDeletionCommand, CreateAliasCommand, CreateKeyCommand,
  DecryptCommand, DeleteAliasCommand, DescribeKeyCommand, DisableKeyCommand, DisableKeyRotationCommand,
  DisabledException, DryRunOperationException, EnableKeyCommand, EnableKeyRotationCommand, EncryptCommand,
  GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand, ReplicateKeyCommand,
  GetKeyRotationStatusCommand, GetPublicKeyCommand, ImportKeyMaterialCommand, IncorrectKeyException, InvalidAliasNameException,
  InvalidCiphertextException, InvalidKeyUsageException, InvalidMarkerException, KMSInvalidStateException, MalformedPolicyDocumentException,
  DependencyTimeoutException, LimitExceededException, ListAliasesCommand, ListKeyRotationsCommand, ListKeysCommand,
  ListResourceTagsCommand, NotFoundException, ReEncryptCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand,
  TagException, TagResourceCommand, UnsupportedOperationException, UntagResourceCommand,
  UpdateAliasCommand, UpdateKeyDescriptionCommand, paginateListAliases, paginateListKeys, type KMSClient,
} from '@aws-sdk/client-kms'
import { DAY_MS, KmsError, type Kms, type ManualClock } from '@strongroom/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Engine } from '@strongroom/aws'
import {
  ACCOUNT, REGION, START, TRANSPORTS, kmsClient, openEngine, rejectsWith, text, utf8, type CountingClient, type Transport,
  type TransportName,
} from './helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`
const startSeconds = Date.parse(START) / 1000

describe.each(Object.keys(TRANSPORTS) as TransportName[])('the AWS SDK through the %s', (transportName) => {
  let kms: Kms
  let clock: ManualClock
  let transport: Transport
  let counting: CountingClient
  let client: KMSClient

  beforeEach(async () => {
    ;({ kms, clock } = await openEngine())
    transport = await TRANSPORTS[transportName](kms)
    counting = kmsClient(transport)
    client = counting.client
  })
  afterEach(async () => {
    client.destroy()
    await transport.close()
    await kms.close()
  })

  async function newKey(description = 'test key'): Promise<string> {
    const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: description }))
    return KeyMetadata!.KeyId!
  }

  describe('keys', () => {
    it('CreateKey and DescribeKey speak AWS key metadata', async () => {
      const created = await client.send(new CreateKeyCommand({
        Description: 'orders', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS',
        Tags: [{ TagKey: 'team', TagValue: 'payments' }],
      }))
      const keyId = created.KeyMetadata!.KeyId!
      expect(keyId).toMatch(UUID)
      const { KeyMetadata: m } = await client.send(new DescribeKeyCommand({ KeyId: keyId }))
      expect(m).toEqual({
        AWSAccountId: ACCOUNT, KeyId: keyId, Arn: arnOf(keyId), CreationDate: new Date(START), Enabled: true,
        Description: 'orders', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled', Origin: 'AWS_KMS', KeyManager: 'CUSTOMER',
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT', KeySpec: 'SYMMETRIC_DEFAULT', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: false, CurrentKeyMaterialId: expect.stringMatching(UUID),
      })
      expect(created.KeyMetadata).toEqual(m)
      const tags = await client.send(new ListResourceTagsCommand({ KeyId: keyId }))
      expect(tags.Tags).toEqual([{ TagKey: 'team', TagValue: 'payments' }])
    })

    it('DescribeKey accepts a key id, key ARN, alias name and alias ARN', async () => {
      const keyId = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: keyId }))
      for (const ref of [keyId, keyId.toUpperCase(), arnOf(keyId), 'alias/orders', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/orders`]) {
        const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: ref }))
        expect(KeyMetadata!.KeyId).toBe(keyId)
      }
    })

    it('a key that does not exist, a malformed id and another account\'s ARN are NotFoundException', async () => {
      const keyId = await newKey()
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })), NotFoundException)
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'not-a-key' })), NotFoundException)
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })), NotFoundException)
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:${REGION}:999999999999:key/${keyId}` })), NotFoundException)
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${keyId}` })), NotFoundException)
    })

    it('CreateKey refuses what the engine cannot make, and what AWS would refuse', async () => {
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'SM2', KeyUsage: 'SIGN_VERIFY' })), UnsupportedOperationException)
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ML_DSA_65', KeyUsage: 'SIGN_VERIFY' })), UnsupportedOperationException)
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' })), UnsupportedOperationException)
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', Origin: 'EXTERNAL' })), UnsupportedOperationException)
      // AWS's own rules: the default usage (ENCRYPT_DECRYPT) does not go with an elliptic-curve or HMAC spec.
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256' })), 'ValidationException')
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'SIGN_VERIFY' })), 'ValidationException')
      await rejectsWith(client.send(new CreateKeyCommand({ MultiRegion: true })), UnsupportedOperationException)
      await rejectsWith(client.send(new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM' })), UnsupportedOperationException)
      // An IAM document is not (yet) a policy this engine runs: refused as PutKeyPolicy refuses it, before any key exists.
      await rejectsWith(client.send(new CreateKeyCommand({ Policy: '{"Version":"2012-10-17","Statement":[]}' })), MalformedPolicyDocumentException)
      await rejectsWith(client.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY' })), 'ValidationException')
      await rejectsWith(client.send(new CreateKeyCommand({ KeySpec: 'AES_512' as never })), 'ValidationException')
      await rejectsWith(client.send(new CreateKeyCommand({ Description: 'x'.repeat(8193) })), 'ValidationException')
      await rejectsWith(client.send(new CreateKeyCommand({ Tags: [{ TagKey: 'aws:reserved', TagValue: 'x' }] })), TagException)
      const { Keys } = await client.send(new ListKeysCommand({}))
      expect(Keys).toEqual([])
    })

    it('CreateKey with Origin EXTERNAL waits in PendingImport and cannot be used', async () => {
      const { KeyMetadata } = await client.send(new CreateKeyCommand({ Origin: 'EXTERNAL' }))
      expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false })
      expect(KeyMetadata!.CurrentKeyMaterialId).toBeUndefined()
      await rejectsWith(client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8('x') })), KMSInvalidStateException)
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata!.KeyId })), UnsupportedOperationException)
    })

    it('ListKeys pages with Limit and Marker, as the SDK paginator drives it', async () => {
      const ids = [await newKey(), await newKey(), await newKey(), await newKey(), await newKey()].sort()
      const pages = []
      for await (const page of paginateListKeys({ client, pageSize: 2 }, {})) pages.push(page)
      expect(pages.map((p) => p.Keys!.length)).toEqual([2, 2, 1])
      expect(pages.map((p) => p.Truncated)).toEqual([true, true, false])
      expect(pages.flatMap((p) => p.Keys!)).toEqual(ids.map((id) => ({ KeyId: id, KeyArn: arnOf(id) })))
      await rejectsWith(client.send(new ListKeysCommand({ Marker: 'bm90IG91cnM' })), InvalidMarkerException)
      await rejectsWith(client.send(new ListKeysCommand({ Limit: 1001 })), 'ValidationException')
    })

    it('UpdateKeyDescription, DisableKey and EnableKey', async () => {
      const keyId = await newKey('before')
      await client.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: 'after' }))
      expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.Description).toBe('after')
      await client.send(new DisableKeyCommand({ KeyId: keyId }))
      expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false })
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), DisabledException)
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' })), DisabledException)
      await client.send(new EnableKeyCommand({ KeyId: keyId }))
      await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))
    })

    it('ScheduleKeyDeletion takes 7-30 days (default 30); CancelKeyDeletion leaves the key Disabled, as AWS does', async () => {
      const keyId = await newKey()
      await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 6 })), 'ValidationException')
      await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 31 })), 'ValidationException')
      const scheduled = await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }))
      expect(scheduled).toMatchObject({
        KeyId: arnOf(keyId), KeyState: 'PendingDeletion', PendingWindowInDays: 30, DeletionDate: new Date(Date.parse(START) + 30 * DAY_MS),
      })
      const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: keyId }))
      expect(KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', DeletionDate: new Date(Date.parse(START) + 30 * DAY_MS) })
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') })), KMSInvalidStateException)
      await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })), KMSInvalidStateException)

      expect(await client.send(new CancelKeyDeletionCommand({ KeyId: keyId }))).toMatchObject({ KeyId: arnOf(keyId) })
      expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false })
      await rejectsWith(client.send(new CancelKeyDeletionCommand({ KeyId: keyId })), KMSInvalidStateException)
      await client.send(new EnableKeyCommand({ KeyId: keyId }))
      expect((await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Enabled')
    })

    it('a key with (native) deletion protection refuses ScheduleKeyDeletion as KMSInvalidStateException', async () => {
      const keyId = await newKey()
      await kms.setDeletionProtection({ keyId, enableDeletionProtection: true })
      const error = await rejectsWith(client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 })), KMSInvalidStateException)
      expect(error.message).toContain('deletion protection')
    })

    it('a key whose window has ended is gone, and so are its ciphertexts', async () => {
      const keyId = await newKey()
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))
      await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
      clock.advance(7 * DAY_MS)
      await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: keyId })), NotFoundException)
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob })), InvalidCiphertextException)
    })
  })

  describe('cryptography', () => {
    it('Encrypt and Decrypt with an encryption context; Decrypt needs no KeyId; responses name keys by ARN', async () => {
      const keyId = await newKey()
      const context = { tenant: 'acme', purpose: 'test' }
      const encrypted = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('card 4111'), EncryptionContext: context }))
      expect(encrypted).toMatchObject({ KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' })
      const decrypted = await client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { purpose: 'test', tenant: 'acme' } }))
      expect(text(decrypted.Plaintext)).toBe('card 4111')
      expect(decrypted).toMatchObject({ KeyId: arnOf(keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT', KeyMaterialId: expect.stringMatching(UUID) })
      for (const ref of [keyId, arnOf(keyId)]) {
        const again = await client.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context, KeyId: ref }))
        expect(text(again.Plaintext)).toBe('card 4111')
      }
    })

    it('Decrypt refuses a wrong context, a tampered blob and a KeyId that is not the ciphertext\'s key', async () => {
      const keyId = await newKey()
      const other = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/other', TargetKeyId: other }))
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('secret'), EncryptionContext: { a: 'b' } }))
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: 'c' } })), InvalidCiphertextException)
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob })), InvalidCiphertextException)
      const tampered = Uint8Array.from(CiphertextBlob!)
      tampered[tampered.length - 1]! ^= 1
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: { a: 'b' } })), InvalidCiphertextException)
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: utf8('not a blob'), EncryptionContext: { a: 'b' } })), InvalidCiphertextException)
      for (const ref of [other, arnOf(other), 'alias/other']) {
        await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: 'b' }, KeyId: ref })), IncorrectKeyException)
      }
      await client.send(new DisableKeyCommand({ KeyId: keyId }))
      await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: 'b' } })), DisabledException)
    })

    it('Encrypt holds AWS limits: 1-4096 bytes, SYMMETRIC_DEFAULT only', async () => {
      const keyId = await newKey()
      await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(4096) }))
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(4097) })), 'ValidationException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: new Uint8Array(0) })), 'ValidationException')
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })), InvalidKeyUsageException)
      await rejectsWith(client.send(new EncryptCommand({ KeyId: '00000000-0000-4000-8000-000000000000', Plaintext: utf8('x') })), NotFoundException)
    })

    it('DryRun answers DryRunOperationException when the call would have succeeded, and the real error otherwise', async () => {
      const keyId = await newKey()
      const error = await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), DryRun: true })), DryRunOperationException)
      expect(error.$metadata.httpStatusCode).toBe(412)
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', DryRun: true })), DryRunOperationException)
      await client.send(new DisableKeyCommand({ KeyId: keyId }))
      await rejectsWith(client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x'), DryRun: true })), DisabledException)
    })

    it('ReEncrypt moves a ciphertext to another key and context without revealing it', async () => {
      const source = await newKey()
      const destination = await newKey()
      const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: source, Plaintext: utf8('moving'), EncryptionContext: { v: '1' } }))
      const moved = await client.send(new ReEncryptCommand({
        CiphertextBlob, SourceEncryptionContext: { v: '1' }, DestinationKeyId: destination, DestinationEncryptionContext: { v: '2' },
      }))
      expect(moved).toMatchObject({
        SourceKeyId: arnOf(source), KeyId: arnOf(destination), SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', SourceKeyMaterialId: expect.stringMatching(UUID),
      })
      expect((moved as { Plaintext?: unknown }).Plaintext).toBeUndefined()
      const back = await client.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { v: '2' } }))
      expect(back.KeyId).toBe(arnOf(destination))
      expect(text(back.Plaintext)).toBe('moving')
      await rejectsWith(client.send(new ReEncryptCommand({
        CiphertextBlob, SourceEncryptionContext: { v: '1' }, SourceKeyId: destination, DestinationKeyId: destination,
      })), IncorrectKeyException)
      await rejectsWith(client.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: destination })), InvalidCiphertextException)
    })

    it('GenerateDataKey and GenerateDataKeyWithoutPlaintext take exactly one of KeySpec and NumberOfBytes', async () => {
      const keyId = await newKey()
      for (const [request, length] of [[{ KeySpec: 'AES_256' }, 32], [{ KeySpec: 'AES_128' }, 16], [{ NumberOfBytes: 64 }, 64]] as const) {
        const dataKey = await client.send(new GenerateDataKeyCommand({ KeyId: keyId, EncryptionContext: { f: 'x' }, ...request }))
        expect(dataKey.Plaintext!.length).toBe(length)
        expect(dataKey).toMatchObject({ KeyId: arnOf(keyId), KeyMaterialId: expect.stringMatching(UUID) })
        const opened = await client.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: { f: 'x' } }))
        expect(opened.Plaintext).toEqual(dataKey.Plaintext)
      }
      const wrapped = await client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, KeySpec: 'AES_256' }))
      expect((wrapped as { Plaintext?: unknown }).Plaintext).toBeUndefined()
      expect((await client.send(new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob }))).Plaintext!.length).toBe(32)
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId })), 'ValidationException')
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException')
      await rejectsWith(client.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 1025 })), 'ValidationException')
      await rejectsWith(client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 0 })), 'ValidationException')
    })
  })

  describe('rotation', () => {
    it('EnableKeyRotation, GetKeyRotationStatus and DisableKeyRotation, with AWS periods the engine can honour', async () => {
      const keyId = await newKey()
      expect(await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({ KeyRotationEnabled: false, KeyId: arnOf(keyId) })
      await client.send(new EnableKeyRotationCommand({ KeyId: keyId }))
      expect(await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).toMatchObject({
        KeyRotationEnabled: true, RotationPeriodInDays: 365, NextRotationDate: new Date(Date.parse(START) + 365 * DAY_MS),
      })
      await client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }))
      expect((await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).RotationPeriodInDays).toBe(90)
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 89 })), 'ValidationException')
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 2561 })), 'ValidationException')
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 366 })), UnsupportedOperationException)
      await client.send(new DisableKeyRotationCommand({ KeyId: keyId }))
      const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))
      expect(status.KeyRotationEnabled).toBe(false)
      expect(status.RotationPeriodInDays).toBeUndefined()
    })

    it('automatic rotation of a Disabled key is DisabledException, and of an asymmetric, HMAC or imported key UnsupportedOperationException, as on AWS', async () => {
      const keyId = await newKey()
      await client.send(new DisableKeyCommand({ KeyId: keyId }))
      await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: keyId })), DisabledException)
      await rejectsWith(client.send(new DisableKeyRotationCommand({ KeyId: keyId })), DisabledException)
      expect((await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(false)
      const specs = [{ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }, { Origin: 'EXTERNAL' }] as const
      for (const spec of specs) {
        const other = (await client.send(new CreateKeyCommand(spec))).KeyMetadata!.KeyId!
        await rejectsWith(client.send(new EnableKeyRotationCommand({ KeyId: other })), UnsupportedOperationException)
        await rejectsWith(client.send(new DisableKeyRotationCommand({ KeyId: other })), UnsupportedOperationException)
      }
    })

    it('RotateKeyOnDemand and ListKeyRotations: new material encrypts, old material still decrypts', async () => {
      const keyId = await newKey()
      const first = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId!
      const before = await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('old') }))
      expect(await client.send(new ListKeyRotationsCommand({ KeyId: keyId }))).toMatchObject({ Rotations: [], Truncated: false })
      clock.advance(DAY_MS)
      expect(await client.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))).toMatchObject({ KeyId: arnOf(keyId) })
      const current = (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.CurrentKeyMaterialId!
      expect(current).not.toBe(first)
      const { Rotations } = await client.send(new ListKeyRotationsCommand({ KeyId: keyId }))
      expect(Rotations).toEqual([{ KeyId: arnOf(keyId), KeyMaterialId: current, RotationDate: new Date(Date.parse(START) + DAY_MS), RotationType: 'ON_DEMAND' }])
      const old = await client.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }))
      expect(old).toMatchObject({ KeyMaterialId: first })
      expect(text(old.Plaintext)).toBe('old')
      expect((await client.send(new DecryptCommand({
        CiphertextBlob: (await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('new') }))).CiphertextBlob,
      }))).KeyMaterialId).toBe(current)
      await client.send(new DisableKeyCommand({ KeyId: keyId }))
      await rejectsWith(client.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), DisabledException)
    })

    it('automatic rotation happens by the engine\'s clock and is listed', async () => {
      const keyId = await newKey()
      await client.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }))
      clock.advance(90 * DAY_MS)
      await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: utf8('x') }))
      for (let i = 0; i < 3; i++) {
        clock.advance(DAY_MS)
        await client.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))
      }
      const page1 = await client.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 3 }))
      expect(page1.Rotations!.map((r) => r.RotationDate!.getTime() / 1000 - startSeconds)).toEqual([90, 91, 92].map((d) => (d * DAY_MS) / 1000))
      // Each rotation says what made it: the schedule, then RotateKeyOnDemand.
      expect(page1.Rotations!.map((r) => r.RotationType)).toEqual(['AUTOMATIC', 'ON_DEMAND', 'ON_DEMAND'])
      expect(page1.Truncated).toBe(true)
      const page2 = await client.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 3, Marker: page1.NextMarker! }))
      expect(page2.Rotations!.map((r) => r.RotationType)).toEqual(['ON_DEMAND'])
      // A rotation made by kms.maintenance() when due is AUTOMATIC too.
      clock.advance(90 * DAY_MS)
      await kms.maintenance()
      const { Rotations } = await client.send(new ListKeyRotationsCommand({ KeyId: keyId }))
      expect(Rotations!.at(-1)!.RotationType).toBe('AUTOMATIC')
      // GetKeyRotationStatus: the period and the next date; no on-demand rotation is ever in progress.
      const status = await client.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))
      expect(status).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90, NextRotationDate: new Date(Rotations!.at(-1)!.RotationDate!.getTime() + 90 * DAY_MS) })
      expect(status.OnDemandRotationStartDate).toBeUndefined()
      expect(page2.Truncated).toBe(false)
    })
  })

  describe('aliases', () => {
    it('CreateAlias, UpdateAlias, DeleteAlias and ListAliases', async () => {
      const a = await newKey()
      const b = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: a }))
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app/blue', TargetKeyId: arnOf(a) }))
      const viaAlias = await client.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: utf8('x') }))
      expect(viaAlias.KeyId).toBe(arnOf(a))
      expect((await client.send(new ListAliasesCommand({}))).Aliases).toEqual([
        { AliasName: 'alias/app', AliasArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`, TargetKeyId: a },
        { AliasName: 'alias/app/blue', AliasArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app/blue`, TargetKeyId: a },
      ])
      await client.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: b }))
      expect((await client.send(new ListAliasesCommand({ KeyId: b }))).Aliases!.map((x) => x.AliasName)).toEqual(['alias/app'])
      expect((await client.send(new ListAliasesCommand({ KeyId: arnOf(a) }))).Aliases!.map((x) => x.AliasName)).toEqual(['alias/app/blue'])
      await client.send(new DeleteAliasCommand({ AliasName: 'alias/app/blue' }))
      expect((await client.send(new ListAliasesCommand({ KeyId: a }))).Aliases).toEqual([])
    })

    it('alias errors: exists, not found, bad or reserved names, an alias as target', async () => {
      const keyId = await newKey()
      await client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId }))
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: keyId })), AlreadyExistsException)
      // As AWS answers (the identifier rules themselves are in identifiers.test.ts).
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'app', TargetKeyId: keyId })), 'ValidationException')
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/aws/s3', TargetKeyId: keyId })), 'NotAuthorizedException')
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/acs/x', TargetKeyId: keyId })), InvalidAliasNameException)
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: 'alias/app' })), 'ValidationException')
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: '00000000-0000-4000-8000-000000000000' })), NotFoundException)
      await rejectsWith(client.send(new UpdateAliasCommand({ AliasName: 'alias/missing', TargetKeyId: keyId })), NotFoundException)
      await rejectsWith(client.send(new DeleteAliasCommand({ AliasName: 'alias/missing' })), NotFoundException)
      await client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
      await rejectsWith(client.send(new CreateAliasCommand({ AliasName: 'alias/late', TargetKeyId: keyId })), KMSInvalidStateException)
    })

    it('ListAliases pages with the SDK paginator', async () => {
      const keyId = await newKey()
      const names = Array.from({ length: 7 }, (_, i) => `alias/a${i}`)
      for (const name of names) await client.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }))
      const seen: string[] = []
      for await (const page of paginateListAliases({ client, pageSize: 3 }, {})) seen.push(...page.Aliases!.map((a) => a.AliasName!))
      expect(seen).toEqual(names)
    })
  })

  describe('tags', () => {
    it('TagResource, ListResourceTags and UntagResource', async () => {
      const keyId = await newKey()
      await client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'b', TagValue: '2' }, { TagKey: 'a', TagValue: '1' }] }))
      await client.send(new TagResourceCommand({ KeyId: arnOf(keyId), Tags: [{ TagKey: 'b', TagValue: 'two' }] }))
      expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([
        { TagKey: 'a', TagValue: '1' }, { TagKey: 'b', TagValue: 'two' },
      ])
      const page = await client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 1 }))
      expect(page).toMatchObject({ Tags: [{ TagKey: 'a', TagValue: '1' }], Truncated: true })
      expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: page.NextMarker! }))).Tags).toEqual([{ TagKey: 'b', TagValue: 'two' }])
      await client.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ['a'] }))
      expect((await client.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags).toEqual([{ TagKey: 'b', TagValue: 'two' }])
    })

    it('tag errors: reserved keys are TagException, too many is LimitExceededException', async () => {
      const keyId = await newKey()
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'aws:x', TagValue: 'v' }] })), TagException)
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: 'acs:x', TagValue: 'v' }] })), TagException)
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: '', TagValue: 'v' }] })), 'ValidationException')
      const many = Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }))
      await client.send(new TagResourceCommand({ KeyId: keyId, Tags: many.slice(0, 15) }))
      await client.send(new TagResourceCommand({ KeyId: keyId, Tags: many.slice(15, 50) }))
      // The SDK counts LimitExceededException as throttling and retries it (against AWS too): one attempt here keeps the test fast.
      const once = kmsClient(transport, { maxAttempts: 1 }).client
      const error = await rejectsWith(once.send(new TagResourceCommand({ KeyId: keyId, Tags: many.slice(50) })), LimitExceededException)
      expect(error.$metadata.httpStatusCode).toBe(400)
      once.destroy()
      await rejectsWith(client.send(new TagResourceCommand({ KeyId: '00000000-0000-4000-8000-000000000000', Tags: many.slice(0, 1) })), NotFoundException)
    })
  })

  describe('operations the engine does not have', () => {
    it('answer UnsupportedOperationException, never a crash', async () => {
      const keyId = await newKey()
      await rejectsWith(client.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'us-west-2' })), UnsupportedOperationException)
      // Mapped operations AWS itself refuses for a symmetric key with generated material, as AWS does.
      await rejectsWith(client.send(new GetPublicKeyCommand({ KeyId: keyId })), UnsupportedOperationException)
      await rejectsWith(client.send(new ImportKeyMaterialCommand({
        KeyId: keyId, ImportToken: utf8('t'), EncryptedKeyMaterial: utf8('m'), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      })), UnsupportedOperationException)
      // GenerateRandom is mapped since the engine has generateRandom.
      expect((await client.send(new GenerateRandomCommand({ NumberOfBytes: 32 }))).Plaintext).toHaveLength(32)
      // The engine still works afterwards.
      await client.send(new DescribeKeyCommand({ KeyId: keyId }))
    })

    it('GenerateRandom maps onto kms.generateRandom once the engine has it', async () => {
      const calls: number[] = []
      const engine = withExtraOperation(kms, 'generateRandom', async ({ numberOfBytes }: { numberOfBytes: number }) => {
        calls.push(numberOfBytes)
        return { plaintext: new Uint8Array(numberOfBytes).fill(7) }
      })
      const extended = await TRANSPORTS[transportName](engine)
      const extendedClient = kmsClient(extended).client
      try {
        const { Plaintext } = await extendedClient.send(new GenerateRandomCommand({ NumberOfBytes: 24 }))
        expect(Plaintext).toEqual(new Uint8Array(24).fill(7))
        expect(calls).toEqual([24])
        await rejectsWith(extendedClient.send(new GenerateRandomCommand({ NumberOfBytes: 1025 })), 'ValidationException')
      } finally {
        extendedClient.destroy()
        await extended.close()
      }
    })
  })

  it('server faults are retried by the SDK (and client faults above were not)', async () => {
    const failing = withExtraOperation(kms, 'describeKey', async () => {
      throw new KmsError('StorageFailure', 'disk on fire')
    })
    const reported: unknown[] = []
    const broken = await TRANSPORTS[transportName](failing, { onError: (error, operation) => reported.push([operation, error]) })
    const brokenClient = kmsClient(broken, { maxAttempts: 2 })
    try {
      const error = await brokenClient.client.send(new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DependencyTimeoutException)
      expect((error as DependencyTimeoutException).$fault).toBe('server')
      expect((error as Error).message).not.toContain('disk on fire')
      expect(brokenClient.attempts()).toBe(2)
      // The host's log gets the cause; the caller got a generic message.
      expect(reported).toHaveLength(2)
      expect(reported[0]).toEqual(['DescribeKey', expect.objectContaining({ code: 'StorageFailure', message: 'disk on fire' })])
    } finally {
      brokenClient.client.destroy()
      await broken.close()
    }
    // The counting itself: every rejected call in this suite's client was a single attempt.
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: 'alias/none' })), NotFoundException)
    expect(counting.attempts()).toBe(1)
  })
})

/** The engine with one operation replaced or added (as core will add them), everything else delegated. */
function withExtraOperation(kms: Kms, name: string, operation: (request: never) => Promise<unknown>): Engine {
  return new Proxy(kms, {
    get(target, property) {
      if (property === name) return operation
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as unknown as Engine
}
