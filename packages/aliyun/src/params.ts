/**
 * The RPC codec: reading typed parameters out of a request's flat string parameters (query
 * string and form body merged) and writing response values. Alibaba's RPC style sends
 * every value as a string: integers and booleans as text, binary as base64, and
 * structures either flattened (`EncryptionContext.k=v`, `Tag.1.Key=k`, `TagKey.1=k`, as
 * the SDKs' `query()` flattening produces) or as the JSON string the API reference
 * documents (`EncryptionContext={"k":"v"}`, `Tags=[{"TagKey":"k","TagValue":"v"}]`).
 *
 * ```ts
 * const params = parameters(query, formBody)                        // null-prototype record of strings
 * const keyId = requiredString(params, 'KeyId', 1, 2048)
 * const context = optionalStringMap(params, 'EncryptionContext')   // either spelling
 * const size = optionalInteger(params, 'PageSize', 1, 100)
 * ```
 *
 * An empty value is an absent one: the SDKs send unset model members as `Name=`. A
 * well-formed value out of range is InvalidParameter, a missing required one
 * MissingParameter. Messages name the parameter and never echo its value: it could be a
 * secret.
 */
import { invalidParameter, missingParameter } from './errors.js'

export type Params = Readonly<Record<string, string>>
export type JsonObject = Readonly<Record<string, unknown>>

/** Merges query and form parameters (the form wins, as it is what POST clients sign last). */
export function parameters(...sources: readonly Readonly<Record<string, string>>[]): Params {
  const merged = Object.create(null) as Record<string, string>
  for (const source of sources) for (const [name, value] of Object.entries(source)) merged[name] = value
  return merged
}

function present(params: Params, name: string): string | undefined {
  const value = Object.hasOwn(params, name) ? params[name] : undefined
  return value === undefined || value === '' ? undefined : value
}

function checkLength(length: number, name: string, min: number, max: number): void {
  if (length < min || length > max) throw invalidParameter(`The parameter ${name} must be ${min}-${max} long.`)
}

export function optionalString(params: Params, name: string, min: number, max: number): string | undefined {
  const value = present(params, name)
  if (value !== undefined) checkLength(value.length, name, min, max)
  return value
}

export function requiredString(params: Params, name: string, min: number, max: number): string {
  const value = optionalString(params, name, min, max)
  if (value === undefined) throw missingParameter(name)
  return value
}

export function optionalInteger(params: Params, name: string, min: number, max: number): number | undefined {
  const value = present(params, name)
  if (value === undefined) return undefined
  if (!/^-?\d{1,15}$/.test(value)) throw invalidParameter(`The parameter ${name} must be an integer.`)
  const number = Number(value)
  if (number < min || number > max) throw invalidParameter(`The parameter ${name} must be between ${min} and ${max}.`)
  return number
}

export function requiredInteger(params: Params, name: string, min: number, max: number): number {
  const value = optionalInteger(params, name, min, max)
  if (value === undefined) throw missingParameter(name)
  return value
}

/** `true`/`false`, in any case (the SDKs send `true`, consoles `True`). */
export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = present(params, name)?.toLowerCase()
  if (value === undefined) return undefined
  if (value !== 'true' && value !== 'false') throw invalidParameter(`The parameter ${name} must be true or false.`)
  return value === 'true'
}

export function requiredBoolean(params: Params, name: string): boolean {
  const value = optionalBoolean(params, name)
  if (value === undefined) throw missingParameter(name)
  return value
}

export function optionalEnum<T extends string>(params: Params, name: string, values: readonly T[]): T | undefined {
  const value = present(params, name)
  if (value === undefined) return undefined
  if (!(values as readonly string[]).includes(value)) throw invalidParameter(`The parameter ${name} must be one of: ${values.join(', ')}.`)
  return value as T
}

export function requiredEnum<T extends string>(params: Params, name: string, values: readonly T[]): T {
  const value = optionalEnum(params, name, values)
  if (value === undefined) throw missingParameter(name)
  return value
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** A base64 parameter as bytes. Strict: Buffer's decoder would silently skip bad characters. */
export function optionalBlob(params: Params, name: string, min: number, max: number): Uint8Array | undefined {
  const value = present(params, name)
  if (value === undefined) return undefined
  if (!BASE64.test(value)) throw invalidParameter(`The parameter ${name} must be Base64-encoded.`)
  const bytes = new Uint8Array(Buffer.from(value, 'base64'))
  if (bytes.length < min || bytes.length > max) {
    bytes.fill(0)
    throw invalidParameter(`The parameter ${name} must decode to ${min}-${max} bytes.`)
  }
  return bytes
}

export function requiredBlob(params: Params, name: string, min: number, max: number): Uint8Array {
  const value = optionalBlob(params, name, min, max)
  if (value === undefined) throw missingParameter(name)
  return value
}

/** A JSON-string parameter, parsed; a value that is not JSON is InvalidParameter. */
export function optionalJson(params: Params, name: string, max: number): unknown {
  const value = optionalString(params, name, 1, max)
  if (value === undefined) return undefined
  try {
    return JSON.parse(value) as unknown
  } catch {
    throw invalidParameter(`The parameter ${name} must be a JSON string.`)
  }
}

/** Names of the flattened members `Name.<rest>` with their values, in the order sent. */
function flattened(params: Params, name: string): [string, string][] {
  const prefix = `${name}.`
  return Object.entries(params).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key.slice(prefix.length), value])
}

