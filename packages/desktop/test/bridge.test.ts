/**
 * The KMS bridge over real message channels (node:worker_threads MessageChannel, and a
 * Worker thread playing the renderer): typed calls with Uint8Arrays crossing by structured
 * clone, a principal per window (its policies and its audit records), the allow-list
 * enforced in main whatever the client sends, and errors re-created with their codes.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { afterEach, describe, expect, it } from 'vitest'
import { Kms, KmsError, type OperationName } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { connectKmsBridge, serveKmsBridge, type KmsBridgeClient } from '@strongroom/desktop'

const here = path.dirname(fileURLToPath(import.meta.url))
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function engine(): Promise<{ kms: Kms; keyId: string }> {
  const kms = await Kms.open({ storage: memoryStorage() })
  cleanups.push(() => kms.close())
  const { keyId } = (await kms.createKey({ description: 'notes' })).keyMetadata
  return { kms, keyId }
}

/** Gives `principal` an identity policy allowing `actions` on every key. */
async function allow(kms: Kms, principal: string, actions: string[]): Promise<void> {
  const policyName = `${principal}-policy`
  await kms.createPolicy({ policyName, policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } })
  await kms.attachPolicy({ policyName, principal })
}

/** A window: main serves one end of a real MessageChannel, the window's client holds the other. */
function openWindow<Ops extends OperationName>(kms: Kms, principal: string, operations: Ops[]): { client: KmsBridgeClient<Ops>; port: MessagePort } {
  const { port1, port2 } = new MessageChannel()
  const server = serveKmsBridge(kms, port1, { principal, operations })
  const client = connectKmsBridge<Ops>(port2)
  cleanups.push(() => {
    client.close()
    server.close()
    port1.close()
    port2.close()
  })
  return { client, port: port2 }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('the KMS bridge over a MessageChannel', () => {
  it('encrypts and decrypts from a window: Uint8Arrays cross, responses have the engine\'s shape', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-notes', ['kms:Encrypt', 'kms:Decrypt'])
    const { client } = openWindow(kms, 'window-notes', ['encrypt', 'decrypt'])
    const encrypted = await client.encrypt({ keyId, plaintext: utf8('a note'), encryptionContext: { doc: '1' } })
    expect(encrypted.keyId).toBe(keyId)
    expect(encrypted.ciphertextBlob).toBeInstanceOf(Uint8Array)
    const decrypted = await client.decrypt({ ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: { doc: '1' } })
    expect(decrypted.plaintext).toBeInstanceOf(Uint8Array)
    expect(text(decrypted.plaintext)).toBe('a note')
    // The owner's engine decrypts what the window encrypted: one keystore, many windows.
    expect(text((await kms.decrypt({ ciphertextBlob: encrypted.ciphertextBlob, encryptionContext: { doc: '1' } })).plaintext)).toBe('a note')
  })

  it('runs each window as its principal: its policies decide, and the audit trail names it', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-editor', ['kms:Encrypt'])
    const editor = openWindow(kms, 'window-editor', ['encrypt']).client
    const viewer = openWindow(kms, 'window-viewer', ['encrypt']).client
    await editor.encrypt({ keyId, plaintext: utf8('x') })
    const refused = await rejection(viewer.encrypt({ keyId, plaintext: utf8('x') }))
    expect(refused).toBeInstanceOf(KmsError)
    expect((refused as KmsError).code).toBe('Forbidden.NoPermission')
    expect(refused.message).toMatch(/^window-viewer is not allowed to perform kms:Encrypt/)

    const trail = (await kms.audit.query({})).records.filter((r) => r.eventName === 'Encrypt')
    expect(trail.map(({ principal, result }) => `${principal} ${result}`)).toEqual(['window-editor Success', 'window-viewer Failure'])
  })

  it('enforces the window\'s allow-list in main, whatever the client sends', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-notes', ['kms:*'])
    const { client, port } = openWindow(kms, 'window-notes', ['encrypt'])
    const wide = client as unknown as KmsBridgeClient
    const refused = await rejection(wide.generateDataKey({ keyId }))
    expect(KmsError.is(refused, 'Forbidden.NoPermission')).toBe(true)
    expect(refused.message).toBe('this window (window-notes) may not call kms:GenerateDataKey through the bridge')
    // Not an engine operation at all, sent by hand on the port.
    const raw = new Promise<unknown>((resolve) => port.once('message', resolve))
    port.postMessage({ protocol: 'strongroom/kms-bridge/1', id: 999_999, operation: 'constructor', request: {} })
    expect(await raw).toMatchObject({ id: 999_999, ok: false, error: { code: 'InvalidParameter' } })
    // Refused by the bridge, so the engine never saw them.
    expect((await kms.audit.query({ principal: 'window-notes' })).records).toEqual([])
  })

  it('re-creates errors with their code, TypeError as TypeError; nothing secret crosses in them', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-notes', ['kms:*'])
    const { client } = openWindow(kms, 'window-notes', ['decrypt', 'encrypt', 'describeKey'])
    expect((await rejection(client.decrypt({ ciphertextBlob: new Uint8Array(40).fill(7) })) as KmsError).code).toBe('InvalidCiphertext')
    expect((await rejection(client.describeKey({ keyId: '00000000-0000-4000-8000-000000000000' })) as KmsError).code).toBe('Forbidden.KeyNotFound')
    const misuse = await rejection(client.encrypt({ keyId, plaintext: 'secret words' as unknown as Uint8Array }))
    expect(misuse).toBeInstanceOf(TypeError)
    expect(misuse.message).not.toContain('secret words')
  })

  it('refuses to serve an unknown operation name, and close() rejects the calls still pending', async () => {
    const { kms, keyId } = await engine()
    const { port1, port2 } = new MessageChannel()
    expect(() => serveKmsBridge(kms, port1, { principal: 'w', operations: ['encrypt', 'toString' as OperationName] })).toThrow(/toString is not an operation/)
    // Nobody serves port1: the call stays pending until the client closes.
    const client = connectKmsBridge(port2)
    const pending = client.encrypt({ keyId, plaintext: utf8('x') })
    client.close()
    expect(KmsError.is(await rejection(pending), 'Closed')).toBe(true)
    expect(KmsError.is(await rejection(client.encrypt({ keyId, plaintext: utf8('x') })), 'Closed')).toBe(true)
    port1.close()
    port2.close()
  })

  it('works on a web-style port (addEventListener, start) as a renderer\'s MessagePort is', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-web', ['kms:Encrypt'])
    const { port1, port2 } = new MessageChannel()
    const server = serveKmsBridge(kms, port1, { principal: 'window-web', operations: ['encrypt'] })
    // Only the web MessagePort surface of the real port: no on/off.
    const webPort = {
      postMessage: (message: unknown) => port2.postMessage(message),
      addEventListener: (event: 'message', listener: (e: { data: unknown }) => void) => port2.addEventListener(event, listener as never),
      removeEventListener: (event: 'message', listener: (e: { data: unknown }) => void) => port2.removeEventListener(event, listener as never),
      start: () => port2.start(),
    }
    const client = connectKmsBridge<'encrypt'>(webPort)
    expect((await client.encrypt({ keyId, plaintext: utf8('web') })).keyId).toBe(keyId)
    client.close()
    server.close()
    port1.close()
    port2.close()
  })

  it('unwraps the { data, ports } events Electron\'s MessagePortMain hands its on(\'message\') listeners', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-electron', ['kms:Encrypt'])
    const { port1, port2 } = new MessageChannel()
    // Main's end shaped like MessagePortMain: listeners get an event object, and start() must be called.
    let started = false
    const mainPort = {
      postMessage: (message: unknown) => port1.postMessage(message),
      on: (event: 'message', listener: (message: unknown) => void) => port1.on(event, (data: unknown) => {
        if (started) listener({ data, ports: [] })
      }),
      off: () => undefined,
      start: () => {
        started = true
      },
    }
    const server = serveKmsBridge(kms, mainPort, { principal: 'window-electron', operations: ['encrypt'] })
    const client = connectKmsBridge<'encrypt'>(port2)
    expect((await client.encrypt({ keyId, plaintext: utf8('electron') })).keyId).toBe(keyId)
    client.close()
    server.close()
    port1.close()
    port2.close()
  })

  it('many calls in flight at once are answered each to its own caller', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-notes', ['kms:Encrypt', 'kms:Decrypt'])
    const { client } = openWindow(kms, 'window-notes', ['encrypt', 'decrypt'])
    const notes = Array.from({ length: 50 }, (_, i) => `note ${i}`)
    const blobs = await Promise.all(notes.map((n) => client.encrypt({ keyId, plaintext: utf8(n) })))
    const back = await Promise.all(blobs.map((b) => client.decrypt({ ciphertextBlob: b.ciphertextBlob })))
    expect(back.map((r) => text(r.plaintext))).toEqual(notes)
  })
})

describe('the KMS bridge with a renderer in a Worker thread', () => {
  it('the worker encrypts and decrypts through its port, and its wider call is refused in main', async () => {
    const { kms, keyId } = await engine()
    await allow(kms, 'window-worker', ['kms:*'])
    const { port1, port2 } = new MessageChannel()
    const server = serveKmsBridge(kms, port1, { principal: 'window-worker', operations: ['encrypt', 'decrypt'] })
    const worker = new Worker(path.join(here, 'fixtures/renderer-worker.mjs'), {
      workerData: { port: port2, keyId }, transferList: [port2], execArgv: ['--conditions=source'],
    })
    const outcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    server.close()
    port1.close()
    expect(outcome).toMatchObject({ decrypted: 'from the renderer thread', isUint8Array: true, refused: 'KmsError Forbidden.NoPermission' })
    expect(text((await kms.decrypt({ ciphertextBlob: outcome['ciphertextBlob'] as Uint8Array })).plaintext)).toBe('from the renderer thread')
    const trail = (await kms.audit.query({ principal: 'window-worker' })).records.map((r) => r.eventName)
    expect(trail).toEqual(['Encrypt', 'Decrypt'])
  }, 60_000)
})
