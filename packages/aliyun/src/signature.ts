/**
 * Alibaba Cloud OpenAPI request signatures, both kinds the official clients send, so an
 * endpoint can require that callers hold one of its AccessKeys and learn which one — the
 * principal the engine then authorizes and audits.
 *
 * ```ts
 * const nonces = new NonceCache()
 * const { accessKeyId, key } = verifyRequest(request, params, {
 *   LTAI5tExample: { secret: 'example-secret', principal: 'alice' },
 * }, nonces, Date.now())
 * ```
 *
 * - **RPC v1** (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`; @alicloud/pop-core,
 *   @alicloud/kms20160120 1.x): every parameter but `Signature`, query and form alike,
 *   sorted by name and percent-encoded (RFC 3986: `encodeURIComponent` plus `!'()*`) as
 *   `name=value` joined with `&`; string to sign = `METHOD&%2F&` + that, encoded again;
 *   signature = base64 HMAC-SHA1 under `secret + "&"`. Time and nonce are the
 *   `Timestamp` and `SignatureNonce` parameters.
 * - **V3** (`ACS3-HMAC-SHA256`; @alicloud/openapi-client): `Authorization:
 *   ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>` over the
 *   canonical request (method, path, sorted `name=encode(value)` query, each signed header
 *   `name:value`, the signed list, `x-acs-content-sha256`); string to sign = algorithm and
 *   the canonical request's hex SHA-256; signature = hex HMAC-SHA256 under the secret.
 *   Time and nonce are `x-acs-date` and `x-acs-signature-nonce`, which must be signed
 *   (with `host`, `x-acs-action`, `x-acs-version` and the payload hash, checked against
 *   the real body).
 *
 * Either way the time must be within 15 minutes of ours (`InvalidTimeStamp.Expired`) and
 * a nonce is accepted once per AccessKey while its time is acceptable
 * (`SignatureNonceUsed`). Signatures are compared in constant time; errors never carry a
 * secret or the expected signature.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AliyunError } from './errors.js'
import type { Params } from './params.js'

export interface AccessKey {
  /** The AccessKey secret. */
  readonly secret: string
  /** Who the engine authorizes and audits for requests signed with this key; absent: the engine's owner. */
  readonly principal?: string
}

/** AccessKeyId → its secret and principal. */
export type AccessKeys = Readonly<Record<string, AccessKey>>

export interface SignedRequest {
  readonly method: string
  readonly path: string
  /** Decoded query parameters (a name sent twice keeps its last value). */
  readonly query: Readonly<Record<string, string>>
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/** How far a request's time may be from ours, either way (Alibaba's window). */
export const MAX_SKEW_MS = 15 * 60_000
const V3_ALGORITHM = 'ACS3-HMAC-SHA256'
const V3_REQUIRED_SIGNED = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256']
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/
const NONCE_MAX = 128

/** Percent-encoding of Alibaba's signatures: RFC 3986 unreserved characters stay, all else is %XX. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** JavaScript's default sort (UTF-16 code units): what the SDKs use to order names. */
function sortedNames(record: Readonly<Record<string, string>>): string[] {
  return Object.keys(record).sort()
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * Nonces seen per AccessKey, each kept until its request's time leaves the window (after
 * that the time check refuses a replay anyway). Bounded: when `capacity` live nonces are
 * held, new requests are refused with Throttling.User rather than forgetting a live nonce
 * (which would let its request be replayed).
 */
export class NonceCache {
  readonly #seen = new Map<string, number>()
  readonly #capacity: number

  constructor(capacity = 100_000) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#seen.size
  }

