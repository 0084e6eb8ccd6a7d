/**
 * Fixtures for driving Strongroom with the real AWS SDK: an engine on memory storage with
 * an AWS-looking region and account and a manual clock, and the two transports — the
 * in-process request handler and the loopback HTTP server — behind one interface, so a
 * suite runs unchanged over both. Every client counts its attempts (a middleware in the
 * deserialize step runs once per attempt, inside the retry loop).
 */
import { KMS, KMSServiceException, type KMSClientConfig } from '@aws-sdk/client-kms'
import { Kms, ManualClock } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { expect } from 'vitest'
import { awsRequestHandler, startAwsKmsServer, type AwsKmsOptions, type Engine } from '@strongroom/aws'

export const REGION = 'us-east-1'
export const ACCOUNT = '111122223333'
export const START = '2026-01-01T00:00:00Z'
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
export const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b)

export async function openEngine(): Promise<{ kms: Kms; clock: ManualClock }> {
  const clock = new ManualClock(START)
  const kms = await Kms.open({ storage: memoryStorage(), region: REGION, accountId: ACCOUNT, clock })
  return { kms, clock }
}

export interface Transport {
  /** Client settings that route requests to the engine. */
  readonly config: Partial<KMSClientConfig>
  close(): Promise<void>
}

export const TRANSPORTS = {
  'in-process handler': async (kms: Engine, options: AwsKmsOptions = {}): Promise<Transport> => ({
    config: { requestHandler: awsRequestHandler(kms, options) },
    close: async () => {},
  }),
  'HTTP server': async (kms: Engine, options: AwsKmsOptions = {}): Promise<Transport> => {
    const server = await startAwsKmsServer({ kms, ...options })
    return { config: { endpoint: server.url }, close: () => server.close() }
  },
} as const

export type TransportName = keyof typeof TRANSPORTS

export interface CountingClient {
  /** The aggregated client: `send(command)` and the method style (`client.encrypt(…)`) the Encryption SDK uses. */
  readonly client: KMS
  /** Attempts made (every try, retries included) since the client was made. */
  attempts(): number
}

export function kmsClient(transport: Transport, config: Partial<KMSClientConfig> = {}): CountingClient {
  const client = new KMS({
    region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, ...transport.config, ...config,
  })
  let attempts = 0
  client.middlewareStack.add((next) => (args) => {
    attempts++
    return next(args)
  }, { step: 'deserialize', name: 'countAttempts' })
  return { client, attempts: () => attempts }
}

/**
 * Awaits `promise`, asserts it failed with the SDK exception `expected` (a modelled class,
 * or an exception name the model does not have, e.g. ValidationException) as a client
 * fault that was tried exactly once, and returns the error.
 */
export async function rejectsWith(
  promise: Promise<unknown>, expected: (abstract new (...args: never[]) => Error) | string,
): Promise<KMSServiceException> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (error === undefined) throw new Error(`expected ${typeof expected === 'string' ? expected : expected.name}, but the call succeeded`)
  expect(error).toBeInstanceOf(KMSServiceException)
  if (typeof expected === 'string') expect((error as Error).name).toBe(expected)
  else expect(error).toBeInstanceOf(expected)
  const serviceError = error as KMSServiceException
  expect(serviceError.$fault).toBe('client')
  expect(serviceError.$metadata.attempts).toBe(1)
  return serviceError
}
