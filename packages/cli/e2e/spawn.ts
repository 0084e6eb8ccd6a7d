/**
 * Runs the real `strongroom` executable as a child process against a temporary keystore
 * with a cheap scrypt cost, for what only a process shows: the built entry itself, no
 * controlling terminal, signals. Every output it ever produced is kept, so a test can
 * prove the passphrase never appeared.
 *
 * Two ways to start it: `cli()` runs dist/strongroom.mjs, the bundle `pnpm install`
 * builds, and `cliFromSource()` runs src/bin.ts through tsx exactly as a developer would.
 *
 * ```ts
 * const r = await cli(keystore, ['--version'])
 * ```
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../../..', import.meta.url).pathname
const PACKAGE = new URL('..', import.meta.url).pathname
const SOURCE_BIN = join(PACKAGE, 'src/bin.ts')
export const PASSPHRASE = 'test passphrase: tr0ub4dor&3'

export interface CliResult {
  readonly status: number
  readonly stdout: Buffer
  readonly stderr: string
  /** stdout as text. */
  readonly out: string
  json<T = Record<string, unknown>>(): T
}

export const transcript: string[] = []

export interface CliOptions {
  readonly input?: Uint8Array | string
  /** Environment overrides; `undefined` removes a variable. */
  readonly env?: Record<string, string | undefined>
}

export function newKeystoreDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'strongroom-cli-')), 'keystore')
}

/** The built command, as `pnpm install` leaves it (e2e/setup.ts rebuilds it before the run). */
export const BIN = join(PACKAGE, 'dist/strongroom.mjs')

/** The built command (`pnpm strongroom …`). */
export function cli(keystore: string | undefined, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli([BIN], keystore, args, options)
}

/** The command run from src/bin.ts through tsx, as `npx tsx --conditions=source packages/cli/src/bin.ts`. */
export function cliFromSource(keystore: string | undefined, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(['--conditions=source', '--import', 'tsx', SOURCE_BIN], keystore, args, options)
}

function spawnCli(command: readonly string[], keystore: string | undefined, args: readonly string[], options: CliOptions): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    ...process.env, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384',
    ...(keystore === undefined ? {} : { STRONGROOM_KEYSTORE: keystore }), ...options.env,
  }
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], {
      // detached: a new session without a controlling terminal, so /dev/tty is never there to prompt on.
      cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
    })
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => stdout.push(c))
    child.stderr.on('data', (c: Buffer) => stderr.push(c))
    child.on('error', reject)
    child.on('close', (status) => {
      const out = Buffer.concat(stdout)
      const err = Buffer.concat(stderr).toString('utf8')
      transcript.push(out.toString('latin1'), err)
      resolve({
        status: status ?? -1, stdout: out, stderr: err, out: out.toString('utf8'),
        json: <T>() => JSON.parse(out.toString('utf8')) as T,
      })
    })
    child.stdin.end(options.input ?? '')
  })
}
