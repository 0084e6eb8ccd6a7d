/**
 * The official `@alicloud/kms20160120` client (RPC v1 HMAC-SHA1 signatures) against
 * Strongroom over loopback HTTP: keys, encryption with a context, data keys, rotation,
 * aliases, tags, deletion, signing, and Alibaba-shaped errors. The Tea-based clients take
 * no custom transport, so loopback is how they reach an endpoint (see the README).
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import type { AliyunKmsServer } from '@strongroom/aliyun'
import { $Kms, ACCOUNT, REGION, b64, failure, kmsClient, openEngine, startServer, unb64 } from './helpers.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('@alicloud/kms20160120 over loopback HTTP', () => {
  let kms: Kms
  let server: AliyunKmsServer
  let client: ReturnType<typeof kmsClient>

  beforeAll(async () => {
    kms = await openEngine()
    server = await startServer(kms)
    client = kmsClient(server)
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  async function newKey(request: ConstructorParameters<typeof $Kms.CreateKeyRequest>[0] = {}): Promise<string> {
    return (await client.createKey(new $Kms.CreateKeyRequest({ description: 'test key', ...request }))).keyMetadata.keyId
  }

  describe('keys', () => {
    it('CreateKey and DescribeKey answer Alibaba key metadata with an acs: ARN', async () => {
      const created = await client.createKey(new $Kms.CreateKeyRequest({ description: 'orders', keySpec: 'Aliyun_AES_256', keyUsage: 'ENCRYPT/DECRYPT' }))
      expect(created.requestId).toMatch(/^[0-9A-F-]{36}$/)
      const m = created.keyMetadata
      expect(m.keyId).toMatch(UUID)
      expect(m.arn).toBe(`acs:kms:${REGION}:${ACCOUNT}:key/${m.keyId}`)
      expect([m.keyState, m.keySpec, m.keyUsage, m.origin, m.protectionLevel, m.description]).toEqual(
        ['Enabled', 'Aliyun_AES_256', 'ENCRYPT/DECRYPT', 'Aliyun_KMS', 'SOFTWARE', 'orders'])
      expect(m.creationDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      const described = await client.describeKey(new $Kms.DescribeKeyRequest({ keyId: m.arn }))
      expect(described.keyMetadata.keyId).toBe(m.keyId)
      expect(described.keyMetadata.primaryKeyVersion).toBe(m.primaryKeyVersion)
    })

    it('ListKeys pages with PageNumber and PageSize and reports TotalCount', async () => {
      for (let i = 0; i < 3; i++) await newKey()
      const total = (await client.listKeys(new $Kms.ListKeysRequest({ pageSize: 100 }))).totalCount
      expect(total).toBeGreaterThanOrEqual(3)
      const page1 = await client.listKeys(new $Kms.ListKeysRequest({ pageNumber: 1, pageSize: 2 }))
      const page2 = await client.listKeys(new $Kms.ListKeysRequest({ pageNumber: 2, pageSize: 2 }))
      expect([page1.pageNumber, page1.pageSize, page1.totalCount]).toEqual([1, 2, total])
      expect(page1.keys.key).toHaveLength(2)
      expect(page2.keys.key[0]!.keyId).not.toBe(page1.keys.key[0]!.keyId)
      expect(page1.keys.key[0]!.keyArn).toBe(`acs:kms:${REGION}:${ACCOUNT}:key/${page1.keys.key[0]!.keyId}`)
    })

    it('UpdateKeyDescription, DisableKey and EnableKey change the key', async () => {
      const keyId = await newKey()
      await client.updateKeyDescription(new $Kms.UpdateKeyDescriptionRequest({ keyId, description: 'renamed' }))
      await client.disableKey(new $Kms.DisableKeyRequest({ keyId }))
      let m = (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata
      expect([m.description, m.keyState]).toEqual(['renamed', 'Disabled'])
      await client.enableKey(new $Kms.EnableKeyRequest({ keyId }))
      m = (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata
      expect(m.keyState).toBe('Enabled')
    })

    it('ScheduleKeyDeletion sets PendingDeletion with a DeleteDate; CancelKeyDeletion restores the key', async () => {
      const keyId = await newKey()
      await client.scheduleKeyDeletion(new $Kms.ScheduleKeyDeletionRequest({ keyId, pendingWindowInDays: 7 }))
      const pending = (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata
      expect(pending.keyState).toBe('PendingDeletion')
      expect(Date.parse(pending.deleteDate) - Date.parse(pending.creationDate)).toBeGreaterThan(6 * 86_400_000)
      const refused = await failure(client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('x') })))
      expect([refused.code, refused.status]).toEqual(['Rejected.InvalidStateError', 409])
      await client.cancelKeyDeletion(new $Kms.CancelKeyDeletionRequest({ keyId }))
      expect((await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata.keyState).toBe('Enabled')
    })

    it('a request signed with the wrong secret is SignatureDoesNotMatch and changes nothing', async () => {
      const before = (await client.listKeys(new $Kms.ListKeysRequest({}))).totalCount
      const forged = await failure(kmsClient(server, 'not-the-secret').createKey(new $Kms.CreateKeyRequest({})))
      expect([forged.code, forged.status]).toEqual(['SignatureDoesNotMatchError', 400])
      expect((await client.listKeys(new $Kms.ListKeysRequest({}))).totalCount).toBe(before)
    })

    it('a key that does not exist is Forbidden.KeyNotFound, 404', async () => {
      const missing = await failure(client.describeKey(new $Kms.DescribeKeyRequest({ keyId: '00000000-0000-4000-8000-000000000000' })))
      expect([missing.code, missing.status, missing.data['Code']]).toEqual(['Forbidden.KeyNotFoundError', 404, 'Forbidden.KeyNotFound'])
    })
  })

  describe('cryptography', () => {
    it('Encrypt with an encryption context, Decrypt with the same context', async () => {
      const keyId = await newKey()
      const encrypted = await client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('card 4111'), encryptionContext: { order: '42' } }))
      expect(encrypted.keyId).toBe(keyId)
      expect(encrypted.keyVersionId).toMatch(UUID)
      const decrypted = await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: { order: '42' } }))
      // A Base64 plaintext comes back exactly as sent.
      expect(decrypted.plaintext).toBe(b64('card 4111'))
      expect([decrypted.keyId, decrypted.keyVersionId]).toEqual([keyId, encrypted.keyVersionId])
    })

    it('a wrong encryption context is InvalidCiphertext; a disabled key is Rejected.Disabled', async () => {
      const keyId = await newKey()
      const { ciphertextBlob } = await client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('secret'), encryptionContext: { order: '42' } }))
      const wrong = await failure(client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob, encryptionContext: { order: '43' } })))
      expect([wrong.data['Code'], wrong.status]).toEqual(['InvalidCiphertext', 400])
      expect(JSON.stringify(wrong.data)).not.toContain(b64('secret'))
      await client.disableKey(new $Kms.DisableKeyRequest({ keyId }))
      const disabled = await failure(client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('x') })))
      expect([disabled.code, disabled.status, disabled.data['Code']]).toEqual(['Rejected.DisabledError', 400, 'Rejected.Disabled'])
      expect(disabled.data['RequestId']).toMatch(/^[0-9A-F-]{36}$/)
    })

    it('GenerateDataKey returns a Base64 data key that Decrypt of its CiphertextBlob returns again', async () => {
      const keyId = await newKey()
      const dataKey = await client.generateDataKey(new $Kms.GenerateDataKeyRequest({ keyId, keySpec: 'AES_128', encryptionContext: { file: 'a' } }))
      expect(Buffer.from(dataKey.plaintext, 'base64')).toHaveLength(16)
      const opened = await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: dataKey.ciphertextBlob, encryptionContext: { file: 'a' } }))
      expect(opened.plaintext).toBe(dataKey.plaintext)
      const bytes = await client.generateDataKey(new $Kms.GenerateDataKeyRequest({ keyId, numberOfBytes: 48 }))
      expect(Buffer.from(bytes.plaintext, 'base64')).toHaveLength(48)
      const withoutPlaintext = await client.generateDataKeyWithoutPlaintext(new $Kms.GenerateDataKeyWithoutPlaintextRequest({ keyId }))
      expect(withoutPlaintext).not.toHaveProperty('plaintext')
      expect(Buffer.from((await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: withoutPlaintext.ciphertextBlob }))).plaintext, 'base64')).toHaveLength(32)
    })
  })

  describe('rotation, aliases and tags', () => {
    it('CreateKeyVersion rotates: new encryptions use the new version, old ciphertexts still decrypt', async () => {
      const keyId = await newKey()
      const before = await client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('old') }))
      const { keyVersion } = await client.createKeyVersion(new $Kms.CreateKeyVersionRequest({ keyId }))
      expect(keyVersion.keyId).toBe(keyId)
      const after = await client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('new') }))
      expect(after.keyVersionId).toBe(keyVersion.keyVersionId)
      expect(unb64((await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: before.ciphertextBlob }))).plaintext)).toBe('old')
      const versions = await client.listKeyVersions(new $Kms.ListKeyVersionsRequest({ keyId }))
      expect(versions.totalCount).toBe(2)
      expect(versions.keyVersions.keyVersion.map((v) => v.keyVersionId)).toContain(keyVersion.keyVersionId)
      const described = await client.describeKeyVersion(new $Kms.DescribeKeyVersionRequest({ keyId, keyVersionId: before.keyVersionId }))
      expect(described.keyVersion.keyVersionId).toBe(before.keyVersionId)
      await client.updateRotationPolicy(new $Kms.UpdateRotationPolicyRequest({ keyId, enableAutomaticRotation: true, rotationInterval: '30d' }))
      const m = (await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata
      expect([m.automaticRotation, m.rotationInterval]).toEqual(['Enabled', '2592000s'])
    })

    it('CreateAlias, UpdateAlias, ListAliases, ListAliasesByKeyId, DeleteAlias', async () => {
      const first = await newKey()
      const second = await newKey()
      await client.createAlias(new $Kms.CreateAliasRequest({ aliasName: 'alias/orders', keyId: first }))
      expect((await client.encrypt(new $Kms.EncryptRequest({ keyId: 'alias/orders', plaintext: b64('x') }))).keyId).toBe(first)
      await client.updateAlias(new $Kms.UpdateAliasRequest({ aliasName: 'alias/orders', keyId: second }))
      const listed = await client.listAliases(new $Kms.ListAliasesRequest({ pageSize: 100 }))
      const alias = listed.aliases.alias.find((a) => a.aliasName === 'alias/orders')
      expect(alias).toEqual({ aliasName: 'alias/orders', aliasArn: `acs:kms:${REGION}:${ACCOUNT}:alias/orders`, keyId: second })
      const byKey = await client.listAliasesByKeyId(new $Kms.ListAliasesByKeyIdRequest({ keyId: second }))
      expect(byKey.aliases.alias.map((a) => a.aliasName)).toEqual(['alias/orders'])
      await client.deleteAlias(new $Kms.DeleteAliasRequest({ aliasName: 'alias/orders' }))
      const gone = await failure(client.describeKey(new $Kms.DescribeKeyRequest({ keyId: 'alias/orders' })))
      expect([gone.data['Code'], gone.status]).toEqual(['Forbidden.AliasNotFound', 404])
    })

    it('TagResource with the documented JSON string, ListResourceTags, UntagResource', async () => {
      const keyId = await newKey()
      await client.tagResource(new $Kms.TagResourceRequest({ keyId, tags: JSON.stringify([{ TagKey: 'team', TagValue: 'pay' }, { TagKey: 'env', TagValue: 'prod' }]) }))
      let tags = (await client.listResourceTags(new $Kms.ListResourceTagsRequest({ keyId }))).tags.tag
      expect(tags.map((t) => [t.tagKey, t.tagValue, t.keyId]).sort()).toEqual([['env', 'prod', keyId], ['team', 'pay', keyId]])
      await client.untagResource(new $Kms.UntagResourceRequest({ keyId, tagKeys: JSON.stringify(['env']) }))
      tags = (await client.listResourceTags(new $Kms.ListResourceTagsRequest({ keyId }))).tags.tag
      expect(tags.map((t) => t.tagKey)).toEqual(['team'])
    })
  })

  describe('asymmetric keys', () => {
    it('AsymmetricSign a SHA-256 digest; AsymmetricVerify and the public key from GetPublicKey accept it', async () => {
      const created = await client.createKey(new $Kms.CreateKeyRequest({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' }))
      const { keyId, primaryKeyVersion: keyVersionId } = created.keyMetadata
      const message = Buffer.from('release 1.2.3')
      const digest = createHash('sha256').update(message).digest('base64')
      const signed = await client.asymmetricSign(new $Kms.AsymmetricSignRequest({ keyId, keyVersionId, algorithm: 'ECDSA_SHA_256', digest }))
      const verified = await client.asymmetricVerify(new $Kms.AsymmetricVerifyRequest({ keyId, keyVersionId, algorithm: 'ECDSA_SHA_256', digest, value: signed.value }))
      expect(verified.value).toBe(true)
      const otherDigest = createHash('sha256').update('release 1.2.4').digest('base64')
      const forged = await client.asymmetricVerify(new $Kms.AsymmetricVerifyRequest({ keyId, keyVersionId, algorithm: 'ECDSA_SHA_256', digest: otherDigest, value: signed.value }))
      expect(forged.value).toBe(false)
      const { publicKey } = await client.getPublicKey(new $Kms.GetPublicKeyRequest({ keyId, keyVersionId }))
      expect(verifySignature('sha256', message, createPublicKey(publicKey), Buffer.from(signed.value, 'base64'))).toBe(true)
      const wrongUsage = await failure(client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('x') })))
      expect(wrongUsage.data['Code']).toBe('InvalidKeyUsage')
    })

    it('AsymmetricEncrypt and AsymmetricDecrypt with RSAES_OAEP_SHA_256', async () => {
      const created = await client.createKey(new $Kms.CreateKeyRequest({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' }))
      const { keyId, primaryKeyVersion: keyVersionId } = created.keyMetadata
      const encrypted = await client.asymmetricEncrypt(new $Kms.AsymmetricEncryptRequest({ keyId, keyVersionId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: b64('pin 1234') }))
      const decrypted = await client.asymmetricDecrypt(new $Kms.AsymmetricDecryptRequest({ keyId, keyVersionId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: encrypted.ciphertextBlob }))
      expect(unb64(decrypted.plaintext)).toBe('pin 1234')
    }, 20_000)
  })

  it('DescribeRegions lists the region this endpoint serves; GetRandomPassword honours its options', async () => {
    const regions = await client.describeRegions(new $Kms.DescribeRegionsRequest({}))
    expect(regions.regions.region.map((r) => r.regionId)).toContain(REGION)
    const { randomPassword } = await client.getRandomPassword(new $Kms.GetRandomPasswordRequest({ passwordLength: '24', excludePunctuation: 'true' }))
    expect(randomPassword).toMatch(/^[A-Za-z0-9]{24}$/)
  })
})
