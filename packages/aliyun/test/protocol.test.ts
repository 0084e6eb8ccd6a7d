/**
 * The RPC protocol without a client: parameters from the query string and the form body,
 * both spellings of structured values (JSON strings and flattened members), the request
 * checks, and the action table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { ALIYUN_ACTIONS, aliyunKmsProtocol, MAX_REQUEST_BYTES, type AliyunRequest } from '@strongroom/aliyun'
import { API_VERSION, b64, openEngine } from './helpers.js'

type Answer = { status: number; body: Record<string, unknown> }

describe('the RPC protocol', () => {
  let kms: Kms
  let protocol: ReturnType<typeof aliyunKmsProtocol>

  beforeAll(async () => {
    kms = await openEngine()
    protocol = aliyunKmsProtocol(kms)
  })
  afterAll(() => kms.close())

  async function send(request: Partial<AliyunRequest>): Promise<Answer> {
    const response = await protocol({ method: 'POST', path: '/', query: {}, headers: {}, body: new Uint8Array(), ...request })
    expect(response.headers['content-type']).toBe('application/json;charset=utf-8')
    return { status: response.statusCode, body: JSON.parse(Buffer.from(response.body).toString()) as Record<string, unknown> }
  }

  /** An action with its parameters as a form body, as POST clients send it. */
  function form(action: string, params: Record<string, string>): Promise<Answer> {
    const body = new URLSearchParams({ Action: action, Version: API_VERSION, Format: 'JSON', ...params }).toString()
    return send({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(body) })
  }

  function query(action: string, params: Record<string, string>): Promise<Answer> {
    return send({ method: 'GET', query: { Action: action, Version: API_VERSION, ...params } })
  }

  it('reads parameters from the form body and from the query string alike', async () => {
    const created = await form('CreateKey', { Description: 'form' })
    expect(created.status).toBe(200)
    const keyId = (created.body['KeyMetadata'] as Record<string, string>)['KeyId']!
    const described = await query('DescribeKey', { KeyId: keyId })
    expect((described.body['KeyMetadata'] as Record<string, string>)['Description']).toBe('form')
    expect(described.body['RequestId']).toMatch(/^[0-9A-F-]{36}$/)
  })

  it('CreateKey: the engine\'s AWS-only specs are unknown KeySpec values here (Alibaba documents none of them)', async () => {
    for (const spec of ['EC_P384', 'EC_P521', 'HMAC_SHA_224']) {
      const refused = await form('CreateKey', { KeySpec: spec, KeyUsage: spec.startsWith('HMAC') ? 'GENERATE/VERIFY_MAC' : 'SIGN/VERIFY' })
      expect([refused.status, refused.body['Code']]).toEqual([400, 'InvalidParameter'])
    }
    const created = await form('CreateKey', { KeySpec: 'EC_P256', KeyUsage: 'SIGN/VERIFY' })
    expect((created.body['KeyMetadata'] as Record<string, string>)['KeySpec']).toBe('EC_P256')
  })

  it('takes an encryption context as the documented JSON string or flattened, and they are the same context', async () => {
    const keyId = ((await form('CreateKey', {})).body['KeyMetadata'] as Record<string, string>)['KeyId']!
    const encrypted = await form('Encrypt', { KeyId: keyId, Plaintext: b64('x'), EncryptionContext: '{"a":"1","b":"2"}' })
    const flat = await form('Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'] as string, 'EncryptionContext.b': '2', 'EncryptionContext.a': '1' })
    expect(flat.body['Plaintext']).toBe(b64('x'))
    const both = await form('Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'] as string, EncryptionContext: '{"a":"1"}', 'EncryptionContext.b': '2' })
    expect([both.status, both.body['Code']]).toEqual([400, 'InvalidParameter'])
    const notJson = await form('Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'] as string, EncryptionContext: '{a:1}' })
    expect(notJson.body['Code']).toBe('InvalidParameter')
  })

  it('answers MissingParameter for a missing required parameter and InvalidParameter for a bad one, naming it without echoing values', async () => {
    const missing = await form('Encrypt', { Plaintext: b64('x') })
    expect([missing.status, missing.body['Code']]).toEqual([400, 'MissingParameter'])
    expect(missing.body['Message']).toContain('KeyId')
    const notBase64 = await form('Encrypt', { KeyId: 'alias/x', Plaintext: 'not base64!' })
    expect([notBase64.body['Code'], notBase64.body['Message']]).toEqual(['InvalidParameter', 'The parameter Plaintext must be Base64-encoded.'])
    const tooLarge = await form('ListKeys', { PageSize: '101' })
    expect(tooLarge.body['Code']).toBe('InvalidParameter')
    const badFilter = await form('ListKeys', { Filters: '[{"Key":"Colour","Values":["red"]}]' })
    expect(badFilter.body['Code']).toBe('InvalidParameter')
  })

  it('ListKeys Filters select by KeyState (values OR, keys AND)', async () => {
    const disabledId = ((await form('CreateKey', {})).body['KeyMetadata'] as Record<string, string>)['KeyId']!
    await form('DisableKey', { KeyId: disabledId })
    const disabled = await form('ListKeys', { Filters: JSON.stringify([{ Key: 'KeyState', Values: ['Disabled'] }]), PageSize: '100' })
    expect((disabled.body['Keys'] as { Key: { KeyId: string }[] }).Key.map((k) => k.KeyId)).toEqual([disabledId])
    expect(disabled.body['TotalCount']).toBe(1)
    const none = await form('ListKeys', { Filters: JSON.stringify([{ Key: 'KeyState', Values: ['Disabled'] }, { Key: 'KeySpec', Values: ['RSA_2048'] }]) })
    expect(none.body['TotalCount']).toBe(0)
  })

  it('refuses other methods, other versions, unknown and unsupported actions, other media types', async () => {
    expect((await send({ method: 'PUT', query: { Action: 'ListKeys', Version: API_VERSION } })).body['Code']).toBe('UnsupportedHTTPMethod')
    const version = await query('ListKeys', { Version: '2014-11-01' })
    expect([version.status, version.body['Code']]).toEqual([400, 'InvalidVersion'])
    const unknown = await query('Frobnicate', {})
    expect([unknown.status, unknown.body['Code']]).toEqual([404, 'InvalidAction.NotFound'])
    const secrets = await query('GetCertificate', { CertificateId: 'c' })
    expect([secrets.status, secrets.body['Code']]).toEqual([400, 'Rejected.UnsupportedOperation'])
    const json = await send({ headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), query: { Action: 'ListKeys', Version: API_VERSION } })
    expect(json.body['Code']).toBe('InvalidParameter')
    const huge = await send({ body: new Uint8Array(MAX_REQUEST_BYTES + 1), query: { Action: 'ListKeys', Version: API_VERSION } })
    expect([huge.status, huge.body['Code']]).toEqual([413, 'Request.EntityTooLarge'])
  })

  it('reads a parameter named __proto__ or constructor as data', async () => {
    const keyId = ((await form('CreateKey', {})).body['KeyMetadata'] as Record<string, string>)['KeyId']!
    const encrypted = await form('Encrypt', { KeyId: keyId, Plaintext: b64('x'), 'EncryptionContext.__proto__': 'p', 'EncryptionContext.constructor': 'c' })
    expect(encrypted.status).toBe(200)
    const wrong = await form('Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'] as string })
    expect(wrong.body['Code']).toBe('InvalidCiphertext')
    const right = await form('Decrypt', { CiphertextBlob: encrypted.body['CiphertextBlob'] as string, EncryptionContext: '{"__proto__":"p","constructor":"c"}' })
    expect(right.body['Plaintext']).toBe(b64('x'))
  })

  it('without credentials, principalFor names the principal of the AccessKeyId a request claims (unverified)', async () => {
    const asClaimed = aliyunKmsProtocol(kms, { principalFor: (id) => (id === 'LTAIbob' ? 'bob' : undefined) })
    const response = await asClaimed({ method: 'GET', path: '/', query: { Action: 'ListKeys', Version: API_VERSION, AccessKeyId: 'LTAIbob' }, headers: {}, body: new Uint8Array() })
    const body = JSON.parse(Buffer.from(response.body).toString()) as Record<string, unknown>
    expect([response.statusCode, body['Code']]).toEqual([403, 'Forbidden.NoPermission'])
    expect(() => aliyunKmsProtocol(kms, { principalFor: () => 'x', credentials: {} })).toThrow(TypeError)
  })

  it('a closed engine is ServiceUnavailableTemporary (503) with a generic message; the cause goes to onError', async () => {
    const closed = await openEngine()
    const faults: [unknown, string][] = []
    const guarded = aliyunKmsProtocol(closed, { onError: (error, action) => faults.push([error, action]) })
    await closed.close()
    const response = await guarded({ method: 'GET', path: '/', query: { Action: 'ListKeys', Version: API_VERSION }, headers: {}, body: new Uint8Array() })
    const body = JSON.parse(Buffer.from(response.body).toString()) as Record<string, unknown>
    expect([response.statusCode, body['Code']]).toEqual([503, 'ServiceUnavailableTemporary'])
    expect(faults.map(([error, action]) => [(error as { code?: string }).code, action])).toEqual([['Closed', 'ListKeys']])
  })

  it('has a row for every action it names, each either served or refused with a reason', () => {
    for (const [action, entry] of Object.entries(ALIYUN_ACTIONS)) {
      expect(action).toMatch(/^[A-Z][A-Za-z]+$/)
      expect('run' in entry ? typeof entry.run : entry.unsupported.length > 0).toBeTruthy()
    }
  })
})
