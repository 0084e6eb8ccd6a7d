/**
 * How the command fails: one line on stderr and an exit status that says whose problem it is.
 *
 * | status | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | the KMS refused or failed the operation (a `KmsError`; its code is printed), or a signature, a MAC or the audit trail does not verify |
 * | 2 | usage: unknown command or option, missing or malformed argument, no passphrase available |
 * | 3 | environment: no keystore, a keystore already there, a file missing or unwritable |
 * | 130 | interrupted (Ctrl-C) |
 *
 * ```ts
 * throw new UsageError('missing KEY (a key id, resource name or alias)')
 * throw new EnvironmentError(`no keystore at ${dir} (create one with: strongroom init)`)
 * ```
 */
import { KmsError } from '@strongroom/core'

export const EXIT_OK = 0
export const EXIT_KMS = 1
export const EXIT_USAGE = 2
export const EXIT_ENVIRONMENT = 3
export const EXIT_INTERRUPTED = 130

/** The caller typed something we cannot run. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The world is not as the command needs it (keystore, files, terminal). */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError'
}

/** A signature, a MAC or the audit chain was checked and does not verify (exit 1, with its own code). */
export class VerificationFailed extends Error {
  override readonly name = 'VerificationFailed'
  constructor(readonly code: 'InvalidSignature' | 'InvalidMac' | 'AuditTampered', message: string) {
    super(message)
  }
}

/** Ctrl-C. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError'
  constructor() {
    super('interrupted')
  }
}

export interface Failure {
  readonly status: number
  /** A stable identifier for scripts: the KmsError code, `Usage`, `Environment`, an errno code, or `Internal`. */
  readonly code: string
  readonly message: string
}

/** Maps anything thrown to a status and a message that is safe to print (KmsError messages never hold secrets). */
export function describeFailure(error: unknown): Failure {
  if (error instanceof UsageError) return { status: EXIT_USAGE, code: 'Usage', message: error.message }
  if (error instanceof EnvironmentError) return { status: EXIT_ENVIRONMENT, code: 'Environment', message: error.message }
  if (error instanceof VerificationFailed) return { status: EXIT_KMS, code: error.code, message: error.message }
  if (error instanceof InterruptedError) return { status: EXIT_INTERRUPTED, code: 'Interrupted', message: 'interrupted' }
  if (KmsError.is(error)) {
    // Another process (e.g. `strongroom serve-aws`) holds the directory: the environment, not the KMS.
    if (error.code === 'KeystoreInUse') {
      return { status: EXIT_ENVIRONMENT, code: error.code, message: 'the keystore is in use by another process (close it there first)' }
    }
    return { status: EXIT_KMS, code: error.code, message: error.message }
  }
  const errno = (error as NodeJS.ErrnoException | undefined)?.code
  if (error instanceof Error && typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    // Filesystem errors: node's message names the path and the reason ("ENOENT: no such file or directory, open 'x'").
    return { status: EXIT_ENVIRONMENT, code: errno, message: error.message }
  }
  if (error instanceof Error && error.name === 'AbortError') return { status: EXIT_INTERRUPTED, code: 'Interrupted', message: 'interrupted' }
  return { status: EXIT_KMS, code: 'Internal', message: `unexpected failure: ${error instanceof Error ? error.message : String(error)}` }
}
