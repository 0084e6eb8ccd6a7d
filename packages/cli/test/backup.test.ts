/**
 * `strongroom backup` and `strongroom restore`, run in-process on real LevelDB directories:
 * a round trip under the keystore passphrase and under a separate backup passphrase, and
 * the refusals (existing file, non-empty target, wrong passphrase, damaged file) with the
 * target left as it was.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run, type Io } from '@strongroom/cli'

const PASSPHRASE = 'keystore passphrase for backups'
let work: string
let source: string
let ciphertext: string

interface Outcome {
  readonly status: number
  readonly out: string
  readonly err: string
}

/** One command line, in this process, with the passphrases in the environment. */
async function cli(args: readonly string[], env: Record<string, string> = {}, input = ''): Promise<Outcome> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  // Copies: the command wipes a decrypted plaintext right after writing it.
  const sink = (parts: Buffer[]) => new Writable({ write(chunk: Buffer, _encoding, done) { parts.push(Buffer.from(chunk)); done() } })
  const stdout = sink(out)
  const stderr = sink(err)
  const io: Io = {
    stdin: Readable.from([Buffer.from(input)]), stdout, stderr,
    env: { STRONGROOM_PASSPHRASE: PASSPHRASE, STRONGROOM_SCRYPT_N: '16384', ...env },
  }
  const status = await run(args, io, new AbortController().signal)
  const text = (parts: Buffer[]) => Buffer.concat(parts).toString('utf8')
  return { status, out: text(out), err: text(err) }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-backup-'))
  source = join(work, 'source')
  expect((await cli(['--keystore', source, 'init'])).status).toBe(0)
  expect((await cli(['--keystore', source, 'create-key', '--alias', 'alias/app'])).status).toBe(0)
  const enc = await cli(['--keystore', source, 'encrypt', '--key', 'alias/app'], {}, 'the secret')
  expect(enc.status, enc.err).toBe(0)
  ciphertext = enc.out.trim()
}, 60_000)
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

async function decryptsIn(keystore: string): Promise<string> {
  const dec = await cli(['--keystore', keystore, 'decrypt'], {}, ciphertext)
  expect(dec.status, dec.err).toBe(0)
  return dec.out
}

describe('strongroom backup / restore', () => {
  it('round trip under the keystore passphrase', async () => {
    const file = join(work, 'plain.backup')
    const made = await cli(['--keystore', source, 'backup', file, '--json'])
    expect(made.status, made.err).toBe(0)
    expect(JSON.parse(made.out)).toMatchObject({ file, bytes: statSync(file).size })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(file).includes(Buffer.from(PASSPHRASE))).toBe(false)
    expect((await cli(['--keystore', source, 'backup', file])).status).toBe(3)

    const target = join(work, 'restored')
    const restored = await cli(['--keystore', target, 'restore', file, '--json'])
    expect(restored.status, restored.err).toBe(0)
    expect(JSON.parse(restored.out).records).toBeGreaterThan(3)
    expect(await decryptsIn(target)).toBe('the secret')
    const again = await cli(['--keystore', target, 'restore', file])
    expect(again.status).toBe(1)
    expect(again.err).toContain('AlreadyExists')
    expect(await decryptsIn(target)).toBe('the secret')
  })

  it('round trip under a separate backup passphrase', async () => {
    const file = join(work, 'separate.backup')
    const env = { STRONGROOM_BACKUP_PASSPHRASE: 'backup words' }
    expect((await cli(['--keystore', source, 'backup', file, '--backup-passphrase'], env)).status).toBe(0)
    const wrong = await cli(['--keystore', join(work, 'wrong'), 'restore', file, '--backup-passphrase'], { STRONGROOM_BACKUP_PASSPHRASE: 'other' })
    expect(wrong.status).toBe(1)
    expect(wrong.err).toContain('RootKeyMismatch')
    expect(wrong.err).not.toContain('other')
    expect(existsSync(join(work, 'wrong'))).toBe(false)
    const target = join(work, 'from-separate')
    expect((await cli(['--keystore', target, 'restore', file, '--backup-passphrase'], env)).status).toBe(0)
    expect(await decryptsIn(target)).toBe('the secret')
  })

  it('refuses a damaged file, a wrong passphrase and a non-empty directory, leaving nothing behind', async () => {
    const file = join(work, 'damaged.backup')
    expect((await cli(['--keystore', source, 'backup', file])).status).toBe(0)
    const bytes = readFileSync(file)
    bytes[bytes.length - 20]! ^= 1
    writeFileSync(file, bytes)
    const damaged = await cli(['--keystore', join(work, 'damaged'), 'restore', file])
    expect(damaged.status).toBe(1)
    expect(damaged.err).toContain('InvalidCiphertext')
    expect(existsSync(join(work, 'damaged'))).toBe(false)

    const good = join(work, 'plain.backup')
    const wrong = await cli(['--keystore', join(work, 'wrong-key'), 'restore', good], { STRONGROOM_PASSPHRASE: 'not it' })
    expect(wrong.status).toBe(1)
    expect(wrong.err).toContain('RootKeyMismatch')

    // A directory holding other files (not a keystore) is not touched.
    expect((await cli(['--keystore', work, 'restore', good])).status).toBe(3)
    expect((await cli(['--keystore', join(work, 'none'), 'restore', join(work, 'missing.backup')])).status).toBe(3)
  })
})
