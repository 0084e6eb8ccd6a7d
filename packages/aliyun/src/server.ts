/**
 * Alibaba Cloud KMS's OpenAPI over HTTP (node:http, or node:https with a supplied
 * certificate), for the official Alibaba Cloud SDKs — which always open a connection of
 * their own (see the README) — and anything else that speaks to an endpoint. Bound to
 * loopback unless told otherwise.
 *
 * ```ts
 * const server = await startAliyunKmsServer({ kms, credentials: { LTAI5tExample: { secret } } })
 * new KmsClient({ endpoint: server.endpoint, protocol: 'http', accessKeyId: 'LTAI5tExample', accessKeySecret: secret, regionId: kms.region })
 * await server.close()
 *
 * // a command that serves until interrupted (what `strongroom serve-aliyun` calls):
 * await serveAliyunKms({ kms, port: 4600, credentials, log: console.error, signal })
 * ```
 *
 * Hardening: bodies over 1 MiB are refused with 413 before they are read in full (and the
 * connection closed); a client that sends garbage or hangs up never takes the server down,
 * and the engine's faults answer 500 InternalFailure without details (those go to
 * `onError`). Any address but loopback needs both `allowRemote: true` and `credentials`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Engine } from './engine.js'
import { AliyunError, recommendationFor } from './errors.js'
import { encodeJson } from './params.js'
import { MAX_REQUEST_BYTES, aliyunKmsProtocol, type AliyunKmsOptions, type AliyunRequest, type AliyunResponse } from './protocol.js'

export interface AliyunKmsServerOptions extends AliyunKmsOptions {
  readonly kms: Engine
  /** Default 0: any free port (read it from `url`/`port`). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Listen on an address other than loopback (also needs `credentials`). */
  readonly allowRemote?: boolean
  /** Serve HTTPS with this certificate chain and private key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer }
}

export interface AliyunKmsServer {
  /** e.g. `http://127.0.0.1:49152`. */
  readonly url: string
  /** `host:port`, the form the Alibaba SDKs take as `endpoint` (with `protocol: 'http'` or `'https'`). */
  readonly endpoint: string
  readonly protocol: 'http' | 'https'
  readonly port: number
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections. Idempotent. */
  close(): Promise<void>
}

/** The port `serveAliyunKms` listens on by default. */
export const DEFAULT_ALIYUN_KMS_PORT = 4600

