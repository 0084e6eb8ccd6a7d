/**
 * keychainRootKey against a real OS credential store. On Linux that is a Secret Service
 * (gnome-keyring-daemon) on the session bus: `pnpm --filter @strongroom/desktop test:keychain`
 * starts one under dbus-run-session and runs this file there. Without a session bus
 * (a plain `vitest run`) the Secret Service cases skip with a visible message, and only the
 * "no credential store" case runs.
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AsyncEntry } from '@napi-rs/keyring'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Kms, KmsError, type KmsErrorCode, type RootKeyProvider } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { keychainRootKey } from '@strongroom/desktop'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const hasSessionBus = process.env['DBUS_SESSION_BUS_ADDRESS'] !== undefined || process.platform !== 'linux'
if (!hasSessionBus) {
  if (process.env['STRONGROOM_KEYCHAIN_REQUIRED'] === '1') throw new Error('STRONGROOM_KEYCHAIN_REQUIRED=1 but no D-Bus session bus is set')
  console.warn('\n*** SKIPPED: keychainRootKey against a real Secret Service (no DBUS_SESSION_BUS_ADDRESS);' +
    ' run `pnpm --filter @strongroom/desktop test:keychain` ***\n')
}

let dir: string
const entries: Array<{ service: string; account: string }> = []
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-keychain-'))
})
afterEach(async () => {
  fs.rmSync(dir, { recursive: true, force: true })
  for (const { service, account } of entries.splice(0)) {
    await new AsyncEntry(service, account, { linux: { store: 'secret-service' } }).deleteCredential()
  }
})

/** A keychain entry unique to this test, deleted afterwards. */
function freshEntry(): { service: string; account: string } {
  const entry = { service: `strongroom-test-${randomUUID()}`, account: 'keystore' }
  entries.push(entry)
  return entry
}

const openAt = (rootKey: RootKeyProvider): Promise<Kms> => Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey })

async function codeOf(promise: Promise<unknown>): Promise<KmsErrorCode | 'success'> {
  try {
    await promise
    return 'success'
  } catch (error) {
    if (KmsError.is(error)) return error.code
    throw error
  }
}

async function rawValues(): Promise<string> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
  try {
    return (await db.iterator().all()).map(([k, v]) => k + Buffer.from(v).toString('latin1')).join('\n')
  } finally {
    await db.close()
  }
}

describe.skipIf(!hasSessionBus)('keychainRootKey on a real Secret Service', () => {
  it('creates a random root key in the entry on first open, and only there; the keystore reopens with it', async () => {
    const entry = freshEntry()
    const kms = await openAt(keychainRootKey(entry))
    const { keyMetadata } = await kms.createKey({})
    const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('kept') })
    await kms.close()

    const stored = await new AsyncEntry(entry.service, entry.account, { linux: { store: 'secret-service' } }).getPassword()
    expect(stored).toMatch(/^strongroom-root-v1:[A-Za-z0-9+/]{43}=$/)
    const secret = Buffer.from(stored!.split(':')[1]!, 'base64')
    const disk = await rawValues()
    expect(disk).not.toContain(secret.toString('latin1'))
    expect(disk).not.toContain(stored!)

    const again = await openAt(keychainRootKey(entry))
    expect(new TextDecoder().decode((await again.decrypt({ ciphertextBlob })).plaintext)).toBe('kept')
    await again.close()
  })

  it('two keystores get different root keys; a keystore opened with another entry is RootKeyMismatch', async () => {
    const first = freshEntry()
    await (await openAt(keychainRootKey(first))).close()
    const other = freshEntry()
    expect(await codeOf(openAt(keychainRootKey(other)))).toBe('RootKeyMismatch')
    // The refused open created nothing in the other entry.
    expect(await new AsyncEntry(other.service, other.account, { linux: { store: 'secret-service' } }).getPassword()).toBeNull()
  })

  it('a deleted entry is RootKeyMismatch and writes nothing', async () => {
    const entry = freshEntry()
    await (await openAt(keychainRootKey(entry))).close()
    const before = await rawValues()
    await new AsyncEntry(entry.service, entry.account, { linux: { store: 'secret-service' } }).deleteCredential()
    const error = await openAt(keychainRootKey(entry)).catch((e: unknown) => e)
    expect(KmsError.is(error, 'RootKeyMismatch')).toBe(true)
    expect((error as Error).message).toContain(`${entry.service}/${entry.account}" does not exist`)
    expect(await rawValues()).toBe(before)
  })

  it('an existing entry is reused for a new keystore, never overwritten', async () => {
    const entry = freshEntry()
    await (await openAt(keychainRootKey(entry))).close()
    const keychain = new AsyncEntry(entry.service, entry.account, { linux: { store: 'secret-service' } })
    const before = await keychain.getPassword()
    fs.rmSync(dir, { recursive: true, force: true })
    await (await openAt(keychainRootKey(entry))).close()
    expect(await keychain.getPassword()).toBe(before)
  })

  it('an entry holding something else is CorruptRecord', async () => {
    const entry = freshEntry()
    await (await openAt(keychainRootKey(entry))).close()
    await new AsyncEntry(entry.service, entry.account, { linux: { store: 'secret-service' } }).setPassword('hunter2')
    expect(await codeOf(openAt(keychainRootKey(entry)))).toBe('CorruptRecord')
  })
})

describe('keychainRootKey without a credential store', () => {
  it.skipIf(process.platform !== 'linux')('no reachable Secret Service is StorageFailure, and nothing is written', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path.join(dir, 'no-bus')}` }
    const keystore = path.join(dir, 'keystore')
    const { stdout } = await run('npx', ['tsx', '--conditions=source', path.join(here, 'fixtures/open-with-keychain.ts'), keystore, 'strongroom-test-none', 'keystore'],
      { env, cwd: here, timeout: 60_000 })
    const outcome = JSON.parse(stdout.trim().split('\n').at(-1)!) as { code?: string; message?: string }
    expect(outcome.code).toBe('StorageFailure')
    expect(outcome.message).toMatch(/OS credential store holding the keychain entry "strongroom-test-none\/keystore" cannot be used/)
    const db = new ClassicLevel(keystore)
    expect(await db.keys().all()).toEqual([])
    await db.close()
  }, 90_000)

  it('refuses empty names', () => {
    expect(() => keychainRootKey({ service: '', account: 'a' })).toThrow(/service must be a string/)
  })
})
