/**
 * What a command is: its name, usage, options and a `run` that receives everything it
 * needs. main.ts parses the line, opens the keystore when the command needs it, and
 * turns failures into exit statuses (errors.ts).
 *
 * ```ts
 * export const enableKey: Command = {
 *   name: 'enable-key', args: 'KEY', summary: 'Enable a disabled key', positionals: 1, needs: 'kms',
 *   async run({ kms, positionals, out }) { … },
 * }
 * ```
 */
import type { Kms, KmsOptions } from '@strongroom/core'
import type { Io, Output } from './output.js'
import type { StoreLocation } from './store.js'

export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly multiple?: boolean
  /** Shown in help: `--key KEY`. */
  readonly value?: string
  readonly description: string
}

export type OptionValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>

export interface CommandContext {
  readonly positionals: readonly string[]
  readonly values: OptionValues
  readonly out: Output
  readonly io: Io
  /** The keystore as shown to the user: the directory (absolute) or the connection string without its password. */
  readonly keystore: string
  /** Where the keystore lives (store.ts); for commands that need `kms` or `keystore`. */
  readonly store: StoreLocation
  /** The unlocked engine; only for commands that need `kms`. */
  readonly kms: Kms
  /** Aborted on Ctrl-C. */
  readonly signal: AbortSignal
}

export interface Command {
  /** As typed: `create-key`, `alias create`. */
  readonly name: string
  /** Positional arguments for the usage line: `ALIAS KEY`. */
  readonly args: string
  readonly summary: string
  /** Most positionals accepted (fewer is checked by the command, with a message naming what is missing). */
  readonly positionals: number
  readonly options?: Readonly<Record<string, OptionSpec>>
  /** `kms`: open the keystore first; `keystore`: only resolve where it is; `nothing`. */
  readonly needs: 'kms' | 'keystore' | 'nothing'
  /** Engine options the command needs (a secret rotation function); `engine` is the opened engine, once it is. */
  engineOptions?(values: OptionValues, engine: () => Kms): Pick<KmsOptions, 'secretRotation'>
  run(context: CommandContext): Promise<void>
}

export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  return typeof v === 'string' ? v : undefined
}

export function stringValues(values: OptionValues, name: string): string[] | undefined {
  const v = values[name]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true
}
