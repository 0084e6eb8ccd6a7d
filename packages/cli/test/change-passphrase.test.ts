/**
 * `strongroom change-passphrase`, run in process against a real LevelDB keystore: the new
 * passphrase (STRONGROOM_NEW_PASSPHRASE; typed twice on a terminal) opens the keystore
 * afterwards and the old one no longer does; what was encrypted before still decrypts; the
 * change is in the audit trail; a wrong current passphrase or a too short new one change
 * nothing. (Typing both on a terminal is the same prompt as init's, tested in e2e/.) Neither passphrase ever appears in any output.
 */
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, cli, newKeystoreDir, transcript } from './cli.js'

const NEW_PASSPHRASE = 'the new passphrase: c0rrect h0rse'
let keystore: string
let ciphertext: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  expect((await cli(keystore, ['init'])).status).toBe(0)
  expect((await cli(keystore, ['create-key', '--alias', 'alias/app'])).status).toBe(0)
  const enc = await cli(keystore, ['encrypt', '--key', 'alias/app'], { input: 'kept secret' })
  expect(enc.status, enc.stderr).toBe(0)
  ciphertext = enc.out.trim()
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  for (const text of transcript) {
    expect(text).not.toContain(PASSPHRASE)
    expect(text).not.toContain(NEW_PASSPHRASE)
  }
})

describe('change-passphrase', () => {
  it('refuses a too short new passphrase and a wrong current one; nothing changes', async () => {
    const short = await cli(keystore, ['change-passphrase'], { env: { STRONGROOM_NEW_PASSPHRASE: 'short' } })
    expect(short.status).toBe(2)
    expect(short.stderr).toMatch(/too short/)
    const wrong = await cli(keystore, ['change-passphrase'], { env: { STRONGROOM_PASSPHRASE: 'not the passphrase', STRONGROOM_NEW_PASSPHRASE: NEW_PASSPHRASE } })
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toMatch(/RootKeyMismatch/)
    expect((await cli(keystore, ['list-keys'])).status).toBe(0)
  })

  it('moves the keystore to the new passphrase: the old one is refused, everything decrypts, the trail records it', async () => {
    const changed = await cli(keystore, ['change-passphrase', '--json'], { env: { STRONGROOM_NEW_PASSPHRASE: NEW_PASSPHRASE } })
    expect(changed.status, changed.stderr).toBe(0)
    expect(changed.json()).toMatchObject({ changed: true, generation: 1 })

    const old = await cli(keystore, ['list-keys'])
    expect(old.status).toBe(1)
    expect(old.stderr).toMatch(/RootKeyMismatch/)
    const withNew = { env: { STRONGROOM_PASSPHRASE: NEW_PASSPHRASE } }
    const dec = await cli(keystore, ['decrypt'], { ...withNew, input: ciphertext })
    expect(dec.status, dec.stderr).toBe(0)
    expect(dec.out).toBe('kept secret')
    const audit = await cli(keystore, ['audit', 'query', '--action', 'ChangeRootKey', '--json'], withNew)
    expect(audit.status, audit.stderr).toBe(0)
    expect(audit.json<{ records: Array<{ eventName: string; result: string }> }>().records).toMatchObject([{ eventName: 'ChangeRootKey', result: 'Success' }])
    expect((await cli(keystore, ['audit', 'verify'], withNew)).status).toBe(0)
  })

  it('is listed in the help', async () => {
    expect((await cli(undefined, ['help'])).out).toMatch(/change-passphrase +Change the keystore passphrase/)
    expect((await cli(undefined, ['help', 'change-passphrase'])).out).toMatch(/Usage: strongroom change-passphrase/)
  })
})
