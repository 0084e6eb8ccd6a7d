/**
 * An in-process request handler for the AWS SDK for JavaScript v3: hand it to a client
 * as `requestHandler` and every call runs against the engine in the same process — the
 * SDK still serialises, signs and parses exactly as it does against AWS, but no socket
 * is opened.
 *
 * ```ts
 * import { KMSClient, EncryptCommand } from '@aws-sdk/client-kms'
 * const client = new KMSClient({
 *   region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
 *   requestHandler: awsRequestHandler(kms),
 * })
 * await client.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: bytes }))
 * ```
 *
 * The handler implements the SDK's `HttpHandler` shape structurally (`handle`,
 * `updateHttpClientConfig`, `httpHandlerConfigs`, `destroy`, `metadata`), so this
 * package needs no AWS package at run time. It returns a plain `{ statusCode, headers,
 * body }` response: the SDK recognises responses by shape (`HttpResponse.isInstance`
 * checks `statusCode` and `headers`), not by class.
 */
import { awsKmsProtocol, type AwsKmsOptions, type AwsRequest } from './protocol.js'
import type { Engine } from './engine.js'

/** The parts of the SDK's `HttpRequest` the handler reads. */
export interface SdkHttpRequest {
  readonly method: string
  readonly path: string
  readonly query?: Readonly<Record<string, string | readonly string[] | null>>
  readonly headers: Readonly<Record<string, string>>
  readonly body?: unknown
}

export interface SdkHttpResponse {
  readonly statusCode: number
  readonly headers: Record<string, string>
  readonly body: Uint8Array
}

export interface AwsRequestHandler {
  readonly metadata: { readonly handlerProtocol: string }
  handle(request: SdkHttpRequest, options?: { readonly abortSignal?: { readonly aborted: boolean } }): Promise<{ response: SdkHttpResponse }>
  /** The SDK configures sockets and timeouts through these; an in-process handler has none. */
  updateHttpClientConfig(key: never, value: never): void
  httpHandlerConfigs(): Record<string, never>
  destroy(): void
}

const encoder = new TextEncoder()

/** The request body as bytes, whatever form the SDK (or middleware) left it in. */
async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0)
  if (typeof body === 'string') return encoder.encode(body)
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  if (typeof body === 'object' && Symbol.asyncIterator in body) {
    const chunks: Uint8Array[] = []
    for await (const chunk of body as AsyncIterable<unknown>) {
      chunks.push(typeof chunk === 'string' ? encoder.encode(chunk) : (chunk as Uint8Array))
    }
    return Buffer.concat(chunks)
  }
  throw new TypeError('unsupported request body type')
}

function abortError(): Error {
  const error = new Error('Request aborted')
  error.name = 'AbortError'
  return error
}

/** A `requestHandler` for `new KMSClient({ … })` that serves every call from `kms` in this process. */
export function awsRequestHandler(kms: Engine, options: AwsKmsOptions = {}): AwsRequestHandler {
  const protocol = awsKmsProtocol(kms, options)
  return {
    metadata: { handlerProtocol: 'strongroom/in-process' },
    async handle(request, handlerOptions) {
      if (handlerOptions?.abortSignal?.aborted === true) throw abortError()
      // fromEntries defines own properties, so a header or parameter named __proto__ stays data.
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), String(value)]))
      const query = Object.fromEntries(Object.entries(request.query ?? {}).filter((e): e is [string, string | readonly string[]] => e[1] !== null))
      const wire: AwsRequest = { method: request.method, path: request.path, query, headers, body: await bodyBytes(request.body) }
      const response = await protocol(wire)
      return { response: { statusCode: response.statusCode, headers: response.headers, body: response.body } }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {}
    },
    destroy() {},
  }
}
