/**
 * Runs the real `strongroom` command as a child process against a temporary keystore
 * with a cheap scrypt cost. Every output it ever produced is kept, so a test can prove
 * the passphrase never appeared.
 *
 * Two ways to start it: `cli()` runs a bundle that esbuild makes from src/ once per test
 * worker (≈ 0.1 s a run: these tests start the command dozens of times), and
 * `cliFromSource()` runs src/bin.ts through tsx exactly as a developer would (≈ 0.5 s).
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'

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

let bundled: Promise<string> | undefined
let bundleDirectory: string | undefined

/** Removes this worker's bundle; each test file calls it in afterAll (workers may not exit cleanly). */
export function disposeBundle(): void {
  if (bundleDirectory !== undefined) rmSync(bundleDirectory, { recursive: true, force: true })
  bundled = undefined
  bundleDirectory = undefined
}

/**
 * src/bin.ts bundled into packages/cli/node_modules/.strongroom-test/<id>/dist/bin.mjs:
 * inside the package, so `classic-level` (native, left external) resolves as it does for
 * the real command, with a package.json beside dist/ for `--version`.
 */
export function bundle(): Promise<string> {
  bundled ??= (async () => {
    const base = join(PACKAGE, 'node_modules/.strongroom-test')
    mkdirSync(base, { recursive: true })
    const directory = mkdtempSync(join(base, 'bundle-'))
    bundleDirectory = directory
    copyFileSync(join(PACKAGE, 'package.json'), join(directory, 'package.json'))
    const outfile = join(directory, 'dist/bin.mjs')
    await build({
      entryPoints: [SOURCE_BIN], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      conditions: ['source'], external: ['classic-level'], logLevel: 'warning',
    })
    return outfile
  })()
  return bundled
}

/** The command built from the sources (fast start). */
export async function cli(keystore: string | undefined, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli([await bundle()], keystore, args, options)
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
