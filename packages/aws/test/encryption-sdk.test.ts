/**
 * The AWS Encryption SDK (`@aws-crypto/client-node`) with its KMS keyring, handed a
 * KMSClient that points at Strongroom: it asks for a data key (GenerateDataKey with
 * NumberOfBytes and the message's encryption context), encrypts locally, and later
 * decrypts the wrapped data key naming the key by the ARN it was given back.
 */
import { CreateAliasCommand, CreateKeyCommand, EncryptCommand, type KMS } from '@aws-sdk/client-kms'
import { CommitmentPolicy, KmsKeyringNode, buildClient } from '@aws-crypto/client-node'
import type { Kms } from '@strongroom/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TRANSPORTS, kmsClient, openEngine, type CountingClient, type Transport, type TransportName } from './helpers.js'

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)

/**
 * The keyring's client supplier, returning our client for every region. The cast only
 * bridges typings: the Encryption SDK's structural client type predates
 * `exactOptionalPropertyTypes` (`Plaintext?: Data` vs the SDK's `Plaintext?: Uint8Array | undefined`).
 */
function provider(client: KMS): never {
  return (() => client) as never
}

describe.each(Object.keys(TRANSPORTS) as TransportName[])('the AWS Encryption SDK through the %s', (transportName) => {
  let kms: Kms
  let transport: Transport
  let counting: CountingClient

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    transport = await TRANSPORTS[transportName](kms)
    counting = kmsClient(transport)
  })
  afterEach(async () => {
    counting.client.destroy()
    await transport.close()
    await kms.close()
  })

  it('encrypts and decrypts a message under a Strongroom key', async () => {
    const { client } = counting
    const generator = (await client.send(new CreateKeyCommand({ Description: 'esdk generator' }))).KeyMetadata!.Arn!
    const second = (await client.send(new CreateKeyCommand({ Description: 'esdk second' }))).KeyMetadata!.Arn!
    const keyring = new KmsKeyringNode({ generatorKeyId: generator, keyIds: [second], clientProvider: provider(client) })
    const plaintext = new Uint8Array(100_000).map((_, i) => i % 251)
    const context = { tenant: 'acme', file: 'report.pdf' }

    const { result } = await encrypt(keyring, plaintext, { encryptionContext: context })
    expect(result.length).toBeGreaterThan(plaintext.length)

    const opened = await decrypt(keyring, result)
    // Buffer.equals: a deep toEqual over 100 kB costs a third of a second.
    expect(opened.plaintext.equals(plaintext)).toBe(true)
    expect(opened.messageHeader.encryptionContext).toMatchObject(context)
    // Each wrapped data key names its CMK by ARN; both CMKs wrapped it.
    expect(opened.messageHeader.encryptedDataKeys.map((k) => k.providerInfo)).toEqual([generator, second])

    // A keyring that only knows the second key opens the message through it.
    const secondOnly = new KmsKeyringNode({ keyIds: [second], clientProvider: provider(client) })
    expect((await decrypt(secondOnly, result)).plaintext.equals(plaintext)).toBe(true)
  })

  it('refuses to decrypt when the key is disabled', async () => {
    const { client } = counting
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}))
    await client.send(new CreateAliasCommand({ AliasName: 'alias/esdk', TargetKeyId: KeyMetadata!.KeyId }))
    await client.send(new EncryptCommand({ KeyId: 'alias/esdk', Plaintext: new Uint8Array([1]) }))
    const keyring = new KmsKeyringNode({ generatorKeyId: KeyMetadata!.Arn!, clientProvider: provider(client) })
    const { result } = await encrypt(keyring, new TextEncoder().encode('hello'))
    await kms.disableKey({ keyId: KeyMetadata!.KeyId! })
    await expect(decrypt(keyring, result)).rejects.toThrow(/Unable to decrypt data key/)
  })
})
