/**
 * One keystore on PostgreSQL, many `strongroom` processes at once — what a LevelDB
 * directory cannot do (its lock lets one process in): `serve-aws` keeps serving while other
 * command lines change keys under it, and `encrypt-file - - | decrypt-file - -` runs both
 * ends of a pipe on one keystore. A key disabled by one command line is refused by the
 * server within a second. Against the real server of the storage-postgres tests (a fresh
 * schema); skipped with a loud message without one.
 */
import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { POSTGRES_URL, eventually, probeServer, skipLoudly } from '../../storage/postgres/test/server.js'
import { BIN, PASSPHRASE, ROOT, cli } from './spawn.js'

const server = await probeServer()
afterAll(() => server?.end())

/** Starts `serve-aws` on the keystore; resolves with its URL once it listens, and a stop function. */
async function serveAws(store: string): Promise<{ url: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve-aws', '--port', '0'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: { ...process.env, STRONGROOM_STORE: store, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384' },
  })
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)))
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const match = /speaks AWS KMS at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
      if (match) resolve(match[1]!)
    })
    child.on('exit', (status) => reject(new Error(`serve-aws exited early (${status}): ${stderr}`)))
  })
  return { url, stop: () => (child.kill('SIGINT'), exited) }
}

async function encryptThrough(url: string, keyId: string): Promise<{ status: number; type: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.Encrypt' },
    body: JSON.stringify({ KeyId: keyId, Plaintext: Buffer.from('served').toString('base64') }),
  })
  const body = (await response.json()) as { __type?: string }
  return { status: response.status, type: body.__type ?? '' }
}

/** `sh -c script` with the keystore in the environment; resolves with stdout. */
function shell(script: string, store: string, input: Buffer): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn('sh', ['-c', script], {
    cwd: ROOT, env: { ...process.env, STRONGROOM_STORE: store, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_BIN: BIN }, stdio: ['pipe', 'pipe', 'pipe'], detached: true,
  })
  const out: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  child.stdin.end(input)
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out), stderr })))
}

if (server === undefined) {
  skipLoudly()
} else {
  describe('many strongroom processes on one PostgreSQL keystore', () => {
    it('serve-aws keeps serving while other command lines work on the keystore; a disable reaches it within 1 s; both ends of a pipe share it', async () => {
      const url = new URL(POSTGRES_URL)
      url.searchParams.set('schema', server.freshSchema())
      const store = url.href
      expect((await cli(undefined, ['--store', store, 'init'])).status).toBe(0)
      const created = await cli(undefined, ['--store', store, 'create-key', '--alias', 'alias/shared', '--json'])
      expect(created.status, created.stderr).toBe(0)

      const served = await serveAws(store)
      try {
        expect(await encryptThrough(served.url, 'alias/shared')).toMatchObject({ status: 200 })
        // Another process on the same keystore while the server holds it open.
        const listed = await cli(undefined, ['--store', store, 'list-keys', '--json'])
        expect(listed.status, listed.stderr).toBe(0)
        expect((await cli(undefined, ['--store', store, 'disable-key', 'alias/shared'])).status).toBe(0)
        // The documented bound: refused everywhere within 1 s.
        await eventually(async () => (await encryptThrough(served.url, 'alias/shared')).status === 400, 1000)
        expect(await encryptThrough(served.url, 'alias/shared')).toMatchObject({ type: 'DisabledException' })
        expect((await cli(undefined, ['--store', store, 'enable-key', 'alias/shared'])).status).toBe(0)
      } finally {
        expect(await served.stop()).toBe(0)
      }

      const data = Buffer.alloc(300_000, 'strongroom ')
      const piped = await shell('node "$STRONGROOM_BIN" encrypt-file - - --key alias/shared | node "$STRONGROOM_BIN" decrypt-file - -', store, data)
      expect(piped.status, piped.stderr).toBe(0)
      expect(piped.stdout.equals(data)).toBe(true)

      const verified = await cli(undefined, ['--store', store, 'audit', 'verify', '--json'])
      expect(verified.status, verified.stderr).toBe(0)
      // init, create-key, serve-aws, disable-key, enable-key, both ends of the pipe: each wrote a chain of its own.
      expect(verified.json<{ ok: boolean; chains: unknown[] }>()).toMatchObject({ ok: true })
      expect(verified.json<{ chains: unknown[] }>().chains.length).toBeGreaterThanOrEqual(5)
      await server.dropSchemas()
    })
  })
}
