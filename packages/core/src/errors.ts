/**
 * One error class, `KmsError`, with a stable `code` from the single registry below.
 * Codes mirror the reference model's names (Alibaba Cloud KMS 2016-01-20) and never
 * change once released; messages may. Programmer misuse (wrong argument types) throws
 * TypeError / RangeError instead.
 *
 * ```ts
 * try { await kms.decrypt({ ciphertextBlob }) }
 * catch (err) { if (KmsError.is(err, 'InvalidCiphertext')) … }
 * ```
 *
 * Messages never contain plaintext, key material, data keys or passphrases.
 */

/** Who is at fault: the caller (fix the request) or Strongroom / its storage (retry or report). */
export type ErrorKind = 'caller' | 'internal'

interface CodeInfo {
  readonly kind: ErrorKind
  /** HTTP status the reference model answers with; wire facades reuse it. */
  readonly httpStatus: number
  readonly description: string
}

/** The registry: every code Strongroom can produce. README "Errors" lists the same table. */
export const ERROR_CODES = {
  InvalidParameter: { kind: 'caller', httpStatus: 400, description: 'A parameter is missing, malformed or out of range.' },
  InvalidCiphertext: { kind: 'caller', httpStatus: 400, description: 'The ciphertext blob is malformed, was modified, belongs to no key here, or the encryption context does not match.' },
  IncorrectKey: { kind: 'caller', httpStatus: 400, description: 'The ciphertext was not encrypted under the key the request names.' },
  'Forbidden.KeyNotFound': { kind: 'caller', httpStatus: 404, description: 'No key with this id or resource name exists (or it was purged); a missing alias is Forbidden.AliasNotFound.' },
  'Forbidden.AliasNotFound': { kind: 'caller', httpStatus: 404, description: 'No alias with this name exists.' },
  'Forbidden.ResourceNotFound': { kind: 'caller', httpStatus: 404, description: 'The key exists but the key version named does not; or no secret (or secret version or stage) with this name exists.' },
  'Forbidden.NoPermission': { kind: 'caller', httpStatus: 403, description: 'The principal is not allowed to perform this action on this resource (no policy allows it, or one denies it).' },
  'Forbidden.PolicyNotFound': { kind: 'caller', httpStatus: 404, description: 'No policy with this name exists, or it is not attached to this principal.' },
  'Forbidden.GrantNotFound': { kind: 'caller', httpStatus: 404, description: 'No grant with this id (or grant token) exists on the key; it was retired or revoked, or never created.' },
  InvalidGrantId: { kind: 'caller', httpStatus: 400, description: 'The grant id is malformed, or names a grant of another key.' },
  InvalidGrantToken: { kind: 'caller', httpStatus: 400, description: 'A grant token is malformed or was not issued by this keystore.' },
  'Rejected.PolicyInUse': { kind: 'caller', httpStatus: 409, description: 'The policy is attached to principals; detach it before deleting it.' },
  'Forbidden.DeletionProtected': { kind: 'caller', httpStatus: 403, description: 'The key has deletion protection enabled; turn it off before scheduling deletion.' },
  'Rejected.Disabled': { kind: 'caller', httpStatus: 400, description: 'The key is Disabled; enable it first.' },
  'Rejected.InvalidState': { kind: 'caller', httpStatus: 409, description: 'The key state does not allow this operation (PendingDeletion, PendingImport, …).' },
  InvalidKeyUsage: { kind: 'caller', httpStatus: 400, description: 'The key\'s spec or usage cannot do this (e.g. encrypt with a signing key, sign with an AES key).' },
  InvalidImportToken: { kind: 'caller', httpStatus: 400, description: 'The import token is unknown, was already used, or belongs to another key.' },
  ExpiredImportToken: { kind: 'caller', httpStatus: 400, description: 'The import token has expired (24 hours after getParametersForImport); get new parameters.' },
  IncorrectKeyMaterial: { kind: 'caller', httpStatus: 400, description: 'The key already had different material imported; only the same material can be imported again.' },
  'Rejected.UnsupportedOperation': { kind: 'caller', httpStatus: 400, description: 'The operation is not supported for this key spec, usage or origin.' },
  AlreadyExists: { kind: 'caller', httpStatus: 409, description: 'A resource with this name already exists (alias, policy, secret, secret version with another value).' },
  LimitExceeded: { kind: 'caller', httpStatus: 400, description: 'A quota was reached (tags, aliases or versions per key).' },
  RotationFailed: { kind: 'internal', httpStatus: 500, description: 'The secret rotation function failed; no stage moved, ACSCurrent is still the value it was.' },
  Conflict: { kind: 'caller', httpStatus: 409, description: 'Another writer changed the same record first (from storage: an expected revision did not match; from the engine: its retries, with jittered backoff for up to 5 seconds, were exhausted). Repeat the call.' },
  RootKeyMismatch: { kind: 'caller', httpStatus: 403, description: 'The root key (passphrase, raw key, provider) does not open this keystore. Nothing was written.' },
  Closed: { kind: 'caller', httpStatus: 400, description: 'The engine or storage was closed.' },
  KeystoreInUse: { kind: 'internal', httpStatus: 503, description: 'Another process holds the keystore (a LevelDB directory has one owner at a time). Close it there, or use storage shared across processes.' },
  AuditFailure: { kind: 'internal', httpStatus: 503, description: 'The audit trail could not be written; the engine refuses calls (fails closed) until it can.' },
  StorageFailure: { kind: 'internal', httpStatus: 500, description: 'The storage backend failed; the operation did not complete and nothing was acknowledged.' },
  CorruptRecord: { kind: 'internal', httpStatus: 500, description: 'A stored record could not be read or failed its integrity check.' },
  InternalFailure: { kind: 'internal', httpStatus: 500, description: 'An unexpected internal error.' },
} as const satisfies Record<string, CodeInfo>

