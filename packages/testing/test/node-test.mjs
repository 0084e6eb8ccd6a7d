// The node:test recipe from the README, run as is by `pnpm --filter @strongroom/testing test:node`.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { EncryptCommand, DecryptCommand } from '@aws-sdk/client-kms'
import { awsKmsClient, createTestKms } from '@strongroom/testing'

let testKms
before(async () => {
  testKms = await createTestKms({ keys: { orders: {} } })
})
after(() => testKms.close())

test('encrypts and decrypts with the engine', async () => {
  const { ciphertextBlob } = await testKms.kms.encrypt({ keyId: 'alias/orders', plaintext: new TextEncoder().encode('card 4111') })
  const { plaintext } = await testKms.kms.decrypt({ ciphertextBlob })
  assert.equal(new TextDecoder().decode(plaintext), 'card 4111')
})

test('the AWS SDK client talks to the same engine', async () => {
  const client = await awsKmsClient(testKms)
  const { CiphertextBlob } = await client.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('via sdk') }))
  const { Plaintext } = await client.send(new DecryptCommand({ CiphertextBlob }))
  assert.equal(Buffer.from(Plaintext).toString(), 'via sdk')
})
