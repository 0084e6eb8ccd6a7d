/**
 * boto3 (Python, botocore's own signer, serializer and error parser) against the HTTP
 * server with SigV4 required: boto3_suite.py holds the checks, written from the AWS KMS API
 * Reference — every mapped operation's happy path, its documented errors, and the
 * identifier rules. Skipped, with a message, where python3 cannot import boto3.
 */
import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Kms } from '@strongroom/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAwsKmsServer, type AwsKmsServer } from '@strongroom/aws'
import { ACCOUNT, REGION, openEngine } from './helpers.js'

const run = promisify(execFile)
const SUITE = fileURLToPath(new URL('./boto3_suite.py', import.meta.url))

function boto3Present(): boolean {
  try {
    execFileSync('python3', ['-c', 'import boto3'], { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}
const PRESENT = boto3Present()
if (!PRESENT) console.warn('boto3.test.ts: python3 cannot import boto3, so the boto3 suite is SKIPPED')

describe.skipIf(!PRESENT)('boto3 against the HTTP server', () => {
  let kms: Kms
  let server: AwsKmsServer

  beforeAll(async () => {
    ;({ kms } = await openEngine())
    server = await startAwsKmsServer({ kms, credentials: { AKIABOTO3000000001: { secretAccessKey: 'boto3-secret' } } })
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  it('passes every check of the suite written from the AWS API reference', async () => {
    const { stdout } = await run('python3', [SUITE, server.url, REGION, ACCOUNT, 'AKIABOTO3000000001', 'boto3-secret'], {
      timeout: 120_000, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', AWS_EC2_METADATA_DISABLED: 'true' },
    })
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { checks: number; failures: string[] }
    expect(result.failures).toEqual([])
    expect(result.checks).toBeGreaterThan(200)
  }, 150_000)

  it('a wrong secret is InvalidSignatureException before any check runs', async () => {
    const failed = await run('python3', [SUITE, server.url, REGION, ACCOUNT, 'AKIABOTO3000000001', 'wrong'], { timeout: 120_000 })
      .then(({ stdout }) => stdout, (e: { stdout: string }) => e.stdout)
    expect(failed).toContain('InvalidSignatureException')
  }, 150_000)
})
