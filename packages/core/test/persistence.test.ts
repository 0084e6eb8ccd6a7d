/**
 * A keystore on a real LevelDB directory: everything survives close and reopen, a wrong
 * root key fails fast and writes nothing, storage and events never see key material in
 * the clear, and an acknowledged write survives an abrupt process exit.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ClassicLevel } from 'classic-level'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ephemeralRootKey, Kms, passphraseRootKey, rawRootKey,
  type CryptoProvider, type KmsEvents, type RootKeyProvider,
} from '@strongroom/core'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { levelStorage } from '@strongroom/storage-level'
import { rejectsWith, utf8 } from './helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const workspace = path.resolve(here, '../../..')
const PASSPHRASE = 'correct horse battery staple'
const text = (b: Uint8Array): string => new TextDecoder().decode(b)
/** The cheapest scrypt cost the engine accepts, to keep tests fast. */
const passphrase = (pw: string): RootKeyProvider => passphraseRootKey(pw, { N: 2 ** 14 })

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-'))
})
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true })
})

/**
 * Opens an engine on the LevelDB directory of this test. Closing the engine closes the
 * database, and so does a failed open (the tests below re-open the directory right after
 * one, which LevelDB's LOCK would refuse otherwise).
 */
function openAt(rootKey: RootKeyProvider | undefined, extra: { crypto?: CryptoProvider } = {}): Promise<Kms> {
  const storage = levelStorage(new ClassicLevel(dir))
  return Kms.open({ storage, ...(rootKey === undefined ? {} : { rootKey }), ...extra })
}

/** Every raw entry of the database, internal keys included, read with a fresh ClassicLevel. */
async function rawEntries(): Promise<Array<[string, Uint8Array]>> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: 'utf8', valueEncoding: 'view' })
  try {
    return await db.iterator().all()
  } finally {
    await db.close()
  }
}

