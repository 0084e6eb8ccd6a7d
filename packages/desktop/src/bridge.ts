/**
 * The Electron recipe's bridge: the main process owns the engine; each renderer window
 * gets a narrow, typed client over a message port, bound to a principal of its own, so
 * least-privilege policies and the audit trail apply per window, and plaintext crosses the
 * port only in the calls that window is allowed to make (an allow-list enforced in main).
 *
 * ```ts
 * // main process: one port pair per window (Electron's MessageChannelMain, or any MessagePort)
 * const { port1, port2 } = new MessageChannelMain()
 * serveKmsBridge(kms, port1, { principal: 'window-notes', operations: ['encrypt', 'decrypt'] })
 * win.webContents.postMessage('strongroom-kms', null, [port2])
 *
 * // renderer (or its preload): Promise-returning methods with the engine's request/response types
 * const kms = connectKmsBridge<'encrypt' | 'decrypt'>(port)
 * const { ciphertextBlob } = await kms.encrypt({ keyId: 'alias/notes', plaintext })
 * ```
 *
 * Transport-agnostic: a port is anything with `postMessage` and either `on('message')`
 * (Node's worker_threads ports, Electron's MessagePortMain) or `addEventListener('message')`
 * (web MessagePort, Worker). Requests and responses are structured-cloned, so `Uint8Array`s
 * cross as they are. Errors come back as `KmsError` with their code; TypeError and
 * RangeError (a malformed request) keep their class; any other failure in main reaches the
 * window only as `InternalFailure` (its details stay in main, passed to `onError`).
 *
 * A call outside the window's allow-list is refused by the bridge with
 * `Forbidden.NoPermission` before it reaches the engine (so it is not in the audit trail;
 * the engine's own policy checks, which are, come after the allow-list).
 *
 * This module uses no Node APIs: a renderer bundle imports `@strongroom/desktop/bridge`.
 */
import { ERROR_CODES, KmsError, OPERATIONS, type KmsClient, type KmsErrorCode, type OperationName } from '@strongroom/core'

/** A message port: Node/Electron style (`on`) or web style (`addEventListener`). */
export type MessagePortLike = NodeStylePort | WebStylePort

/** Node's worker_threads MessagePort and parentPort, Electron's MessagePortMain. */
export interface NodeStylePort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  off?(event: 'message', listener: (message: unknown) => void): unknown
  /** Electron's MessagePortMain queues messages until started. */
  start?(): void
}

/** The web's MessagePort, Worker, and `self` inside a worker. */
export interface WebStylePort {
  postMessage(message: unknown): void
  addEventListener(event: 'message', listener: (event: { data: unknown }) => void): unknown
  removeEventListener?(event: 'message', listener: (event: { data: unknown }) => void): unknown
  /** A web MessagePort listened to with addEventListener queues messages until started. */
  start?(): void
}

export interface KmsBridgeOptions {
  /** The window's principal: its calls run as `kms.as(principal)`, under its policies, audited under its name. */
  readonly principal: string
  /** The operations this window may call; everything else is refused in main. */
  readonly operations: readonly OperationName[]
  /** Told about failures that reach the window only as InternalFailure (for the main process's log). */
  readonly onError?: (error: unknown, operation: string) => void
}

/** The engine side: anything that can make a principal-bound client (a `Kms`). */
export interface KmsBridgeEngine {
  as(principal: string): KmsClient
}

/** Stops serving a port (the port itself stays open; close it yourself). */
export interface KmsBridgeServer {
  close(): void
}

/** The window's client: the allowed operations, each returning the engine's response type. */
export type KmsBridgeClient<Ops extends OperationName = OperationName> = Pick<KmsClient, Ops> & {
  /** Stops listening; calls still pending reject with `Closed`. */
  close(): void
}

const PROTOCOL = 'strongroom/kms-bridge/1'

interface BridgeRequest { readonly protocol: typeof PROTOCOL; readonly id: number; readonly operation: string; readonly request: unknown }
type WireError = { readonly code?: string; readonly name?: string; readonly message: string }
type BridgeResponse = { readonly protocol: typeof PROTOCOL; readonly id: number } &
  ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: WireError })

const isOperation = (name: unknown): name is OperationName => typeof name === 'string' && Object.hasOwn(OPERATIONS, name)

