/**
 * The wire itself, as a client other than the JavaScript SDK sees it (raw requests), over
 * both transports: JSON 1.1 framing, error bodies and headers, epoch-second timestamps,
 * base64 blobs, and every malformed request answered with the right error.
 */
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awsRequestHandler, startAwsKmsServer, type AwsKmsServer } from '@strongroom/aws'
import { ACCOUNT, REGION } from './helpers.js'

interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly json: Record<string, unknown>
}

type Send = (body: string | Uint8Array, headers?: Record<string, string>, method?: string) => Promise<RawResponse>

const JSON_11 = 'application/x-amz-json-1.1'
const decoder = new TextDecoder()

function target(operation: string): Record<string, string> {
  return { 'content-type': JSON_11, 'x-amz-target': `TrentService.${operation}` }
}

const TRANSPORTS: Record<string, (kms: Kms) => Promise<{ send: Send; close(): Promise<void> }>> = {
  'in-process handler': async (kms) => {
    const handler = awsRequestHandler(kms)
    return {
      send: async (body, headers = {}, method = 'POST') => {
        const { response } = await handler.handle({ method, path: '/', headers, body })
        return { status: response.statusCode, headers: response.headers, json: JSON.parse(decoder.decode(response.body)) as Record<string, unknown> }
      },
      close: async () => {},
    }
  },
  'HTTP server': async (kms) => {
    const server: AwsKmsServer = await startAwsKmsServer({ kms })
    return {
      send: async (body, headers = {}, method = 'POST') => {
        const response = await fetch(server.url, { method, headers, ...(method === 'GET' ? {} : { body }) })
        return { status: response.status, headers: Object.fromEntries(response.headers), json: (await response.json()) as Record<string, unknown> }
      },
      close: () => server.close(),
    }
  },
}

describe.each(Object.keys(TRANSPORTS))('the wire through the %s', (name) => {
  let kms: Kms
  let send: Send
  let close: () => Promise<void>

  beforeEach(async () => {
    kms = await Kms.open({ storage: memoryStorage(), region: REGION, accountId: ACCOUNT })
    ;({ send, close } = await TRANSPORTS[name]!(kms))
  })
  afterEach(async () => {
    await close()
    await kms.close()
  })

  it('answers JSON 1.1 with a request id, epoch-second timestamps and base64 blobs', async () => {
    const created = await send('{"Description":"raw"}', target('CreateKey'))
    expect(created.status).toBe(200)
    expect(created.headers['content-type']).toBe(JSON_11)
    expect(created.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/)
    const metadata = created.json['KeyMetadata'] as Record<string, unknown>
    expect(typeof metadata['CreationDate']).toBe('number')
    expect(Math.abs((metadata['CreationDate'] as number) - Date.now() / 1000)).toBeLessThan(60)
    const encrypted = await send(JSON.stringify({ KeyId: metadata['KeyId'], Plaintext: Buffer.from('hi').toString('base64') }), target('Encrypt'))
    expect(encrypted.json['CiphertextBlob']).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const decrypted = await send(JSON.stringify({ CiphertextBlob: encrypted.json['CiphertextBlob'] }), target('Decrypt'))
    expect(Buffer.from(decrypted.json['Plaintext'] as string, 'base64').toString()).toBe('hi')
  })

  it('errors are {"__type", "message"} with x-amzn-ErrorType and a 4xx status', async () => {
    const missing = await send('{"KeyId":"alias/none"}', target('DescribeKey'))
    expect(missing.status).toBe(400)
    expect(missing.headers['x-amzn-errortype']).toBe('NotFoundException')
    expect(missing.json).toEqual({ __type: 'NotFoundException', message: expect.any(String) })
  })

  it('unknown, missing and foreign targets are UnknownOperationException', async () => {
    expect((await send('{}', target('MakeCoffee'))).json['__type']).toBe('UnknownOperationException')
    expect((await send('{}', target('toString'))).json['__type']).toBe('UnknownOperationException')
    expect((await send('{}', { 'content-type': JSON_11 })).json['__type']).toBe('UnknownOperationException')
    expect((await send('{}', { 'content-type': JSON_11, 'x-amz-target': 'DynamoDB_20120810.ListTables' })).json['__type']).toBe('UnknownOperationException')
  })

  it('malformed bodies are SerializationException; constraint violations ValidationException', async () => {
    expect((await send('{not json', target('ListKeys'))).json['__type']).toBe('SerializationException')
    expect((await send('[]', target('ListKeys'))).json['__type']).toBe('SerializationException')
    expect((await send(new Uint8Array([0x7b, 0xff, 0x7d]), target('ListKeys'))).json['__type']).toBe('SerializationException')
    expect((await send('{"KeyId":5}', target('DescribeKey'))).json['__type']).toBe('SerializationException')
    expect((await send('{"Limit":"ten"}', target('ListKeys'))).json['__type']).toBe('SerializationException')
    expect((await send('{"KeyId":"alias/x","Plaintext":"not*base64"}', target('Encrypt'))).json['__type']).toBe('SerializationException')
    expect((await send('{"KeyId":"alias/x","Plaintext":"aGk=","EncryptionContext":{"a":1}}', target('Encrypt'))).json['__type']).toBe('SerializationException')
    expect((await send('{}', target('DescribeKey'))).json).toEqual({
      __type: 'ValidationException', message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    })
    expect((await send('{"Limit":0}', target('ListKeys'))).json['__type']).toBe('ValidationException')
    // An empty body is an empty request, as AWS treats operations without input.
    expect((await send('', target('ListKeys'))).status).toBe(200)
  })

  it('an encryption context key named __proto__ is data', async () => {
    const key = ((await send('{}', target('CreateKey'))).json['KeyMetadata'] as Record<string, unknown>)['KeyId']
    const context = '{"__proto__":"x","constructor":"y"}'
    const encrypted = await send(`{"KeyId":"${String(key)}","Plaintext":"aGk=","EncryptionContext":${context}}`, target('Encrypt'))
    expect(encrypted.status).toBe(200)
    const blob = String(encrypted.json['CiphertextBlob'])
    expect((await send(`{"CiphertextBlob":"${blob}","EncryptionContext":${context}}`, target('Decrypt'))).status).toBe(200)
    expect((await send(`{"CiphertextBlob":"${blob}","EncryptionContext":{"constructor":"y"}}`, target('Decrypt'))).json['__type']).toBe('InvalidCiphertextException')
  })

  it('other media types are 415, other methods 405, bodies over 1 MiB 413', async () => {
    const text = await send('{}', { 'content-type': 'text/plain', 'x-amz-target': 'TrentService.ListKeys' })
    expect(text).toMatchObject({ status: 415, json: { __type: 'UnsupportedMediaTypeException' } })
    expect((await send('{}', { 'content-type': 'application/json', 'x-amz-target': 'TrentService.ListKeys' })).status).toBe(200)
    expect((await send('', target('ListKeys'), 'GET')).status).toBe(405)
    const huge = `{"Description":"${'x'.repeat(1024 * 1024)}"}`
    expect(await send(huge, target('CreateKey'))).toMatchObject({ status: 413, json: { __type: 'RequestEntityTooLargeException' } })
    expect((await send('{}', target('ListKeys'))).status).toBe(200)
  })
})