describe('reopening a LevelDB keystore', () => {
  it('keeps metadata, versions, aliases, tags, and old blobs decrypt', async () => {
    const kms = await openAt(passphrase(PASSPHRASE))
    const a = (await kms.createKey({ description: 'alpha', tags: [{ tagKey: 'env', tagValue: 'prod' }] })).keyMetadata
    const b = (await kms.createKey({ keySpec: 'Aliyun_AES_128', enableAutomaticRotation: true, rotationInterval: '30d' })).keyMetadata
    const blobs: Array<{ blob: Uint8Array; plaintext: string; context: Record<string, string>; keyVersionId: string }> = []
    const seal = async (keyId: string, plaintext: string, context: Record<string, string>): Promise<void> => {
      const r = await kms.encrypt({ keyId, plaintext: utf8(plaintext), encryptionContext: context })
      blobs.push({ blob: r.ciphertextBlob, plaintext, context, keyVersionId: r.keyVersionId })
    }
    await seal(a.keyId, 'a v1', { n: '1' })
    await kms.createKeyVersion({ keyId: a.keyId })
    await seal(a.keyId, 'a v2', { n: '2' })
    await kms.createKeyVersion({ keyId: a.keyId })
    await seal(a.keyId, 'a v3', {})
    await seal(b.keyId, 'b v1', { n: 'b' })
    await kms.createAlias({ aliasName: 'alias/alpha', keyId: a.keyId })
    await kms.createAlias({ aliasName: 'alias/beta', keyId: b.keyId })
    await kms.tagResource({ keyId: b.keyId, tags: [{ tagKey: 'team', tagValue: 'pay' }, { tagKey: 'tier', tagValue: '1' }] })
    await kms.disableKey({ keyId: b.keyId })
    await kms.setDeletionProtection({ keyId: a.keyId, enableDeletionProtection: true, deletionProtectionDescription: 'keep' })
    const dataKey = await kms.generateDataKey({ keyId: 'alias/alpha', encryptionContext: { file: 'x' } })

    const snapshot = async (k: Kms) => ({
      keys: await k.listKeys(),
      metadata: await Promise.all([a.keyId, b.keyId].map(async (keyId) => (await k.describeKey({ keyId })).keyMetadata)),
      versions: await Promise.all([a.keyId, b.keyId].map(async (keyId) => (await k.listKeyVersions({ keyId })).keyVersions)),
      aliases: (await k.listAliases()).aliases,
      tags: await Promise.all([a.keyId, b.keyId].map(async (keyId) => (await k.listResourceTags({ keyId })).tags)),
    })
    const before = await snapshot(kms)
    expect(before.versions[0]).toHaveLength(3)
    await kms.close()

    const reopened = await openAt(passphrase(PASSPHRASE))
    try {
      const after = await snapshot(reopened)
      const { keys: keysBefore, ...restBefore } = before
      const { keys: keysAfter, ...restAfter } = after
      expect(restAfter).toEqual(restBefore)
      expect(keysAfter.keys).toEqual(keysBefore.keys)
      expect(after.metadata[1]).toMatchObject({ keyState: 'Disabled', keySpec: 'Aliyun_AES_128', rotationInterval: '2592000s' })
      expect(after.metadata[0]).toMatchObject({ description: 'alpha', deletionProtection: 'Enabled', deletionProtectionDescription: 'keep' })

      await reopened.enableKey({ keyId: b.keyId })
      for (const { blob, plaintext, context, keyVersionId } of blobs) {
        const back = await reopened.decrypt({ ciphertextBlob: blob, encryptionContext: context })
        expect([text(back.plaintext), back.keyVersionId]).toEqual([plaintext, keyVersionId])
      }
      const dk = await reopened.decrypt({ ciphertextBlob: dataKey.ciphertextBlob, encryptionContext: { file: 'x' } })
      expect(dk.plaintext).toEqual(dataKey.plaintext)
      // The reopened keystore keeps working: new versions and blobs under the same root key.
      await reopened.createKeyVersion({ keyId: 'alias/alpha' })
      const fresh = await reopened.encrypt({ keyId: 'alias/alpha', plaintext: utf8('after reopen') })
      expect(text((await reopened.decrypt({ ciphertextBlob: fresh.ciphertextBlob })).plaintext)).toBe('after reopen')
    } finally {
      await reopened.close()
    }
  })

  it('a wrong passphrase fails fast with RootKeyMismatch and changes no byte', async () => {
    const kms = await openAt(passphrase(PASSPHRASE))
    const { keyId } = (await kms.createKey()).keyMetadata
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('x') })
    await kms.close()

    const before = await rawEntries()
    expect(before.length).toBeGreaterThanOrEqual(3) // header, key record, revision sequence
    expect(before.map(([k]) => k)).toContain('!records!meta/keystore')
    // Fast: one scrypt (N = 2^14) and nothing else — counted, not timed, so a loaded machine cannot fail it.
    const base = nodeCryptoProvider()
    let scrypts = 0
    const counting: CryptoProvider = { ...base, scrypt: (...args) => (scrypts++, base.scrypt(...args)) }
    const error = await rejectsWith(openAt(passphrase('wrong horse battery staple'), { crypto: counting }), 'RootKeyMismatch')
    expect(scrypts).toBe(1)
    expect(error.message).not.toContain('wrong horse')
    const after = await rawEntries()
    expect(after.map(([k, v]) => [k, Buffer.from(v).toString('hex')])).toEqual(before.map(([k, v]) => [k, Buffer.from(v).toString('hex')]))

    // Being refused does not damage the keystore for its owner.
    const again = await openAt(passphrase(PASSPHRASE))
    expect(text((await again.decrypt({ ciphertextBlob })).plaintext)).toBe('x')
    await again.close()
  })

  it('a root key of another kind is RootKeyMismatch; durable storage needs a persistent root key', async () => {
    const kms = await openAt(passphrase(PASSPHRASE))
    await kms.createKey()
    await kms.close()
    const before = await rawEntries()

    await rejectsWith(openAt(rawRootKey(new Uint8Array(32).fill(1))), 'RootKeyMismatch')
    await rejectsWith(openAt(undefined), 'InvalidParameter')
    await rejectsWith(openAt(ephemeralRootKey()), 'InvalidParameter')
    expect(await rawEntries()).toEqual(before)

    // On an empty durable store neither is accepted either, and nothing is initialised.
    fs.rmSync(dir, { recursive: true, force: true })
    fs.mkdirSync(dir)
    await rejectsWith(openAt(undefined), 'InvalidParameter')
    await rejectsWith(openAt(ephemeralRootKey()), 'InvalidParameter')
    expect(await rawEntries()).toEqual([])

    // And a raw-key keystore refuses a passphrase, and another raw key.
    const raw = await openAt(rawRootKey(new Uint8Array(32).fill(7)))
    await raw.createKey()
    await raw.close()
    await rejectsWith(openAt(passphrase(PASSPHRASE)), 'RootKeyMismatch')
    await rejectsWith(openAt(rawRootKey(new Uint8Array(32).fill(8))), 'RootKeyMismatch')
    const ok = await openAt(rawRootKey(new Uint8Array(32).fill(7)))
    expect((await ok.listKeys()).totalCount).toBe(1)
    await ok.close()
  })
})

