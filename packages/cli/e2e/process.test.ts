/**
 * The `strongroom` executable as a user runs it: the bundle `pnpm install` builds, and
 * the sources through tsx. Only what a real process shows is here; the commands
 * themselves are tested in process (test/).
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, cli, cliFromSource, newKeystoreDir, transcript } from './spawn.js'

const keystore = newKeystoreDir()
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  for (const text of transcript) expect(text).not.toContain(PASSPHRASE)
})

describe('the built command', () => {
  it('prints its version and help, and round-trips a value through a new keystore', async () => {
    const version = await cli(undefined, ['--version'])
    expect([version.status, version.out]).toEqual([0, expect.stringMatching(/^strongroom \d+\.\d+\.\d+\n$/)])
    expect((await cli(undefined, ['--help'])).out).toContain('Usage: strongroom')
    expect((await cli(keystore, ['init'])).status).toBe(0)
    const created = await cli(keystore, ['create-key', '--alias', 'alias/e2e', '--json'])
    expect(created.status, created.stderr).toBe(0)
    const sealed = await cli(keystore, ['encrypt', '--key', 'alias/e2e'], { input: 'over a pipe' })
    const opened = await cli(keystore, ['decrypt'], { input: sealed.out })
    expect([opened.status, opened.out]).toEqual([0, 'over a pipe'])
  })

  it('without a passphrase and without a terminal, it is a usage error (exit 2)', async () => {
    const r = await cli(keystore, ['list-keys'], { env: { STRONGROOM_PASSPHRASE: undefined } })
    expect(r.status).toBe(2)
    expect(r.stderr).toBe('strongroom: no passphrase: set STRONGROOM_PASSPHRASE or run in a terminal\n')
  })

  it('runs from the sources through tsx as well', async () => {
    const fromSource = await cliFromSource(keystore, ['list-keys', '--json'])
    expect(fromSource.status, fromSource.stderr).toBe(0)
    expect(fromSource.json<{ keys: { aliases: string[] }[] }>().keys.map((k) => k.aliases)).toEqual([['alias/e2e']])
  })
})
