/**
 * The `strongroom` command line: finds the command, parses its options strictly, opens
 * the keystore if the command needs it, runs it, and maps any failure to one line on
 * stderr and an exit status (errors.ts). bin.ts wires it to the process.
 *
 * ```ts
 * const status = await run(['--keystore', dir, 'list-keys', '--json'], io, signal)
 * ```
 */
import { readFileSync } from 'node:fs'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import type { Kms } from '@strongroom/core'
import type { Command, CommandContext, OptionValues } from './command.js'
import { aliasCreate, aliasDelete, aliasList, aliasUpdate } from './commands/aliases.js'
import { auditAnchor, auditExport, auditQuery, auditVerify } from './commands/audit.js'
import { backup, restore } from './commands/backup.js'
import { changePassphrase } from './commands/change-passphrase.js'
import { decryptFile, encryptFile, inspect } from './commands/files.js'
import { importMaterial, importParameters } from './commands/import.js'
import { init } from './commands/init.js'
import {
  cancelDeletion, createKey, describeKey, disableKey, enableKey, listKeys, rotate, scheduleDeletion,
} from './commands/keys.js'
import { policyAttach, policyCreate, policyDetach, policyList } from './commands/policies.js'
import { serveAws } from './commands/serve.js'
import { serveAliyun } from './commands/serve-aliyun.js'
import { getPublicKey, mac, sign, verify, verifyMac } from './commands/signing.js'
import {
  secretDelete, secretDescribe, secretGet, secretList, secretPut, secretRestore, secretRotate,
} from './commands/secrets.js'
import { decrypt, encrypt } from './commands/values.js'
import { EXIT_OK, EXIT_USAGE, UsageError, describeFailure } from './errors.js'
import { openKeystore } from './keystore.js'
import { Output, type Io } from './output.js'
import { storeLocation, type StoreLocation } from './store.js'

export const COMMANDS: readonly Command[] = [
  init, changePassphrase, createKey, listKeys, describeKey, enableKey, disableKey, rotate, scheduleDeletion, cancelDeletion,
  aliasCreate, aliasUpdate, aliasDelete, aliasList, encrypt, decrypt, encryptFile, decryptFile, inspect, serveAws, serveAliyun,
  sign, verify, getPublicKey, mac, verifyMac, importParameters, importMaterial,
  policyCreate, policyAttach, policyDetach, policyList, auditVerify, auditQuery, auditExport, auditAnchor,
  backup, restore, secretPut, secretGet, secretList, secretDescribe, secretDelete, secretRestore, secretRotate,
]

const GLOBAL_OPTIONS = {
  store: { type: 'string', value: 'DIR|URL', description: 'the keystore: a directory or postgres://… (or set STRONGROOM_STORE)' },
  keystore: { type: 'string', value: 'DIR', description: 'the keystore directory (or set STRONGROOM_KEYSTORE)' },
  json: { type: 'boolean', description: 'print results as JSON (errors as JSON on stderr)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'show the version' },
} as const

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function usageLine(command: Command): string {
  const options = Object.entries(command.options ?? {}).length > 0 ? ' [options]' : ''
  return `strongroom ${command.name}${command.args === '' ? '' : ` ${command.args}`}${options}`
}

export function helpText(command?: Command): string {
  if (command !== undefined) {
    const rows = Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([name, spec]) => {
      const left = `  --${name}${'value' in spec && spec.value !== undefined ? ` ${spec.value}` : ''}`
      // Said once, here: descriptions never say "(repeatable)" themselves.
      return `${left.padEnd(30)} ${spec.description}${'multiple' in spec && spec.multiple ? ' (repeatable)' : ''}`
    })
    return [`Usage: ${usageLine(command)}`, '', command.summary, '', 'Options:', ...rows, ''].join('\n')
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'strongroom: a Key Management Service in a directory, with envelope encryption of files',
    '',
    'Usage: strongroom [--store DIR|postgres://…] [--json] COMMAND [arguments] [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Environment:',
    '  STRONGROOM_STORE        the keystore (instead of --store): a directory, or postgres://user@host/db[?schema=NAME]',
    '                          for a keystore that several processes share',
    '  STRONGROOM_KEYSTORE     the keystore directory (instead of --keystore)',
    '  STRONGROOM_PASSPHRASE   the keystore passphrase (otherwise asked on the terminal, never an argument)',
    '  STRONGROOM_NEW_PASSPHRASE  the new passphrase of change-passphrase (otherwise asked twice)',
    '  STRONGROOM_BACKUP_PASSPHRASE  the backup passphrase of backup/restore --backup-passphrase (otherwise asked)',
    '  STRONGROOM_SCRYPT_N     scrypt cost of a new keystore, for tests only (minimum 16384; default 131072)',
    '',
    'Exit status: 0 success, 1 the KMS refused or failed, 2 usage error, 3 keystore or file problem, 130 interrupted.',
    'Run "strongroom help COMMAND" for a command\'s options.',
    '',
  ].join('\n')
}

