/**
 * serve-aws: the keystore over the AWS KMS protocol, until interrupted — open (with its
 * warning) and with a credentials file (SigV4 required), its region and account options,
 * and the environment block it prints, pasted as-is for the AWS CLI, boto3 and the
 * JavaScript SDK (each skipped with a message where it is not installed).
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, PASSPHRASE, ROOT, cli, newKeystoreDir } from './spawn.js'

const run = promisify(execFile)
const directories: string[] = []
afterAll(() => {
  for (const d of directories) rmSync(d, { recursive: true, force: true })
})

function present(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}
const AWS_CLI = present('aws', ['--version'])
const BOTO3 = present('python3', ['-c', 'import boto3'])
if (!AWS_CLI) console.warn('serve-aws tests: the AWS CLI (`aws`) is not installed, so its checks are SKIPPED')
if (!BOTO3) console.warn('serve-aws tests: boto3 is not importable by python3, so its checks are SKIPPED')

async function call(url: string, operation: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

async function newKeystore(): Promise<{ keystore: string; keyId: string }> {
  const keystore = newKeystoreDir()
  directories.push(dirname(keystore))
  expect((await cli(keystore, ['init'])).status).toBe(0)
  const created = await cli(keystore, ['create-key', '--alias', 'alias/served', '--json'])
  const keyId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(created.out)![0]
  return { keystore, keyId }
}

interface Served {
  readonly url: string
  readonly stderr: () => string
  /** The `export NAME=value` lines of the banner, as a shell would set them. */
  readonly environment: Record<string, string>
  /** Ctrl-C, and the exit status. */
  stop(): Promise<number | null>
}

async function serve(keystore: string, args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve-aws', '--port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: { ...process.env, STRONGROOM_KEYSTORE: keystore, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384' },
  })
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)))
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
      const match = /speaks AWS KMS at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
      if (match && /AWS_DEFAULT_REGION=.*\n/.test(stderr) && /(AWS_SECRET_ACCESS_KEY=\w+|credentials file)\n/.test(stderr)) resolve(match[1]!)
    })
    child.on('exit', (status) => reject(new Error(`serve-aws exited early (${status}): ${stderr}`)))
  })
  const environment = Object.fromEntries([...stderr.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
  return {
    url, environment, stderr: () => stderr,
    stop: async () => {
      child.kill('SIGINT')
      return exited
    },
  }
}

/** A clean environment: the banner's variables, a PATH, and a HOME without AWS config files. */
function shellEnvironment(block: Record<string, string>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'strongroom-serve-home-'))
  directories.push(home)
  return { PATH: process.env['PATH'], HOME: home, ...block, ...extra }
}

const BOTO3_LIST_ALIASES = 'import boto3, json; print(json.dumps([a["AliasName"] for a in boto3.client("kms").list_aliases()["Aliases"]]))'
const SDK_DESCRIBE = `
import { KMSClient, DescribeKeyCommand } from '@aws-sdk/client-kms'
const client = new KMSClient({})
const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: 'alias/served' }))
console.log(KeyMetadata.Arn)
`

