/**
 * The engine checks every commit before an adapter sees it, so an adapter only stores: a
 * malformed mutation is a bug in the engine, reported as `InternalFailure` before anything
 * reaches storage (adapters may still defend themselves, and the suite makes them).
 *
 * ```ts
 * assertValidMutations(mutations)      // throws KmsError('InternalFailure') on the first problem
 * await storage.commit(mutations)
 * ```
 *
 * What is checked is the contract of `StorageAdapter.commit` (storage.ts): keys are
 * non-empty, well-formed strings (a lone surrogate has no lossless UTF-8 form), one
 * mutation per key, revisions are positive safe integers (`null` only for puts and checks),
 * and put values are `Uint8Array`.
 */

import { KmsError } from './errors.js'
import type { Mutation } from './storage.js'

// With the `u` flag a well-formed pair is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Surrogate}/u

/** True when `key` is a storage key the contract allows. */
export function isValidStorageKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && !LONE_SURROGATE.test(key)
}

export function assertValidMutations(mutations: readonly Mutation[]): void {
  const seen = new Set<string>()
  for (const mutation of mutations) {
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

function malformed(what: string): KmsError {
  return new KmsError('InternalFailure', `the engine built a malformed commit (${what}); nothing was written`)
}
