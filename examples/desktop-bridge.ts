/**
 * The Electron recipe, runnable in plain Node: the "main process" owns the engine; two
 * "windows" (here: worker-thread message channels, as Electron's MessageChannelMain would
 * be) each get a narrow client bound to their own principal and allow-list. The notes
 * window encrypts and decrypts; the capture window may only encrypt, so plaintext never
 * crosses its port; the audit trail shows who did what.
 *
 * Run it: `npx tsx --conditions=source examples/desktop-bridge.ts`
 */
import { MessageChannel } from 'node:worker_threads'
import { Kms, KmsError } from '@strongroom/core'
import { connectKmsBridge, serveKmsBridge } from '@strongroom/desktop'
import { memoryStorage } from '@strongroom/storage-memory'

export interface DesktopBridgeOutcome {
  readonly notesWindowRead: string
  readonly captureWindowRefused: string
  readonly trail: readonly string[]
}

export async function desktopBridgeDemo(): Promise<DesktopBridgeOutcome> {
  // ---- main process: the engine, its key, and what each window's principal may do.
  const kms = await Kms.open({ storage: memoryStorage() })
  const { keyId } = (await kms.createKey({ description: 'notes' })).keyMetadata
  await kms.createAlias({ aliasName: 'alias/notes', keyId })
  await kms.createPolicy({
    policyName: 'notes-window',
    policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' }] },
  })
  await kms.attachPolicy({ policyName: 'notes-window', principal: 'window-notes' })
  await kms.createPolicy({
    policyName: 'capture-window',
    policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] },
  })
  await kms.attachPolicy({ policyName: 'capture-window', principal: 'window-capture' })

  const notesChannel = new MessageChannel()
  const captureChannel = new MessageChannel()
  const servers = [
    serveKmsBridge(kms, notesChannel.port1, { principal: 'window-notes', operations: ['encrypt', 'decrypt'] }),
    serveKmsBridge(kms, captureChannel.port1, { principal: 'window-capture', operations: ['encrypt'] }),
  ]

  // ---- the windows: each holds only its end of its channel.
  const notes = connectKmsBridge<'encrypt' | 'decrypt'>(notesChannel.port2)
  const capture = connectKmsBridge<'encrypt'>(captureChannel.port2)

  const { ciphertextBlob } = await capture.encrypt({ keyId: 'alias/notes', plaintext: new TextEncoder().encode('meeting at 10') })
  const { plaintext } = await notes.decrypt({ ciphertextBlob })
  let captureWindowRefused = ''
  try {
    // The capture window's client has no decrypt in its type; a compromised renderer could send one anyway.
    await (capture as unknown as typeof notes).decrypt({ ciphertextBlob })
  } catch (error) {
    if (!KmsError.is(error, 'Forbidden.NoPermission')) throw error
    captureWindowRefused = `${error.code}: ${error.message}`
  }

  const { records } = await kms.audit.query({})
  notes.close()
  capture.close()
  for (const server of servers) server.close()
  for (const port of [notesChannel.port1, notesChannel.port2, captureChannel.port1, captureChannel.port2]) port.close()
  await kms.close()
  return {
    notesWindowRead: new TextDecoder().decode(plaintext),
    captureWindowRefused,
    trail: records.filter((r) => r.principal.startsWith('window-')).map((r) => `${r.principal} ${r.eventName} ${r.result}`),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await desktopBridgeDemo()
  console.log(`notes window read:       "${outcome.notesWindowRead}"`)
  console.log(`capture window refused:  ${outcome.captureWindowRefused}`)
  console.log('audit trail:')
  for (const line of outcome.trail) console.log(`  ${line}`)
}
