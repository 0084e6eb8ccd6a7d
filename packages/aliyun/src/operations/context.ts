/**
 * The shape every action implementation has: the request's parameters in, the response
 * members out (the protocol adds `RequestId`), run on the engine client of the caller's
 * principal.
 *
 * ```ts
 * const DescribeKey: Operation = async (params, context) => {
 *   const { keyMetadata } = await context.client.describeKey({ keyId: requiredString(params, 'KeyId', 1, 2048) })
 *   return { KeyMetadata: keyMetadataOf(keyMetadata) }
 * }
 * ```
 */
import type { UnsupportedOperation } from '@strongroom/facade'
import type { EngineClient } from '../engine.js'
import type { JsonObject, Params } from '../params.js'

export interface OperationContext {
  /** The engine, as the caller's principal (or the owner when requests carry no identity). */
  readonly client: EngineClient
  /** The region this endpoint serves: the engine's. */
  readonly region: string
  readonly accountId: string
}

export type Operation = (params: Params, context: OperationContext) => Promise<JsonObject>

/** One row of the action table: an implementation, or why the action is not available. */
export type OperationEntry = { readonly run: Operation } | UnsupportedOperation