/** Whether `host` is a loopback address (what may be served without `allowRemote`). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

function errorResponse(error: AliyunError): AliyunResponse {
  const body = encodeJson({
    RequestId: globalThis.crypto.randomUUID().toUpperCase(), HostId: 'localhost', Code: error.code, Message: error.message,
    Recommend: recommendationFor(error.code),
  })
  return { statusCode: error.status, headers: { 'content-type': 'application/json;charset=utf-8', 'content-length': String(body.length) }, body }
}

function send(res: ServerResponse, response: AliyunResponse, closeConnection = false): void {
  if (res.headersSent) return
  res.writeHead(response.statusCode, closeConnection ? { ...response.headers, connection: 'close' } : response.headers)
  res.end(response.body)
}

/** Reads the body, refusing it (null) as soon as it exceeds the limit. */
function readBody(req: IncomingMessage): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) {
        req.removeAllListeners('data')
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function toRequest(req: IncomingMessage, body: Uint8Array): AliyunRequest {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const query = Object.create(null) as Record<string, string>
  for (const [name, value] of url.searchParams) query[name] = value
  // Node lower-cases names; repeated headers arrive as arrays only for a few names.
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']))
  return { method: req.method ?? 'GET', path: url.pathname, query, headers, body }
}

/** The node:http request listener around a protocol function (the server's, and the in-process agent's). */
export function requestListener(protocol: (request: AliyunRequest) => Promise<AliyunResponse>): (req: IncomingMessage, res: ServerResponse) => void {
  const tooLarge = errorResponse(new AliyunError('Request.EntityTooLarge', `Request bodies are at most ${MAX_REQUEST_BYTES} bytes.`))
  return (req, res) => {
    void (async () => {
      const declared = Number(req.headers['content-length'] ?? 0)
      const body = declared > MAX_REQUEST_BYTES ? null : await readBody(req)
      if (body === null) {
        // Answer without reading the rest, then drop the connection it would have streamed on.
        send(res, tooLarge, true)
        res.on('finish', () => req.destroy())
        return
      }
      send(res, await protocol(toRequest(req, body)))
    })().catch(() => {
      // The protocol never throws: this is a request stream that failed (the client hung up).
      if (!res.headersSent && !res.destroyed) send(res, errorResponse(new AliyunError('InternalFailure', 'The request could not be read.')), true)
      else res.destroy()
    })
  }
}

/**
 * Starts a server speaking Alibaba Cloud KMS for `kms`. Any address but loopback needs
 * `allowRemote` and `credentials`: an unauthenticated endpoint on a network would let
 * anyone there use every key.
 */
export async function startAliyunKmsServer(options: AliyunKmsServerOptions): Promise<AliyunKmsServer> {
  const { kms, port = 0, host = '127.0.0.1', allowRemote = false, tls, ...protocolOptions } = options
  if (!isLoopbackHost(host)) {
    if (!allowRemote) throw new TypeError(`refusing to serve on ${host}: only loopback addresses unless allowRemote is set`)
    if (protocolOptions.credentials === undefined) throw new TypeError(`refusing to serve on ${host} without credentials: anyone who can reach it could use every key`)
  }
  const handler = requestListener(aliyunKmsProtocol(kms, protocolOptions))
  const timeouts = { requestTimeout: 60_000, headersTimeout: 30_000 }
  const server: Server = tls === undefined ? createHttpServer(timeouts, handler) : createHttpsServer({ ...timeouts, cert: tls.cert, key: tls.key }, handler)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const scheme = tls === undefined ? 'http' : 'https'
  let closing: Promise<void> | undefined
  return {
    url: `${scheme}://${hostForUrl}:${address.port}`,
    endpoint: `${hostForUrl}:${address.port}`,
    protocol: scheme,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)))
        server.closeIdleConnections()
      })
      return closing
    },
  }
}

export interface ServeAliyunKmsOptions extends AliyunKmsServerOptions {
  /** Where the banner (endpoint and the environment to point Alibaba Cloud SDKs at it) is written. */
  readonly log?: (line: string) => void
  /** Serving stops, and the returned promise resolves, when this aborts (e.g. on SIGINT). */
  readonly signal?: AbortSignal
}

/**
 * Serves `kms` over Alibaba Cloud KMS's protocol until `signal` aborts: what a command
 * line calls. Listens on `DEFAULT_ALIYUN_KMS_PORT` unless told otherwise. The banner
 * prints the first configured AccessKey (id and secret) so a client can be pointed at it:
 * give it AccessKeys made for this server, not real Alibaba Cloud ones.
 */
export async function serveAliyunKms(options: ServeAliyunKmsOptions): Promise<void> {
  const { log, signal, ...serverOptions } = options
  if (signal?.aborted === true) return
  const server = await startAliyunKmsServer({ port: DEFAULT_ALIYUN_KMS_PORT, ...serverOptions })
  const [accessKeyId, accessKey] = Object.entries(options.credentials ?? {})[0] ?? ['test', { secret: 'test' }]
  log?.(`Strongroom speaks Alibaba Cloud KMS at ${server.url} (region ${options.kms.region}, account ${options.kms.accountId})`)
  log?.(`  export ALIBABA_CLOUD_KMS_ENDPOINT=${server.endpoint} ALIBABA_CLOUD_KMS_PROTOCOL=${server.protocol} ALIBABA_CLOUD_REGION_ID=${options.kms.region} ALIBABA_CLOUD_ACCESS_KEY_ID=${accessKeyId} ALIBABA_CLOUD_ACCESS_KEY_SECRET=${accessKey.secret}`)
  await new Promise<void>((resolve) => {
    if (signal === undefined) return
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await server.close()
}
