/**
 * The AWS KMS JSON 1.1 protocol over the engine, independent of transport: one request
 * (method, path, headers, body bytes) in, one response out. The in-process SDK handler
 * (handler.ts) and the HTTP server (server.ts) are thin adapters around it, so both
 * transports answer every request identically.
 *
 * ```ts
 * const protocol = awsKmsProtocol(kms, { credentials: { AKID: { secretAccessKey, principal: 'alice' } } })
 * const response = await protocol({ method: 'POST', path: '/', query: {}, headers, body })
 * // { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1', … }, body }
 * ```
 *
 * A request goes: size and media-type checks → `X-Amz-Target: TrentService.<Op>` →
 * authentication (SigV4 when `credentials` are configured) → the caller's principal →
 * JSON body → the operation table → the engine. Every failure becomes
 * `{"__type": "<Exception>", "message": "…"}` with the `x-amzn-ErrorType` header and the
 * exception's status; nothing a client sends can make it throw.
 */
import { answerWith, findOperation, principalResolver, type CallerOptions, type WireResponse } from '@strongroom/facade'
import { AwsError, toAwsError } from './errors.js'
import { principalClients, withGrantTokens, type Engine } from './engine.js'
import { AwsNames } from './names.js'
import { AWS_OPERATIONS } from './operations/index.js'
import { findSecretsManagerOperation, runSecretsManager, SECRETS_MANAGER_TARGET_PREFIX } from './secrets-manager.js'
import { claimedAccessKeyId, verifySigV4, type AccessKeys, type SignedRequest } from './sigv4.js'
import { encodeJson, parseBody, type JsonObject } from './wire.js'

/** Requests larger than this are refused before parsing (AWS KMS requests are small: 4 KiB plaintexts, 6 KiB blobs). */
export const MAX_REQUEST_BYTES = 1024 * 1024

export type AwsRequest = SignedRequest

/** Status, lower-case headers, body bytes: what the server and the in-process adapters put on the wire. */
export type AwsResponse = WireResponse

/**
 * `credentials` are SigV4 access keys (`parseAccessKeys`); `now` also stamps the `date`
 * header; `onError` gets the operation name without `TrentService.`.
 */
export interface AwsKmsOptions extends CallerOptions<AccessKeys> {
  /** ARN partition in responses and accepted in requests. Default `aws`. */
  readonly partition?: string
  /**
   * The region and account the endpoint's ARNs name (`arn:aws:kms:<region>:<account>:key/…`),
   * in answers and in the ARNs it accepts. Default: the engine's own (`kms.region`,
   * `kms.accountId`). For a served keystore whose engine region is not the one AWS code
   * expects; the engine's own names (policies, audit) are unchanged.
   */
  readonly region?: string
  readonly accountId?: string
}

const TARGET_PREFIX = 'TrentService.'
const CONTENT_TYPE = 'application/x-amz-json-1.1'
const ACCEPTED_CONTENT_TYPES = [CONTENT_TYPE, 'application/json']

function newRequestId(): string {
  return globalThis.crypto.randomUUID()
}

