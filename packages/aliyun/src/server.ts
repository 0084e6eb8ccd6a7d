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
import { assertServable, lastValueQuery, listen, protocolListener, SERVER_TIMEOUTS, untilAborted } from '@strongroom/facade'
import type { Engine } from './engine.js'
import { AliyunError, recommendationFor } from './errors.js'
import { encodeJson } from './params.js'
import { MAX_REQUEST_BYTES, aliyunKmsProtocol, type AliyunKmsOptions, type AliyunRequest, type AliyunResponse } from './protocol.js'

/** Whether `host` is a loopback address (what may be served without `allowRemote`). */
export { isLoopbackHost } from '@strongroom/facade'

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

function errorResponse(error: AliyunError): AliyunResponse {
  const body = encodeJson({
    RequestId: globalThis.crypto.randomUUID().toUpperCase(), HostId: 'localhost', Code: error.code, Message: error.message,
    Recommend: recommendationFor(error.code),
  })
  return { statusCode: error.status, headers: { 'content-type': 'application/json;charset=utf-8', 'content-length': String(body.length) }, body }
}

/** The node:http request listener around a protocol function (the server's, and the in-process agent's). */
export function requestListener(protocol: (request: AliyunRequest) => Promise<AliyunResponse>): (req: IncomingMessage, res: ServerResponse) => void {
  return protocolListener(protocol, {
    maxRequestBytes: MAX_REQUEST_BYTES,
    toRequest: ({ searchParams, ...parts }) => ({ ...parts, query: lastValueQuery(searchParams) }),
    tooLarge: errorResponse(new AliyunError('Request.EntityTooLarge', `Request bodies are at most ${MAX_REQUEST_BYTES} bytes.`)),
    unreadable: () => errorResponse(new AliyunError('InternalFailure', 'The request could not be read.')),
  })
}

/**
 * Starts a server speaking Alibaba Cloud KMS for `kms`. Any address but loopback needs
 * `allowRemote` and `credentials`: an unauthenticated endpoint on a network would let
 * anyone there use every key.
 */
export async function startAliyunKmsServer(options: AliyunKmsServerOptions): Promise<AliyunKmsServer> {
  const { kms, port = 0, host = '127.0.0.1', allowRemote = false, tls, ...protocolOptions } = options
  assertServable(host, { credentials: protocolOptions.credentials !== undefined, allowRemote })
  const handler = requestListener(aliyunKmsProtocol(kms, protocolOptions))
  const server: Server = tls === undefined ? createHttpServer(SERVER_TIMEOUTS, handler) : createHttpsServer({ ...SERVER_TIMEOUTS, cert: tls.cert, key: tls.key }, handler)
  const scheme = tls === undefined ? 'http' : 'https'
  const { url, endpoint, port: listeningPort, close } = await listen(server, { port, host, scheme })
  return { url, endpoint, protocol: scheme, port: listeningPort, close }
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
  await untilAborted(signal)
  await server.close()
}
