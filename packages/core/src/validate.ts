/**
 * Request validation: one-line preconditions. Wrong JavaScript types are programmer
 * misuse and throw TypeError; well-typed values out of range are the caller's bad input
 * and throw `KmsError('InvalidParameter')` naming the parameter (never echoing secrets).
 *
 * ```ts
 * const days = integerParam(request.pendingWindowInDays, 'pendingWindowInDays', 7, 366)
 * ```
 */
import { isWellFormedText } from './bytes.js'
import { KmsError } from './errors.js'

export function requestObject<T extends object>(request: T | undefined, operation: string): T {
  if (request === null || typeof request !== 'object') throw new TypeError(`${operation} takes a request object`)
  return request
}

export function stringParam(value: unknown, name: string, min: number, max: number): string {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (value.length < min || value.length > max) {
    throw new KmsError('InvalidParameter', `${name} must be ${min}-${max} characters long`)
  }
  if (!isWellFormedText(value)) throw new KmsError('InvalidParameter', `${name} is not valid Unicode text`)
  return value
}

export function optionalString(value: unknown, name: string, min: number, max: number): string | undefined {
  return value === undefined ? undefined : stringParam(value, name, min, max)
}

export function integerParam(value: unknown, name: string, min: number, max: number): number {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new KmsError('InvalidParameter', `${name} must be an integer from ${min} to ${max}`)
  }
  return value
}

export function booleanParam(value: unknown, name: string): boolean {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`)
  return value
}

export function bytesParam(value: unknown, name: string, min: number, max: number, hint = ''): Uint8Array {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`)
  if (value.length < min || value.length > max) {
    throw new KmsError('InvalidParameter', `${name} must be ${min}-${max} bytes, got ${value.length}${hint}`)
  }
  return value
}

export function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (!(allowed as readonly string[]).includes(value)) {
    throw new KmsError('InvalidParameter', `${name} must be one of ${allowed.join(', ')}`)
  }
  return value as T
}

