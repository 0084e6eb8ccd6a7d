/**
 * The AWS KMS protocol over HTTP (node:http), for the AWS CLI, SDKs in other languages,
 * and anything else that speaks to an endpoint URL. Bound to loopback by default.
 *
 * ```ts
 * const server = await startAwsKmsServer({ kms })        // a free port on 127.0.0.1
 * // aws kms list-keys --endpoint-url "$url"  ·  new KMSClient({ endpoint: server.url, … })
 * await server.close()
 *
 * // a command that serves until interrupted (what `strongroom` calls):
 * await serveAwsKms({ kms, port: 4599, log: console.error, signal })
 * ```
 *
 * Hardening: bodies over 1 MiB are refused with 413 before they are read in full (and the
 * connection closed), other media types with 415, other methods with 405; a client that
 * sends garbage or hangs up never takes the server down, and the engine's faults answer
 * 500 KMSInternalException without details (those go to `onError`). It serves on an
 * address other than loopback only with `credentials` set (SigV4 required).
 */
import { createServer } from 'node:http'
import { assertServable, listen, multiValueQuery, protocolListener, SERVER_TIMEOUTS, untilAborted } from '@strongroom/facade'
import type { Engine } from './engine.js'
import { AwsError } from './errors.js'
import { MAX_REQUEST_BYTES, awsKmsProtocol, type AwsKmsOptions, type AwsResponse } from './protocol.js'
import type { AccessKeys } from './sigv4.js'
import { encodeJson } from './wire.js'

/** True for the addresses only this machine can reach (`localhost`, `127.x.x.x`, `::1`). */
export { isLoopbackHost } from '@strongroom/facade'

export interface AwsKmsServerOptions extends AwsKmsOptions {
  readonly kms: Engine
  /** Default 0: any free port (read it from `url`/`port`). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
}

export interface AwsKmsServer {
  /** e.g. `http://127.0.0.1:49152` — the endpoint URL for clients. */
  readonly url: string
  readonly port: number
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections. Idempotent. */
  close(): Promise<void>
}

/** The port `serveAwsKms` listens on by default (LocalStack's historical KMS port). */
export const DEFAULT_AWS_KMS_PORT = 4599

function errorResponse(error: AwsError): AwsResponse {
  const body = encodeJson({ __type: error.type, message: error.message })
  return {
    statusCode: error.status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(body.length), 'x-amzn-errortype': error.type },
    body,
  }
}

/**
 * Starts an HTTP server speaking AWS KMS JSON 1.1 for `kms`. Any address but loopback
 * needs `credentials`: an unauthenticated endpoint on a network would let anyone there
 * use every key.
 */
export async function startAwsKmsServer(options: AwsKmsServerOptions): Promise<AwsKmsServer> {
  const { kms, port = 0, host = '127.0.0.1', ...protocolOptions } = options
  assertServable(host, { credentials: protocolOptions.credentials !== undefined })
  const listener = protocolListener(awsKmsProtocol(kms, protocolOptions), {
    maxRequestBytes: MAX_REQUEST_BYTES,
    toRequest: ({ searchParams, ...parts }) => ({ ...parts, query: multiValueQuery(searchParams) }),
    tooLarge: errorResponse(new AwsError('RequestEntityTooLargeException', `request bodies are at most ${MAX_REQUEST_BYTES} bytes`)),
    unreadable: () => errorResponse(new AwsError('KMSInternalException', 'the request could not be read')),
  })
  const { url, port: listeningPort, close } = await listen(createServer(SERVER_TIMEOUTS, listener), { port, host })
  return { url, port: listeningPort, close }
}

export interface ServeAwsKmsOptions extends AwsKmsServerOptions {
  /** Where the banner (endpoint URL, the environment for AWS tools, and a warning when open) is written, a line at a time. */
  readonly log?: (line: string) => void
  /** Serving stops, and the returned promise resolves, when this aborts (e.g. on SIGINT). */
  readonly signal?: AbortSignal
}

/**
 * The banner: what is served, a loud warning when no credentials are required, and an
 * environment block that works pasted into a POSIX shell for the AWS CLI v1 and v2, boto3
 * and the JavaScript SDK. `AWS_ENDPOINT_URL_KMS` is what they all honour for KMS;
 * `AWS_ENDPOINT_URL` points every other service there too (only KMS answers); the CLI v1
 * and boto3 read `AWS_DEFAULT_REGION`, the JavaScript SDK `AWS_REGION`. Without
 * credentials any access key works, so the block names one; with them, the block leaves the
 * key to the user — a secret is never written to a log.
 */
export function serveBanner(url: string, region: string, account: string, credentials: AccessKeys | undefined): string[] {
  const lines = [`Strongroom speaks AWS KMS at ${url} (region ${region}, account ${account})`]
  if (credentials === undefined) {
    lines.push(
      '',
      '  !!! OPEN ENDPOINT: no credentials are configured, so requests are NOT authenticated.',
      '  !!! Any access key - or none, an unsigned curl - runs as the keystore owner, with every key.',
      '  !!! Anything on this machine that can reach the port can use it. Pass --credentials FILE to require SigV4.',
      '',
    )
  } else {
    const ids = Object.keys(credentials)
    lines.push(`Requests must be signed (SigV4) by one of ${ids.length} access key${ids.length === 1 ? '' : 's'}: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`)
  }
  lines.push('Point AWS tools at it (paste into a shell):')
  lines.push(`export AWS_ENDPOINT_URL=${url}`, `export AWS_ENDPOINT_URL_KMS=${url}`, `export AWS_REGION=${region}`, `export AWS_DEFAULT_REGION=${region}`)
  if (credentials === undefined) {
    lines.push('export AWS_ACCESS_KEY_ID=test', 'export AWS_SECRET_ACCESS_KEY=test')
  } else {
    lines.push('# and AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: one access key id and its secretAccessKey from the credentials file')
  }
  return lines
}

/**
 * Serves `kms` over the AWS protocol until `signal` aborts: what a command line calls.
 * Listens on `DEFAULT_AWS_KMS_PORT` unless told otherwise.
 */
export async function serveAwsKms(options: ServeAwsKmsOptions): Promise<void> {
  const { log, signal, ...serverOptions } = options
  if (signal?.aborted === true) return
  const server = await startAwsKmsServer({ port: DEFAULT_AWS_KMS_PORT, ...serverOptions })
  const region = options.region ?? options.kms.region
  const account = options.accountId ?? options.kms.accountId
  for (const line of serveBanner(server.url, region, account, options.credentials)) log?.(line)
  await untilAborted(signal)
  await server.close()
}
