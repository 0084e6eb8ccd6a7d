/** Examples are code a test runs, so they cannot rot. */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { persistentKeystoreDemo } from './persistent-keystore.js'

const run = promisify(execFile)
const directories: string[] = []
afterEach(() => {
  for (const d of directories.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('examples', () => {
  it('the quickstart (the README code, as `pnpm demo` runs it) encrypts, decrypts and makes a data key', async () => {
    const { stdout } = await run('npx', ['tsx', '--conditions=source', 'examples/quickstart.ts'], {
      cwd: new URL('..', import.meta.url).pathname, timeout: 60_000,
    })
    expect(stdout).toContain('decrypted  "card 4111"')
    expect(stdout).toContain('data key   256-bit')
  }, 90_000)

  it('the persistent keystore reopens with its passphrase and refuses a wrong one', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'strongroom-example-'))
    directories.push(directory)
    expect(await persistentKeystoreDemo(directory, 'example passphrase')).toBe('db password')
  })
})

describe('least privilege example', () => {
  it('allows only tenant acme under one key, audits both calls, verifies, and detects tampering', async () => {
    const { leastPrivilegeDemo } = await import('./least-privilege.js')
    const outcome = await leastPrivilegeDemo()
    expect(outcome.refused).toMatch(/^Forbidden\.NoPermission: order-service is not allowed to perform kms:Encrypt on acs:kms:/)
    expect(outcome.trail).toEqual([
      { eventName: 'Encrypt', principal: 'order-service', result: 'Success' },
      { eventName: 'Encrypt', principal: 'order-service', result: 'Failure', errorCode: 'Forbidden.NoPermission' },
    ])
    expect(outcome.verifiedBefore).toBe(true)
    expect(outcome.tamperDetected).toMatch(/^record \d+ of chain [0-9a-f]{16}: record \d+ was modified/)
  })
})
