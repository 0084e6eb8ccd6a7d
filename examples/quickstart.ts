/**
 * The README quickstart, exactly as written there: open an engine on the embedded
 * memory store, create a key, encrypt and decrypt a secret bound to an encryption
 * context, and generate a data key for envelope encryption.
 *
 * Run it: `npx -y pnpm@12.21.0 install && npx -y pnpm@12.21.0 demo`
 */
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

const kms = await Kms.open({ storage: memoryStorage() })
const { keyMetadata } = await kms.createKey({ description: 'orders' })
const { ciphertextBlob } = await kms.encrypt({
  keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('card 4111'),
  encryptionContext: { tenant: 'acme' } })
const { plaintext } = await kms.decrypt({ ciphertextBlob, encryptionContext: { tenant: 'acme' } })
const dataKey = await kms.generateDataKey({ keyId: keyMetadata.keyId, keySpec: 'AES_256' })
await kms.close()

console.log(`key        ${keyMetadata.keyId} (${keyMetadata.keyState}, ${keyMetadata.keySpec})`)
console.log(`ciphertext ${ciphertextBlob.length} bytes, key version ${keyMetadata.primaryKeyVersion}`)
console.log(`decrypted  "${new TextDecoder().decode(plaintext)}"`)
console.log(`data key   ${dataKey.plaintext.length * 8}-bit, wrapped in ${dataKey.ciphertextBlob.length} bytes`)
dataKey.plaintext.fill(0)
