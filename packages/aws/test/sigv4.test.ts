/**
 * Optional SigV4 verification, against requests the real AWS SDK signed, over both
 * transports: good signatures pass and name their principal (`kms.as`), bad ones get the
 * AWS error, replays and alterations are refused, and the SDK's clock-skew correction
 * works off our `date` header. Also `principalFor` (unverified mapping) and failing
 * closed on an engine without authorization.
 */
import { createHash } from 'node:crypto'
import { CreateKeyCommand, DescribeKeyCommand, KMSServiceException, ListKeysCommand, type KMSClient } from '@aws-sdk/client-kms'
import type { Kms } from '@strongroom/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { awsKmsProtocol, awsRequestHandler, type AccessKeys, type AwsRequest, type Engine, type SdkHttpRequest } from '@strongroom/aws'
import { TRANSPORTS, kmsClient, openEngine, rejectsWith, type Transport, type TransportName } from './helpers.js'

const KEYS: AccessKeys = {
  AKIDALICE: { secretAccessKey: 'alice-secret', principal: 'alice' },
  AKIDOWNER: { secretAccessKey: 'owner-secret' },
}

/** The engine with a stand-in for core's `kms.as(principal)`: records which principal each call ran as. */
function withPrincipals(kms: Kms, calls: string[]): Engine {
  const client = (principal: string): unknown => new Proxy(kms, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(`${principal}:${String(property)}`)
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return new Proxy(kms, {
    get(target, property) {
      if (property === 'as') return client
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as unknown as Engine
}

function signedClient(transport: Transport, accessKeyId: string, secretAccessKey: string, extra = {}): KMSClient {
  return kmsClient(transport, { credentials: { accessKeyId, secretAccessKey }, ...extra }).client
}

describe.each(Object.keys(TRANSPORTS) as TransportName[])('SigV4 through the %s', (transportName) => {
  let kms: Kms
  let calls: string[]
  let transport: Transport
  const clients: KMSClient[] = []

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    calls = []
    transport = await TRANSPORTS[transportName](withPrincipals(kms, calls), { credentials: KEYS })
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await transport.close()
    await kms.close()
  })

  function client(accessKeyId: string, secretAccessKey: string, extra = {}): KMSClient {
    const c = signedClient(transport, accessKeyId, secretAccessKey, extra)
    clients.push(c)
    return c
  }

  it('a valid signature runs the call as the access key\'s principal, or as the owner', async () => {
    const { KeyMetadata } = await client('AKIDOWNER', 'owner-secret').send(new CreateKeyCommand({}))
    expect(calls).toEqual([])
    await client('AKIDALICE', 'alice-secret').send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))
    expect(calls).toEqual(['alice:describeKey'])
  })

  it('a wrong secret is InvalidSignatureException, an unknown key UnrecognizedClientException, neither retried', async () => {
    await rejectsWith(client('AKIDALICE', 'not-the-secret').send(new ListKeysCommand({})), 'InvalidSignatureException')
    await rejectsWith(client('AKIDNOBODY', 'whatever').send(new ListKeysCommand({})), 'UnrecognizedClientException')
    expect(calls).toEqual([])
  })

  it('a client whose clock is 20 minutes off is refused once, corrects itself from our Date header, and succeeds', async () => {
    const skewed = client('AKIDALICE', 'alice-secret', { systemClockOffset: -20 * 60_000 })
    const result = await skewed.send(new ListKeysCommand({}))
    expect(result.$metadata.attempts).toBe(2)
  })
})

