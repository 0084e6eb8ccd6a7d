/**
 * Electron main process: owns the keystore, its root key (protected by safeStorage) and
 * the engine; gives each window a port to a bridge bound to that window's principal and
 * allow-list. See README.md to run it.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, MessageChannelMain, safeStorage } from 'electron'
import { ClassicLevel } from 'classic-level'
import { Kms, KmsError, type OperationName } from '@strongroom/core'
import { safeStorageRootKey, serveKmsBridge } from '@strongroom/desktop'
import { levelStorage } from '@strongroom/storage-level'

const here = path.dirname(fileURLToPath(import.meta.url))

await app.whenReady()
const data = app.getPath('userData')
const kms = await Kms.open({
  storage: levelStorage(new ClassicLevel(path.join(data, 'keystore'))),
  // After app.whenReady(): safeStorage is not available before.
  rootKey: safeStorageRootKey(safeStorage, { file: path.join(data, 'keystore.rootkey') }),
})

// First run: the notes key, and what each window's principal may do with it.
const aliases = await kms.listAliases({})
if (!aliases.aliases.some((a) => a.aliasName === 'alias/notes')) {
  const { keyId } = (await kms.createKey({ description: 'notes' })).keyMetadata
  await kms.createAlias({ aliasName: 'alias/notes', keyId })
  await kms.createPolicy({
    policyName: 'notes-window',
    policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*' }] },
  })
  await kms.attachPolicy({ policyName: 'notes-window', principal: 'window-notes' })
}

/** One window: its own port pair, principal and allow-list; the bridge stops when it closes. */
function openWindow(principal: string, operations: OperationName[], page: string): void {
  const window = new BrowserWindow({
    width: 640, height: 480,
    webPreferences: { preload: path.join(here, 'preload.cjs'), contextIsolation: true, sandbox: true, nodeIntegration: false },
  })
  const { port1, port2 } = new MessageChannelMain()
  const server = serveKmsBridge(kms, port1, {
    principal, operations,
    onError: (error, operation) => console.error(`bridge ${principal} ${operation}:`, error),
  })
  window.webContents.once('did-finish-load', () => window.webContents.postMessage('strongroom-kms', null, [port2]))
  window.on('closed', () => {
    server.close()
    port1.close()
  })
  void window.loadFile(path.join(here, page))
}

openWindow('window-notes', ['encrypt', 'decrypt'], 'index.html')

app.on('window-all-closed', () => {
  void kms.close().catch((error: unknown) => console.error(KmsError.is(error) ? error.code : error)).finally(() => app.quit())
})
