/**
 * The engine checks every commit before an adapter sees it, so an adapter only stores: a
 * malformed mutation is a bug in the engine, reported as `InternalFailure` before anything
 * reaches storage. Adapters may defend themselves with the same checks, reporting the
 * caller's mistake as `InvalidParameter` as the contract says.
 *
 * ```ts
 * assertValidMutations(mutations)                       // in the engine: InternalFailure
 * assertValidMutations(mutations, 'InvalidParameter')   // in an adapter's commit()
 * const { prefix, after, limit } = validScanOptions(options)   // in an adapter's scan()
 * ```
 *
 * What is checked is the contract of `StorageAdapter.commit` (storage.ts): keys are
 * non-empty, well-formed strings (a lone surrogate has no lossless UTF-8 form), one
 * mutation per key, revisions are positive safe integers (`null` only for puts and checks),
 * and put values are `Uint8Array`.
 */

import { KmsError } from './errors.js'
import type { Mutation, ScanOptions } from './storage.js'

// With the `u` flag a well-formed pair is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Surrogate}/u

/** True when `key` is a storage key the contract allows. */
export function isValidStorageKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && !LONE_SURROGATE.test(key)
}

/** Who gets the blame for a malformed commit: the engine (its own bug) or an adapter's caller. */
export type MalformedCode = 'InternalFailure' | 'InvalidParameter'

export function assertValidMutations(mutations: readonly Mutation[], code: MalformedCode = 'InternalFailure'): void {
  const malformed = (what: string): KmsError =>
    code === 'InternalFailure'
      ? new KmsError(code, `the engine built a malformed commit (${what}); nothing was written`)
      : new KmsError(code, `malformed commit: ${what}`)
  if (!Array.isArray(mutations)) throw malformed('mutations are not an array')
  const seen = new Set<string>()
  for (const mutation of mutations) {
    if (typeof mutation !== 'object' || mutation === null) throw malformed('a mutation is not an object')
    const { type, key, expectedRevision } = mutation
    // Precondition: keys are non-empty, well-formed strings.
    if (!isValidStorageKey(key)) throw malformed('a mutation has an empty or malformed key')
    // Precondition: one mutation per key, so the commit's outcome does not depend on order.
    if (seen.has(key)) throw malformed(`two mutations on '${key}'`)
    seen.add(key)
    const revisionOk = (Number.isSafeInteger(expectedRevision) && (expectedRevision as number) > 0) || (expectedRevision === null && type !== 'delete')
    if (!revisionOk) throw malformed(`invalid expectedRevision for '${key}'`)
    if (type === 'put') {
      if (!(mutation.value instanceof Uint8Array)) throw malformed(`the value of '${key}' is not a Uint8Array`)
    } else if (type !== 'delete' && type !== 'check') {
      throw malformed(`unknown mutation type for '${key}'`)
    }
  }
}

/** Scan page size when the caller gives none, and the largest it may ask for. */
export const DEFAULT_SCAN_LIMIT = 100
export const MAX_SCAN_LIMIT = 1000

/** Checks scan options as the contract defines them (`InvalidParameter`), filling in the default limit. */
export function validScanOptions(options: ScanOptions): { prefix: string; after: string | undefined; limit: number } {
  if (typeof options !== 'object' || options === null) throw new KmsError('InvalidParameter', 'scan options must be an object')
  const { prefix, after, limit = DEFAULT_SCAN_LIMIT } = options
  if (typeof prefix !== 'string' || LONE_SURROGATE.test(prefix)) throw new KmsError('InvalidParameter', 'prefix must be a well-formed string')
  if (after !== undefined && (typeof after !== 'string' || LONE_SURROGATE.test(after))) {
    throw new KmsError('InvalidParameter', 'after must be a well-formed string')
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
    throw new KmsError('InvalidParameter', `limit must be an integer from 1 to ${MAX_SCAN_LIMIT}`)
  }
  return { prefix, after, limit }
}
