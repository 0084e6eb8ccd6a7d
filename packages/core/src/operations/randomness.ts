/**
 * Randomness: generateRandom and getRandomPassword, from the engine's CSPRNG.
 *
 * ```ts
 * const { plaintext } = await kms.generateRandom({ numberOfBytes: 32 })
 * const { randomPassword } = await kms.getRandomPassword({ passwordLength: 24 })
 * ```
 *
 * Neither touches a key; both are authorized on `*`.
 */
import type * as api from '../api.js'
import type { Call } from '../call.js'
import type { EngineContext } from '../engine/context.js'
import { randomPassword } from '../password.js'
import { booleanParam, integerParam, optionalString, requestObject } from '../validate.js'

/** What this module needs from the engine (engine/context.ts). */
export type RandomnessContext = Pick<EngineContext, 'authorize' | 'random'>

export async function generateRandom(ctx: RandomnessContext, call: Call, request: api.GenerateRandomRequest): Promise<api.GenerateRandomResponse> {
  requestObject(request, 'generateRandom')
  const length = integerParam(request.numberOfBytes, 'numberOfBytes', 1, 1024)
  await ctx.authorize(call, 'GenerateRandom', '*', '*')
  return { requestId: call.requestId, plaintext: ctx.random.fill(new Uint8Array(length)) }
}

export async function getRandomPassword(
  ctx: RandomnessContext, call: Call, request: api.GetRandomPasswordRequest = {},
): Promise<api.GetRandomPasswordResponse> {
  requestObject(request, 'getRandomPassword')
  const options = {
    length: request.passwordLength === undefined ? 32 : integerParam(request.passwordLength, 'passwordLength', 8, 128),
    exclude: optionalString(request.excludeCharacters, 'excludeCharacters', 0, 256) ?? '',
    lowercase: request.excludeLowercase === undefined ? true : !booleanParam(request.excludeLowercase, 'excludeLowercase'),
    uppercase: request.excludeUppercase === undefined ? true : !booleanParam(request.excludeUppercase, 'excludeUppercase'),
    numbers: request.excludeNumbers === undefined ? true : !booleanParam(request.excludeNumbers, 'excludeNumbers'),
    punctuation: request.excludePunctuation === undefined ? true : !booleanParam(request.excludePunctuation, 'excludePunctuation'),
    requireEachIncludedType: request.requireEachIncludedType === undefined ? true : booleanParam(request.requireEachIncludedType, 'requireEachIncludedType'),
  }
  await ctx.authorize(call, 'GetRandomPassword', '*', '*')
  return { requestId: call.requestId, randomPassword: randomPassword(ctx.random, options) }
}
