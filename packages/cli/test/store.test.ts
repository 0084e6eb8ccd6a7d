/**
 * Where the keystore lives (store.ts): `--store DIR|postgres://…` or `STRONGROOM_STORE`,
 * with `--keystore DIR` still accepted. A PostgreSQL keystore is shared: what one command
 * line does, the next one (another engine, as another process would be) sees. Run against
 * the real server of the storage-postgres tests, a fresh schema per test; without a
 * server those tests are skipped with a loud message. And a LevelDB directory held by
 * another holder is refused with exit 3, not a storage failure.
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { ClassicLevel } from 'classic-level'
import { POSTGRES_URL, probeServer, skipLoudly } from '../../storage/postgres/test/server.js'
import { cli, newKeystoreDir } from './cli.js'

const server = await probeServer()
const directories: string[] = []
afterAll(async () => {
  for (const dir of directories) rmSync(dirname(dir), { recursive: true, force: true })
  await server?.end()
})

/** A keystore URL on a schema of its own (`?schema=`), dropped after the test. */
function storeUrl(scheme = 'postgres'): string {
  const url = new URL(POSTGRES_URL)
  url.searchParams.set('schema', server!.freshSchema())
  return url.href.replace(/^postgres(ql)?:/, `${scheme}:`)
}

describe('a keystore directory', () => {
  it('--store DIR works like --keystore DIR; naming both is a usage error (exit 2)', async () => {
    const dir = newKeystoreDir()
    directories.push(dir)
    expect((await cli(undefined, ['--store', dir, 'init'])).status).toBe(0)
    const created = await cli(undefined, ['--store', dir, 'create-key', '--json'])
    expect(created.status, created.stderr).toBe(0)
    const listed = await cli(undefined, ['--keystore', dir, 'list-keys', '--json'])
    expect(listed.out).toContain(created.json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId)
    const both = await cli(undefined, ['--store', dir, '--keystore', dir, 'list-keys'])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/either --store or --keystore/)
    const none = await cli(undefined, ['list-keys'])
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/STRONGROOM_STORE/)
  })

  it('a directory another holder has open (say serve-aws) is refused with exit 3 and says so', async () => {
    const dir = newKeystoreDir()
    directories.push(dir)
    expect((await cli(dir, ['init'])).status).toBe(0)
    const holder = new ClassicLevel(dir)
    await holder.open()
    try {
      const refused = await cli(dir, ['list-keys'])
      expect(refused.status).toBe(3)
      expect(refused.stderr).toMatch(/in use by another process/)
      const json = await cli(dir, ['list-keys', '--json'])
      expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'KeystoreInUse', exitStatus: 3 } })
    } finally {
      await holder.close()
    }
    expect((await cli(dir, ['list-keys'])).status).toBe(0)
  })
})

if (server === undefined) {
  skipLoudly()
} else {
  afterEach(() => server.dropSchemas())

  describe('a keystore on PostgreSQL', () => {
    it('init, then command lines one after the other share it: a key made by one encrypts, the next decrypts, the audit trail verifies', async () => {
      const store = storeUrl()
      const init = await cli(undefined, ['--store', store, 'init', '--json'])
      expect(init.status, init.stderr).toBe(0)
      expect(init.json()).toEqual({ keystore: store, created: true })
      const created = await cli(undefined, ['--store', store, 'create-key', '--alias', 'alias/shared', '--json'])
      expect(created.status, created.stderr).toBe(0)
      const encrypted = await cli(undefined, ['encrypt', '--key', 'alias/shared', '--json'], { input: 'shared secret', env: { STRONGROOM_STORE: store } })
      expect(encrypted.status, encrypted.stderr).toBe(0)
      const { ciphertextBlob } = encrypted.json<{ ciphertextBlob: string }>()
      const decrypted = await cli(undefined, ['--store', store.replace(/^postgres:/, 'postgresql:'), 'decrypt', '--ciphertext', ciphertextBlob, '--json'])
      expect(decrypted.status, decrypted.stderr).toBe(0)
      expect(Buffer.from(decrypted.json<{ plaintext: string }>().plaintext, 'base64').toString()).toBe('shared secret')
      const verified = await cli(undefined, ['--store', store, 'audit', 'verify', '--json'])
      expect(verified.status, verified.stderr).toBe(0)
      expect(verified.json()).toMatchObject({ ok: true })
    })

    it('init refuses a schema that already holds a keystore, and a missing keystore is named (exit 3)', async () => {
      const store = storeUrl()
      expect((await cli(undefined, ['--store', store, 'list-keys'])).stderr).toMatch(/no keystore at .*create one with: strongroom init/)
      expect((await cli(undefined, ['--store', store, 'init'])).status).toBe(0)
      const again = await cli(undefined, ['--store', store, 'init'])
      expect(again.status).toBe(3)
      expect(again.stderr).toMatch(/already holds a keystore/)
    })

    it('a database that cannot be reached is exit 3 with the reason, and the password is never printed', async () => {
      const url = new URL(POSTGRES_URL)
      url.password = 'pa55word-not-printed'
      url.port = '1'
      const refused = await cli(undefined, ['--store', url.href, 'list-keys'])
      expect(refused.status).toBe(3)
      expect(refused.stderr).toMatch(/cannot use the keystore at postgres:\/\/.*\*\*\*@.*ECONNREFUSED/)
      expect(refused.stderr).not.toContain('pa55word')
      const malformed = await cli(undefined, ['--store', 'postgres://x/?schema=no-dashes', 'list-keys'])
      expect(malformed.status).toBe(2)
    })

    it('backup of a PostgreSQL keystore restores into a fresh schema with its keys', async () => {
      const store = storeUrl()
      expect((await cli(undefined, ['--store', store, 'init'])).status).toBe(0)
      const keyId = (await cli(undefined, ['--store', store, 'create-key', '--json'])).json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId
      const dir = newKeystoreDir()
      directories.push(dir)
      const file = `${dirname(dir)}/keystore.backup`
      const saved = await cli(undefined, ['--store', store, 'backup', file])
      expect(saved.status, saved.stderr).toBe(0)
      const target = storeUrl()
      const restored = await cli(undefined, ['--store', target, 'restore', file])
      expect(restored.status, restored.stderr).toBe(0)
      expect((await cli(undefined, ['--store', target, 'describe-key', keyId, '--json'])).json()).toMatchObject({ keyMetadata: { keyId, keyState: 'Enabled' } })
    })
  })
}
