/**
 * The AWS CLI (a second, independent client: Python, botocore's own SigV4 signer and JSON
 * protocol) against the HTTP server with signature verification on. Skipped where the
 * `aws` command is not installed.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Kms } from '@strongroom/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAwsKmsServer, type AwsKmsServer } from '@strongroom/aws'
import { ACCOUNT, REGION, openEngine } from './helpers.js'

const run = promisify(execFile)

function awsCliPresent(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore', timeout: 20_000 })
    return true
  } catch {
    return false
  }
}

const PRESENT = awsCliPresent()
if (!PRESENT) console.warn('aws-cli.test.ts: the AWS CLI (`aws`) is not installed, so its checks are SKIPPED')

describe.skipIf(!PRESENT)('the AWS CLI against the HTTP server', () => {
  let kms: Kms
  let server: AwsKmsServer
  let directory: string

  beforeAll(async () => {
    ;({ kms } = await openEngine())
    server = await startAwsKmsServer({ kms, credentials: { AKIDCLI: { secretAccessKey: 'cli-secret' } } })
    directory = mkdtempSync(join(tmpdir(), 'strongroom-aws-cli-'))
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
    rmSync(directory, { recursive: true, force: true })
  })

  async function aws(args: string[], secret = 'cli-secret', service = 'kms'): Promise<string> {
    const { stdout } = await run('aws', [service, ...args, '--endpoint-url', server.url, '--output', 'json'], {
      timeout: 30_000,
      env: {
        PATH: process.env['PATH'] ?? '', HOME: directory, AWS_CONFIG_FILE: join(directory, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(directory, 'none'),
        AWS_ACCESS_KEY_ID: 'AKIDCLI', AWS_SECRET_ACCESS_KEY: secret, AWS_DEFAULT_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true',
      },
    })
    return stdout
  }

  it('creates a key, encrypts and decrypts with a context, and gets AWS errors', async () => {
    const keyId = (JSON.parse(await aws(['create-key', '--description', 'from the cli'])) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId
    writeFileSync(join(directory, 'plain'), 'hello from python')
    const encrypted = JSON.parse(await aws(['encrypt', '--key-id', keyId, '--plaintext', `fileb://${join(directory, 'plain')}`, '--encryption-context', 'tenant=acme'])) as { CiphertextBlob: string; KeyId: string }
    expect(encrypted.KeyId).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`)
    writeFileSync(join(directory, 'blob'), Buffer.from(encrypted.CiphertextBlob, 'base64'))
    const decrypted = JSON.parse(await aws(['decrypt', '--ciphertext-blob', `fileb://${join(directory, 'blob')}`, '--encryption-context', 'tenant=acme'])) as { Plaintext: string }
    expect(Buffer.from(decrypted.Plaintext, 'base64').toString()).toBe('hello from python')

    await expect(aws(['describe-key', '--key-id', 'alias/missing'])).rejects.toMatchObject({ stderr: expect.stringContaining('NotFoundException') })
    await expect(aws(['list-keys'], 'wrong-secret')).rejects.toMatchObject({ stderr: expect.stringContaining('InvalidSignatureException') })
  }, 60_000)

  it('answers the identifier rules as AWS does: aliases in key-id-only members, alias names', async () => {
    const keyId = (JSON.parse(await aws(['create-key'])) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId
    await aws(['create-alias', '--alias-name', 'alias/cli', '--target-key-id', keyId])
    // Each CLI run costs seconds: one member of each rule here; boto3.test.ts and identifiers.test.ts cover every operation.
    await expect(aws(['disable-key', '--key-id', 'alias/cli']))
      .rejects.toMatchObject({ stderr: expect.stringContaining('(NotFoundException) when calling the DisableKey operation: Invalid keyId alias/cli') })
    await expect(aws(['create-alias', '--alias-name', 'alias/my:alias', '--target-key-id', keyId]))
      .rejects.toMatchObject({ stderr: expect.stringContaining('(ValidationException) when calling the CreateAlias operation: alias/my:alias contains invalid characters for an alias') })
    await expect(aws(['create-alias', '--alias-name', 'alias/aws/s3', '--target-key-id', keyId]))
      .rejects.toMatchObject({ stderr: expect.stringContaining('(NotAuthorizedException)') })
  }, 60_000)

  it('speaks Secrets Manager to `aws secretsmanager`: versions, AWSPREVIOUS, random passwords, its exceptions', async () => {
    const sm = (args: string[]): Promise<string> => aws(args, 'cli-secret', 'secretsmanager')
    const created = JSON.parse(await sm(['create-secret', '--name', 'cli/db', '--secret-string', 'from python'])) as { ARN: string; VersionId: string }
    expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:cli/db-`))
    await sm(['put-secret-value', '--secret-id', 'cli/db', '--secret-string', 'second'])
    expect((JSON.parse(await sm(['get-secret-value', '--secret-id', created.ARN])) as { SecretString: string }).SecretString).toBe('second')
    const previous = JSON.parse(await sm(['get-secret-value', '--secret-id', 'cli/db', '--version-stage', 'AWSPREVIOUS'])) as { SecretString: string; VersionId: string }
    expect([previous.SecretString, previous.VersionId]).toEqual(['from python', created.VersionId])
    expect((JSON.parse(await sm(['get-random-password', '--password-length', '20', '--exclude-punctuation'])) as { RandomPassword: string }).RandomPassword).toMatch(/^[A-Za-z0-9]{20}$/)
    await expect(sm(['get-secret-value', '--secret-id', 'cli/missing'])).rejects.toMatchObject({ stderr: expect.stringContaining('(ResourceNotFoundException)') })
    // This engine was opened without a rotation function.
    await expect(sm(['rotate-secret', '--secret-id', 'cli/db'])).rejects.toMatchObject({ stderr: expect.stringContaining('(InvalidRequestException)') })
  }, 60_000)
})
