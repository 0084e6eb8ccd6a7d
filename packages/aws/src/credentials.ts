/**
 * Access keys for a served endpoint, from the JSON a credentials file holds: each access
 * key id names its secret and, optionally, the engine principal its requests run as.
 *
 * ```ts
 * const keys = parseAccessKeys(JSON.parse(await readFile('credentials.json', 'utf8')))
 * // file: { "AKIAIOSFODNN7EXAMPLE": { "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "principal": "alice" } }
 * await serveAwsKms({ kms, credentials: keys })
 * ```
 *
 * Refusals name the entry and the rule, never a secret. Access key ids follow AWS's shape
 * (16-128 word characters; shorter ids such as `test` are accepted too, as local tools use
 * them); a secret is a non-empty string; a principal, when given, a non-empty string.
 */
import type { AccessKey, AccessKeys } from './sigv4.js'

const ACCESS_KEY_ID = /^\w{1,128}$/

/** Validates parsed JSON as access keys; throws a TypeError naming what is wrong. */
export function parseAccessKeys(json: unknown): AccessKeys {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new TypeError('credentials must be a JSON object: { "<access key id>": { "secretAccessKey": "…", "principal": "…" } }')
  }
  const keys: Record<string, AccessKey> = Object.create(null) as Record<string, AccessKey>
  for (const [id, entry] of Object.entries(json as Record<string, unknown>)) {
    if (!ACCESS_KEY_ID.test(id)) throw new TypeError(`credentials: access key id "${id.slice(0, 40)}" must be 1-128 letters, digits or _`)
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new TypeError(`credentials: ${id} must be an object with secretAccessKey (and optionally principal)`)
    }
    const { secretAccessKey, principal, ...rest } = entry as Record<string, unknown>
    const unknownMember = Object.keys(rest)[0]
    if (unknownMember !== undefined) throw new TypeError(`credentials: ${id} has an unknown member "${unknownMember.slice(0, 40)}" (expected secretAccessKey, principal)`)
    if (typeof secretAccessKey !== 'string' || secretAccessKey.length === 0) {
      throw new TypeError(`credentials: ${id} needs a secretAccessKey (a non-empty string)`)
    }
    if (principal !== undefined && (typeof principal !== 'string' || principal.length === 0)) {
      throw new TypeError(`credentials: ${id}'s principal must be a non-empty string`)
    }
    keys[id] = principal === undefined ? { secretAccessKey } : { secretAccessKey, principal }
  }
  if (Object.keys(keys).length === 0) throw new TypeError('credentials: the file lists no access keys')
  return keys
}
