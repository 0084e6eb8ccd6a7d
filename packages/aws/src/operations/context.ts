/**
 * The shape every AWS operation implementation has: a JSON request object in, a JSON
 * response object out, run on the engine client of the caller's principal.
 *
 * ```ts
 * const DescribeKey: Operation = async (input, { client, names }) => {
 *   const { keyMetadata } = await client.describeKey({ keyId: names.keyRef(requiredString(input, 'KeyId', 1, 2048)) })
 *   return { KeyMetadata: awsKeyMetadata(keyMetadata, names) }
 * }
 * ```
 */
import type { UnsupportedOperation } from '@strongroom/facade'
import type { EngineClient } from '../engine.js'
import type { ErrorOverrides } from '../errors.js'
import type { AwsNames } from '../names.js'
import type { JsonObject } from '../wire.js'

export interface OperationContext {
  /** The engine, as the caller's principal (or the owner when requests carry no identity). */
  readonly client: EngineClient
  readonly names: AwsNames
  /**
   * The engine as its owner, for one thing only: undoing the first half of an operation the
   * engine runs in two calls when the caller's second call is refused (CreateKey with a
   * Policy), so no half-made resource is left behind. Never for the caller's own work.
   */
  readonly owner: EngineClient
}

export type Operation = (input: JsonObject, context: OperationContext) => Promise<JsonObject>

/**
 * One row of the operation table: an implementation (optionally needing an engine
 * operation that is feature-detected, and refining how engine errors map), or the reason
 * the operation is not available yet.
 */
export type OperationEntry =
  | { readonly run: Operation; readonly needs?: string; readonly errors?: ErrorOverrides }
  | UnsupportedOperation
