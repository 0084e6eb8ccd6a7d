/** serve-aliyun: the keystore over Alibaba Cloud KMS's OpenAPI, until interrupted; loopback unless told. */
import { spawn } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { percentEncode } from '@strongroom/aliyun'
import { BIN, PASSPHRASE, ROOT, cli, newKeystoreDir } from './spawn.js'

const directories: string[] = []
afterAll(() => {
  for (const d of directories) rmSync(dirname(d), { recursive: true, force: true })
})

/** One RPC request signed as the Alibaba Cloud SDKs sign it (HMAC-SHA1, SignatureVersion 1.0), sent as a form body. */
async function call(endpoint: string, id: string, secret: string, action: string, params: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
  const all: Record<string, string> = {
    Action: action, Version: '2016-01-20', Format: 'JSON', Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: randomUUID(), AccessKeyId: id, ...params,
  }
  const canonical = Object.keys(all).sort().map((k) => `${percentEncode(k)}=${percentEncode(all[k]!)}`).join('&')
  const signature = createHmac('sha1', `${secret}&`).update(`POST&${percentEncode('/')}&${percentEncode(canonical)}`).digest('base64')
  const response = await fetch(`http://${endpoint}/`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...all, Signature: signature }).toString(),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

describe('serve-aliyun', () => {
  it('serves the keystore over the Alibaba Cloud KMS protocol with the AccessKey it prints, and stops cleanly on SIGINT', async () => {
    const keystore = newKeystoreDir()
    directories.push(keystore)
    expect((await cli(keystore, ['init'])).status).toBe(0)
    expect((await cli(keystore, ['create-key', '--alias', 'alias/served'])).status).toBe(0)

    const child = spawn(process.execPath, [BIN, 'serve-aliyun', '--port', '0'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...process.env, STRONGROOM_KEYSTORE: keystore, STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384' },
    })
    let stderr = ''
    const banner = await new Promise<RegExpExecArray>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
        const match = /ALIBABA_CLOUD_KMS_ENDPOINT=(\S+) .*ALIBABA_CLOUD_REGION_ID=(\S+) ALIBABA_CLOUD_ACCESS_KEY_ID=(\S+) ALIBABA_CLOUD_ACCESS_KEY_SECRET=(\S+)/.exec(stderr)
        if (match) resolve(match)
      })
      child.on('exit', (status) => reject(new Error(`serve-aliyun exited early (${status}): ${stderr}`)))
    })
    const [, endpoint, region, id, secret] = banner as unknown as [string, string, string, string, string]
    try {
      expect(stderr).toContain(`speaks Alibaba Cloud KMS at http://${endpoint}`)
      expect(id).toMatch(/^LTAI[A-Za-z0-9]{20}$/)
      const encrypted = await call(endpoint, id, secret, 'Encrypt', { KeyId: 'alias/served', Plaintext: Buffer.from('hello').toString('base64') })
      expect(encrypted.status).toBe(200)
      expect(encrypted.json['KeyId']).toMatch(/^[0-9a-f-]{36}$/)
      const decrypted = await call(endpoint, id, secret, 'Decrypt', { CiphertextBlob: encrypted.json['CiphertextBlob'] as string })
      expect(Buffer.from(decrypted.json['Plaintext'] as string, 'base64').toString()).toBe('hello')
      const regions = await call(endpoint, id, secret, 'DescribeRegions', {})
      expect(regions.json['Regions']).toEqual({ Region: [{ RegionId: region }] })
      const forged = await call(endpoint, id, 'not-the-secret', 'ListKeys', {})
      expect([forged.status, forged.json['Code']]).toEqual([400, 'SignatureDoesNotMatch'])
    } finally {
      const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
    }
  })

  it('refuses an address beyond loopback without --allow-remote as a usage error (exit 2)', async () => {
    const keystore = newKeystoreDir()
    directories.push(keystore)
    expect((await cli(keystore, ['init'])).status).toBe(0)
    const refused = await cli(keystore, ['serve-aliyun', '--host', '0.0.0.0', '--port', '0'])
    expect(refused.status).toBe(2)
    expect(refused.stderr).toContain('--allow-remote')
  })
})
