/**
 * An in-process transport for Node HTTP clients that take an `http.Agent`: every
 * connection the agent opens is an in-memory stream pair whose far end is served by the
 * engine in this process — the client still builds, signs and parses real HTTP exactly
 * as it does against Alibaba Cloud, but no port is opened.
 *
 * ```ts
 * import RPCClient from '@alicloud/pop-core'
 * const agent = aliyunKmsAgent(kms)
 * const client = new RPCClient({
 *   endpoint: 'http://kms.cn-hangzhou.aliyuncs.com', apiVersion: '2016-01-20',
 *   accessKeyId: 'test', accessKeySecret: 'test', opts: { agent },
 * })
 * await client.request('Encrypt', { KeyId: 'alias/app', Plaintext: 'aGVsbG8=' }, { method: 'POST' })
 * agent.destroy()
 * ```
 *
 * Which official clients can use it: `@alicloud/pop-core` (its `opts.agent`). The Tea-based
 * clients (`@alicloud/kms20160120`, `@alicloud/openapi-client`) build their own agent for
 * every request and take none, so they need the loopback server (server.ts). The endpoint
 * must be an `http://` URL: the stream pair carries no TLS.
 */
import { Agent, createServer, type AgentOptions } from 'node:http'
import type { Socket } from 'node:net'
import { Duplex } from 'node:stream'
import type { Engine } from './engine.js'
import { aliyunKmsProtocol, type AliyunKmsOptions } from './protocol.js'
import { requestListener } from './server.js'

/**
 * Two connected in-memory streams, each with the few `net.Socket` methods node:http calls
 * on its connections (keep-alive, no-delay, timeouts are meaningless in memory).
 */
function socketPair(): [Duplex, Duplex] {
  const ends: Duplex[] = []
  const make = (peer: () => Duplex): Duplex => new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      peer().push(chunk)
      callback()
    },
    final(callback) {
      peer().push(null)
      callback()
    },
    destroy(error, callback) {
      // The other end sees the connection close, as with a real socket.
      if (!peer().destroyed) peer().push(null)
      callback(error)
    },
  })
  ends.push(make(() => ends[1]!), make(() => ends[0]!))
  for (const end of ends) {
    Object.assign(end, {
      setKeepAlive: () => end, setNoDelay: () => end, ref: () => end, unref: () => end, remoteAddress: '127.0.0.1',
      setTimeout: (_ms: number, callback?: () => void) => {
        if (callback !== undefined) end.once('timeout', callback)
        return end
      },
    })
  }
  return [ends[0]!, ends[1]!]
}

/** An `http.Agent` whose connections are served by `kms` in this process (see the module doc). */
export function aliyunKmsAgent(kms: Engine, options: AliyunKmsOptions = {}, agentOptions: AgentOptions = { keepAlive: true }): Agent {
  const server = createServer(requestListener(aliyunKmsProtocol(kms, options)))
  class InProcessAgent extends Agent {
    override createConnection(): Socket {
      const [client, served] = socketPair()
      server.emit('connection', served)
      return client as unknown as Socket
    }
  }
  return new InProcessAgent(agentOptions)
}
