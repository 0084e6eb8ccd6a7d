/** serve-aws: the keystore over the AWS KMS protocol, until interrupted. */
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, PASSPHRASE, ROOT, cli, newKeystoreDir } from './spawn.js'

const directories: string[] = []
afterAll(() => {
  for (const d of directories) rmSync(dirname(d), { recursive: true, force: true })
})

async function call(url: string, operation: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

describe('serve-aws', () => {
  it('serves the keystore over the AWS KMS protocol on loopback and stops cleanly (exit 0) on SIGINT', async () => {
    const keystore = newKeystoreDir()
    directories.push(keystore)
    expect((await cli(keystore, ['init'])).status).toBe(0)
    const created = await cli(keystore, ['create-key', '--alias', 'alias/served', '--json'])
    const keyId = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(created.out)![0]

    const child = spawn(process.execPath, [BIN, 'serve-aws', '--port', '0'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...process.env, STRONGROOM_KEYSTORE: keystore, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384' },
    })
    let stderr = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
        const match = /speaks AWS KMS at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)
        if (match && stderr.includes('export AWS_ENDPOINT_URL_KMS=')) resolve(match[1]!)
      })
      child.on('exit', (status) => reject(new Error(`serve-aws exited early (${status}): ${stderr}`)))
    })
    try {
      expect(stderr).toContain('export AWS_ENDPOINT_URL_KMS=')
      const listed = await call(url, 'ListAliases', {})
      expect(listed.status).toBe(200)
      expect(JSON.stringify(listed.json)).toContain('alias/served')
      const encrypted = await call(url, 'Encrypt', { KeyId: 'alias/served', Plaintext: Buffer.from('hello').toString('base64') })
      expect(encrypted.status).toBe(200)
      expect(encrypted.json['KeyId']).toBe(`arn:aws:kms:local:000000000000:key/${keyId}`)
      const decrypted = await call(url, 'Decrypt', { CiphertextBlob: encrypted.json['CiphertextBlob'] })
      expect(Buffer.from(decrypted.json['Plaintext'] as string, 'base64').toString()).toBe('hello')
      const missing = await call(url, 'DescribeKey', { KeyId: 'alias/nope' })
      expect([missing.status, missing.json['__type']]).toEqual([400, 'NotFoundException'])
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)))
      child.kill('SIGINT')
      // Ctrl-C is how a server is meant to stop: a clean exit.
      expect(await exited).toBe(0)
    }
  })
})
