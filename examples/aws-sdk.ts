/**
 * Strongroom from the AWS SDK, unchanged AWS code on both transports:
 *
 * 1. in process — the three-line setup for tests: an engine, a request handler, a
 *    `KMSClient` that uses it. No container, no port, real cryptography.
 * 2. over loopback HTTP — for the AWS CLI and SDKs in other languages
 *    (`aws kms list-keys --endpoint-url <url>`).
 *
 * Code written for AWS KMS runs as is: create a key and an alias, encrypt and decrypt
 * under an encryption context, envelope-encrypt a document with a data key, and sign with
 * an elliptic-curve key whose signature anyone checks with the public key alone.
 *
 * Run it: `npx tsx --conditions=source examples/aws-sdk.ts`
 */
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes, verify } from 'node:crypto'
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand, GetPublicKeyCommand, KMSClient,
  ListAliasesCommand, SignCommand,
} from '@aws-sdk/client-kms'
import { awsRequestHandler, startAwsKmsServer } from '@strongroom/aws'
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

export interface AwsSdkOutcome {
  readonly keyArn: string
  readonly decrypted: string
  readonly document: string
  /** Whether node:crypto, given only the public key, accepts the signature KMS made. */
  readonly signatureChecksOut: boolean
  readonly aliasesOverHttp: readonly string[]
}

/** What application code written for AWS KMS does; it knows nothing about Strongroom. */
async function appCode(client: KMSClient): Promise<Omit<AwsSdkOutcome, 'aliasesOverHttp'>> {
  const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: 'orders' }))
  await client.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: KeyMetadata!.KeyId }))

  // A small secret, bound to an encryption context.
  const { CiphertextBlob } = await client.send(new EncryptCommand({
    KeyId: 'alias/orders', Plaintext: new TextEncoder().encode('card 4111'), EncryptionContext: { tenant: 'acme' },
  }))
  const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { tenant: 'acme' } }))

  // Envelope encryption: a data key encrypts locally; only its wrapped form is kept with the data.
  const dataKey = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/orders', KeySpec: 'AES_256' }))
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', dataKey.Plaintext!, iv)
  const sealed = Buffer.concat([cipher.update('a long document'), cipher.final()])
  const stored = { wrappedKey: dataKey.CiphertextBlob!, iv, sealed, tag: cipher.getAuthTag() }
  dataKey.Plaintext!.fill(0)

  const unwrapped = await client.send(new DecryptCommand({ CiphertextBlob: stored.wrappedKey }))
  const decipher = createDecipheriv('aes-256-gcm', unwrapped.Plaintext!, stored.iv).setAuthTag(stored.tag)
  const document = Buffer.concat([decipher.update(stored.sealed), decipher.final()]).toString()
  unwrapped.Plaintext!.fill(0)

  // Signing: the private key never leaves KMS; anyone verifies with the public key.
  const signer = await client.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))
  const release = new TextEncoder().encode('release 1.4.2')
  const { Signature } = await client.send(new SignCommand({
    KeyId: signer.KeyMetadata!.KeyId, Message: release, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256',
  }))
  const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: signer.KeyMetadata!.KeyId }))
  const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' })
  const signatureChecksOut = verify('sha256', release, publicKey, Signature!)

  return { keyArn: KeyMetadata!.Arn!, decrypted: new TextDecoder().decode(Plaintext), document, signatureChecksOut }
}

export async function awsSdkDemo(): Promise<AwsSdkOutcome> {
  // 1. In process: the three-line setup for tests.
  const kms = await Kms.open({ storage: memoryStorage(), region: 'us-east-1' })
  const requestHandler = awsRequestHandler(kms)
  const client = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestHandler })
  const outcome = await appCode(client)

  // 2. Over loopback HTTP: the same engine, for any AWS tool given the endpoint URL.
  const server = await startAwsKmsServer({ kms })
  const remote = new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
  const { Aliases } = await remote.send(new ListAliasesCommand({}))
  remote.destroy()
  await server.close()
  await kms.close()
  return { ...outcome, aliasesOverHttp: Aliases!.map((a) => a.AliasName!) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await awsSdkDemo()
  console.log(`key         ${outcome.keyArn}`)
  console.log(`decrypted   "${outcome.decrypted}"`)
  console.log(`envelope    "${outcome.document}"`)
  console.log(`signature   ${outcome.signatureChecksOut ? 'verified with the public key alone' : 'did not verify'}`)
  console.log(`over HTTP   ${outcome.aliasesOverHttp.join(', ')}`)
}
