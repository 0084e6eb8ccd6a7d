/**
 * The HTTP server on its own: loopback by default, never brought down by what a client
 * sends or how it hangs up, refusing oversized streams early, serving concurrent
 * requests, closing cleanly with keep-alive clients attached, and `serveAwsKms` (the
 * command-line entry) serving until aborted.
 */
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { KMSClient, ListKeysCommand, CreateKeyCommand, EncryptCommand } from '@aws-sdk/client-kms'
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { serveAwsKms, startAwsKmsServer, type AwsKmsServer } from '@strongroom/aws'
import { ACCOUNT, REGION, utf8 } from './helpers.js'

/** Writes raw bytes to the server and resolves with whatever comes back before it closes (or we hang up). */
function rawExchange(port: number, bytes: string, hangUpAfterMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (d) => { received += d.toString() })
    socket.on('error', () => resolve(received))
    socket.on('close', () => resolve(received))
    socket.setTimeout(hangUpAfterMs, () => socket.destroy())
    socket.write(bytes)
  })
}

function listKeysOk(server: AwsKmsServer): Promise<number> {
  return fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' })
    .then((r) => r.status)
}

describe('the HTTP server', () => {
  let kms: Kms
  let server: AwsKmsServer

  beforeEach(async () => {
    kms = await Kms.open({ storage: memoryStorage(), region: REGION, accountId: ACCOUNT })
    server = await startAwsKmsServer({ kms })
  })
  afterEach(async () => {
    await server.close()
    await kms.close()
  })

  it('listens on loopback by default, on a free port', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.port).toBeGreaterThan(0)
  })

  it('survives garbage, half requests, lying lengths and hang-ups', async () => {
    await rawExchange(server.port, 'hello\r\n\r\n')
    await rawExchange(server.port, '\x00\x01\x02 NOT HTTP')
    const declaredTooLarge = await rawExchange(server.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 99999999\r\n\r\n{')
    expect(declaredTooLarge).toMatch(/^HTTP\/1\.1 413/)
    expect(declaredTooLarge).toContain('RequestEntityTooLargeException')
    // Promises more than it sends, then hangs up mid-body.
    await rawExchange(server.port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 100\r\n\r\n{"Li', 50)
    expect(await listKeysOk(server)).toBe(200)
  })

  it('refuses a chunked body once it passes 1 MiB, without reading it all', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(server.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.CreateKey' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      const chunk = 'x'.repeat(64 * 1024)
      let sent = 0
      const pump = (): void => {
        // Far more than the limit, unless the server answers first.
        while (sent < 64 * 1024 * 1024 && req.write(chunk)) sent += chunk.length
        if (sent < 64 * 1024 * 1024) req.once('drain', pump)
        else req.end()
      }
      req.on('response', () => req.destroy())
      pump()
    })
    expect(status).toBe(413)
    expect(await listKeysOk(server)).toBe(200)
  })

  it('serves concurrent SDK calls', async () => {
    const client = new KMSClient({ region: REGION, endpoint: server.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}))
    const results = await Promise.all(Array.from({ length: 32 }, (_, i) =>
      client.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: utf8(`message ${i}`) }))))
    expect(results).toHaveLength(32)
    client.destroy()
  })

  it('close() finishes while a keep-alive client is still attached, and is idempotent', async () => {
    const client = new KMSClient({ region: REGION, endpoint: server.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    await client.send(new ListKeysCommand({}))
    await server.close()
    await server.close()
    client.destroy()
  })

  it('serves beyond loopback only with credentials', async () => {
    // Refused before listening, so nothing is ever exposed by this test.
    await expect(startAwsKmsServer({ kms, host: '0.0.0.0' })).rejects.toThrow(/without credentials/)
    await expect(startAwsKmsServer({ kms, host: '192.0.2.1', principalFor: () => 'x' })).rejects.toThrow(/without credentials/)
  })

  it('refuses to start on a port already in use', async () => {
    await expect(startAwsKmsServer({ kms, port: server.port })).rejects.toThrow(/EADDRINUSE/)
  })
})

describe('serveAwsKms, for the command line', () => {
  it('prints where it listens and how to point AWS tools at it, serves, and stops when aborted', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), region: REGION, accountId: ACCOUNT })
    const lines: string[] = []
    const controller = new AbortController()
    const serving = serveAwsKms({ kms, port: 0, log: (line) => lines.push(line), signal: controller.signal })
    while (lines.length < 2) await new Promise((r) => setTimeout(r, 5))
    const url = /at (http:\/\/\S+)/.exec(lines[0]!)![1]!
    expect(lines).toContain(`export AWS_ENDPOINT_URL_KMS=${url}`)
    expect(lines).toContain(`export AWS_DEFAULT_REGION=${REGION}`)
    expect(lines.join('\n')).toContain('OPEN ENDPOINT')
    const client = new KMSClient({ region: REGION, endpoint: url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 })
    expect((await client.send(new ListKeysCommand({}))).Keys).toEqual([])
    controller.abort()
    await serving
    await expect(client.send(new ListKeysCommand({}))).rejects.toThrow()
    client.destroy()
    await kms.close()
  })
})
