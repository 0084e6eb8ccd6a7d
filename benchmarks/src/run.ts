/**
 * Engine hot paths against the raw `node:crypto` AES-256-GCM call, in the same run, on
 * memory storage and on LevelDB (classic-level, fsync'd commits).
 *
 * Run: `npx -y pnpm@12.21.0 bench` (from the repository root). Options:
 * `--quick` for fewer rounds (CI smoke), `--json` to print machine-readable results.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Kms, passphraseRootKey, rawRootKey, type RootKeyProvider, type StorageAdapter } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { compare, formatTable, type Comparison } from './harness.js'

const quick = process.argv.includes('--quick')
const json = process.argv.includes('--json')
const rounds = quick ? 5 : 15
const batch = quick ? 500 : 2000

const key = randomFillSync(new Uint8Array(32))
const nonce = randomFillSync(new Uint8Array(12))
// The same authenticated data the engine binds: a 62-byte blob header and the 16-byte canonical context.
const aad = randomFillSync(new Uint8Array(62 + 16))
const kib = randomFillSync(new Uint8Array(1024))
const dataKeySized = randomFillSync(new Uint8Array(32))

/** One raw AES-256-GCM encryption, the primitive every engine call is measured against. */
function rawEncrypt(plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad)
  const out = cipher.update(plaintext)
  cipher.final()
  cipher.getAuthTag()
  return out
}

const rawSealed = (() => {
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad)
  const ct = cipher.update(kib)
  cipher.final()
  return { ct, tag: cipher.getAuthTag() }
})()

function rawDecrypt(): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce)
  decipher.setAAD(aad)
  decipher.setAuthTag(rawSealed.tag)
  const out = decipher.update(rawSealed.ct)
  decipher.final()
  return out
}

/**
 * The engine's own cost (audit off), then encrypt with the audit trail on (its default),
 * which adds one record per call, hash-chained and group-committed.
 */
async function benchStorage(label: string, storage: StorageAdapter, rootKey: RootKeyProvider, auditTarget = 3) {
  const kms = await Kms.open({ storage, rootKey, audit: false, closeStorage: false })
  const { keyMetadata } = await kms.createKey({ description: 'bench' })
  const keyId = keyMetadata.keyId
  const encryptionContext = { tenant: 'acme' }
  const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: kib, encryptionContext })
  const rows: (Comparison & { target: number })[] = []
  const run = async (name: string, baseline: () => unknown, candidate: () => unknown, target: number) => {
    rows.push({ ...(await compare({ name: `${name} (${label})`, baseline, candidate, batch, rounds })), target })
  }
  await run('encrypt 1 KiB', () => rawEncrypt(kib), () => kms.encrypt({ keyId, plaintext: kib, encryptionContext }), 2)
  await run('decrypt 1 KiB', rawDecrypt, () => kms.decrypt({ ciphertextBlob, encryptionContext }), 2)
  await run('generateDataKey AES_256', () => rawEncrypt(dataKeySized), () => kms.generateDataKey({ keyId, keySpec: 'AES_256', encryptionContext }), 2)
  await kms.close()
  const audited = await Kms.open({ storage, rootKey })
  await run('encrypt 1 KiB, audit on', () => rawEncrypt(kib), () => audited.encrypt({ keyId, plaintext: kib, encryptionContext }), auditTarget)
  await audited.close()
  return rows
}

const dir = mkdtempSync(join(tmpdir(), 'strongroom-bench-'))
try {
  // Whichever suite runs first in a process measures the JIT and the heap growing, not the
  // steady state (seen as a 0.3-0.5× penalty on the first storage, whichever it was): run
  // one unreported pass over everything first.
  await benchStorage('warm-up', memoryStorage(), rawRootKey(randomFillSync(new Uint8Array(32))))
  const rows = [
    ...(await benchStorage('memory', memoryStorage(), rawRootKey(randomFillSync(new Uint8Array(32))))),
    ...(await benchStorage('LevelDB', levelStorage(new ClassicLevel(dir)), passphraseRootKey('benchmark passphrase', { N: 2 ** 14 }), 4)),
  ]
  if (json) console.log(JSON.stringify(rows, null, 2))
  else {
    console.log(`Strongroom engine vs raw node:crypto AES-256-GCM (Node ${process.version}, ${rounds} rounds × ${batch} ops, median ratio)\n`)
    console.log(formatTable(rows))
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
