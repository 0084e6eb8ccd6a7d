import { createServer, request } from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  assertServable, isLoopbackHost, lastValueQuery, listen, multiValueQuery, protocolListener, untilAborted,
  type RequestParts, type WireResponse,
} from '@strongroom/facade'

const text = (status: number, body: string): WireResponse => {
  const bytes = new TextEncoder().encode(body)
  return { statusCode: status, headers: { 'content-type': 'text/plain', 'content-length': String(bytes.length) }, body: bytes }
}

/** A server that answers each request with what it saw, as JSON. */
async function echoServer(maxRequestBytes = 16) {
  const listener = protocolListener(async (parts: Omit<RequestParts, 'searchParams'> & { query: Record<string, string | string[]> }) => {
    return text(200, JSON.stringify({ method: parts.method, path: parts.path, query: parts.query, header: parts.headers['x-test'], body: new TextDecoder().decode(parts.body) }))
  }, {
    maxRequestBytes,
    toRequest: ({ searchParams, ...parts }) => ({ ...parts, query: multiValueQuery(searchParams) }),
    tooLarge: text(413, 'too large'),
    unreadable: () => text(500, 'unreadable'),
  })
  return listen(createServer(listener), { port: 0, host: '127.0.0.1' })
}

function call(url: string, options: { method?: string; path?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${options.path ?? '/'}`, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), connection: res.headers.connection }))
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

describe('isLoopbackHost / assertServable', () => {
  it('knows the loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true)
    expect(['0.0.0.0', '192.168.1.2', '::', 'example.com', '127.0.0.1.example.com'].some(isLoopbackHost)).toBe(false)
  })

  it('refuses an address beyond loopback without credentials, or without allowRemote when that is asked for', () => {
    expect(() => assertServable('127.0.0.1', { credentials: false, allowRemote: false })).not.toThrow()
    expect(() => assertServable('0.0.0.0', { credentials: false })).toThrow(/without credentials/)
    expect(() => assertServable('0.0.0.0', { credentials: true })).not.toThrow()
    expect(() => assertServable('0.0.0.0', { credentials: true, allowRemote: false })).toThrow(/allowRemote/)
    expect(() => assertServable('0.0.0.0', { credentials: false, allowRemote: true })).toThrow(/without credentials/)
  })
})

describe('queries', () => {
  it('keeps repeated values, or the last one', () => {
    const params = new URLSearchParams('a=1&b=2&a=3')
    expect(multiValueQuery(params)).toEqual({ a: ['1', '3'], b: '2' })
    expect(lastValueQuery(params)).toEqual({ a: '3', b: '2' })
  })
})

describe('protocolListener + listen', () => {
  it('hands the protocol the method, path, query, headers and body', async () => {
    const server = await echoServer()
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
      expect(server.endpoint).toBe(`127.0.0.1:${server.port}`)
      const res = await call(server.url, { path: '/p?x=1&x=2', body: 'hello', headers: { 'x-test': 'yes' } })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ method: 'POST', path: '/p', query: { x: ['1', '2'] }, header: 'yes', body: 'hello' })
    } finally {
      await server.close()
    }
  })

  it('refuses a declared or streamed body over the limit and closes the connection', async () => {
    const server = await echoServer(16)
    try {
      const declared = await call(server.url, { body: 'x'.repeat(17) })
      expect(declared).toMatchObject({ status: 413, body: 'too large', connection: 'close' })
      const streamed = await new Promise<string>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n')
          for (let i = 0; i < 4; i++) socket.write('8\r\nxxxxxxxx\r\n')
        })
        let answer = ''
        socket.on('data', (chunk) => (answer += chunk.toString()))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
      })
      expect(streamed).toMatch(/^HTTP\/1\.1 413/)
      expect(streamed.toLowerCase()).toContain('connection: close')
      // The server survives both.
      expect((await call(server.url, { body: 'ok' })).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('survives a client that hangs up mid-body', async () => {
    const server = await echoServer(1024)
    try {
      await new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc')
          socket.destroy()
          resolve()
        })
      })
      expect((await call(server.url, { body: 'still here' })).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('close is idempotent and frees the port', async () => {
    const server = await echoServer()
    const first = server.close()
    expect(server.close()).toBe(first)
    await first
    await expect(call(server.url)).rejects.toThrow(/ECONNREFUSED/)
  })

  it('rejects when the port is taken', async () => {
    const server = await echoServer()
    try {
      await expect(listen(createServer(), { port: server.port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await server.close()
    }
  })
})

describe('untilAborted', () => {
  it('resolves on abort, at once when already aborted', async () => {
    await untilAborted(AbortSignal.abort())
    const controller = new AbortController()
    let done = false
    const waiting = untilAborted(controller.signal).then(() => (done = true))
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(done).toBe(false)
    controller.abort()
    await waiting
    expect(done).toBe(true)
  })
})