/** Builds the protocol function for `kms`. Options are checked once, here. */
export function awsKmsProtocol(kms: Engine, options: AwsKmsOptions = {}): (request: AwsRequest) => Promise<AwsResponse> {
  if (kms === null || typeof kms !== 'object' || typeof kms.encrypt !== 'function') {
    throw new TypeError('awsKmsProtocol needs an engine (Kms.open(…))')
  }
  const now = options.now ?? Date.now
  /** The principal the request runs as: verified by SigV4, claimed (principalFor), or none (the owner). */
  const principalOf = principalResolver(options,
    (credentials, request: AwsRequest) => verifySigV4(request, credentials, now()).key.principal,
    (request: AwsRequest) => claimedAccessKeyId(request.headers))
  if (options.region !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(options.region)) {
    throw new TypeError('region must be lower-case letters, digits and dashes, like us-east-1')
  }
  if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) throw new TypeError('accountId must be 12 digits, like 111122223333')
  const names = new AwsNames(options.partition ?? 'aws', options.region ?? kms.region, options.accountId ?? kms.accountId)
  const clients = principalClients(kms)
  const { onError } = options

  function respond(statusCode: number, requestId: string, body: JsonObject, extra: Record<string, string> = {}): AwsResponse {
    const bytes = encodeJson(body)
    return {
      statusCode,
      headers: {
        'content-type': CONTENT_TYPE, 'content-length': String(bytes.length), 'x-amzn-requestid': requestId,
        date: new Date(now()).toUTCString(), ...extra,
      },
      body: bytes,
    }
  }

  function fail(error: AwsError, requestId: string): AwsResponse {
    return respond(error.status, requestId, { __type: error.wireType, message: error.message }, { 'x-amzn-errortype': error.wireType })
  }

  async function run(request: AwsRequest): Promise<JsonObject> {
    if (request.method.toUpperCase() !== 'POST') throw new AwsError('MethodNotAllowedException', 'AWS KMS requests are POST')
    if (request.body.length > MAX_REQUEST_BYTES) throw new AwsError('RequestEntityTooLargeException', `request bodies are at most ${MAX_REQUEST_BYTES} bytes`)
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (!ACCEPTED_CONTENT_TYPES.includes(contentType)) {
      throw new AwsError('UnsupportedMediaTypeException', `Content-Type must be ${CONTENT_TYPE}`)
    }
    const target = request.headers['x-amz-target'] ?? ''
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : ''
    // Authenticate before saying anything about operations: an unauthenticated caller learns nothing.
    const principal = principalOf(request)
    if (target.startsWith(SECRETS_MANAGER_TARGET_PREFIX)) {
      const secretsOperation = findSecretsManagerOperation(target.slice(SECRETS_MANAGER_TARGET_PREFIX.length))
      if (secretsOperation === undefined) throw new AwsError('UnknownOperationException', 'X-Amz-Target must be secretsmanager.<an operation this endpoint serves>')
      return runSecretsManager(secretsOperation, parseBody(request.body), { client: clients.for(principal), names })
    }
    const entry = findOperation(AWS_OPERATIONS, operation)
    if (entry === undefined) throw new AwsError('UnknownOperationException', 'X-Amz-Target must be TrentService.<an AWS KMS operation>')
    if ('unsupported' in entry) throw new AwsError('UnsupportedOperationException', `${operation}: ${entry.unsupported}`)
    const client = clients.for(principal)
    if (entry.needs !== undefined && typeof (client as unknown as Record<string, unknown>)[entry.needs] !== 'function') {
      throw new AwsError('UnsupportedOperationException', `${operation} is not supported by this engine yet`)
    }
    const input = parseBody(request.body)
    const tokens = input['GrantTokens']
    const caller = Array.isArray(tokens) && tokens.length > 0 && tokens.every((t) => typeof t === 'string') ? withGrantTokens(client, tokens as string[]) : client
    try {
      return await entry.run(input, { client: caller, names, owner: clients.for(undefined) })
    } catch (error) {
      // Mapped here, where the operation's own refinements (TagException, …) are known.
      throw toAwsError(error, entry.errors)
    }
  }

  return answerWith({
    run, newRequestId, onError, operationOf,
    ok: (result, requestId) => respond(200, requestId, result),
    fail,
    toError: (thrown) => toAwsError(thrown),
  })
}

/** The operation a request names, for fault reports: the target without its `TrentService.` (or `secretsmanager.`) prefix. */
function operationOf(request: AwsRequest): string {
  const target = request.headers['x-amz-target'] ?? ''
  if (target.startsWith(SECRETS_MANAGER_TARGET_PREFIX)) return target.slice(SECRETS_MANAGER_TARGET_PREFIX.length)
  return target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target
}