  /** Records the nonce; false when this AccessKey already used it within the window. */
  claim(accessKeyId: string, nonce: string, requestTime: number, now: number): boolean {
    const id = `${accessKeyId}\u0000${nonce}`
    const expiry = this.#seen.get(id)
    if (expiry !== undefined && expiry > now) return false
    if (this.#seen.size >= this.#capacity) this.#sweep(now)
    if (this.#seen.size >= this.#capacity) {
      throw new AliyunError('Throttling.User', 'Request was denied due to user flow control: too many requests within the signature window.')
    }
    this.#seen.set(id, requestTime + MAX_SKEW_MS)
    return true
  }

  #sweep(now: number): void {
    for (const [id, expiry] of this.#seen) if (expiry <= now) this.#seen.delete(id)
  }
}

export interface Verified {
  readonly accessKeyId: string
  readonly key: AccessKey
  readonly signatureVersion: '1.0' | 'V3'
}

function parseTime(value: string | undefined, name: string): number {
  if (value === undefined || value === '') {
    throw new AliyunError('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`)
  }
  const time = TIMESTAMP.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(time)) throw new AliyunError('InvalidTimeStamp.Format', `Specified ${name} is not in the ISO 8601 UTC format yyyy-MM-ddTHH:mm:ssZ.`)
  return time
}

function checkFreshness(accessKeyId: string, time: number, nonce: string | undefined, nonces: NonceCache, now: number): void {
  if (Math.abs(now - time) > MAX_SKEW_MS) {
    throw new AliyunError('InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired (more than 15 minutes from the server time).')
  }
  if (nonce === undefined || nonce === '') {
    throw new AliyunError('MissingParameter', 'The input parameter "SignatureNonce" that is mandatory for processing this request is not supplied.')
  }
  if (nonce.length > NONCE_MAX) throw new AliyunError('InvalidParameter', `SignatureNonce is at most ${NONCE_MAX} characters.`)
  if (!nonces.claim(accessKeyId, nonce, time, now)) throw new AliyunError('SignatureNonceUsed', 'Specified signature nonce was used already.')
}

function keyFor(accessKeyId: string, credentials: AccessKeys): AccessKey {
  const key = Object.hasOwn(credentials, accessKeyId) ? credentials[accessKeyId] : undefined
  if (key === undefined) throw new AliyunError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
  return key
}

const signatureMismatch = () => new AliyunError('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.')

/** RPC v1: HMAC-SHA1 over every parameter. */
function verifyV1(request: SignedRequest, params: Params, credentials: AccessKeys, nonces: NonceCache, now: number): Verified {
  const accessKeyId = params['AccessKeyId'] ?? ''
  const signature = params['Signature'] ?? ''
  if (accessKeyId === '' || signature === '') {
    throw new AliyunError('IncompleteSignature', 'The request signature does not conform to Aliyun standards: AccessKeyId and Signature are required.')
  }
  if (params['SignatureMethod'] !== 'HMAC-SHA1') throw new AliyunError('InvalidSignatureMethod', 'Specified signature method is not supported: use HMAC-SHA1 (or ACS3-HMAC-SHA256).')
  if (params['SignatureVersion'] !== '1.0') throw new AliyunError('IncompleteSignature', 'SignatureVersion must be 1.0.')
  const key = keyFor(accessKeyId, credentials)
  const signed = Object.fromEntries(Object.entries(params).filter(([name]) => name !== 'Signature'))
  const canonical = sortedNames(signed).map((name) => `${percentEncode(name)}=${percentEncode(signed[name]!)}`).join('&')
  const stringToSign = `${request.method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`
  const expected = createHmac('sha1', `${key.secret}&`).update(stringToSign).digest('base64')
  if (!equalText(expected, signature)) throw signatureMismatch()
  // Freshness after the signature: an unsigned request must not consume someone's nonce.
  checkFreshness(accessKeyId, parseTime(params['Timestamp'], 'Timestamp'), params['SignatureNonce'], nonces, now)
  return { accessKeyId, key, signatureVersion: '1.0' }
}

interface V3Authorization {
  readonly accessKeyId: string
  readonly signedHeaders: readonly string[]
  readonly signature: string
}

function parseV3Authorization(header: string): V3Authorization {
  const space = header.indexOf(' ')
  const algorithm = space < 0 ? header : header.slice(0, space)
  if (algorithm !== V3_ALGORITHM) throw new AliyunError('InvalidSignatureMethod', `Specified signature method is not supported: use ${V3_ALGORITHM} (or HMAC-SHA1 RPC signatures).`)
  const fields = Object.fromEntries(header.slice(space + 1).split(',').map((part) => {
    const eq = part.indexOf('=')
    return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()]
  }))
  const accessKeyId = fields['Credential']
  const signedHeaders = fields['SignedHeaders']
  const signature = fields['Signature']
  if (accessKeyId === undefined || accessKeyId === '' || signedHeaders === undefined || signature === undefined || signature === '') {
    throw new AliyunError('IncompleteSignature', 'The Authorization header must carry Credential, SignedHeaders and Signature.')
  }
  return { accessKeyId, signedHeaders: signedHeaders.split(';'), signature }
}

