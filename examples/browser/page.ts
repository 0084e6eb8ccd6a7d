/**
 * A web page's keystore, as an app would build it: the engine on browser-level
 * (IndexedDB) through levelStorage, unlocked by a passphrase, with envelope encryption of
 * Blobs through web streams. Bundled by run.ts with esbuild for the browser; run.ts drives
 * it in headless Chromium and calls the functions it puts on `window.strongroom`.
 */
import { BrowserLevel } from 'browser-level'
import { Kms, KmsError, passphraseRootKey } from '@strongroom/core'
import { defaultCryptoProvider } from '@strongroom/crypto'
import { Envelope } from '@strongroom/envelope'
import { levelStorage } from '@strongroom/storage-level'
import { benchmarkKeystore } from './benchmark.js'

const PASSPHRASE = 'page passphrase'
const NOTE = 'hello from a web page'
/** A Blob of several envelope frames (64 KiB each), so the web streams do real work. */
const DOCUMENT = 'line of a document that is sealed in the browser\n'.repeat(5000)

const openKeystore = (passphrase = PASSPHRASE): Promise<Kms> =>
  Kms.open({ storage: levelStorage(new BrowserLevel('strongroom-keystore')), rootKey: passphraseRootKey(passphrase, { N: 2 ** 15 }) })

const toBase64 = (bytes: Uint8Array): string => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''))
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/** Reads a web stream into a Blob; a stream error rejects with the error itself (a KmsError). */
async function collect(stream: ReadableStream<Uint8Array>): Promise<Blob> {
  const parts: Uint8Array[] = []
  for (const reader = stream.getReader(); ;) {
    const { done, value } = await reader.read()
    if (done) return new Blob(parts)
    parts.push(value)
  }
}

/** Seals a Blob through web streams: Blob → sealWebStream → Blob. */
function sealBlob(envelope: Envelope, blob: Blob, keyIds: string[]): Promise<Blob> {
  return collect(blob.stream().pipeThrough(envelope.sealWebStream({ keyIds, encryptionContext: { doc: 'notes.txt' } })))
}

function openBlob(envelope: Envelope, sealed: Blob): Promise<Blob> {
  return collect(sealed.stream().pipeThrough(envelope.openWebStream({ encryptionContext: { doc: 'notes.txt' } })))
}

/** First visit: creates the keystore, a key and alias, encrypts a note, seals a Blob. */
async function firstVisit(): Promise<Record<string, unknown>> {
  const kms = await openKeystore()
  const { keyId } = (await kms.createKey({ description: 'page notes' })).keyMetadata
  await kms.createAlias({ aliasName: 'alias/page-notes', keyId })
  const { ciphertextBlob } = await kms.encrypt({ keyId: 'alias/page-notes', plaintext: new TextEncoder().encode(NOTE) })
  const sealed = await sealBlob(new Envelope({ kms }), new Blob([DOCUMENT], { type: 'text/plain' }), ['alias/page-notes'])
  // ECDSA P-256 and HMAC run in the page too; RSA does not (see the README's Browser section).
  const ec = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
  const message = new TextEncoder().encode(NOTE)
  const { value: signature } = await kms.asymmetricSign({ keyId: ec, algorithm: 'ECDSA_SHA_256', message })
  const signatureVerifies = (await kms.asymmetricVerify({ keyId: ec, algorithm: 'ECDSA_SHA_256', message, value: signature })).value
  const hmac = (await kms.createKey({ keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' })).keyMetadata.keyId
  const { mac } = await kms.generateMac({ keyId: hmac, message, macAlgorithm: 'HMAC_SHA_256' })
  const macVerifies = (await kms.verifyMac({ keyId: hmac, message, macAlgorithm: 'HMAC_SHA_256', mac })).macValid
  let rsa = 'created'
  try {
    await kms.createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN/VERIFY' })
  } catch (error) {
    rsa = KmsError.is(error) ? error.code : String(error)
  }
  await kms.close()
  return {
    provider: defaultCryptoProvider().name, keyId, signatureVerifies, macVerifies, rsa,
    ciphertextBlob: toBase64(ciphertextBlob), sealed: toBase64(new Uint8Array(await sealed.arrayBuffer())),
    documentLength: DOCUMENT.length, sealedLength: sealed.size,
  }
}

/** After a reload: the keystore is still there; the note decrypts, the Blob opens, a wrong passphrase is refused. */
async function afterReload(ciphertextBlob: string, sealed: string): Promise<Record<string, unknown>> {
  let wrongPassphrase = 'opened'
  try {
    await (await openKeystore('not the passphrase')).close()
  } catch (error) {
    wrongPassphrase = KmsError.is(error) ? error.code : String(error)
  }
  const kms = await openKeystore()
  const keys = (await kms.listKeys({})).keys.length // the notes, EC and HMAC keys
  const alias = (await kms.describeKey({ keyId: 'alias/page-notes' })).keyMetadata.keyId
  const note = new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: fromBase64(ciphertextBlob) })).plaintext)
  const opened = await (await openBlob(new Envelope({ kms }), new Blob([fromBase64(sealed)]))).text()
  const tampered = fromBase64(sealed)
  tampered[tampered.length - 100]! ^= 1
  let tamperedBlob = 'opened'
  try {
    await openBlob(new Envelope({ kms }), new Blob([tampered]))
  } catch (error) {
    tamperedBlob = KmsError.is(error) ? error.code : (error as Error).name
  }
  await kms.close()
  return { wrongPassphrase, keys, alias, note, documentOpened: opened === DOCUMENT, tamperedBlob }
}

async function bench(scale: number): Promise<unknown> {
  const db = new BrowserLevel('strongroom-bench')
  await db.open()
  await db.clear()
  const kms = await Kms.open({ storage: levelStorage(db), rootKey: passphraseRootKey(PASSPHRASE, { N: 2 ** 14 }) })
  try {
    return await benchmarkKeystore(kms, defaultCryptoProvider(), scale)
  } finally {
    await kms.close()
  }
}

Object.assign(globalThis, { strongroom: { firstVisit, afterReload, bench } })
// The workspace type-checks without the DOM library; this is the only DOM call the page needs.
;(globalThis as unknown as { document: { title: string } }).document.title = 'strongroom ready'
