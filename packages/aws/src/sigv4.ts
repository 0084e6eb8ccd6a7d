/**
 * AWS Signature Version 4 verification (AWS4-HMAC-SHA256, Authorization header), so an
 * endpoint can require that callers hold one of its configured access keys and learn
 * which one — the principal the engine then authorizes and audits.
 *
 * ```ts
 * const { accessKeyId } = verifySigV4(request, {
 *   AKIDEXAMPLE: { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', principal: 'alice' },
 * }, Date.now())
 * ```
 *
 * The algorithm (AWS "Create a signed AWS API request"): canonical request = method, the
 * normalised URI-encoded path, the sorted encoded query, each signed header as
 * `name:value` (value trimmed, runs of blanks collapsed), the signed header list, and the
 * payload's SHA-256; string to sign = algorithm, `X-Amz-Date`, credential scope
 * (`date/region/service/aws4_request`) and the canonical request's SHA-256; signing key
 * = HMAC chain `"AWS4"+secret` → date → region → service → `aws4_request`. It recomputes
 * exactly what the AWS SDK signer (`@smithy/signature-v4`) computes, over the headers
 * the client says it signed.
 *
 * Beyond a matching signature it requires what keeps a signed request from being
 * replayed or altered: `host`, `x-amz-date` and `x-amz-target` signed (the target is the
 * operation), the scope's service (`kms`, or `secretsmanager` for its targets) and date matching `X-Amz-Date`, a time within 15
 * minutes of ours, and a payload hash over the real body (`UNSIGNED-PAYLOAD` refused).
 * Query-string (presigned) authentication is not accepted. Signatures are compared in
 * constant time. Errors name the problem, never a secret or the expected signature.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AwsError } from './errors.js'

export interface AccessKey {
  readonly secretAccessKey: string
  /** Who the engine authorizes and audits for requests signed with this key; absent: the engine's owner. */
  readonly principal?: string
}

/** Access key id → its secret and principal. */
export type AccessKeys = Readonly<Record<string, AccessKey>>

export interface SignedRequest {
  readonly method: string
  readonly path: string
  /** Decoded query parameters. */
  readonly query: Readonly<Record<string, string | readonly string[]>>
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

const ALGORITHM = 'AWS4-HMAC-SHA256'
const MAX_SKEW_MS = 15 * 60_000
const REQUIRED_SIGNED = ['host', 'x-amz-date', 'x-amz-target']
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/

interface Authorization {
  readonly accessKeyId: string
  readonly date: string
  readonly region: string
  readonly service: string
  readonly terminator: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
}

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignatureException', message)
}

/** The access key id a request claims, without verifying anything (for `principalFor`). */
export function claimedAccessKeyId(headers: Readonly<Record<string, string>>): string | undefined {
  const header = headers['authorization']
  if (header === undefined) return undefined
  try {
    return parseAuthorization(header).accessKeyId
  } catch {
    return undefined
  }
}

function parseAuthorization(header: string): Authorization {
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space) !== ALGORITHM) throw incomplete(`Authorization must use ${ALGORITHM}`)
  const fields = new Map<string, string>()
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim())
  }
  const credential = fields.get('Credential')
  const signedHeaders = fields.get('SignedHeaders')
  const signature = fields.get('Signature')
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw incomplete('Authorization header requires Credential, SignedHeaders and Signature')
  }
  const scope = credential.split('/')
  if (scope.length !== 5 || scope.some((s) => s.length === 0)) throw incomplete('Credential must be <access key id>/<date>/<region>/<service>/aws4_request')
  const [accessKeyId, date, region, service, terminator] = scope as [string, string, string, string, string]
  return { accessKeyId, date, region, service, terminator, signedHeaders: signedHeaders.split(';'), signature }
}

/** RFC 3986 unreserved characters stay; everything else is percent-encoded (as the SDK's escapeUri). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** Path segments normalised (`.`/`..`/empty dropped) and encoded once more, as the SDK signs non-S3 requests. */
function canonicalPath(path: string): string {
  const segments: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(segment)
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`
  return escapeUri(normalised).replace(/%2F/g, '/')
}

function canonicalQuery(query: SignedRequest['query']): string {
  const pairs: string[] = []
  for (const key of Object.keys(query).sort()) {
    if (key.toLowerCase() === 'x-amz-signature') continue
    const value = query[key]!
    const values = typeof value === 'string' ? [value] : [...value]
    pairs.push(...values.map((v) => `${escapeUri(key)}=${escapeUri(v)}`).sort())
  }
  return pairs.join('&')
}

/** Own headers only: a signed-header name such as `constructor` must not find Object's. */
function headerOf(request: SignedRequest, name: string): string | undefined {
  return Object.hasOwn(request.headers, name) ? request.headers[name] : undefined
}

function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '')
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value)
  if (m === null) return undefined
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  return Number.isFinite(ms) ? ms : undefined
}

/** Verifies the request's SigV4 signature against `keys`; returns the access key that signed it, or throws the AWS error. */
export function verifySigV4(request: SignedRequest, keys: AccessKeys, now: number): { readonly accessKeyId: string; readonly key: AccessKey } {
  const header = headerOf(request, 'authorization')
  if (header === undefined) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token')
  const auth = parseAuthorization(header)
  for (const name of REQUIRED_SIGNED) {
    if (!auth.signedHeaders.includes(name)) throw incomplete(`SignedHeaders must include ${name}`)
  }
  for (const name of auth.signedHeaders) {
    if (headerOf(request, name) === undefined) throw incomplete(`signed header ${name} is missing from the request`)
  }
  const amzDate = headerOf(request, 'x-amz-date')!
  const signedAt = parseAmzDate(amzDate)
  if (signedAt === undefined) throw incomplete('X-Amz-Date must look like 20260101T000000Z')
  if (auth.terminator !== 'aws4_request' || auth.date !== amzDate.slice(0, 8)) {
    throw new AwsError('InvalidSignatureException', 'Credential scope must be <date of X-Amz-Date>/<region>/kms/aws4_request')
  }
  // The scope names the service the (signed) target belongs to: Secrets Manager's requests are signed for it.
  const service = (headerOf(request, 'x-amz-target') ?? '').startsWith('secretsmanager.') ? 'secretsmanager' : 'kms'
  if (auth.service !== service) throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'`)
  // Known keys only: `hasOwn`, so an id such as `__proto__` finds nothing.
  const key = Object.hasOwn(keys, auth.accessKeyId) ? keys[auth.accessKeyId] : undefined
  if (key === undefined) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.')
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw new AwsError('InvalidSignatureException', `Signature expired or not yet current: ${amzDate} is more than 15 minutes from the server's time`)
  }

  const bodyHash = sha256Hex(request.body)
  const declaredHash = headerOf(request, 'x-amz-content-sha256')
  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    throw new AwsError('InvalidSignatureException', 'x-amz-content-sha256 does not match the request body (unsigned and streaming payloads are not accepted)')
  }
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(request.query),
    ...auth.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(headerOf(request, name)!)}`),
    '',
    auth.signedHeaders.join(';'),
    bodyHash,
  ].join('\n')
  const scope = `${auth.date}/${auth.region}/${auth.service}/${auth.terminator}`
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n')
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, auth.date), auth.region), auth.service), auth.terminator)
  const expected = hmac(signingKey, stringToSign)
  const given = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, 'hex') : undefined
  if (given === undefined || !timingSafeEqual(expected, given)) {
    throw new AwsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.')
  }
  return { accessKeyId: auth.accessKeyId, key }
}