/**
 * A string-to-string map (EncryptionContext): the documented JSON string, or the SDKs'
 * flattened `Name.<key>=<value>`. Built with `Object.fromEntries`, so a `__proto__` key stays data.
 */
export function optionalStringMap(params: Params, name: string): Record<string, string> | undefined {
  const json = optionalJson(params, name, 8192)
  const flat = flattened(params, name)
  if (json !== undefined && flat.length > 0) throw invalidParameter(`Send ${name} either as a JSON string or flattened, not both.`)
  if (json !== undefined) {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidParameter(`The parameter ${name} must be a JSON object of strings.`)
    const entries = Object.entries(json as Record<string, unknown>)
    for (const [, v] of entries) if (typeof v !== 'string') throw invalidParameter(`The parameter ${name} must be a JSON object of strings.`)
    return Object.fromEntries(entries) as Record<string, string>
  }
  return flat.length === 0 ? undefined : Object.fromEntries(flat)
}

/** `Name.1`, `Name.2`, … in index order; `undefined` when none is present. */
function indexed(params: Params, name: string): Map<number, [string, string][]> | undefined {
  const byIndex = new Map<number, [string, string][]>()
  for (const [rest, value] of flattened(params, name)) {
    const match = /^(\d{1,4})(?:\.(.+))?$/.exec(rest)
    if (match === null) throw invalidParameter(`The parameter ${name}.${rest.split('.')[0]} is not a list index.`)
    const index = Number(match[1])
    if (index < 1) throw invalidParameter(`List indexes of ${name} start at 1.`)
    const members = byIndex.get(index) ?? []
    members.push([match[2] ?? '', value])
    byIndex.set(index, members)
  }
  if (byIndex.size === 0) return undefined
  return new Map([...byIndex.entries()].sort(([a], [b]) => a - b))
}

/**
 * A list parameter: a JSON array string, or indexed members `Name.1…`, each turned into an
 * item by `fromMembers` (its `[member, value]` pairs; member `''` is `Name.N` itself).
 */
function listParam(params: Params, name: string, max: number, fromMembers: (members: [string, string][]) => unknown): unknown[] | undefined {
  const json = optionalJson(params, name, 65536)
  let list: unknown[] | undefined
  if (json !== undefined) {
    if (!Array.isArray(json)) throw invalidParameter(`The parameter ${name} must be a JSON array.`)
    list = json
  } else {
    list = [...(indexed(params, name)?.values() ?? [])].map(fromMembers)
    if (list.length === 0) return undefined
  }
  if (list.length > max) throw invalidParameter(`The parameter ${name} has more than ${max} items.`)
  return list
}

/** A list of strings: a JSON array string (`TagKeys=["a"]`) or `Name.1=a&Name.2=b`. */
export function optionalStringList(params: Params, name: string, max: number): readonly string[] | undefined {
  const list = listParam(params, name, max, (members) => members.find(([member]) => member === '')?.[1])
  for (const item of list ?? []) if (typeof item !== 'string') throw invalidParameter(`The parameter ${name} must be a list of strings.`)
  return list as string[] | undefined
}

/** A list of structures: a JSON array of objects, or `Name.1.Member=v`. Members are strings. */
export function optionalStructList(params: Params, name: string, max: number): readonly Readonly<Record<string, unknown>>[] | undefined {
  const list = listParam(params, name, max, (members) => Object.fromEntries(members.filter(([member]) => member !== '')))
  for (const item of list ?? []) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParameter(`The parameter ${name} must be a list of objects.`)
  }
  return list as Readonly<Record<string, unknown>>[] | undefined
}

/** A string member of a structure from a list, required. */
export function memberString(item: Readonly<Record<string, unknown>>, member: string, list: string, min: number, max: number): string {
  const value = Object.hasOwn(item, member) ? item[member] : undefined
  if (value === undefined || value === '') throw missingParameter(`${list}.${member}`)
  if (typeof value !== 'string') throw invalidParameter(`${list}.${member} must be a string.`)
  checkLength(value.length, `${list}.${member}`, min, max)
  return value
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** Runs `body`, then wipes the secrets it was handed (plaintexts, data keys) whatever happens. */
export async function wiping<T>(secrets: readonly Uint8Array[], body: () => Promise<T>): Promise<T> {
  try {
    return await body()
  } finally {
    for (const secret of secrets) secret.fill(0)
  }
}

const encoder = new TextEncoder()

export function encodeJson(value: JsonObject): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