const GLOBAL_FLAGS = new Set(['--json', '--help', '-h', '--version'])

/** Splits off the command words (`alias create`), skipping global options before them. */
function findCommand(argv: readonly string[]): { words: string[]; rest: string[] } {
  const rest = [...argv]
  const words: string[] = []
  for (let i = 0; i < rest.length;) {
    const token = rest[i]!
    if (token === '--keystore' || token === '--store') i += 2
    else if (token.startsWith('--keystore=') || token.startsWith('--store=') || GLOBAL_FLAGS.has(token)) i++
    else if (token.startsWith('-')) break
    else {
      words.push(...rest.splice(i, 1))
      // Two-word commands (`alias create`, `policy attach`), and help about one (`help alias create`).
      const more = COMMANDS.some((c) => c.name.startsWith(`${words[0]} `)) ? 1 : words[0] === 'help' ? 2 : 0
      for (let n = 0; n < more && rest[i] !== undefined && !rest[i]!.startsWith('-'); n++) words.push(...rest.splice(i, 1))
      break
    }
  }
  return { words, rest }
}

function lookup(words: readonly string[]): Command | undefined {
  return COMMANDS.find((c) => c.name === words.join(' '))
}

function parse(command: Command | undefined, args: string[]): { values: OptionValues; positionals: string[] } {
  const options: ParseArgsConfig['options'] = {}
  for (const [name, spec] of Object.entries({ ...command?.options, ...GLOBAL_OPTIONS })) {
    options[name] = { type: spec.type, ...('multiple' in spec && spec.multiple ? { multiple: true } : {}), ...('short' in spec ? { short: spec.short } : {}) }
  }
  try {
    const { values, positionals } = parseArgs({ args, options, strict: true, allowPositionals: true })
    return { values: values as OptionValues, positionals }
  } catch (error) {
    // parseArgs explains well ("Unknown option '--kye'"); keep its words, make it ours.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''))
  }
}

/** Runs one command line; resolves with the exit status. Never throws. */
export async function run(argv: readonly string[], io: Io, signal: AbortSignal): Promise<number> {
  let json = argv.includes('--json')
  let kms: Kms | undefined
  try {
    const { words, rest } = findCommand(argv)
    if (words[0] === 'help') {
      const target = words.length > 1 ? lookup(words.slice(1)) : undefined
      if (words.length > 1 && target === undefined) throw new UsageError(`no command "${words.slice(1).join(' ')}" (see: strongroom help)`)
      io.stdout.write(helpText(target))
      return EXIT_OK
    }
    const command = lookup(words)
    const { values, positionals } = parse(command, rest)
    json = values['json'] === true
    if (values['version'] === true) {
      io.stdout.write(`strongroom ${version()}\n`)
      return EXIT_OK
    }
    if (values['help'] === true) {
      io.stdout.write(helpText(command))
      return EXIT_OK
    }
    if (command === undefined) {
      if (words.length === 0) {
        io.stderr.write(helpText())
        return EXIT_USAGE
      }
      throw new UsageError(`unknown command "${words.join(' ')}" (see: strongroom help)`)
    }
    if (positionals.length > command.positionals) {
      throw new UsageError(`unexpected argument "${positionals[command.positionals]}" (usage: ${usageLine(command)})`)
    }
    const out = new Output(io, json)
    const store: StoreLocation = command.needs === 'nothing' ? { kind: 'directory', dir: '', display: '' } : storeLocation(values, io)
    if (command.needs === 'kms') {
      const engine = (): Kms => {
        if (kms === undefined) throw new Error('the keystore is not open')
        return kms
      }
      kms = await openKeystore(store, io, command.engineOptions?.(values, engine))
    }
    const context: CommandContext = {
      positionals, values, out, io, keystore: store.display, store, signal,
      get kms(): Kms {
        if (kms === undefined) throw new Error(`${command.name} does not open the keystore`)
        return kms
      },
    }
    await command.run(context)
    await kms?.close()
    kms = undefined
    return EXIT_OK
  } catch (error) {
    // Close first (releases the LevelDB lock or the database pool, flushes the audit trail); its own failure matters less.
    await kms?.close().catch(() => undefined)
    const failure = describeFailure(signal.aborted ? signal.reason ?? error : error)
    io.stderr.write(json
      ? `${JSON.stringify({ error: { code: failure.code, message: failure.message, exitStatus: failure.status } })}\n`
      : `strongroom: ${failure.message}${failure.status === 1 ? ` (${failure.code})` : ''}\n`)
    return failure.status
  }
}
