/**
 * What lazy-chunks.test.ts bundles for the browser: an app that signs with an EC key, so
 * the engine's asymmetric family and the noble provider's asymmetric half are loaded at
 * their first use, from chunks of their own when the bundler splits code.
 */
import { Kms } from '@strongroom/core'
import { defaultCryptoProvider } from '@strongroom/crypto'
import { memoryStorage } from '@strongroom/storage-memory'

export async function signAndVerify(): Promise<{ provider: string; verified: boolean; macVerified: boolean }> {
  const kms = await Kms.open({ storage: memoryStorage() })
  try {
    const { keyMetadata } = await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })
    const message = new TextEncoder().encode('ship order 7')
    const { value } = await kms.asymmetricSign({ keyId: keyMetadata.keyId, algorithm: 'ECDSA_SHA_256', message })
    const verified = (await kms.asymmetricVerify({ keyId: keyMetadata.keyId, algorithm: 'ECDSA_SHA_256', message, value })).value
    const mac = await kms.createKey({ keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' })
    const { mac: tag } = await kms.generateMac({ keyId: mac.keyMetadata.keyId, macAlgorithm: 'HMAC_SHA_256', message })
    const { macValid } = await kms.verifyMac({ keyId: mac.keyMetadata.keyId, macAlgorithm: 'HMAC_SHA_256', message, mac: tag })
    return { provider: defaultCryptoProvider().name, verified, macVerified: macValid }
  } finally {
    await kms.close()
  }
}
