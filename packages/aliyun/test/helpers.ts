/**
 * Fixtures for driving Strongroom with the official Alibaba Cloud clients: an engine on
 * memory storage in an Alibaba region, an endpoint (loopback server, or the in-process
 * agent for pop-core) with one AccessKey, and the three clients set up against it —
 * `@alicloud/kms20160120` (RPC v1 signatures), `@alicloud/openapi-client` (V3
 * ACS3-HMAC-SHA256) and `@alicloud/pop-core` (RPC v1, GET or POST).
 */
import * as kmsSdk from '@alicloud/kms20160120'
import * as openApi from '@alicloud/openapi-client'
import RPCClient from '@alicloud/pop-core'
import * as teaUtil from '@alicloud/tea-util'
import { Kms, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { expect } from 'vitest'
import { startAliyunKmsServer, type AccessKeys, type AliyunKmsServer } from '@strongroom/aliyun'

export const REGION = 'cn-hangzhou'
export const ACCOUNT = '1234567890123456'
export const ACCESS_KEY_ID = 'LTAI5tStrongroomTest'
export const ACCESS_KEY_SECRET = 'strongroom-test-secret'
export const CREDENTIALS: AccessKeys = { [ACCESS_KEY_ID]: { secret: ACCESS_KEY_SECRET } }
export const API_VERSION = '2016-01-20'

export const b64 = (text: string): string => Buffer.from(text).toString('base64')
export const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString()

/** CommonJS modules seen through ESM: the class is the default export's `default` when compiled by tsc. */
function cjsDefault<T>(module: unknown): T {
  const m = module as { default?: { default?: T } & T }
  return (m.default?.default ?? m.default ?? module) as T
}

export const KmsClient = cjsDefault<typeof kmsSdk.default.default>(kmsSdk)
export const OpenApiClient = cjsDefault<typeof openApi.default.default>(openApi)
export const PopClient = cjsDefault<typeof RPCClient>(RPCClient)
export const $Kms = kmsSdk
export const $OpenApi = openApi
export const $Util = teaUtil

export async function openEngine(region = REGION, storage: StorageAdapter = memoryStorage()): Promise<Kms> {
  return Kms.open({ storage, region, accountId: ACCOUNT })
}

export async function startServer(kms: Kms, credentials: AccessKeys = CREDENTIALS): Promise<AliyunKmsServer> {
  return startAliyunKmsServer({ kms, credentials })
}

/** The generated KMS client (RPC v1 HMAC-SHA1 signatures) against `server`. */
export function kmsClient(server: AliyunKmsServer, secret = ACCESS_KEY_SECRET): InstanceType<typeof KmsClient> {
  return new KmsClient({
    accessKeyId: ACCESS_KEY_ID, accessKeySecret: secret, endpoint: server.endpoint, protocol: server.protocol, regionId: REGION,
  } as ConstructorParameters<typeof KmsClient>[0])
}

/** The generic OpenAPI client (V3 ACS3-HMAC-SHA256 signatures) against `server`. */
export function openApiClient(server: AliyunKmsServer, secret = ACCESS_KEY_SECRET): InstanceType<typeof OpenApiClient> {
  return new OpenApiClient(new openApi.Config({
    accessKeyId: ACCESS_KEY_ID, accessKeySecret: secret, endpoint: server.endpoint, protocol: server.protocol, regionId: REGION,
  }))
}

/** One RPC call through the OpenAPI client: flat string parameters in the query string, as its generated clients send them. */
export async function callV3(client: InstanceType<typeof OpenApiClient>, action: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  const params = new openApi.Params({
    action, version: API_VERSION, protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC',
    reqBodyType: 'formData', bodyType: 'json',
  })
  const result = await client.callApi(params, new openApi.OpenApiRequest({ query }), new teaUtil.RuntimeOptions({}))
  return result['body'] as Record<string, unknown>
}

/** The error a call failed with, asserting it carries Alibaba's error body. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; data: Record<string, unknown> }> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (error === undefined) throw new Error('expected the call to fail, but it succeeded')
  const { code, data } = error as { code?: string; data?: Record<string, unknown> }
  expect(data).toBeDefined()
  for (const member of ['Code', 'Message', 'RequestId', 'HostId', 'Recommend']) expect(data).toHaveProperty(member)
  const status = Number(data!['statusCode'] ?? /code: (\d{3})/.exec((error as Error).message)?.[1])
  return { code: String(code), status, data: data! }
}
