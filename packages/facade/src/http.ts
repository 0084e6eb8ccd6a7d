/**
 * The HTTP plumbing every protocol facade's server shares: reading a body under a size
 * limit, answering, turning a node:http request into the facade's request, listening and
 * closing, and the refusal to listen beyond loopback without credentials.
 *
 * ```ts
 * assertServable(host, { credentials: options.credentials !== undefined })
 * const listener = protocolListener(protocol, {
 *   maxRequestBytes: MAX_REQUEST_BYTES, tooLarge, unreadable: () => errorResponse(…),
 *   toRequest: (parts) => ({ ...parts, query: lastValueQuery(parts.searchParams) }),
 * })
 * const server = await listen(createServer(SERVER_TIMEOUTS, listener), { port, host })
 * await untilAborted(signal)
 * await server.close()
 * ```
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A protocol's answer, ready for the wire. */
export interface WireResponse {
  readonly statusCode: number
  /** Lower-case names. */
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

/** A node:http request, read: what a facade builds its own request from. */
export interface RequestParts {
  readonly method: string
  readonly path: string
  readonly searchParams: URLSearchParams
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

/** The timeouts the facades' servers run with (a hung client cannot hold a socket forever). */
export const SERVER_TIMEOUTS = { requestTimeout: 60_000, headersTimeout: 30_000 } as const

/** True for the addresses only this machine can reach (`localhost`, `127.x.x.x`, `::1`). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * Throws unless serving on `host` is safe: loopback always is; any other address needs
 * credentials (an unauthenticated endpoint on a network would let anyone there use every
 * key) and, where a facade asks for it, an explicit `allowRemote`.
 */
export function assertServable(host: string, guard: { readonly credentials: boolean; readonly allowRemote?: boolean }): void {
  if (isLoopbackHost(host)) return
  if (guard.allowRemote === false) throw new TypeError(`refusing to serve on ${host}: only loopback addresses unless allowRemote is set`)
  if (!guard.credentials) throw new TypeError(`refusing to serve on ${host} without credentials: anyone who can reach it could use every key`)
}

/** Writes `response` unless an answer has already gone; `closeConnection` ends keep-alive. */
export function send(res: ServerResponse, response: WireResponse, closeConnection = false): void {
  if (res.headersSent) return
  res.writeHead(response.statusCode, closeConnection ? { ...response.headers, connection: 'close' } : response.headers)
  res.end(response.body)
}

/** Reads the body, refusing it (null) as soon as it exceeds `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
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

/** The parts of a node:http request with its body read. */
export function requestParts(req: IncomingMessage, body: Uint8Array): RequestParts {
  const url = new URL(req.url ?? '/', 'http://localhost')
  // Node lower-cases names; repeated headers arrive as arrays only for a few names.
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']))
  return { method: req.method ?? 'GET', path: url.pathname, searchParams: url.searchParams, headers, body }
}

/** The query with a repeated name's values kept (a single value stays a string). */
export function multiValueQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query = Object.create(null) as Record<string, string | string[]>
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name)
    query[name] = values.length === 1 ? values[0]! : values
  }
  return query
}

/** The query with a repeated name's last value. */
export function lastValueQuery(params: URLSearchParams): Record<string, string> {
  const query = Object.create(null) as Record<string, string>
  for (const [name, value] of params) query[name] = value
  return query
}

export interface ProtocolListenerOptions<Request> {
  readonly maxRequestBytes: number
  readonly toRequest: (parts: RequestParts) => Request
  /** The answer to a body over `maxRequestBytes` (413 in the facade's error format). */
  readonly tooLarge: WireResponse
  /** The answer when the request stream itself fails (the client hung up). */
  readonly unreadable: () => WireResponse
}

/**
 * The node:http request listener around a protocol function. A body over the limit is
 * answered without being read in full and its connection dropped; a failing request
 * stream never takes the server down.
 */
export function protocolListener<Request>(
  protocol: (request: Request) => Promise<WireResponse>,
  options: ProtocolListenerOptions<Request>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { maxRequestBytes, toRequest, tooLarge, unreadable } = options
  return (req, res) => {
    void (async () => {
      const declared = Number(req.headers['content-length'] ?? 0)
      const body = declared > maxRequestBytes ? null : await readBody(req, maxRequestBytes)
      if (body === null) {
        // Answer without reading the rest, then drop the connection it would have streamed on.
        send(res, tooLarge, true)
        res.on('finish', () => req.destroy())
        return
      }
      send(res, await protocol(toRequest(requestParts(req, body))))
    })().catch(() => {
      // The protocol never throws: this is a request stream that failed (the client hung up).
      if (!res.headersSent && !res.destroyed) send(res, unreadable(), true)
      else res.destroy()
    })
  }
}

/** A server that is listening. */
export interface ListeningServer {
  /** e.g. `http://127.0.0.1:49152`. */
  readonly url: string
  /** `host:port` (IPv6 hosts in brackets). */
  readonly endpoint: string
  readonly port: number
  /** Stops accepting, lets in-flight requests finish, closes idle keep-alive connections. Idempotent. */
  close(): Promise<void>
}

/** Starts `server` listening on `host:port` (0: any free port) and resolves once it does. */
export async function listen(server: Server, options: { readonly port: number; readonly host: string; readonly scheme?: 'http' | 'https' }): Promise<ListeningServer> {
  const { port, host, scheme = 'http' } = options
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `${scheme}://${hostForUrl}:${address.port}`,
    endpoint: `${hostForUrl}:${address.port}`,
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

/** Resolves when `signal` aborts; never without one (serve until the process ends). */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal === undefined) return
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
