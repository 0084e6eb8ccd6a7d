/**
 * AWS KMS errors on the wire, and how engine errors become them. Every failure the
 * facade answers is an `AwsError`: its `type` is the exception name the AWS SDKs model
 * (`NotFoundException`, `DisabledException`, …) and its `status` the HTTP status the
 * real service answers with (400 for client faults, so SDKs do not retry them; 5xx only
 * for our faults, which SDKs retry).
 *
 * ```ts
 * toAwsError(new KmsError('Rejected.Disabled'))          // AwsError DisabledException, 400
 * toAwsError(new KmsError('InvalidParameter'), { InvalidParameter: 'TagException' })
 * encodeError(error, requestId)                           // { statusCode, headers, body }
 * ```
 *
 * Statuses follow the AWS KMS API reference ("HTTP Status Code: 400" for every client
 * exception), not the `httpError` traits of the Smithy model, which the JSON protocol
 * does not use. Messages never carry plaintext, key material or request bodies: engine
 * messages are safe by design (core/errors.ts), and internal faults are reported with a
 * generic message (their cause goes to the `onError` hook, never to the caller).
 */
import { FacadeError, toWireError } from '@strongroom/facade'

/** The exception names this facade answers with, and their HTTP statuses. */
export const AWS_ERRORS = {
  // The request itself (protocol level).
  SerializationException: 400,
  ValidationException: 400,
  UnknownOperationException: 400,
  RequestEntityTooLargeException: 413,
  UnsupportedMediaTypeException: 415,
  MethodNotAllowedException: 405,
  // Authentication (SigV4).
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 400,
  InvalidSignatureException: 400,
  UnrecognizedClientException: 400,
  // The KMS model's own exceptions.
  AccessDeniedException: 400,
  AlreadyExistsException: 400,
  ConflictException: 400,
  DisabledException: 400,
  DryRunOperationException: 412,
  IncorrectKeyException: 400,
  InvalidAliasNameException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  InvalidImportTokenException: 400,
  ExpiredImportTokenException: 400,
  IncorrectKeyMaterialException: 400,
  InvalidMarkerException: 400,
  InvalidGrantIdException: 400,
  InvalidGrantTokenException: 400,
  KMSInvalidStateException: 400,
  KMSInvalidSignatureException: 400,
  KMSInvalidMacException: 400,
  LimitExceededException: 400,
  MalformedPolicyDocumentException: 400,
  // Not in the KMS model, but what AWS answers for the reserved alias/aws/ prefix.
  NotAuthorizedException: 400,
  NotFoundException: 400,
  TagException: 400,
  UnsupportedOperationException: 400,
  // Our faults: SDKs retry these.
  DependencyTimeoutException: 500,
  KMSInternalException: 500,
} as const satisfies Record<string, number>

export type AwsErrorType = keyof typeof AWS_ERRORS

export class AwsError extends FacadeError {
  override readonly name = 'AwsError'
  readonly type: AwsErrorType

  constructor(type: AwsErrorType, message: string, options?: { readonly cause?: unknown }) {
    super(message, options)
    this.type = type
  }

  /** Client faults are 4xx; SDKs retry only 5xx (and throttling, which we never answer). */
  get status(): number {
    return AWS_ERRORS[this.type]
  }

  /** The exception name on the wire (`__type`): the type, unless another service's model names it (secrets-manager.ts). */
  get wireType(): string {
    return this.type
  }
}

/**
 * Every engine error code and the AWS exception it becomes. Kept as plain strings (not
 * `Record<KmsErrorCode, …>`) so a code core adds later falls back by its kind instead of
 * breaking the build; `errors.test.ts` asserts every code core has is listed here.
 */
export const ENGINE_ERROR_MAP: Readonly<Record<string, AwsErrorType>> = {
  InvalidParameter: 'ValidationException',
  InvalidCiphertext: 'InvalidCiphertextException',
  IncorrectKey: 'IncorrectKeyException',
  'Forbidden.KeyNotFound': 'NotFoundException',
  'Forbidden.AliasNotFound': 'NotFoundException',
  'Forbidden.ResourceNotFound': 'NotFoundException',
  'Forbidden.PolicyNotFound': 'NotFoundException',
  'Forbidden.GrantNotFound': 'NotFoundException',
  InvalidGrantId: 'InvalidGrantIdException',
  InvalidGrantToken: 'InvalidGrantTokenException',
  'Forbidden.NoPermission': 'AccessDeniedException',
  // AWS has no deletion protection; the key's state is what refuses, so say so in its terms.
  'Forbidden.DeletionProtected': 'KMSInvalidStateException',
  'Rejected.Disabled': 'DisabledException',
  'Rejected.InvalidState': 'KMSInvalidStateException',
  'Rejected.UnsupportedOperation': 'UnsupportedOperationException',
  InvalidKeyUsage: 'InvalidKeyUsageException',
  InvalidImportToken: 'InvalidImportTokenException',
  ExpiredImportToken: 'ExpiredImportTokenException',
  IncorrectKeyMaterial: 'IncorrectKeyMaterialException',
  'Rejected.PolicyInUse': 'KMSInvalidStateException',
  AlreadyExists: 'AlreadyExistsException',
  LimitExceeded: 'LimitExceededException',
  // The engine already retried its optimistic transaction; the caller repeats the call.
  Conflict: 'ConflictException',
  // A closed engine or a wrong root key is a misconfigured service, not a bad request.
  Closed: 'KMSInternalException',
  RootKeyMismatch: 'KMSInternalException',
  // The store (or the audit trail written to it) is a dependency: retrying may succeed.
  StorageFailure: 'DependencyTimeoutException',
  // Another process holds the keystore: the dependency is busy, retrying later may succeed.
  KeystoreInUse: 'DependencyTimeoutException',
  AuditFailure: 'DependencyTimeoutException',
  CorruptRecord: 'KMSInternalException',
  InternalFailure: 'KMSInternalException',
  // A secret's rotation function failed: the service could not complete the call.
  RotationFailed: 'KMSInternalException',
}

/** Per-operation refinements: e.g. a bad tag is a `TagException` in TagResource, not a generic ValidationException. */
export type ErrorOverrides = Readonly<Record<string, AwsErrorType>>

/**
 * The AWS error for anything an operation threw. Engine errors map by code (then by
 * kind, for a code this table does not know yet); TypeError/RangeError mean a request
 * value of the wrong shape slipped past the codec, which is still the caller's fault;
 * anything else is ours, reported without its message.
 */
export function toAwsError(error: unknown, overrides: ErrorOverrides = {}): AwsError {
  return toWireError(error, {
    own: (thrown): thrown is AwsError => thrown instanceof AwsError,
    engine: (engineError) => {
      const type = overrides[engineError.code] ?? ENGINE_ERROR_MAP[engineError.code] ?? (engineError.kind === 'caller' ? 'ValidationException' : 'KMSInternalException')
      const message = AWS_ERRORS[type] >= 500 ? `Strongroom could not complete the request (${engineError.code}); retry or see the server log` : engineError.message
      return new AwsError(type, message, { cause: engineError })
    },
    badValue: (badValue) => new AwsError('ValidationException', badValue.message, { cause: badValue }),
    fault: (fault) => new AwsError('KMSInternalException', 'Strongroom could not complete the request; retry or see the server log', { cause: fault }),
  })
}

/** Shorthands for the errors operations raise themselves. */
export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message)
}

export function unsupported(message: string): AwsError {
  return new AwsError('UnsupportedOperationException', message)
}
