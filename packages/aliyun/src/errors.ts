/**
 * Alibaba Cloud KMS errors on the wire, and how engine errors become them. Every failure
 * the facade answers is an `AliyunError`: an HTTP status and the body
 * `{ "Code", "Message", "RequestId", "HostId", "Recommend" }` the official clients parse
 * (they throw `<Code>Error` from @alicloud/kms20160120, `<Code>` from the OpenAPI client).
 *
 * ```ts
 * toAliyunError(new KmsError('Rejected.Disabled'))   // AliyunError Rejected.Disabled, 400
 * toAliyunError(new KmsError('StorageFailure'))      // ServiceUnavailableTemporary, 503, generic message
 * new AliyunError('SignatureNonceUsed', 'Specified signature nonce was used already.')
 * ```
 *
 * The engine's codes are Alibaba's already (core/errors.ts, with the status Alibaba answers),
 * so they pass through unchanged; only the engine's faults are renamed to Alibaba's common
 * codes, and their messages replaced by a generic one (the cause goes to `onError`). The
 * protocol-level codes (signature, timestamp, nonce, action, parameters) are the ones
 * Alibaba's OpenAPI gateway answers with.
 */
import { ERROR_CODES } from '@strongroom/core'
import { FacadeError, toWireError } from '@strongroom/facade'

/** Codes answered by the protocol layer (the gateway in front of Alibaba KMS), with their statuses. */
export const PROTOCOL_ERRORS = {
  MissingParameter: 400,
  InvalidParameter: 400,
  'InvalidAction.NotFound': 404,
  InvalidVersion: 400,
  UnsupportedHTTPMethod: 405,
  'Request.EntityTooLarge': 413,
  // Authentication.
  IncompleteSignature: 400,
  SignatureDoesNotMatch: 400,
  'InvalidAccessKeyId.NotFound': 404,
  'InvalidSignatureMethod': 400,
  'InvalidTimeStamp.Format': 400,
  'InvalidTimeStamp.Expired': 400,
  SignatureNonceUsed: 400,
  'Throttling.User': 400,
  InvalidRegionId: 400,
  // Our faults: clients retry these.
  InternalFailure: 500,
  ServiceUnavailableTemporary: 503,
} as const satisfies Record<string, number>

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS

export class AliyunError extends FacadeError {
  override readonly name = 'AliyunError'
  readonly code: string
  readonly status: number

  constructor(code: ProtocolErrorCode, message: string, options?: { readonly cause?: unknown })
  constructor(code: string, message: string, options: { readonly cause?: unknown; readonly status: number })
  constructor(code: string, message: string, options?: { readonly cause?: unknown; readonly status?: number }) {
    super(message, options)
    this.code = code
    this.status = options?.status ?? PROTOCOL_ERRORS[code as ProtocolErrorCode]
  }
}

/**
 * Engine codes Alibaba KMS does not answer with, and the Alibaba code each becomes. Every
 * other engine code is Alibaba's own and goes on the wire as is (`errors.test.ts` checks
 * each code core has is either here or a caller code).
 */
export const ENGINE_ERROR_MAP: Readonly<Record<string, ProtocolErrorCode>> = {
  // A closed engine, or the store or audit trail failing: the service is unavailable, retrying may succeed.
  Closed: 'ServiceUnavailableTemporary',
  StorageFailure: 'ServiceUnavailableTemporary',
  KeystoreInUse: 'ServiceUnavailableTemporary',
  AuditFailure: 'ServiceUnavailableTemporary',
  // A wrong root key or a record that fails its check is a misconfigured service, not a bad request.
  RootKeyMismatch: 'InternalFailure',
  CorruptRecord: 'InternalFailure',
  InternalFailure: 'InternalFailure',
  // A secret's rotation function failed: the service could not complete the call.
  RotationFailed: 'InternalFailure',
}

const GENERIC_FAULT = 'Strongroom could not complete the request; retry or see the server log'

/**
 * The Alibaba error for anything an operation threw. Engine caller errors keep their code
 * and status; TypeError/RangeError mean a request value of the wrong shape slipped past the
 * codec (still the caller's fault); anything else is ours, reported without its message.
 */
export function toAliyunError(error: unknown): AliyunError {
  return toWireError(error, {
    own: (thrown): thrown is AliyunError => thrown instanceof AliyunError,
    engine: (engineError) => {
      const renamed = ENGINE_ERROR_MAP[engineError.code]
      if (renamed !== undefined) return new AliyunError(renamed, `${GENERIC_FAULT} (${engineError.code})`, { cause: engineError })
      if (engineError.kind === 'internal') return new AliyunError('InternalFailure', `${GENERIC_FAULT} (${engineError.code})`, { cause: engineError })
      return new AliyunError(engineError.code, engineError.message, { cause: engineError, status: engineError.httpStatus })
    },
    badValue: (badValue) => new AliyunError('InvalidParameter', badValue.message, { cause: badValue }),
    fault: (fault) => new AliyunError('InternalFailure', GENERIC_FAULT, { cause: fault }),
  })
}

/** What the `Recommend` member says for a code: the registry's description for engine codes. */
export function recommendationFor(code: string): string {
  if (Object.hasOwn(ERROR_CODES, code)) return ERROR_CODES[code as keyof typeof ERROR_CODES].description
  return `See the Errors table of @strongroom/aliyun for ${code}.`
}

/** Shorthands for the errors operations raise themselves. */
export function invalidParameter(message: string): AliyunError {
  return new AliyunError('InvalidParameter', message)
}

/** An action, option or value Alibaba has and this engine does not (SM2, HSM, instances…). */
export function unsupported(message: string): AliyunError {
  return new AliyunError('Rejected.UnsupportedOperation', message, { status: ERROR_CODES['Rejected.UnsupportedOperation'].httpStatus })
}

export function missingParameter(name: string): AliyunError {
  return new AliyunError('MissingParameter', `The input parameter "${name}" that is mandatory for processing this request is not supplied.`)
}
