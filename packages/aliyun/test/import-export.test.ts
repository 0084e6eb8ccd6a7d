/**
 * Bring your own key and data-key export through the official clients: GetParametersForImport
 * and ImportKeyMaterial with `@alicloud/kms20160120` (the material wrapped with node:crypto
 * under the returned public key), and ExportDataKey / GenerateAndExportDataKey through the
 * OpenAPI client, opened with the recipient's private key.
 */
import { constants, createCipheriv, createDecipheriv, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import type { AliyunKmsServer } from '@strongroom/aliyun'
import { $Kms, b64, callV3, failure, kmsClient, openApiClient, openEngine, startServer, unb64 } from './helpers.js'

describe('import and export', () => {
  let kms: Kms
  let server: AliyunKmsServer
  beforeAll(async () => {
    kms = await openEngine()
    server = await startServer(kms)
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  it('imports key material into an EXTERNAL key, which then encrypts and decrypts; a used token is refused; DeleteKeyMaterial returns the key to PendingImport', async () => {
    const client = kmsClient(server)
    const created = await client.createKey(new $Kms.CreateKeyRequest({ origin: 'EXTERNAL' }))
    const keyId = created.keyMetadata.keyId
    expect(created.keyMetadata.keyState).toBe('PendingImport')
    const params = await client.getParametersForImport(new $Kms.GetParametersForImportRequest({
      keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
    }))
    expect(params.tokenExpireTime).toMatch(/Z$/)
    const material = randomBytes(32)
    const wrappingKey = createPublicKey({ key: Buffer.from(params.publicKey, 'base64'), format: 'der', type: 'spki' })
    const encryptedKeyMaterial = publicEncrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material).toString('base64')
    await client.importKeyMaterial(new $Kms.ImportKeyMaterialRequest({ keyId, importToken: params.importToken, encryptedKeyMaterial, keyMaterialExpireUnix: 0 }))
    expect((await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata.keyState).toBe('Enabled')
    const encrypted = await client.encrypt(new $Kms.EncryptRequest({ keyId, plaintext: b64('byok') }))
    expect(unb64((await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: encrypted.ciphertextBlob }))).plaintext)).toBe('byok')

    const reused = await failure(client.importKeyMaterial(new $Kms.ImportKeyMaterialRequest({ keyId, importToken: params.importToken, encryptedKeyMaterial })))
    expect(reused.data['Code']).toBe('InvalidImportToken')
    const pkcs1 = await failure(client.getParametersForImport(new $Kms.GetParametersForImportRequest({ keyId, wrappingAlgorithm: 'RSAES_PKCS1_V1_5', wrappingKeySpec: 'RSA_2048' })))
    expect(pkcs1.data['Code']).toBe('Rejected.UnsupportedOperation')
    await client.deleteKeyMaterial(new $Kms.DeleteKeyMaterialRequest({ keyId }))
    expect((await client.describeKey(new $Kms.DescribeKeyRequest({ keyId }))).keyMetadata.keyState).toBe('PendingImport')
  })

  it('GenerateAndExportDataKey and ExportDataKey hand the data key to the holder of an RSA private key', async () => {
    const client = openApiClient(server)
    const keyId = ((await callV3(client, 'CreateKey', {}))['KeyMetadata'] as Record<string, string>)['KeyId']!
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const publicKeyBlob = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    const open = (exported: string): Buffer => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(exported, 'base64'))

    const generated = await callV3(client, 'GenerateAndExportDataKey', {
      KeyId: keyId, KeySpec: 'AES_256', PublicKeyBlob: publicKeyBlob, WrappingKeySpec: 'RSA_2048', WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      EncryptionContext: '{"use":"export"}',
    })
    const dataKey = open(generated['ExportedDataKey'] as string)
    expect(dataKey).toHaveLength(32)
    // The data key is the same one the CiphertextBlob wraps: a local seal with it opens with what Decrypt returns.
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv)
    const sealed = Buffer.concat([cipher.update('exported'), cipher.final()])
    const decrypted = await callV3(client, 'Decrypt', { CiphertextBlob: generated['CiphertextBlob'] as string, EncryptionContext: '{"use":"export"}' })
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(decrypted['Plaintext'] as string, 'base64'), iv).setAuthTag(cipher.getAuthTag())
    expect(Buffer.concat([decipher.update(sealed), decipher.final()]).toString()).toBe('exported')

    const again = await callV3(client, 'ExportDataKey', {
      CiphertextBlob: generated['CiphertextBlob'] as string, PublicKeyBlob: publicKeyBlob, WrappingKeySpec: 'RSA_2048',
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: '{"use":"export"}',
    })
    expect(open(again['ExportedDataKey'] as string).equals(dataKey)).toBe(true)
    const sm2 = await failure(callV3(client, 'ExportDataKey', {
      CiphertextBlob: generated['CiphertextBlob'] as string, PublicKeyBlob: publicKeyBlob, WrappingKeySpec: 'EC_SM2', WrappingAlgorithm: 'SM2PKE',
    }))
    expect(sm2.code).toBe('Rejected.UnsupportedOperation')
  }, 20_000)
})
