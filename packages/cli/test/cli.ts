/**
 * Runs the `strongroom` command line in this process — `run(argv, io, signal)` from
 * main.ts, exactly what bin.ts calls — against a temporary LevelDB keystore with a cheap
 * scrypt cost (`STRONGROOM_SCRYPT_N=16384`, the engine's floor). Every output it ever
 * produced is kept, so a test can prove the passphrase never appeared.
 *
 * What only a real process shows (the executable itself, no terminal, signals, a
 * pseudo-terminal) is tested by spawning it, in `e2e/` (`pnpm test:e2e`).
 *
 * ```ts
 * const r = await cli(keystore, ['create-key', '--json'])
 * expect(r.status).toBe(0)
 * ```
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { run } from '../src/main.js'

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

/**
 * A stream that keeps a copy of what is written to it; never a terminal. A copy, because
 * the command wipes its plaintext buffers once the write has completed.
 */
function collector(): { stream: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk))
      done()
    },
  })
  return { stream, bytes: () => Buffer.concat(chunks) }
}

/** One command line, in process. The environment holds only what the command reads. */
export async function cli(keystore: string | undefined, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = {
    STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384',
    ...(keystore === undefined ? {} : { STRONGROOM_KEYSTORE: keystore }), ...options.env,
  }
  const stdout = collector()
  const stderr = collector()
  const input = options.input === undefined ? [] : [Buffer.from(options.input)]
  const status = await run(args, { stdin: Readable.from(input), stdout: stdout.stream, stderr: stderr.stream, env }, new AbortController().signal)
  const out = stdout.bytes()
  const err = stderr.bytes().toString('utf8')
  transcript.push(out.toString('latin1'), err)
  return { status, stdout: out, stderr: err, out: out.toString('utf8'), json: <T>() => JSON.parse(out.toString('utf8')) as T }
}
