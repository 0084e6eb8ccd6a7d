/**
 * `aliyunKmsClient()`: the official Alibaba Cloud KMS client (`@alicloud/kms20160120`),
 * served by a Strongroom engine on a loopback port of its own — no container, no mocked
 * responses. The SDK signs (RPC v1), sends and parses every call as it does against Alibaba
 * Cloud. That client accepts no custom transport, so the engine is served on 127.0.0.1 with
 * a port picked by the system and an AccessKey made for the client; `close()` (or
 * `await using`) stops it.
 *
 * ```ts
 * const { kms, keys } = await createTestKms({ keys: { orders: {} } })
 * await using aliyun = await aliyunKmsClient(kms)
 * await aliyun.client.encrypt(new $Kms.EncryptRequest({ keyId: 'alias/orders', plaintext: 'aGk=' }))
 * ```
 *
 * `@alicloud/kms20160120` is an optional peer dependency: install it in the project that
 * calls this (it is loaded on first use).
 */
import { randomBytes } from 'node:crypto'
import { startAliyunKmsServer } from '@strongroom/aliyun'
import type { Kms } from '@strongroom/core'
import { createTestKms, type TestKms, type TestKmsOptions } from './test-kms.js'

/** The AccessKey the client signs with (made fresh for each client; the server knows only it). */
export interface AliyunTestClient<Client> extends AsyncDisposable {
  /** A `@alicloud/kms20160120` client of the engine's region, pointed at the loopback server. */
  readonly client: Client
  /** `127.0.0.1:<port>`: for other Alibaba Cloud clients (pop-core, openapi-client) of the same engine. */
  readonly endpoint: string
  readonly accessKeyId: string
  readonly accessKeySecret: string
  /** Stops the server (and closes the engine when this function made it). */
  close(): Promise<void>
}

export interface AliyunKmsClientOptions {
  /** Without an engine: options of the fresh one created for this client. */
  readonly testKms?: TestKmsOptions
}

type KmsClientClass = typeof import('@alicloud/kms20160120').default

/** The official client against `kms` (a `Kms`, or what `createTestKms` returned), or against a fresh test engine. */
export async function aliyunKmsClient(kms?: Kms | TestKms, options: AliyunKmsClientOptions = {}): Promise<AliyunTestClient<InstanceType<KmsClientClass>>> {
  const own = kms === undefined ? await createTestKms(options.testKms) : undefined
  const engine = own?.kms ?? (kms !== undefined && 'kms' in kms ? kms.kms : (kms as Kms))
  let Client: KmsClientClass
  try {
    // A CommonJS module: the class sits on `default`, or one `default` deeper under some loaders.
    const loaded = (await import('@alicloud/kms20160120')) as unknown as { default: KmsClientClass & { default?: KmsClientClass } }
    Client = loaded.default.default ?? loaded.default
  } catch (cause) {
    throw new Error('aliyunKmsClient needs @alicloud/kms20160120: install it (npm install --save-dev @alicloud/kms20160120)', { cause })
  }
  const accessKeyId = `LTAI${randomBytes(10).toString('hex')}`
  const accessKeySecret = randomBytes(18).toString('base64url')
  const server = await startAliyunKmsServer({ kms: engine, credentials: { [accessKeyId]: { secret: accessKeySecret } } })
  const client = new Client({
    accessKeyId, accessKeySecret, endpoint: server.endpoint, protocol: server.protocol, regionId: engine.region,
  } as ConstructorParameters<KmsClientClass>[0])
  const close = async (): Promise<void> => {
    await server.close()
    await own?.close()
  }
  return { client, endpoint: server.endpoint, accessKeyId, accessKeySecret, close, [Symbol.asyncDispose]: close }
}
