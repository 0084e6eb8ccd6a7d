/**
 * The AWS JSON 1.1 codec: reading typed members out of a request body and writing
 * response values. Members are PascalCase; blobs are standard base64; timestamps are
 * epoch seconds (numbers).
 *
 * ```ts
 * const input = parseBody(bytes)                               // a JSON object, or SerializationException
 * const keyId = requiredString(input, 'KeyId', 1, 2048)
 * const plaintext = optionalBlob(input, 'Plaintext', 1, 4096)  // Uint8Array
 * const out = { CiphertextBlob: base64(blob), CreationDate: epochSeconds('2026-01-01T00:00:00Z') }
 * ```
 *
 * As the real service: a member of the wrong JSON type is a `SerializationException`; a
 * well-typed value outside its constraints (length, range, enum, pattern) is a
 * `ValidationException` naming the member in camelCase. Messages never echo values: a
 * mistyped member could hold a secret.
 */
import { AwsError, validation } from './errors.js'

export type JsonObject = Readonly<Record<string, unknown>>

/** The member's name as AWS validation messages spell it (`pendingWindowInDays`). */
function label(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function wrongType(name: string, expected: string): AwsError {
  return new AwsError('SerializationException', `${name} must be ${expected}`)
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** The request body as a JSON object; an empty body is `{}` (operations without input). */
export function parseBody(body: Uint8Array): JsonObject {
  if (body.length === 0) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(body))
  } catch {
    throw new AwsError('SerializationException', 'the request body is not valid UTF-8 JSON')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'the request body must be a JSON object')
  }
  return parsed as JsonObject
}

function present(input: JsonObject, name: string): unknown {
  // Own members only: `__proto__` or `toString` in a body are data, never inherited behaviour.
  return Object.hasOwn(input, name) ? input[name] : undefined
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw validation(`1 validation error detected: Value null at '${label(name)}' failed to satisfy constraint: Member must not be null`)
  return value
}

function checkLength(value: { readonly length: number }, name: string, min: number, max: number): void {
  if (value.length < min) throw validation(`1 validation error detected: Value at '${label(name)}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`)
  if (value.length > max) throw validation(`1 validation error detected: Value at '${label(name)}' failed to satisfy constraint: Member must have length less than or equal to ${max}`)
}

// JSON null means "absent", as AWS's deserialisers treat it.
export function optionalString(input: JsonObject, name: string, min: number, max: number): string | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw wrongType(name, 'a string')
  checkLength(value, name, min, max)
  return value
}

export function requiredString(input: JsonObject, name: string, min: number, max: number): string {
  return required(optionalString(input, name, min, max), name)
}

const MARKER_PATTERN = /^[\u0020-\u00FF]*$/

/** A `Marker` member: 1–1024 characters of AWS's pattern `[\u0020-\u00FF]*` (what it names is the pagination's to check). */
export function optionalMarker(input: JsonObject): string | undefined {
  const marker = optionalString(input, 'Marker', 1, 1024)
  if (marker !== undefined && !MARKER_PATTERN.test(marker)) {
    throw validation("1 validation error detected: Value at 'marker' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0020-\\u00FF]*")
  }
  return marker
}

export function optionalInteger(input: JsonObject, name: string, min: number, max: number): number | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(name, 'an integer')
  if (value < min) throw validation(`1 validation error detected: Value at '${label(name)}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`)
  if (value > max) throw validation(`1 validation error detected: Value at '${label(name)}' failed to satisfy constraint: Member must have value less than or equal to ${max}`)
  return value
}

export function optionalBoolean(input: JsonObject, name: string): boolean | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw wrongType(name, 'a boolean')
  return value
}

export function optionalEnum<T extends string>(input: JsonObject, name: string, values: readonly T[]): T | undefined {
  const value = optionalString(input, name, 0, 256)
  if (value === undefined) return undefined
  if (!(values as readonly string[]).includes(value)) {
    throw validation(`1 validation error detected: Value at '${label(name)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`)
  }
  return value as T
}

export function requiredEnum<T extends string>(input: JsonObject, name: string, values: readonly T[]): T {
  return required(optionalEnum(input, name, values), name)
}

/** A timestamp member as epoch seconds (JSON 1.1 sends a number, fractions allowed). */
export function optionalTimestamp(input: JsonObject, name: string): number | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(name, 'a timestamp (epoch seconds)')
  return value
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A base64 member as bytes. Strict: Buffer's decoder would silently skip bad characters. */
export function optionalBlob(input: JsonObject, name: string, min: number, max: number): Uint8Array | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw wrongType(name, 'a base64 string')
  if (!BASE64.test(value)) throw new AwsError('SerializationException', `${name} is not valid base64`)
  const bytes = Buffer.from(value, 'base64')
  checkLength(bytes, name, min, max)
  // A fresh, unshared copy: the caller may wipe it without touching Node's Buffer pool.
  return new Uint8Array(bytes)
}

export function requiredBlob(input: JsonObject, name: string, min: number, max: number): Uint8Array {
  return required(optionalBlob(input, name, min, max), name)
}

/** A string-to-string map (EncryptionContext). Built with `Object.fromEntries`, so a `__proto__` key stays data. */
export function optionalStringMap(input: JsonObject, name: string): Record<string, string> | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(name, 'an object of strings')
  const entries = Object.entries(value as Record<string, unknown>)
  for (const [, v] of entries) if (typeof v !== 'string') throw wrongType(name, 'an object of strings')
  return Object.fromEntries(entries) as Record<string, string>
}

export function optionalList(input: JsonObject, name: string, max: number): readonly unknown[] | undefined {
  const value = present(input, name)
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value)) throw wrongType(name, 'a list')
  checkLength(value, name, 0, max)
  return value
}

export function optionalStringList(input: JsonObject, name: string, max: number, itemMin: number, itemMax: number): readonly string[] | undefined {
  const list = optionalList(input, name, max)
  if (list === undefined) return undefined
  for (const item of list) {
    if (typeof item !== 'string') throw wrongType(name, 'a list of strings')
    checkLength(item, name, itemMin, itemMax)
  }
  return list as readonly string[]
}

/** Each element of a list of structures (Tags). */
export function structure(value: unknown, name: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw wrongType(name, 'a list of objects')
  return value as JsonObject
}

/** `GrantTokens` are checked for shape here; protocol.ts hands them to every engine call, which checks each was issued by this keystore. */
export function grantTokens(input: JsonObject): void {
  optionalStringList(input, 'GrantTokens', 10, 1, 8192)
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** An engine date (ISO 8601 UTC) as the epoch seconds AWS JSON carries. */
export function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000
}

const encoder = new TextEncoder()

export function encodeJson(value: JsonObject): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}
