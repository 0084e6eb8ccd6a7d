/**
 * `awsKmsClient()`: the real `KMSClient` of `@aws-sdk/client-kms`, served in this process
 * by a Strongroom engine — no container, no port, no mocked responses. The SDK builds,
 * signs, serialises and parses every call as it does against AWS; only the transport is
 * replaced (`@strongroom/aws`'s request handler).
 *
 * ```ts
 * const client = await awsKmsClient()                        // its own fresh test engine
 * const { kms, keys } = await createTestKms({ keys: { orders: {} } })
 * const shared = await awsKmsClient(kms)                     // or share one engine
 * await shared.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: bytes }))
 * ```
 *
 * `@aws-sdk/client-kms` is an optional peer dependency: install it in the project that
 * calls this (it is loaded on first use, so `createTestKms` never needs it).
 */
import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms'
import { awsRequestHandler } from '@strongroom/aws'
import type { Kms } from '@strongroom/core'
import { createTestKms, type TestKms, type TestKmsOptions } from './test-kms.js'

/** Fixed, fake credentials: the in-process handler does not check signatures, the SDK still needs some. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIASTRONGROOMTEST00', secretAccessKey: 'strongroom-test-secret' } as const

export interface AwsKmsClientOptions {
  /** Without an engine: options of the fresh one created for this client. */
  readonly testKms?: TestKmsOptions
  /** More `KMSClient` settings (retry strategy, logger, …); region, credentials and requestHandler are set here. */
  readonly config?: Omit<KMSClientConfig, 'region' | 'credentials' | 'requestHandler'>
}

/**
 * A `KMSClient` whose every call runs against `kms` (a `Kms`, or what `createTestKms`
 * returned), or against a fresh test engine when none is given. Its region is the
 * engine's, so ARNs in responses match the client.
 */
export async function awsKmsClient(kms?: Kms | TestKms, options: AwsKmsClientOptions = {}): Promise<KMSClient> {
  const engine = kms === undefined ? (await createTestKms(options.testKms)).kms : 'kms' in kms ? kms.kms : kms
  let sdk: typeof import('@aws-sdk/client-kms')
  try {
    sdk = await import('@aws-sdk/client-kms')
  } catch (cause) {
    throw new Error('awsKmsClient needs @aws-sdk/client-kms: install it (npm install --save-dev @aws-sdk/client-kms)', { cause })
  }
  return new sdk.KMSClient({
    ...options.config,
    region: engine.region,
    credentials: TEST_CREDENTIALS,
    requestHandler: awsRequestHandler(engine),
  })
}
