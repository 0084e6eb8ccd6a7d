/**
 * Preload (sandboxed, context-isolated): receives the window's port from main, connects
 * the bridge client, and exposes to the page only the two calls this window is allowed.
 * Bundle it (see README.md): a sandboxed preload cannot load packages itself.
 */
import { contextBridge, ipcRenderer } from 'electron'
import { KmsError } from '@strongroom/core'
import { connectKmsBridge, type KmsBridgeClient } from '@strongroom/desktop/bridge'

const client = new Promise<KmsBridgeClient<'encrypt' | 'decrypt'>>((resolve) => {
  ipcRenderer.once('strongroom-kms', (event) => resolve(connectKmsBridge<'encrypt' | 'decrypt'>(event.ports[0]!)))
})

/** contextBridge passes only an error's message to the page: keep the code in it. */
async function withCode<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new Error(KmsError.is(error) ? `${error.code}: ${error.message}` : String(error))
  }
}

contextBridge.exposeInMainWorld('notes', {
  seal: (text: string): Promise<Uint8Array> => withCode(async () =>
    (await (await client).encrypt({ keyId: 'alias/notes', plaintext: new TextEncoder().encode(text) })).ciphertextBlob),
  open: (sealed: Uint8Array): Promise<string> => withCode(async () =>
    new TextDecoder().decode((await (await client).decrypt({ ciphertextBlob: sealed })).plaintext)),
})
