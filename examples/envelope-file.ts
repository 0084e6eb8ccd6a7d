/**
 * Envelope encryption of a file: the data is encrypted locally under a fresh data key
 * from the engine, only the data key's wrapped copy is stored (in the file's header), and
 * the plaintext data key is wiped as soon as the file is sealed. Later — a new process,
 * nothing in memory — the keystore directory and its passphrase are all it takes to
 * decrypt the file again.
 *
 * Run it: `STRONGROOM_PASSPHRASE=… npx tsx --conditions=source examples/envelope-file.ts [directory]`
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { Kms, passphraseRootKey } from '@strongroom/core'
import { Envelope, readEnvelopeHeader } from '@strongroom/envelope'
import { openFile, sealFile } from '@strongroom/envelope/node'
import { levelStorage } from '@strongroom/storage-level'

export interface EnvelopeFileDemo {
  readonly identical: boolean
  readonly plaintextBytes: number
  readonly sealedBytes: number
  readonly headerBytes: number
  readonly openedWith: string
}

function openKeystore(directory: string, passphrase: string): Promise<Kms> {
  return Kms.open({ storage: levelStorage(new ClassicLevel(join(directory, 'keystore'))), rootKey: passphraseRootKey(passphrase) })
}

export async function envelopeFileDemo(directory: string, passphrase: string): Promise<EnvelopeFileDemo> {
  const report = join(directory, 'report.csv')
  const plaintext = Buffer.from('date,amount\n' + Array.from({ length: 50_000 }, (_, i) => `2026-01-${(i % 28) + 1},${i * 7}`).join('\n'))
  writeFileSync(report, plaintext)

  // 1. Seal: generateDataKey under the CMK, encrypt locally, keep only the wrapped data key.
  //    sealFile wipes the plaintext data key once the file is sealed.
  const first = await openKeystore(directory, passphrase)
  const { keyMetadata } = await first.createKey({ description: 'reports' })
  await first.createAlias({ aliasName: 'alias/reports', keyId: keyMetadata.keyId })
  await sealFile(new Envelope({ kms: first }), report, `${report}.sre`, {
    keyIds: ['alias/reports'], encryptionContext: { department: 'finance' },
  })
  await first.close()
  rmSync(report) // the plaintext is gone; so is the data key

  // What the sealed file's header holds: the CMK's id, the wrapped data key, the context.
  const header = readEnvelopeHeader(readFileSync(`${report}.sre`))

  // 2. Later, with only the keystore directory and the passphrase: open it back.
  const second = await openKeystore(directory, passphrase)
  const opened = await openFile(new Envelope({ kms: second }), `${report}.sre`, report, { encryptionContext: { department: 'finance' } })
  await second.close()

  return {
    identical: readFileSync(report).equals(plaintext),
    plaintextBytes: plaintext.length,
    sealedBytes: readFileSync(`${report}.sre`).length,
    headerBytes: header.headerLength,
    openedWith: opened.keyId === keyMetadata.keyId ? 'alias/reports' : opened.keyId,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const directory = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'strongroom-envelope-'))
  const passphrase = process.env['STRONGROOM_PASSPHRASE'] ?? 'correct horse battery staple'
  try {
    const r = await envelopeFileDemo(directory, passphrase)
    console.log(`sealed    ${r.plaintextBytes} bytes → ${r.sealedBytes} bytes (a ${r.headerBytes}-byte header holds the wrapped data key)`)
    console.log(`opened    with ${r.openedWith}, identical: ${r.identical}`)
  } finally {
    if (process.argv[2] === undefined) rmSync(directory, { recursive: true, force: true })
  }
}
