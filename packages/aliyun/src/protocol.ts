/**
 * Alibaba Cloud KMS's RPC-style OpenAPI (2016-01-20) over the engine, independent of
 * transport: one request (method, path, query, headers, body bytes) in, one response out.
 * The HTTP server (server.ts) is a thin adapter around it; anything else that carries
 * HTTP requests (a test harness, a serverless handler) can call it directly.
 *
 * ```ts
 * const protocol = aliyunKmsProtocol(kms, { credentials: { LTAI5tExample: { secret, principal: 'alice' } } })
 * const response = await protocol({ method: 'POST', path: '/', query: {}, headers, body })
 * // { statusCode: 200, headers: { 'content-type': 'application/json;charset=utf-8', … }, body: '{"RequestId":…}' }
 * ```
 *
 * A request goes: method and size checks → parameters from the query string and the form
 * body → authentication (an RPC v1 or V3 signature when `credentials` are configured,
 * with its time and nonce) → the caller's principal → `Action` (or `x-acs-action`) and
 * `Version` 2016-01-20 → the action table → the engine. Every failure becomes the HTTP
 * status and `{ Code, Message, RequestId, HostId, Recommend }`; nothing a client sends can
 * make it throw. Responses are JSON whatever `Format` asks for.
 */
import { answerWith, findOperation, principalResolver, type CallerOptions, type WireResponse } from '@strongroom/facade'
import { principalClients, type Engine } from './engine.js'
import { AliyunError, recommendationFor, toAliyunError, unsupported } from './errors.js'
import { ALIYUN_ACTIONS } from './operations/index.js'
import { encodeJson, parameters, type JsonObject, type Params } from './params.js'
import { claimedAccessKeyId, NonceCache, verifyRequest, type AccessKeys, type SignedRequest } from './signature.js'

/** The API version this endpoint speaks. */
export const API_VERSION = '2016-01-20'
/** Requests larger than this are refused before parsing (KMS requests are small: 6 KiB plaintexts). */
export const MAX_REQUEST_BYTES = 1024 * 1024

export type AliyunRequest = SignedRequest

/** Status, lower-case headers, body bytes: what the server and the in-process adapters put on the wire. */
export type AliyunResponse = WireResponse

/**
 * `credentials` are AccessKeys checked by an Alibaba Cloud signature (RPC HMAC-SHA1 or
 * ACS3-HMAC-SHA256); `onError` gets the action name.
 */
export interface AliyunKmsOptions extends CallerOptions<AccessKeys> {
  /** The region this endpoint serves; must be the engine's (`Kms.open({ region })`), which is the default. */
  readonly region?: string
  /** How many signature nonces are remembered at most (default 100 000); beyond it requests are throttled. */
  readonly nonceCapacity?: number
}

const CONTENT_TYPE = 'application/json;charset=utf-8'
const FORM = 'application/x-www-form-urlencoded'
const decoder = new TextDecoder('utf-8', { fatal: true })

function newRequestId(): string {
  return globalThis.crypto.randomUUID().toUpperCase()
}

/** The form body's parameters; a body of another media type carries none the RPC style reads. */
function formParameters(request: AliyunRequest): Record<string, string> {
  if (request.body.length === 0) return {}
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (contentType !== FORM) throw new AliyunError('InvalidParameter', `A request body must be ${FORM}.`)
  let text: string
  try {
    text = decoder.decode(request.body)
  } catch {
    throw new AliyunError('InvalidParameter', 'The request body is not valid UTF-8.')
  }
  const form = Object.create(null) as Record<string, string>
  for (const [name, value] of new URLSearchParams(text)) form[name] = value
  return form
}

function actionOf(request: AliyunRequest, params: Params): string {
  return params['Action'] ?? request.headers['x-acs-action'] ?? ''
}

/** Builds the protocol function for `kms`. Options are checked once, here. */
export function aliyunKmsProtocol(kms: Engine, options: AliyunKmsOptions = {}): (request: AliyunRequest) => Promise<AliyunResponse> {
  if (kms === null || typeof kms !== 'object' || typeof kms.encrypt !== 'function') {
    throw new TypeError('aliyunKmsProtocol needs an engine (Kms.open(…))')
  }
  const now = options.now ?? Date.now
  /** The principal the request runs as: verified by its signature, claimed (principalFor), or none (the owner). */
  const principalOf = principalResolver(options,
    (credentials, request: AliyunRequest, params: Params) => verifyRequest(request, params, credentials, nonces, now()).key.principal,
    (request: AliyunRequest, params: Params) => claimedAccessKeyId(request, params))
  const region = options.region ?? kms.region
  if (region !== kms.region) {
    throw new TypeError(`this endpoint would serve ${region} but the engine was opened for ${kms.region}: open it with Kms.open({ region: '${region}', … })`)
  }
  const clients = principalClients(kms)
  const nonces = new NonceCache(options.nonceCapacity)
  const { onError } = options

  function respond(statusCode: number, body: JsonObject): AliyunResponse {
    const bytes = encodeJson(body)
    return { statusCode, headers: { 'content-type': CONTENT_TYPE, 'content-length': String(bytes.length) }, body: bytes }
  }

  async function run(request: AliyunRequest): Promise<JsonObject> {
    const method = request.method.toUpperCase()
    if (method !== 'POST' && method !== 'GET') throw new AliyunError('UnsupportedHTTPMethod', 'RPC requests are GET or POST.')
    if (request.body.length > MAX_REQUEST_BYTES) throw new AliyunError('Request.EntityTooLarge', `Request bodies are at most ${MAX_REQUEST_BYTES} bytes.`)
    const params = parameters(request.query, formParameters(request))
    // Authenticate before saying anything about actions: an unauthenticated caller learns nothing.
    const principal = principalOf(request, params)
    const action = actionOf(request, params)
    const version = params['Version'] ?? request.headers['x-acs-version'] ?? ''
    if (version !== API_VERSION) throw new AliyunError('InvalidVersion', `Specified parameter Version is not valid: this endpoint speaks ${API_VERSION}.`)
    const regionId = params['RegionId']
    if (regionId !== undefined && regionId !== '' && regionId !== region) {
      throw new AliyunError('InvalidRegionId', `This endpoint serves region ${region}, not ${regionId}.`)
    }
    const entry = findOperation(ALIYUN_ACTIONS, action)
    if (entry === undefined) throw new AliyunError('InvalidAction.NotFound', 'Specified api is not found, please check your url and method.')
    if ('unsupported' in entry) throw unsupported(`${action}: ${entry.unsupported}`)
    return entry.run(params, { client: clients.for(principal), region, accountId: kms.accountId })
  }

  return answerWith({
    run, newRequestId, onError,
    ok: (result, requestId) => respond(200, { RequestId: requestId, ...result }),
    fail: (error, requestId, request) => respond(error.status, {
      RequestId: requestId, HostId: request.headers['host'] ?? 'localhost', Code: error.code, Message: error.message,
      Recommend: recommendationFor(error.code),
    }),
    toError: toAliyunError,
    operationOf: (request) => request.query['Action'] ?? request.headers['x-acs-action'] ?? '',
  })
}
