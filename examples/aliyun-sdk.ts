/**
 * Strongroom from the official Alibaba Cloud KMS SDK (`@alicloud/kms20160120`), unchanged
 * Alibaba Cloud code against a loopback endpoint — the seed's two scenarios:
 *
 * 1. An HTTPS server's private key, kept encrypted under a master key (with an encryption
 *    context naming its purpose) and decrypted when the server starts.
 * 2. A local file, envelope-encrypted: GenerateDataKey, AES-256-GCM with node:crypto, only
 *    the wrapped data key kept beside the data; to open it, Decrypt the data key.
 *
 * The SDK signs every request (HMAC-SHA1) with an AccessKey the endpoint was given; the
 * Tea-based Alibaba clients always open a connection, so the endpoint is a loopback server.
 *
 * Run it: `npx tsx --conditions=source examples/aliyun-sdk.ts`
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import KmsSdk, * as $Kms from '@alicloud/kms20160120'
import { startAliyunKmsServer } from '@strongroom/aliyun'
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

/** The SDK is CommonJS: Node hands ES modules its exports object (class in `.default`), vitest and bundlers the class itself. */
const KmsClientClass = ((KmsSdk as { default?: unknown }).default ?? KmsSdk) as typeof KmsSdk.default
type KmsClient = InstanceType<typeof KmsClientClass>

export interface AliyunSdkOutcome {
  readonly masterKeyArn: string
  /** Whether the private key decrypted at start signs what its certificate's public key verifies. */
  readonly tlsKeyWorks: boolean
  /** The stored form of the TLS key never contains the PEM. */
  readonly tlsKeyStoredEncrypted: boolean
  readonly fileContents: string
  /** What a wrong encryption context got: Alibaba's error code. */
  readonly wrongContextCode: string
}

/** Scenario 1, at deploy time: encrypt the TLS private key under the master key; only the ciphertext is stored. */
async function sealTlsKey(client: KmsClient, pem: string): Promise<string> {
  const { ciphertextBlob } = await client.encrypt(new $Kms.EncryptRequest({
    keyId: 'alias/web-tls', plaintext: Buffer.from(pem).toString('base64'),
    encryptionContext: { purpose: 'tls-private-key', host: 'www.example.com' },
  }))
  return ciphertextBlob
}

/** Scenario 1, at server start: decrypt the stored key; the same context is required. */
async function openTlsKey(client: KmsClient, stored: string): Promise<string> {
  const { plaintext } = await client.decrypt(new $Kms.DecryptRequest({
    ciphertextBlob: stored, encryptionContext: { purpose: 'tls-private-key', host: 'www.example.com' },
  }))
  return Buffer.from(plaintext, 'base64').toString()
}

/** Scenario 2: envelope-encrypt a file; the sealed file holds the wrapped data key, the IV, the tag and the ciphertext. */
async function sealFile(client: KmsClient, path: string, sealedPath: string): Promise<void> {
  const dataKey = await client.generateDataKey(new $Kms.GenerateDataKeyRequest({
    keyId: 'alias/files', keySpec: 'AES_256', encryptionContext: { file: 'report.txt' },
  }))
  const key = Buffer.from(dataKey.plaintext, 'base64')
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const sealed = Buffer.concat([cipher.update(readFileSync(path)), cipher.final()])
  key.fill(0)
  const header = { wrappedKey: dataKey.ciphertextBlob, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') }
  writeFileSync(sealedPath, `${JSON.stringify(header)}\n${sealed.toString('base64')}`)
}

async function openFile(client: KmsClient, sealedPath: string): Promise<string> {
  const [headerLine, body] = readFileSync(sealedPath, 'utf8').split('\n') as [string, string]
  const header = JSON.parse(headerLine) as { wrappedKey: string; iv: string; tag: string }
  const { plaintext } = await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: header.wrappedKey, encryptionContext: { file: 'report.txt' } }))
  const key = Buffer.from(plaintext, 'base64')
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64')).setAuthTag(Buffer.from(header.tag, 'base64'))
  const contents = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString()
  key.fill(0)
  return contents
}

export async function aliyunSdkDemo(): Promise<AliyunSdkOutcome> {
  // The endpoint: an engine for cn-hangzhou, served on loopback to one AccessKey.
  const kms = await Kms.open({ storage: memoryStorage(), region: 'cn-hangzhou' })
  const accessKeyId = 'LTAI5tExampleKeyId00000'
  const accessKeySecret = randomBytes(24).toString('base64')
  const server = await startAliyunKmsServer({ kms, credentials: { [accessKeyId]: { secret: accessKeySecret } } })
  const work = mkdtempSync(join(tmpdir(), 'strongroom-aliyun-example-'))
  try {
    // Application code from here on: only the endpoint differs from Alibaba Cloud's.
    const client = new KmsClientClass({ accessKeyId, accessKeySecret, endpoint: server.endpoint, protocol: 'http', regionId: 'cn-hangzhou' } as ConstructorParameters<typeof KmsClientClass>[0])
    const master = await client.createKey(new $Kms.CreateKeyRequest({ description: 'web TLS keys' }))
    await client.createAlias(new $Kms.CreateAliasRequest({ aliasName: 'alias/web-tls', keyId: master.keyMetadata.keyId }))
    const files = await client.createKey(new $Kms.CreateKeyRequest({ description: 'file encryption' }))
    await client.createAlias(new $Kms.CreateAliasRequest({ aliasName: 'alias/files', keyId: files.keyMetadata.keyId }))

    // 1. The HTTPS certificate's private key.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const stored = await sealTlsKey(client, pem)
    const loaded = createPrivateKey(await openTlsKey(client, stored))
    const challenge = Buffer.from('TLS handshake transcript')
    const tlsKeyWorks = verify('sha256', challenge, createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), sign('sha256', challenge, loaded))
    const wrongContextCode = await client.decrypt(new $Kms.DecryptRequest({ ciphertextBlob: stored, encryptionContext: { purpose: 'something-else' } }))
      .then(() => 'none', (error: { data?: { Code?: string } }) => error.data?.Code ?? 'unknown')

    // 2. A local file, envelope-encrypted.
    const path = join(work, 'report.txt')
    writeFileSync(path, 'quarterly numbers: 42')
    await sealFile(client, path, `${path}.sealed`)
    const fileContents = await openFile(client, `${path}.sealed`)

    return {
      masterKeyArn: master.keyMetadata.arn, tlsKeyWorks, tlsKeyStoredEncrypted: !Buffer.from(stored, 'base64').toString('latin1').includes('PRIVATE KEY'),
      fileContents, wrongContextCode,
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
    await server.close()
    await kms.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await aliyunSdkDemo()
  console.log(`master key      ${outcome.masterKeyArn}`)
  console.log(`TLS key         ${outcome.tlsKeyWorks ? 'decrypted at start, signs and verifies' : 'did not work'}`)
  console.log(`wrong context   ${outcome.wrongContextCode}`)
  console.log(`sealed file     "${outcome.fileContents}"`)
}