export type KmsErrorCode = keyof typeof ERROR_CODES

export interface KmsErrorOptions {
  readonly cause?: unknown
}

/**
 * The brand every KmsError carries, whichever copy of this package made it: `Symbol.for`
 * returns the same symbol in every copy (and every realm), where a class is per copy. An
 * adapter or facade bundled with its own @strongroom/core throws KmsErrors of another
 * class; the engine must still see their codes (a foreign `Conflict` is a conflict to
 * retry, not a StorageFailure).
 */
const KMS_ERROR_BRAND: unique symbol = Symbol.for('strongroom.KmsError')

export class KmsError extends Error {
  override readonly name = 'KmsError'
  readonly code: KmsErrorCode

  constructor(code: KmsErrorCode, message?: string, options?: KmsErrorOptions) {
    // Precondition: only registered codes exist, so callers can switch on them.
    if (!Object.hasOwn(ERROR_CODES, code)) throw new TypeError(`unregistered KmsError code: ${String(code)}`)
    super(message ?? ERROR_CODES[code].description, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
  }

  /** Caller mistake or internal fault. */
  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus
  }

  /**
   * `KmsError.is(err, 'InvalidCiphertext')`: narrow an unknown error by code. Recognises a
   * KmsError by identity, not class: the brand `Symbol.for('strongroom.KmsError')`, the name
   * `KmsError` and a string code, so errors from another copy of this package count. Without
   * `code`, a code this copy does not register still counts (a newer copy may add codes; its
   * own `kind` getter knows them); with `code`, only that registered code matches.
   */
  static is(error: unknown, code?: KmsErrorCode): error is KmsError {
    if (typeof error !== 'object' || error === null) return false
    const candidate = error as { [KMS_ERROR_BRAND]?: unknown; name?: unknown; code?: unknown }
    if (candidate[KMS_ERROR_BRAND] !== true || candidate.name !== 'KmsError' || typeof candidate.code !== 'string') return false
    return code === undefined || candidate.code === code
  }

  /** `err instanceof KmsError` means the same as `KmsError.is(err)`, so it holds across copies too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return KmsError.is(value)
  }

  // On the prototype, not enumerable: inherited by every instance, invisible to JSON and inspection.
  static {
    Object.defineProperty(this.prototype, KMS_ERROR_BRAND, { value: true })
  }
}
