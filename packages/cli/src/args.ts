/**
 * Argument parsing on `node:util` parseArgs (no dependency): global options anywhere on
 * the line, then each command's own options, strictly — an unknown option is a usage
 * error, never ignored.
 *
 * ```ts
 * contextPairs(['tenant=acme', 'env=prod'])   // { tenant: 'acme', env: 'prod' }
 * ```
 */
import { UsageError } from './errors.js'

/** `KEY=VALUE` pairs (repeatable `--context` / `--tag`): split at the first `=`. */
export function keyValuePairs(values: readonly string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of values ?? []) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`--${option} takes KEY=VALUE (got "${pair}")`)
    const key = pair.slice(0, at)
    if (Object.hasOwn(out, key)) throw new UsageError(`--${option} ${key} is given twice`)
    Object.defineProperty(out, key, { value: pair.slice(at + 1), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/** An optional encryption context: `undefined` when no pair was given. */
export function contextOption(values: readonly string[] | undefined): Record<string, string> | undefined {
  return values === undefined || values.length === 0 ? undefined : keyValuePairs(values, 'context')
}

export function integerOption(value: string | undefined, option: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${option} takes a whole number`)
  const n = Number(value)
  if (n < min || n > max) throw new UsageError(`--${option} must be from ${min} to ${max}`)
  return n
}

/** Size with an optional binary suffix: `65536`, `64k`, `1m`. */
export function sizeOption(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined
  const match = /^([0-9]+)([kKmM]?)$/.exec(value)
  if (match === null) throw new UsageError(`--${option} takes a size in bytes, e.g. 65536, 64k or 1m`)
  const unit = { '': 1, k: 1024, m: 1024 * 1024 }[match[2]!.toLowerCase() as '' | 'k' | 'm']
  return Number(match[1]) * unit
}

/** The one positional a command needs at `index`, or a usage error naming it. */
export function positional(positionals: readonly string[], index: number, name: string): string {
  const value = positionals[index]
  if (value === undefined) throw new UsageError(`missing ${name}`)
  return value
}