describe('SigV4 on requests the SDK signed, replayed with changes', () => {
  let kms: Kms
  let signed: SdkHttpRequest
  let now = Date.now()

  beforeEach(async () => {
    ;({ kms } = await openEngine())
    // Capture one real signed request: a handler that records instead of answering.
    const recorder = awsRequestHandler(kms)
    const client = kmsClient({ config: { requestHandler: { ...recorder, handle: async (request: SdkHttpRequest) => {
      signed = request
      return recorder.handle(request)
    } } }, close: async () => {} }, { credentials: { accessKeyId: 'AKIDOWNER', secretAccessKey: 'owner-secret' } }).client
    await client.send(new ListKeysCommand({ Limit: 5 }))
    client.destroy()
    now = Date.now()
  })
  afterEach(() => kms.close())

  async function replay(change: (r: { headers: Record<string, string>; body: Uint8Array; method: string; path: string }) => void, at = now) {
    const protocol = awsKmsProtocol(kms, { credentials: KEYS, now: () => at })
    const request = {
      method: signed.method, path: signed.path, query: {}, headers: { ...signed.headers },
      body: new TextEncoder().encode(new TextDecoder().decode(signed.body as Uint8Array)),
    }
    change(request)
    const response = await protocol(request as AwsRequest)
    return { status: response.statusCode, type: response.headers['x-amzn-errortype'], body: JSON.parse(new TextDecoder().decode(response.body)) as Record<string, unknown> }
  }

  it('the unchanged request verifies', async () => {
    expect((await replay(() => {})).status).toBe(200)
  })

  it('a changed body, operation, signed header or method fails', async () => {
    expect((await replay((r) => { r.body = new TextEncoder().encode('{"Limit":6}') })).type).toBe('InvalidSignatureException')
    expect((await replay((r) => { r.headers['x-amz-target'] = 'TrentService.CreateKey' })).type).toBe('InvalidSignatureException')
    expect((await replay((r) => { r.headers['host'] = 'elsewhere.example' })).type).toBe('InvalidSignatureException')
    // Recomputing the payload hash does not help: the hash is part of what was signed.
    expect((await replay((r) => {
      r.body = new TextEncoder().encode('{"Limit":6}')
      r.headers['x-amz-content-sha256'] = createHash('sha256').update(r.body).digest('hex')
    })).type).toBe('InvalidSignatureException')
    expect((await replay((r) => { delete r.headers['x-amz-content-sha256'] })).type).toBe('IncompleteSignatureException')
    expect((await replay((r) => { r.method = 'PUT' })).status).toBe(405)
  })

  it('unsigned payloads, missing or malformed authorization, unsigned targets and stale dates are refused', async () => {
    expect((await replay((r) => { r.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD' })).type).toBe('InvalidSignatureException')
    const missing = await replay((r) => { delete r.headers['authorization'] })
    expect(missing).toMatchObject({ status: 403, type: 'MissingAuthenticationTokenException' })
    expect((await replay((r) => { r.headers['authorization'] = 'Basic dXNlcjpwYXNz' })).type).toBe('IncompleteSignatureException')
    expect((await replay((r) => {
      r.headers['authorization'] = r.headers['authorization']!.replace(/SignedHeaders=[^,]*/, 'SignedHeaders=host;x-amz-date')
    })).type).toBe('IncompleteSignatureException')
    expect((await replay((r) => { r.headers['authorization'] = r.headers['authorization']!.replace('/kms/', '/s3/') })).type).toBe('InvalidSignatureException')
    expect((await replay(() => {}, now + 16 * 60_000)).type).toBe('InvalidSignatureException')
    expect((await replay(() => {}, now - 16 * 60_000)).type).toBe('InvalidSignatureException')
    expect((await replay(() => {}, now + 14 * 60_000)).status).toBe(200)
  })

  it('error messages never contain the secret or the expected signature', async () => {
    const { body } = await replay((r) => { r.body = new TextEncoder().encode('{"Limit":7}') })
    expect(JSON.stringify(body)).not.toContain('owner-secret')
    expect(JSON.stringify(body)).not.toMatch(/[0-9a-f]{64}/)
  })
})

describe('principals without verification, and engines without authorization', () => {
  it('principalFor maps the claimed access key id (unverified) to a principal', async () => {
    const { kms } = await openEngine()
    const calls: string[] = []
    const transport = await TRANSPORTS['in-process handler'](withPrincipals(kms, calls), {
      principalFor: (id) => (id === 'AKIDBOB' ? 'bob' : undefined),
    })
    await signedClient(transport, 'AKIDBOB', 'anything').send(new ListKeysCommand({}))
    await signedClient(transport, 'AKIDOTHER', 'anything').send(new ListKeysCommand({}))
    expect(calls).toEqual(['bob:listKeys'])
    await kms.close()
  })

  it('a principal on an engine without kms.as is AccessDeniedException, never the owner\'s power', async () => {
    const { kms } = await openEngine()
    const engine = new Proxy(kms, {
      get(target, property) {
        if (property === 'as') return undefined
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as unknown as Engine
    const transport = await TRANSPORTS['in-process handler'](engine, { credentials: KEYS })
    const error = await rejectsWith(signedClient(transport, 'AKIDALICE', 'alice-secret').send(new ListKeysCommand({})), 'AccessDeniedException')
    expect(error).toBeInstanceOf(KMSServiceException)
    await signedClient(transport, 'AKIDOWNER', 'owner-secret').send(new ListKeysCommand({}))
    await kms.close()
  })

  it('credentials and principalFor together are refused: one way to name principals', async () => {
    const { kms } = await openEngine()
    expect(() => awsRequestHandler(kms, { credentials: KEYS, principalFor: () => 'x' })).toThrow(TypeError)
    await kms.close()
  })
})