describe('serve-aws', () => {
  it('serves open on loopback with a loud warning, and its environment block works pasted for the AWS CLI, boto3 and the JS SDK', async () => {
    const { keystore, keyId } = await newKeystore()
    const served = await serve(keystore, ['--region', 'us-east-1', '--account', '111122223333'])
    try {
      expect(served.stderr()).toContain('OPEN ENDPOINT')
      expect(served.environment).toEqual({
        AWS_ENDPOINT_URL: served.url, AWS_ENDPOINT_URL_KMS: served.url, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
      })
      const arn = `arn:aws:kms:us-east-1:111122223333:key/${keyId}`
      const listed = await call(served.url, 'ListAliases', {})
      expect(listed.status).toBe(200)
      expect(JSON.stringify(listed.json)).toContain('alias/served')
      const encrypted = await call(served.url, 'Encrypt', { KeyId: 'alias/served', Plaintext: Buffer.from('hello').toString('base64') })
      expect([encrypted.status, encrypted.json['KeyId']]).toEqual([200, arn])
      const decrypted = await call(served.url, 'Decrypt', { CiphertextBlob: encrypted.json['CiphertextBlob'] })
      expect(Buffer.from(decrypted.json['Plaintext'] as string, 'base64').toString()).toBe('hello')
      const missing = await call(served.url, 'DescribeKey', { KeyId: 'alias/nope' })
      expect([missing.status, missing.json['__type']]).toEqual([400, 'NotFoundException'])

      const env = shellEnvironment(served.environment)
      if (AWS_CLI) {
        const { stdout } = await run('aws', ['kms', 'describe-key', '--key-id', 'alias/served', '--output', 'json'], { env, timeout: 60_000 })
        expect(JSON.parse(stdout).KeyMetadata.Arn).toBe(arn)
      }
      if (BOTO3) {
        const { stdout } = await run('python3', ['-c', BOTO3_LIST_ALIASES], { env, timeout: 60_000 })
        expect(JSON.parse(stdout)).toContain('alias/served')
      }
      const sdk = await run(process.execPath, ['--input-type=module', '-e', SDK_DESCRIBE], { env, cwd: join(ROOT, 'packages/aws'), timeout: 60_000 })
      expect(sdk.stdout.trim()).toBe(arn)
    } finally {
      // Ctrl-C is how a server is meant to stop: a clean exit.
      expect(await served.stop()).toBe(0)
    }
  })

  it('with --credentials requires SigV4 from the listed keys, and runs each as its principal', async () => {
    const { keystore, keyId } = await newKeystore()
    const file = join(dirname(keystore), 'access-keys.json')
    writeFileSync(file, JSON.stringify({ AKIAOWNER0000000001: { secretAccessKey: 'owner-secret' }, AKIAALICE0000000001: { secretAccessKey: 'alice-secret', principal: 'alice' } }))
    chmodSync(file, 0o600)
    const served = await serve(keystore, ['--credentials', file])
    try {
      const banner = served.stderr()
      expect(banner).not.toContain('can be read by other users')
      expect(banner).not.toContain('OPEN ENDPOINT')
      expect(banner).toContain('AKIAOWNER0000000001')
      expect(banner).not.toContain('owner-secret')
      expect(served.environment['AWS_ACCESS_KEY_ID']).toBeUndefined()
      // Unsigned: refused, as AWS refuses it.
      const unsigned = await call(served.url, 'ListKeys', {})
      expect([unsigned.status, unsigned.json['__type']]).toEqual([403, 'MissingAuthenticationTokenException'])

      const owner = shellEnvironment(served.environment, { AWS_ACCESS_KEY_ID: 'AKIAOWNER0000000001', AWS_SECRET_ACCESS_KEY: 'owner-secret' })
      const sdk = await run(process.execPath, ['--input-type=module', '-e', SDK_DESCRIBE], { env: owner, cwd: join(ROOT, 'packages/aws'), timeout: 60_000 })
      expect(sdk.stdout.trim()).toBe(`arn:aws:kms:local:000000000000:key/${keyId}`)
      // alice has no policy granting her anything: the engine refuses her, by name.
      const alice = shellEnvironment(served.environment, { AWS_ACCESS_KEY_ID: 'AKIAALICE0000000001', AWS_SECRET_ACCESS_KEY: 'alice-secret' })
      const denied = await run(process.execPath, ['--input-type=module', '-e', SDK_DESCRIBE], { env: alice, cwd: join(ROOT, 'packages/aws'), timeout: 60_000 })
        .then(() => '', (e: { stderr: string }) => e.stderr)
      expect(denied).toContain('AccessDeniedException')
      const wrong = shellEnvironment(served.environment, { AWS_ACCESS_KEY_ID: 'AKIAOWNER0000000001', AWS_SECRET_ACCESS_KEY: 'not-the-secret' })
      const refused = await run(process.execPath, ['--input-type=module', '-e', SDK_DESCRIBE], { env: wrong, cwd: join(ROOT, 'packages/aws'), timeout: 60_000 })
        .then(() => '', (e: { stderr: string }) => e.stderr)
      expect(refused).toContain('InvalidSignatureException')
      if (AWS_CLI) {
        const { stdout } = await run('aws', ['kms', 'list-aliases', '--output', 'json'], { env: owner, timeout: 60_000 })
        expect(stdout).toContain('alias/served')
      }
      if (BOTO3) {
        const { stdout } = await run('python3', ['-c', BOTO3_LIST_ALIASES], { env: owner, timeout: 60_000 })
        expect(JSON.parse(stdout)).toContain('alias/served')
      }
    } finally {
      expect(await served.stop()).toBe(0)
    }
  })

  it('usage errors exit 2 with a message: a non-loopback address without credentials, bad options, a malformed credentials file', async () => {
    const { keystore } = await newKeystore()
    const open = await cli(keystore, ['serve-aws', '--host', '0.0.0.0', '--port', '0'])
    expect(open.status).toBe(2)
    expect(open.stderr).toContain('refusing to serve on 0.0.0.0 without --credentials')
    expect(open.stderr).not.toContain('unexpected failure')
    expect((await cli(keystore, ['serve-aws', '--region', 'US East', '--port', '0'])).status).toBe(2)
    expect((await cli(keystore, ['serve-aws', '--account', '12', '--port', '0'])).status).toBe(2)
    const file = join(dirname(keystore), 'bad.json')
    writeFileSync(file, JSON.stringify({ AKIAX: { principal: 'alice' } }))
    const bad = await cli(keystore, ['serve-aws', '--credentials', file, '--port', '0'])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain('secretAccessKey')
    writeFileSync(file, JSON.stringify({ AKIAX: { secretAccessKey: 's' } }))
    chmodSync(file, 0o644)
    const readable = await cli(keystore, ['serve-aws', '--credentials', file, '--port', 'x'])
    expect(readable.status).toBe(2)
    expect(readable.stderr).toContain('can be read by other users')
    writeFileSync(file, '{ not json')
    expect((await cli(keystore, ['serve-aws', '--credentials', file, '--port', '0'])).status).toBe(2)
    expect((await cli(keystore, ['serve-aws', '--credentials', join(dirname(keystore), 'missing.json'), '--port', '0'])).status).toBe(3)
  })
})
