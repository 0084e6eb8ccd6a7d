/**
 * The format does not depend on the crypto provider: envelopes (and files) sealed with
 * node:crypto open with the pure-JS provider, and the other way round — including when the
 * engine itself runs on the other provider.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { Envelope } from '@strongroom/envelope'
import { openFile, sealFile } from '@strongroom/envelope/node'
import { expectSameBytes, openFixture, pseudoRandomBytes, type Fixture } from './helpers.js'

const providers = [nodeCryptoProvider(), nobleCryptoProvider()] as const
let fixture: Fixture
let directory: string
beforeAll(async () => {
  fixture = await openFixture()
  directory = mkdtempSync(join(tmpdir(), 'strongroom-envelope-providers-'))
})
afterAll(async () => {
  await fixture.kms.close()
  rmSync(directory, { recursive: true, force: true })
})

describe('cross-provider', () => {
  for (const sealWith of providers) {
    for (const openWith of providers) {
      it(`bytes sealed with ${sealWith.name} open with ${openWith.name}`, async () => {
        const plaintext = pseudoRandomBytes(5 * 1024 + 3)
        const sealer = new Envelope({ kms: fixture.kms, crypto: sealWith, frameSize: 1024 })
        const opener = new Envelope({ kms: fixture.kms, crypto: openWith })
        const sealed = await sealer.seal(plaintext, { keyIds: ['alias/a', 'alias/b'], encryptionContext: { p: sealWith.name } })
        expectSameBytes((await opener.open(sealed, { encryptionContext: { p: sealWith.name } })).plaintext, plaintext)
        // Tampering is caught the same way by either.
        sealed[sealed.length - 1]! ^= 1
        await expect(opener.open(sealed)).rejects.toThrow(/frame 6 failed/)
      })

      it(`a file sealed with ${sealWith.name} opens with ${openWith.name}`, async () => {
        const plaintext = pseudoRandomBytes(100_000, 9)
        const source = join(directory, `${sealWith.name}-${openWith.name}.bin`)
        writeFileSync(source, plaintext)
        await sealFile(new Envelope({ kms: fixture.kms, crypto: sealWith, frameSize: 4096 }), source, `${source}.sre`, { keyIds: ['alias/c'] })
        await openFile(new Envelope({ kms: fixture.kms, crypto: openWith }), `${source}.sre`, `${source}.out`)
        expectSameBytes(readFileSync(`${source}.out`), plaintext)
      })
    }
  }

  it('an engine running on the pure-JS provider serves an envelope on node:crypto, and back', async () => {
    const noble = await openFixture({ crypto: nobleCryptoProvider() })
    try {
      const plaintext = pseudoRandomBytes(3000)
      const sealed = await new Envelope({ kms: noble.kms, crypto: nodeCryptoProvider(), frameSize: 512 }).seal(plaintext, { keyIds: ['alias/a'] })
      const opened = await new Envelope({ kms: noble.kms, crypto: nobleCryptoProvider() }).open(sealed)
      expectSameBytes(opened.plaintext, plaintext)
    } finally {
      await noble.kms.close()
    }
  })
})
