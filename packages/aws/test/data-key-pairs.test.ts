/**
 * GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext through the real
 * `@aws-sdk/client-kms`, in process and over HTTP: every KeyPairSpec AWS offers outside
 * China gives a pair plain node:crypto reads and signs with, the private key (PKCS#8 DER)
 * encrypted under a symmetric key with the encryption context (Decrypt opens it), the
 * response members AWS answers, and AWS's errors.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import {
  CreateKeyCommand, DecryptCommand, DisableKeyCommand, DisabledException, DryRunOperationException, GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand, InvalidCiphertextException, InvalidKeyUsageException, NotFoundException,
  UnsupportedOperationException, type DataKeyPairSpec, type KMS,
} from '@aws-sdk/client-kms'
import type { Kms } from '@strongroom/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACCOUNT, REGION, TRANSPORTS, kmsClient, openEngine, rejectsWith, utf8, type Transport, type TransportName,
} from './helpers.js'

const arnOf = (keyId: string): string => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`
const CONTEXT = { purpose: 'data-key-pair' }

/** What node:crypto reports for each AWS KeyPairSpec. */
const SPECS: readonly { spec: DataKeyPairSpec; type: string; curve?: string; bits?: number }[] = [
  { spec: 'RSA_2048', type: 'rsa', bits: 2048 },
  { spec: 'RSA_3072', type: 'rsa', bits: 3072 },
  { spec: 'ECC_NIST_P256', type: 'ec', curve: 'prime256v1' },
  { spec: 'ECC_NIST_P384', type: 'ec', curve: 'secp384r1' },
  { spec: 'ECC_NIST_P521', type: 'ec', curve: 'secp521r1' },
  { spec: 'ECC_SECG_P256K1', type: 'ec', curve: 'secp256k1' },
  { spec: 'ECC_NIST_EDWARDS25519', type: 'ed25519' },
]

let shared: Kms
let symmetricKey: string
let signingKey: string

beforeAll(async () => {
  ;({ kms: shared } = await openEngine())
  symmetricKey = (await shared.createKey()).keyMetadata.keyId
  signingKey = (await shared.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
})
afterAll(() => shared.close())

describe.each(Object.keys(TRANSPORTS) as TransportName[])('data key pairs through the %s', (transportName) => {
  let transport: Transport
  let client: KMS

  beforeAll(async () => {
    transport = await TRANSPORTS[transportName](shared)
    client = kmsClient(transport).client
  })
  afterAll(async () => {
    client.destroy()
    await transport.close()
  })

  it.each(SPECS)('GenerateDataKeyPair $spec: node:crypto reads and signs with the pair; Decrypt opens the private key', async ({ spec, type, curve, bits }) => {
    const answer = await client.send(new GenerateDataKeyPairCommand({ KeyId: symmetricKey, KeyPairSpec: spec, EncryptionContext: CONTEXT }))
    const { $metadata, ...members } = answer
    expect(Object.keys(members).sort()).toEqual(['KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PrivateKeyPlaintext', 'PublicKey'])
    expect(answer).toMatchObject({ KeyId: arnOf(symmetricKey), KeyPairSpec: spec })
    const privateKey = createPrivateKey({ key: Buffer.from(answer.PrivateKeyPlaintext!), format: 'der', type: 'pkcs8' })
    const publicKey = createPublicKey({ key: Buffer.from(answer.PublicKey!), format: 'der', type: 'spki' })
    expect(privateKey.asymmetricKeyType).toBe(type)
    if (curve !== undefined) expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(curve)
    if (bits !== undefined) expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(bits)
    const hash = type === 'ed25519' ? null : 'sha256'
    expect(nodeVerify(hash, utf8('m'), publicKey, nodeSign(hash, utf8('m'), privateKey))).toBe(true)
    const opened = await client.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob, EncryptionContext: CONTEXT }))
    expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(answer.PrivateKeyPlaintext!))).toBe(true)
    await rejectsWith(client.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob })), InvalidCiphertextException)
  })

  it('GenerateDataKeyPairWithoutPlaintext: no PrivateKeyPlaintext; the private key Decrypt gives matches the public key', async () => {
    const answer = await client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetricKey, KeyPairSpec: 'ECC_NIST_P384', EncryptionContext: CONTEXT }))
    const { $metadata, ...members } = answer
    expect(Object.keys(members).sort()).toEqual(['KeyId', 'KeyMaterialId', 'KeyPairSpec', 'PrivateKeyCiphertextBlob', 'PublicKey'])
    const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob, EncryptionContext: CONTEXT }))
    const derived = createPublicKey(createPrivateKey({ key: Buffer.from(Plaintext!), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' })
    expect(Buffer.from(derived).equals(Buffer.from(answer.PublicKey!))).toBe(true)
  })

  it('AWS\'s errors: SM2 outside China and Recipient are UnsupportedOperationException; a key that is not symmetric InvalidKeyUsageException; others', async () => {
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: symmetricKey, KeyPairSpec: 'SM2' })), UnsupportedOperationException)
    await rejectsWith(client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetricKey, KeyPairSpec: 'SM2' })), UnsupportedOperationException)
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: symmetricKey, KeyPairSpec: 'RSA_1024' as never })), 'ValidationException')
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: symmetricKey } as never)), 'ValidationException')
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({
      KeyId: symmetricKey, KeyPairSpec: 'ECC_NIST_P256', Recipient: { KeyEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', AttestationDocument: new Uint8Array(8) },
    })), UnsupportedOperationException)
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: signingKey, KeyPairSpec: 'ECC_NIST_P256' })), InvalidKeyUsageException)
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: '00000000-0000-4000-8000-000000000000', KeyPairSpec: 'ECC_NIST_P256' })), NotFoundException)
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: symmetricKey, KeyPairSpec: 'ECC_NIST_P256', DryRun: true })), DryRunOperationException)
    await rejectsWith(client.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetricKey, KeyPairSpec: 'ECC_NIST_P256', DryRun: true })), DryRunOperationException)
    const disabled = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    await client.send(new DisableKeyCommand({ KeyId: disabled }))
    await rejectsWith(client.send(new GenerateDataKeyPairCommand({ KeyId: disabled, KeyPairSpec: 'ECC_NIST_P256' })), DisabledException)
  })
})
