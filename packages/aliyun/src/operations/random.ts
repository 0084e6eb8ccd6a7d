/**
 * GetRandomPassword: a password from the engine's random source, with Alibaba's options.
 *
 * ```ts
 * await GetRandomPassword(parameters({ PasswordLength: '24', ExcludePunctuation: 'true' }), context)
 * // { RandomPassword: '…' }
 * ```
 */
import { optionalBoolean, optionalInteger, optionalString } from '../params.js'
import type { Operation } from './context.js'

const BOOLEAN_OPTIONS = [
  ['ExcludeLowercase', 'excludeLowercase'], ['ExcludeUppercase', 'excludeUppercase'], ['ExcludeNumbers', 'excludeNumbers'],
  ['ExcludePunctuation', 'excludePunctuation'], ['RequireEachIncludedType', 'requireEachIncludedType'],
] as const

export const GetRandomPassword: Operation = async (params, { client }) => {
  const passwordLength = optionalInteger(params, 'PasswordLength', 8, 128)
  const excludeCharacters = optionalString(params, 'ExcludeCharacters', 1, 256)
  const options: Record<string, boolean> = {}
  for (const [wire, engine] of BOOLEAN_OPTIONS) {
    const value = optionalBoolean(params, wire)
    if (value !== undefined) options[engine] = value
  }
  const { randomPassword } = await client.getRandomPassword({
    ...options,
    ...(passwordLength === undefined ? {} : { passwordLength }),
    ...(excludeCharacters === undefined ? {} : { excludeCharacters }),
  })
  return { RandomPassword: randomPassword }
}