/** V3: HMAC-SHA256 over the canonical request, in the Authorization header. */
function verifyV3(request: SignedRequest, credentials: AccessKeys, nonces: NonceCache, now: number): Verified {
  const { accessKeyId, signedHeaders, signature } = parseV3Authorization(request.headers['authorization'] ?? '')
  for (const name of V3_REQUIRED_SIGNED) {
    if (!signedHeaders.includes(name)) throw new AliyunError('IncompleteSignature', `The header ${name} must be signed.`)
  }
  const key = keyFor(accessKeyId, credentials)
  const payloadHash = createHash('sha256').update(request.body).digest('hex')
  if (!equalText(request.headers['x-acs-content-sha256'] ?? '', payloadHash)) {
    throw new AliyunError('SignatureDoesNotMatch', 'The x-acs-content-sha256 header does not match the request body.')
  }
  const query = sortedNames(request.query).map((name) => `${name}=${percentEncode(request.query[name]!)}`).join('&')
  const headers = [...signedHeaders].sort().map((name) => `${name}:${(request.headers[name] ?? '').trim()}\n`).join('')
  const canonicalRequest = `${request.method.toUpperCase()}\n${request.path}\n${query}\n${headers}\n${signedHeaders.join(';')}\n${payloadHash}`
  const stringToSign = `${V3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`
  const expected = createHmac('sha256', key.secret).update(stringToSign).digest('hex')
  if (!equalText(expected, signature)) throw signatureMismatch()
  checkFreshness(accessKeyId, parseTime(request.headers['x-acs-date'], 'x-acs-date'), request.headers['x-acs-signature-nonce'], nonces, now)
  return { accessKeyId, key, signatureVersion: 'V3' }
}

/** Whether the request carries a V3 signature (Authorization header) rather than an RPC v1 one. */
export function isV3(request: SignedRequest): boolean {
  return (request.headers['authorization'] ?? '') !== ''
}

/**
 * Verifies the request's signature against `credentials`, then its time and nonce. Throws
 * an AliyunError (IncompleteSignature, InvalidAccessKeyId.NotFound, SignatureDoesNotMatch,
 * InvalidTimeStamp.*, SignatureNonceUsed) unless all hold.
 */
export function verifyRequest(request: SignedRequest, params: Params, credentials: AccessKeys, nonces: NonceCache, now: number): Verified {
  if (isV3(request)) return verifyV3(request, credentials, nonces, now)
  if ((params['Signature'] ?? '') === '' && (params['AccessKeyId'] ?? '') === '') {
    throw new AliyunError('IncompleteSignature', 'The request is not signed: this endpoint requires an AccessKey signature (RPC HMAC-SHA1 or ACS3-HMAC-SHA256).')
  }
  return verifyV1(request, params, credentials, nonces, now)
}

/** The AccessKeyId a request claims, unverified (for `principalFor` without credentials). */
export function claimedAccessKeyId(request: SignedRequest, params: Params): string | undefined {
  if (isV3(request)) {
    const match = /Credential=([^,\s]+)/.exec(request.headers['authorization'] ?? '')
    return match?.[1]
  }
  const id = params['AccessKeyId']
  return id === undefined || id === '' ? undefined : id
}
