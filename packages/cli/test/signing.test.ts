/**
 * sign, verify, get-public-key, mac, verify-mac and import (parameters, material), run in
 * process against a real LevelDB keystore; signatures checked independently with
 * node:crypto, key material wrapped with node:crypto as openssl would.
 */
import { constants, createHash, createVerify, publicEncrypt, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, cli, newKeystoreDir, transcript } from './cli.js'

let keystore: string
let work: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-sign-'))
  expect((await cli(keystore, ['init'])).status).toBe(0)
  expect((await cli(keystore, ['create-key', '--spec', 'EC_P256', '--alias', 'alias/signer'])).status).toBe(0)
  expect((await cli(keystore, ['create-key', '--spec', 'HMAC_SHA_256', '--alias', 'alias/mac'])).status).toBe(0)
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
  for (const text of transcript) expect(text).not.toContain(PASSPHRASE)
})

describe('sign, verify and get-public-key', () => {
  it('signs a message that node:crypto verifies with the printed public key; verify accepts it and rejects a changed message', async () => {
    const signed = await cli(keystore, ['sign', '--key', 'alias/signer'], { input: 'release 1.2.3' })
    expect(signed.status, signed.stderr).toBe(0)
    const signature = signed.out.trim()
    const pem = await cli(keystore, ['get-public-key', 'alias/signer'])
    expect(pem.out).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/)
    const check = createVerify('sha256').update('release 1.2.3')
    expect(check.verify(pem.out, Buffer.from(signature, 'base64'))).toBe(true)

    const valid = await cli(keystore, ['verify', '--key', 'alias/signer', '--signature', signature, '--json'], { input: 'release 1.2.3' })
    expect(valid.json()).toMatchObject({ algorithm: 'ECDSA_SHA_256', signatureValid: true })
    const invalid = await cli(keystore, ['verify', '--key', 'alias/signer', '--signature', signature], { input: 'release 1.2.4' })
    expect(invalid.status).toBe(1)
    expect(invalid.stderr).toMatch(/does not verify .*\(InvalidSignature\)\n$/)
  })

  it('signs a SHA-256 digest with --digest, writes raw signatures and PEM files with --out', async () => {
    const digest = createHash('sha256').update('big artefact').digest()
    writeFileSync(join(work, 'digest.bin'), digest)
    const r = await cli(keystore, ['sign', '--key', 'alias/signer', '--digest', '--in', join(work, 'digest.bin'), '--out', join(work, 'sig.der')])
    expect([r.status, r.out]).toEqual([0, ''])
    expect((await cli(keystore, ['get-public-key', 'alias/signer', '--out', join(work, 'pub.pem')])).status).toBe(0)
    expect(createVerify('sha256').update('big artefact').verify(readFileSync(join(work, 'pub.pem'), 'utf8'), readFileSync(join(work, 'sig.der')))).toBe(true)
    const fromFile = await cli(keystore, ['verify', '--key', 'alias/signer', '--digest', '--in', join(work, 'digest.bin'), '--signature-file', join(work, 'sig.der')])
    expect(fromFile.out).toMatch(/^Valid signature \(ECDSA_SHA_256, key /)
  })

  it('refuses what it cannot do, with the engine\'s codes', async () => {
    const noSignature = await cli(keystore, ['verify', '--key', 'alias/signer'], { input: 'x' })
    expect(noSignature.status).toBe(2)
    const symmetric = (await cli(keystore, ['create-key', '--json'])).json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId
    const notAsymmetric = await cli(keystore, ['get-public-key', symmetric])
    expect(notAsymmetric.status).toBe(1)
    expect(notAsymmetric.stderr).toMatch(/\(InvalidKeyUsage\)\n$/)
    const tooLong = await cli(keystore, ['sign', '--key', 'alias/signer'], { input: 'x'.repeat(5000) })
    expect(tooLong.status).toBe(1)
    expect(tooLong.stderr).toMatch(/InvalidParameter/)
  })
})

describe('mac and verify-mac', () => {
  it('computes an HMAC and checks it; a changed message or MAC exits 1 with InvalidMac', async () => {
    const made = await cli(keystore, ['mac', '--key', 'alias/mac', '--json'], { input: 'webhook body' })
    const body = made.json<{ mac: string; macAlgorithm: string; keyVersionId: string }>()
    expect(body.macAlgorithm).toBe('HMAC_SHA_256')
    expect(Buffer.from(body.mac, 'base64')).toHaveLength(32)
    const ok = await cli(keystore, ['verify-mac', '--key', 'alias/mac', '--mac', body.mac], { input: 'webhook body' })
    expect([ok.status, ok.out]).toEqual([0, expect.stringMatching(/^Valid MAC \(HMAC_SHA_256, key /)])
    const changed = await cli(keystore, ['verify-mac', '--key', 'alias/mac', '--mac', body.mac], { input: 'webhook body!' })
    expect(changed.status).toBe(1)
    expect(changed.stderr).toMatch(/\(InvalidMac\)\n$/)
    // After a rotation the old MAC still verifies (every version is tried).
    expect((await cli(keystore, ['rotate', 'alias/mac'])).status).toBe(0)
    const afterRotation = await cli(keystore, ['verify-mac', '--key', 'alias/mac', '--mac', body.mac, '--json'], { input: 'webhook body' })
    expect(afterRotation.json()).toMatchObject({ macValid: true, keyVersionId: body.keyVersionId })
  })
})

describe('import', () => {
  it('imports wrapped material into an EXTERNAL key, which then decrypts what the same material encrypts anywhere', async () => {
    const created = await cli(keystore, ['create-key', '--origin', 'EXTERNAL', '--alias', 'alias/byok', '--json'])
    expect(created.json<{ keyMetadata: { keyState: string } }>().keyMetadata.keyState).toBe('PendingImport')
    const params = await cli(keystore, ['import', 'parameters', 'alias/byok', '--public-key', join(work, 'wrap.pem'), '--json'])
    expect(params.status, params.stderr).toBe(0)
    const { importToken, wrappingAlgorithm } = params.json<{ importToken: string; wrappingAlgorithm: string }>()
    expect(wrappingAlgorithm).toBe('RSAES_OAEP_SHA_256')
    const material = randomBytes(32)
    const wrapped = publicEncrypt({ key: readFileSync(join(work, 'wrap.pem'), 'utf8'), oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, material)
    writeFileSync(join(work, 'material.enc'), wrapped)
    const missingToken = await cli(keystore, ['import', 'material', 'alias/byok', '--in', join(work, 'material.enc')])
    expect(missingToken.status).toBe(2)
    const imported = await cli(keystore, ['import', 'material', 'alias/byok', '--token', importToken, '--in', join(work, 'material.enc')])
    expect(imported.status, imported.stderr).toBe(0)
    expect(imported.out).toMatch(/now Enabled\)\n$/)
    const enc = await cli(keystore, ['encrypt', '--key', 'alias/byok'], { input: 'mine' })
    expect((await cli(keystore, ['decrypt'], { input: enc.out })).out).toBe('mine')
    // The token is single use.
    const again = await cli(keystore, ['import', 'material', 'alias/byok', '--token', importToken, '--in', join(work, 'material.enc')])
    expect(again.status).toBe(1)
  })
})