/** Serves `kms.as(principal)` on `port`, limited to `operations`. */
export function serveKmsBridge(kms: KmsBridgeEngine, port: MessagePortLike, options: KmsBridgeOptions): KmsBridgeServer {
  const allowed = new Set<OperationName>()
  for (const name of options.operations) {
    if (!isOperation(name)) throw new KmsError('InvalidParameter', `${String(name)} is not an operation of the engine`)
    allowed.add(name)
  }
  const client = kms.as(options.principal)

  async function answer(message: BridgeRequest): Promise<BridgeResponse> {
    const { id, operation } = message
    try {
      if (!isOperation(operation)) throw new KmsError('InvalidParameter', `${String(operation)} is not an operation of the engine`)
      if (!allowed.has(operation)) {
        throw new KmsError('Forbidden.NoPermission', `this window (${options.principal}) may not call kms:${OPERATIONS[operation]} through the bridge`)
      }
      const call = client[operation] as (request: unknown) => Promise<unknown>
      return { protocol: PROTOCOL, id, ok: true, value: await call(message.request) }
    } catch (error) {
      return { protocol: PROTOCOL, id, ok: false, error: toWire(error, operation, options.onError) }
    }
  }

  const detach = listen(port, (message) => {
    if (!isRequest(message)) return
    void answer(message).then((response) => {
      try {
        port.postMessage(response)
      } catch (error) {
        // A value structured clone refuses: the window still gets an answer, not a hang.
        try {
          port.postMessage({ protocol: PROTOCOL, id: message.id, ok: false, error: toWire(error, message.operation, options.onError) })
        } catch (unsent) {
          options.onError?.(unsent, message.operation) // the port is gone (window closed): nobody is waiting
        }
      }
    })
  })
  return { close: detach }
}

/** The renderer side: a typed client whose calls travel over `port` to `serveKmsBridge` in main. */
export function connectKmsBridge<Ops extends OperationName = OperationName>(port: MessagePortLike): KmsBridgeClient<Ops> {
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let nextId = 1
  let closed = false
  const detach = listen(port, (message) => {
    if (!isResponse(message)) return
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id)
    if (message.ok) waiter.resolve(message.value)
    else waiter.reject(fromWire(message.error))
  })

  const client: Record<string, unknown> = {
    close() {
      if (closed) return
      closed = true
      detach()
      for (const waiter of pending.values()) waiter.reject(new KmsError('Closed', 'the bridge client was closed'))
      pending.clear()
    },
  }
  for (const operation of Object.keys(OPERATIONS)) {
    client[operation] = (request?: unknown) => new Promise((resolve, reject) => {
      if (closed) return reject(new KmsError('Closed', 'the bridge client was closed'))
      const id = nextId++
      pending.set(id, { resolve, reject })
      try {
        port.postMessage({ protocol: PROTOCOL, id, operation, request } satisfies BridgeRequest)
      } catch (error) {
        pending.delete(id)
        reject(error as Error)
      }
    })
  }
  return Object.freeze(client) as KmsBridgeClient<Ops>
}

function toWire(error: unknown, operation: string, onError: KmsBridgeOptions['onError']): WireError {
  if (error instanceof KmsError) return { code: error.code, message: error.message }
  if (error instanceof TypeError || error instanceof RangeError) return { name: error.name, message: error.message }
  onError?.(error, operation)
  return { code: 'InternalFailure', message: 'the call failed in the main process' }
}

function fromWire(error: WireError): Error {
  if (typeof error.code === 'string' && Object.hasOwn(ERROR_CODES, error.code)) return new KmsError(error.code as KmsErrorCode, error.message)
  if (error.name === 'TypeError') return new TypeError(error.message)
  if (error.name === 'RangeError') return new RangeError(error.message)
  return new KmsError('InternalFailure', error.message)
}

function isRequest(message: unknown): message is BridgeRequest {
  const m = message as Partial<BridgeRequest> | null
  return typeof m === 'object' && m !== null && m.protocol === PROTOCOL && Number.isSafeInteger(m.id) && 'operation' in m
}

function isResponse(message: unknown): message is BridgeResponse {
  const m = message as Partial<BridgeResponse> | null
  return typeof m === 'object' && m !== null && m.protocol === PROTOCOL && Number.isSafeInteger(m.id) && typeof m.ok === 'boolean'
}

/**
 * Subscribes to a port's messages; returns the unsubscribe. Electron's MessagePortMain
 * hands `on('message')` listeners an event (`{ data }`) where Node's ports hand the value,
 * so a message that is not ours but carries ours in `data` is unwrapped.
 */
function listen(port: MessagePortLike, onMessage: (message: unknown) => void): () => void {
  const unwrap = (message: unknown): unknown => {
    const m = message as { protocol?: unknown; data?: unknown } | null
    return typeof m === 'object' && m !== null && m.protocol === undefined && m.data !== undefined ? m.data : message
  }
  if ('on' in port && typeof port.on === 'function') {
    const nodePort = port
    const listener = (message: unknown): void => onMessage(unwrap(message))
    nodePort.on('message', listener)
    nodePort.start?.()
    return () => void nodePort.off?.('message', listener)
  }
  if ('addEventListener' in port && typeof port.addEventListener === 'function') {
    const webPort = port
    const listener = (event: { data: unknown }): void => onMessage(event.data)
    webPort.addEventListener('message', listener)
    webPort.start?.()
    return () => void webPort.removeEventListener?.('message', listener)
  }
  throw new TypeError('the port must have postMessage and on("message") or addEventListener("message")')
}
