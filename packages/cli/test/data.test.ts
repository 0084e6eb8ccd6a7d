/**
 * The data commands, run in process: encrypt/decrypt of small values (stdin,
 * files, base64) and encrypt-file/decrypt-file/inspect of envelopes (files and pipes),
 * with their --json shapes, their failures, and silence when not on a terminal.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatBytes, renderProgress } from '@strongroom/cli'
import { PASSPHRASE, cli, newKeystoreDir, transcript } from './cli.js'

let keystore: string
let work: string
let keyA: string
let keyB: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-data-'))
  expect((await cli(keystore, ['init'])).status).toBe(0)
  keyA = (await cli(keystore, ['create-key', '--alias', 'alias/a', '--json'])).json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId
  keyB = (await cli(keystore, ['create-key', '--alias', 'alias/b', '--json'])).json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

function pseudoRandom(length: number): Buffer {
  const out = Buffer.alloc(length)
  for (let i = 0, x = 7; i < length; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24
  return out
}

describe('encrypt and decrypt small values', () => {
  it('stdin to base64 and back, with an encryption context', async () => {
    const enc = await cli(keystore, ['encrypt', '--key', 'alias/a', '--context', 'app=web', '--context', 'env=prod'], { input: 'db password' })
    expect(enc.status, enc.stderr).toBe(0)
    expect(enc.out).toMatch(/^[A-Za-z0-9+/]+=*\n$/)
    expect(enc.stderr).toBe('')
    const dec = await cli(keystore, ['decrypt', '--context', 'env=prod', '--context', 'app=web'], { input: enc.out })
    expect(dec.status, dec.stderr).toBe(0)
    expect(dec.out).toBe('db password')
    const wrong = await cli(keystore, ['decrypt', '--context', 'app=web'], { input: enc.out })
    expect(wrong.status).toBe(1)
    expect(wrong.stderr).toMatch(/\(InvalidCiphertext\)\n$/)
    const inline = await cli(keystore, ['decrypt', '--ciphertext', enc.out.trim(), '--context', 'env=prod', '--context', 'app=web', '--base64'])
    expect(inline.out).toBe(`${Buffer.from('db password').toString('base64')}\n`)
  })

  it('--json shapes', async () => {
    const enc = await cli(keystore, ['encrypt', '--key', 'alias/b', '--json'], { input: 'v' })
    const body = enc.json<{ keyId: string; keyVersionId: string; ciphertextBlob: string }>()
    expect(Object.keys(body).sort()).toEqual(['ciphertextBlob', 'keyId', 'keyVersionId'])
    expect(body.keyId).toBe(keyB)
    const dec = await cli(keystore, ['decrypt', '--ciphertext', body.ciphertextBlob, '--json'])
    expect(dec.json()).toEqual({ keyId: keyB, keyVersionId: body.keyVersionId, plaintext: Buffer.from('v').toString('base64') })
  })

  it('raw files in and out; plaintext files are 0600 and never silently replaced', async () => {
    const secret = pseudoRandom(3000)
    writeFileSync(join(work, 'value.bin'), secret)
    const enc = await cli(keystore, ['encrypt', '--key', keyA, '--in', join(work, 'value.bin'), '--out', join(work, 'value.blob')])
    expect(enc.status, enc.stderr).toBe(0)
    expect(enc.out).toBe('')
    expect(readFileSync(join(work, 'value.blob'))[0]).toBe(1) // a raw engine blob
    const dec = await cli(keystore, ['decrypt', '--in', join(work, 'value.blob'), '--out', join(work, 'value.out')])
    expect(dec.status, dec.stderr).toBe(0)
    expect(readFileSync(join(work, 'value.out')).equals(secret)).toBe(true)
    expect(statSync(join(work, 'value.out')).mode & 0o777).toBe(0o600)
    const again = await cli(keystore, ['decrypt', '--in', join(work, 'value.blob'), '--out', join(work, 'value.out')])
    expect(again.status).toBe(3)
    expect(again.stderr).toMatch(/EEXIST/)
    expect((await cli(keystore, ['decrypt', '--in', join(work, 'value.blob'), '--out', join(work, 'value.out'), '--force'])).status).toBe(0)
  })

  it('more than 6 KiB is refused by the engine, pointing at envelope encryption; empty input is a usage error', async () => {
    const big = await cli(keystore, ['encrypt', '--key', 'alias/a'], { input: pseudoRandom(7000) })
    expect(big.status).toBe(1)
    expect(big.stderr).toMatch(/InvalidParameter/)
    expect(big.stderr).toMatch(/envelope/)
    const empty = await cli(keystore, ['encrypt', '--key', 'alias/a'])
    expect(empty.status).toBe(2)
    const noKey = await cli(keystore, ['encrypt'], { input: 'x' })
    expect(noKey.status).toBe(2)
    expect(noKey.stderr).toBe('strongroom: missing --key KEY\n')
  })
})

describe('encrypt-file and decrypt-file', () => {
  it('files round-trip through two recipients, quietly when not on a terminal, with --json results', async () => {
    const data = pseudoRandom(300_000)
    writeFileSync(join(work, 'data.bin'), data)
    const enc = await cli(keystore, ['encrypt-file', join(work, 'data.bin'), join(work, 'data.sre'), '--key', 'alias/a', '--key', 'alias/b',
      '--context', 'file=data', '--frame-size', '16k'])
    expect(enc.status, enc.stderr).toBe(0)
    expect(enc.out).toBe('')
    expect(enc.stderr).toBe('') // no progress bar off a terminal
    const info = (await cli(keystore, ['inspect', join(work, 'data.sre'), '--json'])).json<{
      frameSize: number; recipients: { keyId: string }[]; encryptionContext: Record<string, string>; plaintextBytes: number; fileBytes: number
    }>()
    expect(info.frameSize).toBe(16384)
    expect(info.recipients.map((r) => r.keyId)).toEqual([keyA, keyB])
    expect(info.encryptionContext).toEqual({ file: 'data' })
    expect(info.plaintextBytes).toBe(300_000)
    expect(info.fileBytes).toBe(statSync(join(work, 'data.sre')).size)
    const human = await cli(keystore, ['inspect', join(work, 'data.sre')])
    expect(human.out).toMatch(/^Frame size: +16\.0 KiB$/m)
    expect(human.out).toContain(`  ${keyB}  version `)

    // The first key disabled: the second opens it.
    await cli(keystore, ['disable-key', 'alias/a'])
    const dec = await cli(keystore, ['decrypt-file', join(work, 'data.sre'), join(work, 'data.out'), '--context', 'file=data', '--json'])
    await cli(keystore, ['enable-key', 'alias/a'])
    expect(dec.status, dec.stderr).toBe(0)
    const body = dec.json<Record<string, unknown>>()
    expect(body).toMatchObject({ bytesWritten: 300_000, keyId: keyB, encryptionContext: { file: 'data' } })
    expect(Object.keys(body).sort()).toEqual(['bytesRead', 'bytesWritten', 'destination', 'encryptionContext', 'keyId', 'recipients', 'seconds', 'source'])
    expect(readFileSync(join(work, 'data.out')).equals(data)).toBe(true)
    expect(statSync(join(work, 'data.out')).mode & 0o777).toBe(0o600)

    const encJson = await cli(keystore, ['encrypt-file', join(work, 'data.bin'), join(work, 'data2.sre'), '--key', keyA, '--json'])
    expect(encJson.json()).toMatchObject({ bytesRead: 300_000, keyIds: [keyA], encryptionContext: {} })
  })

  it('a damaged envelope fails with InvalidCiphertext and leaves no destination; an existing destination needs --force', async () => {
    writeFileSync(join(work, 'd.bin'), pseudoRandom(100_000))
    expect((await cli(keystore, ['encrypt-file', join(work, 'd.bin'), join(work, 'd.sre'), '--key', 'alias/a'])).status).toBe(0)
    const sealed = readFileSync(join(work, 'd.sre'))
    sealed[sealed.length - 5]! ^= 1
    writeFileSync(join(work, 'd-bad.sre'), sealed)
    const before = readdirSync(work).sort()
    const bad = await cli(keystore, ['decrypt-file', join(work, 'd-bad.sre'), join(work, 'd.out')])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/^strongroom: envelope: frame 2 failed authentication .*\(InvalidCiphertext\)\n$/)
    expect(existsSync(join(work, 'd.out'))).toBe(false)
    expect(readdirSync(work).sort()).toEqual(before)
    const wrongContext = await cli(keystore, ['decrypt-file', join(work, 'd.sre'), join(work, 'd.out'), '--context', 'x=y'])
    expect(wrongContext.status).toBe(1)
    expect((await cli(keystore, ['decrypt-file', join(work, 'd.sre'), join(work, 'd.out')])).status).toBe(0)
    const notAgain = await cli(keystore, ['decrypt-file', join(work, 'd.sre'), join(work, 'd.out')])
    expect([notAgain.status, notAgain.stderr]).toEqual([3, `strongroom: ${join(work, 'd.out')} already exists (pass --force to replace it)\n`])
    const exists = await cli(keystore, ['encrypt-file', join(work, 'd.bin'), join(work, 'd.sre'), '--key', 'alias/a'])
    expect(exists.status).toBe(3)
    expect(exists.stderr).toMatch(/already exists/)
    expect((await cli(keystore, ['encrypt-file', join(work, 'd.bin'), join(work, 'd.sre'), '--key', 'alias/a', '--force'])).status).toBe(0)
    const missing = await cli(keystore, ['encrypt-file', join(work, 'nope'), join(work, 'nope.sre'), '--key', 'alias/a'])
    expect(missing.status).toBe(3)
    expect(missing.stderr).toMatch(/ENOENT/)
    const noKey = await cli(keystore, ['encrypt-file', join(work, 'd.bin'), join(work, 'e.sre')])
    expect(noKey.status).toBe(2)
  })

  it('an envelope with an encryption context needs --context to decrypt, from a file or a pipe (exit 2, nothing written)', async () => {
    writeFileSync(join(work, 'c.bin'), pseudoRandom(1000))
    expect((await cli(keystore, ['encrypt-file', join(work, 'c.bin'), join(work, 'c.sre'), '--key', 'alias/a', '--context', 'tenant=acme', '--context', 'env=prod'])).status).toBe(0)
    const bare = await cli(keystore, ['decrypt-file', join(work, 'c.sre'), join(work, 'c.out')])
    expect([bare.status, bare.stderr]).toEqual([2, `strongroom: ${join(work, 'c.sre')} carries an encryption context (env, tenant): pass it with --context KEY=VALUE (see: strongroom inspect)\n`])
    expect(existsSync(join(work, 'c.out'))).toBe(false)
    const piped = await cli(keystore, ['decrypt-file', '-', '-'], { input: readFileSync(join(work, 'c.sre')) })
    expect([piped.status, piped.stdout.length]).toEqual([2, 0])
    expect(piped.stderr).toMatch(/^strongroom: the envelope carries an encryption context \(env, tenant\)/)
    // A subset of the pairs is enough (each given pair must be in the envelope), as before.
    const ok = await cli(keystore, ['decrypt-file', '-', '-', '--context', 'tenant=acme'], { input: readFileSync(join(work, 'c.sre')) })
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout.equals(readFileSync(join(work, 'c.bin')))).toBe(true)
  })

  it('pipes: - reads stdin and writes stdout', async () => {
    const data = pseudoRandom(150_000)
    const enc = await cli(keystore, ['encrypt-file', '-', '-', '--key', 'alias/b'], { input: data })
    expect(enc.status, enc.stderr).toBe(0)
    const dec = await cli(keystore, ['decrypt-file', '-', '-'], { input: enc.stdout })
    expect(dec.status, dec.stderr).toBe(0)
    expect(dec.stdout.equals(data)).toBe(true)
    // stdin into a file (written atomically), and a file out to stdout.
    const toFile = await cli(keystore, ['decrypt-file', '-', join(work, 'piped.out')], { input: enc.stdout })
    expect(toFile.status, toFile.stderr).toBe(0)
    expect(readFileSync(join(work, 'piped.out')).equals(data)).toBe(true)
    // A truncated stream: the verified frames may have been written, then a non-zero exit.
    const cut = await cli(keystore, ['decrypt-file', '-', '-'], { input: enc.stdout.subarray(0, enc.stdout.length - 10) })
    expect(cut.status).toBe(1)
    expect(cut.stderr).toMatch(/InvalidCiphertext/)
    expect(data.subarray(0, cut.stdout.length).equals(cut.stdout)).toBe(true)
    const cutToFile = await cli(keystore, ['decrypt-file', '-', join(work, 'cut.out')], { input: enc.stdout.subarray(0, 1000) })
    expect(cutToFile.status).toBe(1)
    expect(existsSync(join(work, 'cut.out'))).toBe(false)
    const json = await cli(keystore, ['encrypt-file', '-', '-', '--key', 'alias/b', '--json'], { input: data })
    expect(json.status).toBe(2)
  })

  it('inspect rejects what is not an envelope', async () => {
    writeFileSync(join(work, 'plain.txt'), 'hello')
    const r = await cli(keystore, ['inspect', join(work, 'plain.txt')])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/not a Strongroom envelope/)
  })
})

describe('progress rendering', () => {
  it('draws a bar with percentage, sizes and throughput', () => {
    const line = renderProgress('encrypting', 512 * 2 ** 20, 2 ** 30, 0.5, 100)
    expect(line).toMatch(/^encrypting \[#+\.+\]  50% 512 MiB \/ 1.00 GiB  1.00 GiB\/s$/)
    expect(renderProgress('x', 0, 0, 0, 80)).toContain('100%')
    expect(formatBytes(1536)).toBe('1.50 KiB')
  })
})

afterAll(() => {
  for (const text of transcript) expect(text).not.toContain(PASSPHRASE)
})
