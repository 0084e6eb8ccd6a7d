/**
 * Where results go: a human rendering on stdout, or one JSON document with `--json`.
 * Binary values become base64 in JSON; dates stay ISO 8601 strings as the engine gives them.
 *
 * ```ts
 * out.result({ keyId }, () => [`Disabled key ${keyId}`])   // JSON object, or the lines
 * out.table(['KEY ID', 'STATE'], rows)                      // aligned columns for people
 * ```
 */
import type { Writable } from 'node:stream'

export interface Io {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; readonly fd?: number }
  readonly stdout: Writable & { readonly isTTY?: boolean }
  readonly stderr: Writable & { readonly isTTY?: boolean; readonly columns?: number }
  readonly env: Readonly<Record<string, string | undefined>>
}

/** JSON-safe copy: Uint8Array → base64, no `requestId` (it means nothing outside this process). */
export function toJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  if (Array.isArray(value)) return value.map(toJson)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (k !== 'requestId' && v !== undefined) out[k] = toJson(v)
    return out
  }
  return value
}

export class Output {
  readonly json: boolean
  readonly #io: Io

  constructor(io: Io, json: boolean) {
    this.#io = io
    this.json = json
  }

  /** The command's result: `value` as JSON with --json, else the human lines. */
  result(value: object, human: () => readonly string[]): void {
    if (this.json) this.#io.stdout.write(`${JSON.stringify(toJson(value), null, 2)}\n`)
    else for (const line of human()) this.#io.stdout.write(`${line}\n`)
  }

  /** Raw bytes on stdout (decrypted values). */
  bytes(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#io.stdout.write(data, (error) => (error ? reject(error) : resolve()))
    })
  }

  /** A note for the person at the terminal (stderr), never in --json mode. */
  note(line: string): void {
    if (!this.json) this.#io.stderr.write(`${line}\n`)
  }
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

/** `key: value` lines with aligned values, skipping absent values. */
export function fields(pairs: readonly (readonly [string, string | undefined])[]): string[] {
  const present = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined && p[1] !== '')
  const width = Math.max(...present.map(([k]) => k.length))
  return present.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`)
}

/**
 * A period in seconds as people write it: `90d`, `36h`, `45m`, `30s` (the largest unit
 * that divides it). The engine reports rotation intervals in seconds (`7776000s`).
 */
export function formatPeriod(period: string | number): string {
  const seconds = typeof period === 'number' ? period : /^(\d+)s$/.exec(period)?.[1]
  if (seconds === undefined) return String(period)
  const n = Number(seconds)
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (n > 0 && n % size === 0) return `${n / size}${unit}`
  }
  return `${n}s`
}
