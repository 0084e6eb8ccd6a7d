/**
 * The HTTP server: loopback only unless told, HTTPS with a supplied certificate, oversized
 * bodies refused before they are read, garbage never taking it down.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kms } from '@strongroom/core'
import { isLoopbackHost, MAX_REQUEST_BYTES, startAliyunKmsServer } from '@strongroom/aliyun'
import { $Kms, $Util, CREDENTIALS, kmsClient, openEngine } from './helpers.js'

/** A self-signed certificate for 127.0.0.1 made with openssl, or undefined (the HTTPS test then says why it skips). */
function selfSignedCertificate(): { cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-aliyun-tls-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' })
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const certificate = selfSignedCertificate()
if (certificate === undefined) console.warn('SKIPPING the HTTPS server test: openssl is not available to make a test certificate')

describe('startAliyunKmsServer', () => {
  let kms: Kms
  beforeAll(async () => {
    kms = await openEngine()
  })
  afterAll(() => kms.close())

  it('refuses an address beyond loopback unless allowRemote is set, and then only with credentials', async () => {
    expect(isLoopbackHost('127.0.0.1') && isLoopbackHost('::1') && isLoopbackHost('localhost')).toBe(true)
    expect(isLoopbackHost('0.0.0.0') || isLoopbackHost('192.168.1.2')).toBe(false)
    await expect(startAliyunKmsServer({ kms, host: '0.0.0.0' })).rejects.toThrow(/only loopback addresses unless allowRemote/)
    await expect(startAliyunKmsServer({ kms, host: '0.0.0.0', allowRemote: true })).rejects.toThrow(/without credentials/)
  })

  it.skipIf(certificate === undefined)('serves HTTPS with a supplied certificate to the official client', async () => {
    const server = await startAliyunKmsServer({ kms, credentials: CREDENTIALS, tls: certificate! })
    try {
      expect([server.protocol, server.url.startsWith('https://')]).toEqual(['https', true])
      const client = kmsClient(server)
      // The test certificate is self-signed: the client is told not to check it (its runtime's ignoreSSL).
      const listed = await client.listKeysEx(new $Kms.ListKeysRequest({}), new $Util.RuntimeOptions({ ignoreSSL: true }))
      expect(listed.totalCount).toBeGreaterThanOrEqual(0)
    } finally {
      await server.close()
    }
  })

  it('answers 413 to a declared oversized body without reading it, and survives garbage', async () => {
    const server = await startAliyunKmsServer({ kms })
    try {
      const raw = (text: string): Promise<string> => new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: server.port })
        let answer = ''
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString()))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
        socket.end(text)
      })
      const refused = await raw(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${MAX_REQUEST_BYTES + 1}\r\n\r\nAction=ListKeys`)
      expect(refused).toMatch(/^HTTP\/1\.1 413/)
      expect(refused).toContain('"Code":"Request.EntityTooLarge"')
      expect(await raw('NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400|^$/)
      const alive = await fetch(`${server.url}/?Action=DescribeRegions&Version=2016-01-20`)
      expect(alive.status).toBe(200)
    } finally {
      await server.close()
    }
  })
})
