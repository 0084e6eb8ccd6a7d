/**
 * Authentication with the official clients' own signatures: V3 (ACS3-HMAC-SHA256) from
 * `@alicloud/openapi-client`, RPC v1 (HMAC-SHA1) from `@alicloud/pop-core` (GET and POST,
 * in process through the agent and over loopback) and `@alicloud/kms20160120`; and the
 * refusals: a wrong secret, an unknown AccessKey, a stale timestamp, a replayed nonce,
 * an unsigned request.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { aliyunKmsAgent, aliyunKmsProtocol, startAliyunKmsServer, type AliyunKmsServer, type AliyunRequest } from '@strongroom/aliyun'
import {
  $Kms, ACCESS_KEY_ID, ACCESS_KEY_SECRET, API_VERSION, CREDENTIALS, PopClient, REGION, b64, callV3, failure, kmsClient,
  openApiClient, openEngine, startServer, unb64,
} from './helpers.js'

const FIFTEEN_MINUTES = 15 * 60_000

describe('signatures', () => {
  let kms: Kms
  let server: AliyunKmsServer

  beforeAll(async () => {
    kms = await openEngine()
    server = await startServer(kms)
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  describe('V3 (ACS3-HMAC-SHA256) from @alicloud/openapi-client', () => {
    it('creates a key, encrypts with a flattened encryption context and decrypts', async () => {
      const client = openApiClient(server)
      const created = await callV3(client, 'CreateKey', { Description: 'v3 key' })
      const keyId = (created['KeyMetadata'] as Record<string, string>)['KeyId']!
      const encrypted = await callV3(client, 'Encrypt', { KeyId: keyId, Plaintext: b64('über-secret'), 'EncryptionContext.tenant': 'a b&c' })
      const decrypted = await callV3(client, 'Decrypt', { CiphertextBlob: encrypted['CiphertextBlob'] as string, EncryptionContext: '{"tenant":"a b&c"}' })
      expect(unb64(decrypted['Plaintext'] as string)).toBe('über-secret')
      expect(decrypted['KeyId']).toBe(keyId)
    })

    it('actions the 1.2.0 generated client lacks: SetDeletionProtection, ReEncrypt, TagResources', async () => {
      const client = openApiClient(server)
      const created = (await callV3(client, 'CreateKey', {}))['KeyMetadata'] as Record<string, string>
      await callV3(client, 'SetDeletionProtection', { ProtectedResourceArn: created['Arn']!, EnableDeletionProtection: 'true', DeletionProtectionDescription: 'prod' })
      const protectedKey = await failure(callV3(client, 'ScheduleKeyDeletion', { KeyId: created['KeyId']!, PendingWindowInDays: '7' }))
      expect([protectedKey.code, protectedKey.status]).toEqual(['Forbidden.DeletionProtected', 403])
      const other = (await callV3(client, 'CreateKey', {}))['KeyMetadata'] as Record<string, string>
      const encrypted = await callV3(client, 'Encrypt', { KeyId: created['KeyId']!, Plaintext: b64('move me') })
      const moved = await callV3(client, 'ReEncrypt', { CiphertextBlob: encrypted['CiphertextBlob'] as string, DestinationKeyId: other['KeyId']! })
      expect(moved['KeyId']).toBe(other['KeyId'])
      expect(unb64((await callV3(client, 'Decrypt', { CiphertextBlob: moved['CiphertextBlob'] as string }))['Plaintext'] as string)).toBe('move me')
      await callV3(client, 'TagResources', { ResourceType: 'key', 'ResourceId.1': created['KeyId']!, 'ResourceId.2': other['KeyId']!, 'Tag.1.Key': 'team', 'Tag.1.Value': 'pay' })
      const listed = await callV3(client, 'ListTagResources', { ResourceType: 'key', 'ResourceId.1': created['KeyId']!, 'ResourceId.2': other['KeyId']! })
      expect(((listed['TagResources'] as { TagResource: unknown[] }).TagResource)).toHaveLength(2)
      await callV3(client, 'UntagResources', { ResourceType: 'key', 'ResourceId.1': other['KeyId']!, All: 'true' })
      const after = await callV3(client, 'ListResourceTags', { KeyId: other['KeyId']! })
      expect((after['Tags'] as { Tag: unknown[] }).Tag).toEqual([])
    })

    it('a wrong secret is SignatureDoesNotMatch; an unknown AccessKey InvalidAccessKeyId.NotFound', async () => {
      const wrong = await failure(callV3(openApiClient(server, 'not-the-secret'), 'ListKeys', {}))
      expect([wrong.code, wrong.status]).toEqual(['SignatureDoesNotMatch', 400])
      const other = await startAliyunKmsServer({ kms, credentials: { SOMEONE_ELSE: { secret: 'x' } } })
      try {
        const unknown = await failure(callV3(openApiClient(other), 'ListKeys', {}))
        expect([unknown.code, unknown.status]).toEqual(['InvalidAccessKeyId.NotFound', 404])
      } finally {
        await other.close()
      }
    })
  })

  describe('RPC v1 (HMAC-SHA1) from @alicloud/pop-core', () => {
    it('in process through aliyunKmsAgent (no port), with GET and POST', async () => {
      const agent = aliyunKmsAgent(kms, { credentials: CREDENTIALS })
      try {
        const client = new PopClient({
          endpoint: `http://kms.${REGION}.aliyuncs.com`, apiVersion: API_VERSION, accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET,
          opts: { agent },
        })
        const created = await client.request('CreateKey', { Description: 'pop key' }, { method: 'POST' }) as { KeyMetadata: { KeyId: string } }
        const keyId = created.KeyMetadata.KeyId
        const encrypted = await client.request('Encrypt', { KeyId: keyId, Plaintext: b64('pop'), EncryptionContext: JSON.stringify({ k: 'v' }) }, { method: 'POST' }) as Record<string, string>
        const decrypted = await client.request('Decrypt', { CiphertextBlob: encrypted['CiphertextBlob'], EncryptionContext: '{"k":"v"}' }, { method: 'GET' }) as Record<string, string>
        expect(unb64(decrypted['Plaintext'])).toBe('pop')
        const disabled = await client.request('DisableKey', { KeyId: keyId }, { method: 'POST' }).then(() => client.request('Encrypt', { KeyId: keyId, Plaintext: b64('x') }, { method: 'POST' }))
          .then(() => undefined, (e: unknown) => e as { code: string; data: Record<string, unknown> })
        expect(disabled?.code).toBe('Rejected.Disabled')
        expect(disabled?.data['Recommend']).toBeTypeOf('string')
      } finally {
        agent.destroy()
      }
    })

    it('over loopback HTTP, and a wrong secret is SignatureDoesNotMatch', async () => {
      const client = new PopClient({ endpoint: server.url, apiVersion: API_VERSION, accessKeyId: ACCESS_KEY_ID, accessKeySecret: ACCESS_KEY_SECRET })
      const listed = await client.request('ListKeys', { PageSize: 5 }, { method: 'GET' }) as Record<string, unknown>
      expect(listed['PageSize']).toBe(5)
      const wrong = new PopClient({ endpoint: server.url, apiVersion: API_VERSION, accessKeyId: ACCESS_KEY_ID, accessKeySecret: 'wrong' })
      const error = await wrong.request('ListKeys', {}, { method: 'POST' }).then(() => undefined, (e: unknown) => e as { code: string })
      expect(error?.code).toBe('SignatureDoesNotMatch')
    })
  })

  describe('freshness', () => {
    it('a timestamp more than 15 minutes from the server clock is InvalidTimeStamp.Expired (both signature versions)', async () => {
      for (const skew of [FIFTEEN_MINUTES + 60_000, -(FIFTEEN_MINUTES + 60_000)]) {
        const skewed = await startAliyunKmsServer({ kms, credentials: CREDENTIALS, now: () => Date.now() + skew })
        try {
          const v1 = await failure(kmsClient(skewed).listKeys(new $Kms.ListKeysRequest({})))
          expect([v1.data['Code'], v1.status]).toEqual(['InvalidTimeStamp.Expired', 400])
          const v3 = await failure(callV3(openApiClient(skewed), 'ListKeys', {}))
          expect(v3.code).toBe('InvalidTimeStamp.Expired')
        } finally {
          await skewed.close()
        }
      }
    })

    it('a request replayed byte for byte is SignatureNonceUsed (both signature versions)', async () => {
      const protocol = aliyunKmsProtocol(kms, { credentials: CREDENTIALS })
      const recorded: AliyunRequest[] = []
      // A recording endpoint: what the real clients sent, kept for replay.
      const recorder = createServer((req: IncomingMessage, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          const url = new URL(req.url ?? '/', 'http://localhost')
          const request: AliyunRequest = {
            method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams),
            headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks),
          }
          recorded.push(request)
          void protocol(request).then((response) => {
            res.writeHead(response.statusCode, response.headers)
            res.end(response.body)
          })
        })
      })
      await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve))
      const endpoint = `127.0.0.1:${(recorder.address() as AddressInfo).port}`
      const fake = { endpoint, protocol: 'http' as const, url: `http://${endpoint}`, port: 0, close: async () => {} }
      try {
        await kmsClient(fake).listKeys(new $Kms.ListKeysRequest({}))
        await callV3(openApiClient(fake), 'ListKeys', {})
        expect(recorded).toHaveLength(2)
        for (const request of recorded) {
          const replayed = await protocol(request)
          const body = JSON.parse(Buffer.from(replayed.body).toString()) as Record<string, unknown>
          expect([replayed.statusCode, body['Code']]).toEqual([400, 'SignatureNonceUsed'])
        }
        // A tampered copy fails its signature before its nonce is looked at.
        const tampered = { ...recorded[0]!, query: { ...recorded[0]!.query, PageSize: '99' } }
        const answer = JSON.parse(Buffer.from((await protocol(tampered)).body).toString()) as Record<string, unknown>
        expect(answer['Code']).toBe('SignatureDoesNotMatch')
      } finally {
        await new Promise((resolve) => recorder.close(resolve))
      }
    })

    it('an unsigned request is IncompleteSignature, and says nothing about the action', async () => {
      const response = await fetch(`${server.url}/?Action=ListKeys&Version=${API_VERSION}&Format=JSON`)
      const body = await response.json() as Record<string, unknown>
      expect([response.status, body['Code']]).toEqual([400, 'IncompleteSignature'])
      expect(Object.keys(body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId'])
    })
  })
})
