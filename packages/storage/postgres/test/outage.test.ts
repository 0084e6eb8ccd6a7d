/**
 * A network outage between one process and the database, made with a real TCP proxy in
 * front of the real server: while the subscription is down the adapter keeps telling its
 * engine that everything may have changed, so nothing loaded before or during the outage
 * is trusted; once the network is back it re-subscribes and hears commits again.
 */
import net from 'node:net'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { EVERYTHING_CHANGED, Kms, KmsError, rawRootKey, type StorageAdapter, type StorageChange } from '@strongroom/core'
import { postgresStorage } from '@strongroom/storage-postgres'
import { OUTAGE_INVALIDATION_MS } from '../src/hub.js'
import { POSTGRES_URL, eventually, probeServer, skipLoudly, untilHeard } from './server.js'

/** Forwards TCP to the server; `cut()` drops every connection and refuses new ones until `restore()`. */
async function tcpProxy(host: string, port: number) {
  const sockets = new Set<net.Socket>()
  let down = false
  const server = net.createServer((client) => {
    if (down) return void client.destroy()
    const upstream = net.connect(port, host)
    const close = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', close)
      socket.on('close', close)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true
      for (const socket of sockets) socket.destroy()
    },
    restore() {
      down = false
    },
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const server = await probeServer()
const ROOT_KEY = new Uint8Array(32).fill(21)

if (server === undefined) {
  skipLoudly()
} else {
  const target = new URL(POSTGRES_URL)
  const proxy = await tcpProxy(target.hostname, Number(target.port || 5432))
  const proxied = new URL(POSTGRES_URL)
  proxied.hostname = '127.0.0.1'
  proxied.port = String(proxy.port)
  const cleanups: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    proxy.restore()
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    await server.dropSchemas()
  })
  afterAll(async () => {
    await proxy.close()
    await server.end()
  })

  describe('postgres: a network outage between one process and the database', () => {
    it(`announces EVERYTHING_CHANGED every ${OUTAGE_INVALIDATION_MS} ms while cut off, then re-subscribes`, async () => {
      const schema = server.freshSchema()
      const victim: StorageAdapter = postgresStorage(server.pool({ connectionString: proxied.href, connectionTimeoutMillis: 500 }), { schema })
      const observer: StorageAdapter = postgresStorage(server.pool(), { schema })
      cleanups.push(() => observer.close(), () => victim.close())
      const seen: StorageChange[][] = []
      victim.watch!((changes) => seen.push([...changes]))
      await victim.get('warm-up')

      proxy.cut()
      await new Promise((resolve) => setTimeout(resolve, 4 * OUTAGE_INVALIDATION_MS + 100))
      const everything = seen.filter((changes) => changes.length === 1 && changes[0]!.key === EVERYTHING_CHANGED.key)
      expect(everything.length).toBeGreaterThanOrEqual(4)
      await expect(victim.get('k')).rejects.toSatisfy((error: unknown) => KmsError.is(error, 'StorageFailure'))

      proxy.restore()
      await eventually(() => victim.get('k').then(() => true, () => false), 10_000)
      await untilHeard(observer, seen)
      // …and the outage announcements have stopped.
      const count = seen.length
      await new Promise((resolve) => setTimeout(resolve, 2 * OUTAGE_INVALIDATION_MS + 50))
      expect(seen.slice(count)).toEqual([])
    })

    it('an engine cut off never serves a key disabled elsewhere during the outage; once back, it refuses it', async () => {
      const schema = server.freshSchema()
      const rootKey = () => rawRootKey(ROOT_KEY.slice())
      const cutOff = await Kms.open({ storage: postgresStorage(server.pool({ connectionString: proxied.href, connectionTimeoutMillis: 500 }), { schema }), rootKey: rootKey() })
      const other = await Kms.open({ storage: postgresStorage(server.pool(), { schema }), rootKey: rootKey(), audit: false })
      cleanups.push(() => other.close(), () => cutOff.close().catch(() => undefined))
      const keyId = (await other.createKey()).keyMetadata.keyId
      await cutOff.encrypt({ keyId, plaintext: new Uint8Array([1]) }) // hot in its cache

      proxy.cut()
      await other.disableKey({ keyId })
      await new Promise((resolve) => setTimeout(resolve, 2 * OUTAGE_INVALIDATION_MS))
      const during = await cutOff.encrypt({ keyId, plaintext: new Uint8Array([2]) }).then(() => 'served', (error: unknown) => (KmsError.is(error) ? error.code : String(error)))
      expect(during).not.toBe('served')

      proxy.restore()
      await eventually(async () => {
        try {
          await cutOff.encrypt({ keyId, plaintext: new Uint8Array([3]) })
          throw new Error('a disabled key was served')
        } catch (error) {
          if (KmsError.is(error, 'Rejected.Disabled')) return true
          if (KmsError.is(error, 'StorageFailure') || KmsError.is(error, 'AuditFailure')) return false
          throw error
        }
      }, 10_000)
    })
  })
}
