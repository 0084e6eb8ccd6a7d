/**
 * On a real terminal (a pseudo-terminal from util-linux `script`): the passphrase prompts
 * (init's, change-passphrase's) do not echo, and encrypt-file draws a progress bar and prints its throughput.
 * Skipped where `script` is missing.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN, ROOT } from './spawn.js'

const SCRIPT = '/usr/bin/script'
const work = mkdtempSync(join(tmpdir(), 'strongroom-cli-tty-'))
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

/** Runs `node <bundle> args` on a pseudo-terminal, typing `keystrokes` (one string per prompt). */
async function onTerminal(args: readonly string[], env: Record<string, string>, keystrokes: readonly string[] = []): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  if (!('STRONGROOM_PASSPHRASE' in env)) delete childEnv['STRONGROOM_PASSPHRASE']
  return new Promise((resolve, reject) => {
    const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], { cwd: ROOT, env: childEnv, stdio: ['pipe', 'pipe', 'inherit'] })
    const out: Buffer[] = []
    let answered = 0
    child.stdout.on('data', (c: Buffer) => {
      out.push(c)
      // Answer each prompt once, however the output was split into chunks.
      const prompts = Buffer.concat(out).toString('utf8').split('passphrase: ').length - 1
      for (; answered < prompts && answered < keystrokes.length; answered++) child.stdin.write(`${keystrokes[answered]}\r`)
    })
    child.on('error', reject)
    child.on('close', () => resolve(Buffer.concat(out).toString('utf8')))
  })
}

describe.skipIf(!existsSync(SCRIPT))('on a terminal', () => {
  it('init asks for the passphrase twice without echoing it; a later command asks once', async () => {
    const keystore = join(work, 'keystore')
    const env = { STRONGROOM_KEYSTORE: keystore, STRONGROOM_SCRYPT_N: '16384' }
    const init = await onTerminal(['init'], env, ['typed secret 42', 'typed secret 42'])
    expect(init).toContain('New keystore passphrase: ')
    expect(init).toContain('Repeat the passphrase: ')
    expect(init).toContain(`Created keystore ${keystore}`)
    expect(init).not.toContain('typed secret 42')
    const list = await onTerminal(['list-keys'], env, ['typed secret 42'])
    expect(list).toContain('No keys yet')
    expect(list).not.toContain('typed secret 42')
  }, 30_000)

  it('change-passphrase asks for the current passphrase once and the new one twice, without echoing them', async () => {
    const keystore = join(work, 'keystore-change')
    const env = { STRONGROOM_KEYSTORE: keystore, STRONGROOM_SCRYPT_N: '16384' }
    await onTerminal(['init'], env, ['first secret 42', 'first secret 42'])
    const mismatch = await onTerminal(['change-passphrase'], env, ['first secret 42', 'second secret 42', 'typo secret 42'])
    expect(mismatch).toContain('the passphrases do not match')
    const changed = await onTerminal(['change-passphrase'], env, ['first secret 42', 'second secret 42', 'second secret 42'])
    expect(changed).toContain('Keystore passphrase: ')
    expect(changed).toContain('New keystore passphrase: ')
    expect(changed).toContain('Repeat the passphrase: ')
    expect(changed).toContain(`Changed the passphrase of ${keystore}`)
    for (const typed of ['first secret 42', 'second secret 42']) expect(changed).not.toContain(typed)
    expect(await onTerminal(['list-keys'], env, ['first secret 42'])).toContain('RootKeyMismatch')
    expect(await onTerminal(['list-keys'], env, ['second secret 42'])).toContain('No keys yet')
  }, 30_000)

  it('encrypt-file draws a progress bar and reports throughput', async () => {
    const keystore = join(work, 'keystore-progress')
    const env = { STRONGROOM_KEYSTORE: keystore, STRONGROOM_SCRYPT_N: '16384', STRONGROOM_PASSPHRASE: 'env secret' }
    await onTerminal(['init'], env)
    await onTerminal(['create-key', '--alias', 'alias/t'], env)
    writeFileSync(join(work, 'data.bin'), new Uint8Array(3 << 20))
    const output = await onTerminal(['encrypt-file', join(work, 'data.bin'), join(work, 'data.sre'), '--key', 'alias/t'], env)
    expect(output).toMatch(/encrypting \[#+\] 100% 3\.00 MiB \/ 3\.00 MiB/)
    expect(output).toMatch(/Encrypted .*data\.bin → .*data\.sre: 3\.00 MiB in [\d.]+ s \([\d.]+ [KMG]iB\/s\)/)
  }, 30_000)
})