// ---------------------------------------------------------------- no material in the clear

const BLOB_LABEL = utf8('strongroom/blob/v1')
const ROOT_LABEL = utf8('strongroom/root/')
const KEK_LABEL = utf8('strongroom/root/kek/v1')

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}

/** The forms a secret could leak in: raw bytes, hex, and base64 at each of the three alignments. */
function leakForms(secret: Uint8Array): { raw: Buffer; text: string[] } {
  const hex = Buffer.from(secret).toString('hex')
  const text = [hex, hex.toUpperCase()]
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]).toString('base64')
    // Drop the characters that mix in the alignment bytes or the unknown bytes after the secret.
    const core = b64.slice(shift === 0 ? 0 : shift + 1, b64.length - 4)
    text.push(core, core.replaceAll('+', '-').replaceAll('/', '_'))
  }
  return { raw: Buffer.from(secret), text }
}

function leaks(haystack: Uint8Array | string, secrets: ReadonlyArray<{ raw: Buffer; text: string[] }>): boolean {
  const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : Buffer.from(haystack)
  const latin1 = bytes.toString('latin1')
  return secrets.some((s) => bytes.includes(s.raw) || s.text.some((t) => latin1.includes(t)))
}

describe('storage never sees key material in the clear', () => {
  it('no record holds a version material, subkey, root secret, KEK or plaintext; no event either', async () => {
    const base = nodeCryptoProvider()
    const materials = new Map<string, Uint8Array>()
    const otherSecrets = new Map<string, Uint8Array>()
    const spy: CryptoProvider = {
      ...base,
      hkdfSha256(ikm, salt, info, length) {
        const out = base.hkdfSha256(ikm, salt, info, length)
        // HKDF inputs are wiped by the engine later: keep copies.
        if (startsWith(info, BLOB_LABEL)) {
          materials.set(Buffer.from(ikm).toString('hex'), ikm.slice())
          otherSecrets.set(Buffer.from(out).toString('hex'), out.slice()) // epoch subkey
        } else if (startsWith(info, ROOT_LABEL)) {
          otherSecrets.set(Buffer.from(ikm).toString('hex'), ikm.slice()) // root secret
          if (startsWith(info, KEK_LABEL)) otherSecrets.set(Buffer.from(out).toString('hex'), out.slice())
        }
        return out
      },
    }

    const kms = await openAt(passphrase(PASSPHRASE), { crypto: spy })
    const events: string[] = []
    const names: Array<keyof KmsEvents> = ['keyCreated', 'keyStateChanged', 'keyVersionCreated', 'keyUpdated', 'keyPurged', 'aliasChanged']
    for (const name of names) {
      kms.events.on(name, (payload: unknown) => {
        // Payloads hold identifiers, states and times; a byte array in one would be a leak in itself.
        JSON.stringify(payload, (_k, v: unknown) => {
          if (v instanceof Uint8Array) throw new Error(`${name} carries bytes`)
          return v
        })
        events.push(JSON.stringify(payload))
      })
    }

    const plaintexts: Uint8Array[] = []
    const encryptSome = async (keyId: string): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        const plaintext = base.randomFill(new Uint8Array(48))
        plaintexts.push(plaintext)
        const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext, encryptionContext: { i: String(i) } })
        expect((await kms.decrypt({ ciphertextBlob, encryptionContext: { i: String(i) } })).plaintext).toEqual(plaintext)
      }
      const dk = await kms.generateDataKey({ keyId })
      plaintexts.push(dk.plaintext.slice())
    }
    const keyIds: string[] = []
    let versions = 0
    for (const keySpec of ['Aliyun_AES_256', 'Aliyun_AES_128', 'Aliyun_AES_256'] as const) {
      const { keyId } = (await kms.createKey({ keySpec, description: 'leak test' })).keyMetadata
      keyIds.push(keyId)
      await encryptSome(keyId)
      versions++
      for (let v = 0; v < 2; v++) {
        await kms.createKeyVersion({ keyId })
        await encryptSome(keyId)
        versions++
      }
      await kms.createAlias({ aliasName: `alias/leak-${keyIds.length}`, keyId })
      await kms.tagResource({ keyId, tags: [{ tagKey: 'k', tagValue: 'v' }] })
      await kms.disableKey({ keyId })
      await kms.enableKey({ keyId })
    }
    await kms.scheduleKeyDeletion({ keyId: keyIds[2]!, pendingWindowInDays: 7 })
    await kms.close()

    // One material per version, and every one was used (so the scan below is not vacuous).
    expect(materials.size).toBe(versions)
    expect([...materials.values()].map((m) => m.length).sort()).toEqual([...Array(3).fill(16), ...Array(6).fill(32)].sort())
    expect(otherSecrets.size).toBeGreaterThan(versions)
    expect(events.length).toBeGreaterThan(20)

    const entries = await rawEntries()
    expect(entries.length).toBeGreaterThan(keyIds.length + 3)
    const materialForms = [...materials.values()].map(leakForms)
    const allForms = [...materialForms, ...[...otherSecrets.values(), ...plaintexts].map(leakForms)]
    // The detector does find a material where it is written in any of these forms.
    const sample = [...materials.values()][0]!
    for (const form of [Buffer.from(sample), Buffer.from(`x${Buffer.from(sample).toString('hex')}y`), Buffer.from(`"a${Buffer.from(sample).toString('base64')}"`)]) {
      expect(leaks(form, materialForms)).toBe(true)
    }
    for (const [key, value] of entries) {
      expect(leaks(key, allForms), `key ${key}`).toBe(false)
      expect(leaks(value, allForms), `value of ${key}`).toBe(false)
    }
    for (const payload of events) expect(leaks(payload, allForms), payload).toBe(false)
  })
})

// ---------------------------------------------------------------- abrupt exit

describe('a real process restart', () => {
  it('an acknowledged key and blob survive process.exit without close', async () => {
    const script = path.join(here, 'fixtures', 'abrupt-exit.ts')
    const { stdout } = await promisify(execFile)('npx', ['tsx', '--conditions=source', script, dir, PASSPHRASE], {
      cwd: workspace, timeout: 30_000,
    })
    const { keyId, blobBase64 } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { keyId: string; blobBase64: string }
    const kms = await openAt(passphrase(PASSPHRASE))
    try {
      expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
      const back = await kms.decrypt({ ciphertextBlob: new Uint8Array(Buffer.from(blobBase64, 'base64')), encryptionContext: { run: 'child' } })
      expect(text(back.plaintext)).toBe('written by a process that never closed its engine')
      expect(back.keyId).toBe(keyId)
    } finally {
      await kms.close()
    }
  }, 40_000)
})
