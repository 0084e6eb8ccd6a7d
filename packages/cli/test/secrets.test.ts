/**
 * `strongroom secret put|get|list|describe|delete|restore|rotate`, run in process against a
 * LevelDB keystore: values from stdin or --file (never an argument), text and binary,
 * versions and stages, recovery, rotation to a random password, and --json shapes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, newKeystoreDir, transcript } from './cli.js'

let keystore: string
let work: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-secrets-'))
  expect((await cli(keystore, ['init'])).status).toBe(0)
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

describe('strongroom secret', () => {
  it('puts a value from stdin, then a new version, and gets either back', async () => {
    const created = await cli(keystore, ['secret', 'put', 'db/password', '--version-id', 'v1', '--description', 'orders', '--tag', 'team=pay'], { input: 'hunter2' })
    expect(created.status, created.stderr).toBe(0)
    expect(created.out).toBe('Created db/password version v1 (ACSCurrent)\n')
    const put = await cli(keystore, ['secret', 'put', 'db/password', '--version-id', 'v2', '--json'], { input: 'correct horse' })
    expect(put.json()).toEqual({ secretName: 'db/password', versionId: 'v2', versionStages: ['ACSCurrent'] })
    expect((await cli(keystore, ['secret', 'get', 'db/password'])).out).toBe('correct horse')
    expect((await cli(keystore, ['secret', 'get', 'db/password', '--stage', 'ACSPrevious'])).out).toBe('hunter2')
    expect((await cli(keystore, ['secret', 'get', 'db/password', '--version-id', 'v1'])).out).toBe('hunter2')
    const json = (await cli(keystore, ['secret', 'get', 'db/password', '--json'])).json()
    expect(json).toMatchObject({ secretName: 'db/password', secretData: 'correct horse', secretDataType: 'text', versionId: 'v2' })
    // Options of a new secret are refused for an existing one, and nothing is stored.
    const refused = await cli(keystore, ['secret', 'put', 'db/password', '--tag', 'a=b'], { input: 'x' })
    expect(refused.status).toBe(2)
  })

  it('stores binary values from a file and writes them to a 0600 file', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 0x80])
    writeFileSync(join(work, 'key.bin'), bytes)
    expect((await cli(keystore, ['secret', 'put', 'tls/key', '--file', join(work, 'key.bin')])).stderr).toContain('not UTF-8')
    const put = await cli(keystore, ['secret', 'put', 'tls/key', '--file', join(work, 'key.bin'), '--binary'])
    expect(put.status, put.stderr).toBe(0)
    const got = await cli(keystore, ['secret', 'get', 'tls/key', '--out', join(work, 'out.bin')])
    expect(got.status, got.stderr).toBe(0)
    expect(readFileSync(join(work, 'out.bin'))).toEqual(bytes)
    expect(statSync(join(work, 'out.bin')).mode & 0o777).toBe(0o600)
    expect((await cli(keystore, ['secret', 'get', 'tls/key'])).stdout).toEqual(bytes)
    expect((await cli(keystore, ['secret', 'put', 'empty'], { input: '' })).status).toBe(2)
  })

  it('lists and describes secrets without their values', async () => {
    const list = await cli(keystore, ['secret', 'list'])
    expect(list.out).toMatch(/^NAME\s+UPDATED\s+ROTATION\s+DELETES\n/)
    expect(list.out).toContain('db/password')
    expect(list.out).toContain('tls/key')
    const filtered = (await cli(keystore, ['secret', 'list', '--filter', 'TagValue=pay', '--json'])).json<{ secrets: { secretName: string }[] }>()
    expect(filtered.secrets.map((s) => s.secretName)).toEqual(['db/password'])
    expect((await cli(keystore, ['secret', 'list', '--filter', 'Nope=x'])).status).toBe(2)
    const described = await cli(keystore, ['secret', 'describe', 'db/password'])
    expect(described.out).toContain('Description: orders')
    expect(described.out).toMatch(/v2\s+\S+\s+ACSCurrent/)
    expect(described.out).toMatch(/v1\s+\S+\s+ACSPrevious/)
    for (const output of [list.out, described.out]) for (const value of ['hunter2', 'correct horse']) expect(output).not.toContain(value)
  })

  it('rotates to a random password: the new value is ACSCurrent, the old one ACSPrevious', async () => {
    const rotated = await cli(keystore, ['secret', 'rotate', 'db/password', '--length', '40', '--exclude-punctuation', '--version-id', 'v3', '--json'])
    expect(rotated.status, rotated.stderr).toBe(0)
    expect(rotated.json()).toMatchObject({ secretName: 'db/password', versionId: 'v3' })
    const current = (await cli(keystore, ['secret', 'get', 'db/password'])).out
    expect(current).toMatch(/^[A-Za-z0-9]{40}$/)
    expect((await cli(keystore, ['secret', 'get', 'db/password', '--stage', 'ACSPrevious'])).out).toBe('correct horse')
    expect((await cli(keystore, ['secret', 'rotate', 'db/password', '--length', '7'])).status).toBe(2)
  })

  it('deletes with a recovery window, restores, and purges at once when forced', async () => {
    const deleted = await cli(keystore, ['secret', 'delete', 'tls/key', '--recovery-window-days', '7'])
    expect(deleted.status, deleted.stderr).toBe(0)
    expect(deleted.out).toMatch(/^tls\/key will be purged at \d{4}-\d\d-\d\dT/)
    const refused = await cli(keystore, ['secret', 'get', 'tls/key'])
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringContaining('(Rejected.InvalidState)')])
    expect((await cli(keystore, ['secret', 'restore', 'tls/key'])).out).toBe('Restored tls/key\n')
    expect((await cli(keystore, ['secret', 'get', 'tls/key'])).status).toBe(0)
    expect((await cli(keystore, ['secret', 'delete', 'tls/key', '--force-delete-without-recovery'])).out).toBe('Purged tls/key\n')
    const gone = await cli(keystore, ['secret', 'get', 'tls/key'])
    expect([gone.status, gone.stderr]).toEqual([1, expect.stringContaining('(Forbidden.ResourceNotFound)')])
    expect((await cli(keystore, ['secret', 'delete', 'db/password', '--recovery-window-days', '31'])).status).toBe(2)
  })

  it('takes no value as an argument', async () => {
    const r = await cli(keystore, ['secret', 'put', 'x', 'the-value'], { input: 'y' })
    expect(r.status).toBe(2)
    expect(r.stderr).toContain('unexpected argument')
    for (const text of transcript) expect(text).not.toContain('hunter2\n')
  })
})
