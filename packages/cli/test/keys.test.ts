/**
 * The key and alias commands, run in process against a real LevelDB keystore:
 * human and --json output, every state change, and the exit status of each failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { PASSPHRASE, cli, newKeystoreDir, transcript } from './cli.js'

interface KeyMetadataJson { keyId: string; keyState: string; description: string; keySpec: string; arn: string; deleteDate?: string; automaticRotation: string }

let keystore: string
let keyId: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  const init = await cli(keystore, ['init', '--json'])
  expect(init.status).toBe(0)
  expect(init.json()).toEqual({ keystore, created: true })
  const created = await cli(keystore, ['create-key', '--description', 'app key', '--alias', 'alias/app', '--tag', 'env=test', '--json'])
  expect(created.status, created.stderr).toBe(0)
  keyId = created.json<{ keyMetadata: KeyMetadataJson }>().keyMetadata.keyId
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
})

describe('keystore', () => {
  it('init refuses an existing keystore (exit 3) and a wrong passphrase cannot open it (exit 1, RootKeyMismatch)', async () => {
    const again = await cli(keystore, ['init'])
    expect(again.status).toBe(3)
    expect(again.stderr).toMatch(/already holds a keystore/)
    const wrong = await cli(keystore, ['list-keys'], { env: { STRONGROOM_PASSPHRASE: 'not it' } })
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toMatch(/\(RootKeyMismatch\)\n$/)
    expect(wrong.stderr.split('\n').filter(Boolean)).toHaveLength(1)
  })

  it('init refuses a passphrase shorter than 8 characters (exit 2) and creates nothing', async () => {
    const dir = newKeystoreDir()
    const short = await cli(dir, ['init'], { env: { STRONGROOM_PASSPHRASE: 'x' } })
    expect([short.status, short.stderr]).toEqual([2, 'strongroom: the passphrase is too short: a new keystore needs at least 8 characters\n'])
    expect(existsSync(dir)).toBe(false)
    expect((await cli(dir, ['init'], { env: { STRONGROOM_PASSPHRASE: 'ü'.repeat(8) } })).status).toBe(0)
    rmSync(dirname(dir), { recursive: true, force: true })
  })

  it('without a keystore directory it is a usage error (2); a missing keystore is an environment error (3)', async () => {
    const none = await cli(undefined, ['list-keys'], { env: { STRONGROOM_KEYSTORE: undefined } })
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/--store DIR\|postgres:\/\/… \(or --keystore DIR\), or set STRONGROOM_STORE/)
    const missing = await cli(undefined, ['--keystore', `${keystore}-nope`, 'list-keys'], { env: { STRONGROOM_KEYSTORE: undefined } })
    expect(missing.status).toBe(3)
    expect(missing.stderr).toMatch(/no keystore at .*strongroom init/)
  })
})

describe('keys', () => {
  it('create-key prints the key, list-keys shows it with its alias', async () => {
    const human = await cli(keystore, ['create-key', '--description', 'second', '--spec', 'Aliyun_AES_128'])
    expect(human.status).toBe(0)
    expect(human.out).toMatch(/^Key ID: +[0-9a-f-]{36}$/m)
    expect(human.out).toMatch(/^Spec: +Aliyun_AES_128$/m)
    const list = await cli(keystore, ['list-keys', '--json'])
    const { keys } = list.json<{ keys: { keyId: string; keyState: string; aliases: string[]; description: string; keySpec: string }[] }>()
    expect(keys.length).toBeGreaterThanOrEqual(2)
    expect(keys.find((k) => k.keyId === keyId)).toMatchObject({ keyState: 'Enabled', aliases: ['alias/app'], description: 'app key', keySpec: 'Aliyun_AES_256' })
    const table = await cli(keystore, ['list-keys'])
    expect(table.out.split('\n')[0]).toMatch(/^KEY ID +STATE +SPEC +ALIASES +DESCRIPTION$/)
    expect(table.out).toContain(`${keyId}  Enabled  Aliyun_AES_256  alias/app`)
  })

  it('describe-key accepts an alias and reports versions, aliases and tags', async () => {
    const r = await cli(keystore, ['describe-key', 'alias/app', '--json'])
    const body = r.json<{ keyMetadata: KeyMetadataJson; aliases: string[]; keyVersions: { keyVersionId: string }[]; tags: unknown[] }>()
    expect(body.keyMetadata.keyId).toBe(keyId)
    expect(body.aliases).toEqual(['alias/app'])
    expect(body.keyVersions).toHaveLength(1)
    expect(body.tags).toEqual([{ tagKey: 'env', tagValue: 'test' }])
    expect(Object.keys(body)).not.toContain('requestId')
    const human = await cli(keystore, ['describe-key', keyId])
    expect(human.out).toMatch(/^Tags: +env=test$/m)
  })

  it('disable-key and enable-key change the state', async () => {
    const disabled = await cli(keystore, ['disable-key', 'alias/app', '--json'])
    expect(disabled.json()).toEqual({ keyId, keyState: 'Disabled' })
    const refused = await cli(keystore, ['encrypt', '--key', 'alias/app'], { input: 'x' })
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/\(Rejected\.Disabled\)/)
    const enabled = await cli(keystore, ['enable-key', keyId])
    expect(enabled.out).toBe(`Enabled key ${keyId} (now Enabled)\n`)
  })

  it('rotate adds a primary version', async () => {
    const r = await cli(keystore, ['rotate', 'alias/app', '--json'])
    const { keyVersion } = r.json<{ keyVersion: { keyId: string; keyVersionId: string } }>()
    expect(keyVersion.keyId).toBe(keyId)
    const d = (await cli(keystore, ['describe-key', keyId, '--json'])).json<{ keyMetadata: { primaryKeyVersion: string }; keyVersions: unknown[] }>()
    expect(d.keyMetadata.primaryKeyVersion).toBe(keyVersion.keyVersionId)
    expect(d.keyVersions).toHaveLength(2)
  })

  it('schedule-deletion and cancel-deletion', async () => {
    const created = (await cli(keystore, ['create-key', '--json'])).json<{ keyMetadata: KeyMetadataJson }>().keyMetadata.keyId
    const scheduled = await cli(keystore, ['schedule-deletion', created, '--days', '7', '--json'])
    const body = scheduled.json<{ keyId: string; keyState: string; deleteDate: string }>()
    expect(body).toMatchObject({ keyId: created, keyState: 'PendingDeletion' })
    expect(Date.parse(body.deleteDate) - Date.now()).toBeGreaterThan(6 * 86_400_000)
    const tooShort = await cli(keystore, ['schedule-deletion', created, '--days', '3'])
    expect(tooShort.status).toBe(2)
    const cancelled = await cli(keystore, ['cancel-deletion', created, '--json'])
    expect(cancelled.json()).toEqual({ keyId: created, keyState: 'Enabled' })
    const again = await cli(keystore, ['cancel-deletion', created])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/Rejected\.InvalidState/)
  })

  it('create-key with automatic rotation', async () => {
    const r = await cli(keystore, ['create-key', '--rotation-interval', '30d', '--json'])
    expect(r.json<{ keyMetadata: KeyMetadataJson }>().keyMetadata.automaticRotation).toBe('Enabled')
    const id = r.json<{ keyMetadata: KeyMetadataJson }>().keyMetadata.keyId
    // The engine reports the interval in seconds (2592000s); people read days.
    expect((await cli(keystore, ['describe-key', id])).out).toMatch(/^Rotation: +every 30d, next \S+$/m)
    const bad = await cli(keystore, ['create-key', '--rotation-interval', '1d'])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/InvalidParameter/)
  })
})

describe('aliases', () => {
  it('create, list, update, delete', async () => {
    const other = (await cli(keystore, ['create-key', '--json'])).json<{ keyMetadata: KeyMetadataJson }>().keyMetadata.keyId
    expect((await cli(keystore, ['alias', 'create', 'alias/moving', keyId, '--json'])).json()).toEqual({ aliasName: 'alias/moving', keyId })
    const exists = await cli(keystore, ['alias', 'create', 'alias/moving', other])
    expect(exists.status).toBe(1)
    expect(exists.stderr).toMatch(/AlreadyExists/)
    expect((await cli(keystore, ['alias', 'update', 'alias/moving', other])).out).toBe(`alias/moving → ${other}\n`)
    const mine = await cli(keystore, ['alias', 'list', '--key', other, '--json'])
    expect(mine.json<{ aliases: { aliasName: string; keyId: string }[] }>().aliases.map((a) => a.aliasName)).toEqual(['alias/moving'])
    const all = await cli(keystore, ['alias', 'list'])
    expect(all.out).toMatch(/^ALIAS +KEY ID$/m)
    expect(all.out).toContain('alias/app')
    expect((await cli(keystore, ['alias', 'delete', 'alias/moving', '--json'])).json()).toEqual({ aliasName: 'alias/moving' })
    const gone = await cli(keystore, ['alias', 'delete', 'alias/moving'])
    expect(gone.status).toBe(1)
    expect(gone.stderr).toMatch(/Forbidden\.AliasNotFound/)
  })
})

describe('usage', () => {
  it('unknown commands and options, extra arguments and missing arguments exit 2 with one line', async () => {
    for (const args of [['frobnicate'], ['list-keys', '--frob'], ['describe-key'], ['describe-key', 'a', 'b'], ['alias', 'rename', 'x'], ['create-key', '--tag', 'novalue']]) {
      const r = await cli(keystore, args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1)
      expect(r.stderr).toMatch(/^strongroom: /)
    }
  })

  it('errors are JSON on stderr with --json', async () => {
    const r = await cli(keystore, ['describe-key', 'alias/none', '--json'])
    expect(r.status).toBe(1)
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'Forbidden.AliasNotFound', message: expect.any(String), exitStatus: 1 } })
    expect(r.out).toBe('')
  })

  it('help, per-command help and --version exit 0; no command prints help and exits 2', async () => {
    const help = await cli(keystore, ['help'])
    expect(help.status).toBe(0)
    for (const name of ['init', 'create-key', 'list-keys', 'describe-key', 'enable-key', 'disable-key', 'rotate', 'schedule-deletion',
      'cancel-deletion', 'alias create', 'alias update', 'alias delete', 'alias list', 'encrypt', 'decrypt', 'encrypt-file', 'decrypt-file', 'inspect']) {
      expect(help.out).toContain(`  ${name} `)
    }
    expect(help.out).toContain('STRONGROOM_SCRYPT_N')
    for (const name of ['sign', 'verify', 'get-public-key', 'mac', 'verify-mac', 'import parameters', 'import material',
      'policy create', 'policy attach', 'policy detach', 'policy list', 'audit verify', 'audit query', 'audit export', 'audit anchor']) {
      expect(help.out).toContain(`  ${name} `)
    }
    const one = await cli(keystore, ['encrypt-file', '--help'])
    expect(one.out).toMatch(/^Usage: strongroom encrypt-file SOURCE DESTINATION \[options\]/)
    expect(one.out).toMatch(/--key KEY +a key that can decrypt it; the first generates the data key \(repeatable\)\n/)
    for (const name of ['encrypt-file', 'decrypt-file', 'encrypt', 'decrypt', 'create-key']) {
      expect((await cli(keystore, [name, '--help'])).out, name).not.toMatch(/repeatable.*repeatable/)
    }
    expect((await cli(keystore, ['help', 'policy', 'attach'])).out).toMatch(/^Usage: strongroom policy attach NAME PRINCIPAL\n/)
    expect((await cli(keystore, ['help', 'alias', 'create'])).out).toMatch(/^Usage: strongroom alias create ALIAS KEY/)
    expect((await cli(keystore, ['--version'])).out).toMatch(/^strongroom \d+\.\d+\.\d+\n$/)
    const bare = await cli(keystore, [])
    expect(bare.status).toBe(2)
    expect(bare.stderr).toContain('Usage: strongroom')
  })
})

afterAll(() => {
  // Whatever the commands printed, the passphrase was never part of it.
  expect(transcript.length).toBeGreaterThan(20)
  for (const text of transcript) expect(text).not.toContain(PASSPHRASE)
})
