/**
 * How a facade turns whatever an operation threw into its wire error, and answers a
 * request: the order of the checks, the server-fault test and the fault report are the
 * same for every protocol; the error names, statuses and bodies are each facade's own.
 *
 * ```ts
 * class AwsError extends FacadeError { get status() { return AWS_ERRORS[this.type] } }
 * const toAwsError = (thrown: unknown) => toWireError(thrown, {
 *   own: (error) => error instanceof AwsError,
 *   engine: (error) => new AwsError(ENGINE_ERROR_MAP[error.code] ?? …, error.message, { cause: error }),
 *   badValue: (error) => new AwsError('ValidationException', error.message, { cause: error }),
 *   fault: (error) => new AwsError('KMSInternalException', 'Strongroom could not complete the request…', { cause: error }),
 * })
 * const protocol = answerWith({ run, ok, fail, toError: toAwsError, newRequestId, onError, operationOf })
 * ```
 */
import { KmsError } from '@strongroom/core'

/** A facade's wire error: a status, and whether it is the server's fault (5xx, which clients retry). */
export abstract class FacadeError extends Error {
  abstract readonly status: number

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
  }

  /** Client faults are 4xx; clients retry only 5xx. */
  get isServerFault(): boolean {
    return this.status >= 500
  }
}

/** The four kinds of thing an operation can throw, each becoming the facade's error its own way. */
export interface WireErrorMapping<E extends FacadeError> {
  /** Already the facade's error. */
  readonly own: (error: unknown) => error is E
  /** An engine error (`KmsError`): mapped by code. */
  readonly engine: (error: KmsError) => E
  /** A TypeError/RangeError: a request value of the wrong shape slipped past the codec, still the caller's fault. */
  readonly badValue: (error: TypeError | RangeError) => E
  /** Anything else is ours: reported without its message (the cause goes to `onError`). */
  readonly fault: (error: unknown) => E
}

/** The facade's error for anything an operation threw. */
export function toWireError<E extends FacadeError>(thrown: unknown, mapping: WireErrorMapping<E>): E {
  if (mapping.own(thrown)) return thrown
  if (KmsError.is(thrown)) return mapping.engine(thrown)
  if (thrown instanceof TypeError || thrown instanceof RangeError) return mapping.badValue(thrown)
  return mapping.fault(thrown)
}

/** Hands a server fault to the host's logger; a failing logger never turns one failed request into a crash. */
export function reportServerFault(onError: ((error: unknown, operation: string) => void) | undefined, error: unknown, operation: string): void {
  if (onError === undefined) return
  try {
    onError(error, operation)
  } catch {
    // A failing logger must not turn one failed request into a crash of the endpoint.
  }
}

export interface AnswerOptions<Request, Result, E extends FacadeError, Response> {
  /** Runs the request; throws on any failure. */
  readonly run: (request: Request) => Promise<Result>
  readonly ok: (result: Result, requestId: string, request: Request) => Response
  readonly fail: (error: E, requestId: string, request: Request) => Response
  readonly toError: (thrown: unknown) => E
  readonly newRequestId: () => string
  readonly onError: ((error: unknown, operation: string) => void) | undefined
  /** The operation a request names, for the fault report. */
  readonly operationOf: (request: Request) => string
}

/**
 * The protocol function: every request gets an answer, a success or the facade's error
 * (server faults reported to `onError` with their cause); it never throws.
 */
export function answerWith<Request, Result, E extends FacadeError, Response>(
  options: AnswerOptions<Request, Result, E, Response>,
): (request: Request) => Promise<Response> {
  const { run, ok, fail, toError, newRequestId, onError, operationOf } = options
  return async (request) => {
    const requestId = newRequestId()
    try {
      return ok(await run(request), requestId, request)
    } catch (thrown) {
      const error = toError(thrown)
      if (error.isServerFault) reportServerFault(onError, error.cause ?? error, operationOf(request))
      return fail(error, requestId, request)
    }
  }
}
