/** The envelope example is code a test runs, so it cannot rot. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { envelopeFileDemo } from './envelope-file.js'

const directories: string[] = []
afterEach(() => {
  for (const d of directories.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('envelope example', () => {
  it('seals a file, forgets the data key, and opens it again with only the keystore and the passphrase', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'strongroom-example-envelope-'))
    directories.push(directory)
    const result = await envelopeFileDemo(directory, 'example passphrase')
    expect(result.identical).toBe(true)
    expect(result.openedWith).toBe('alias/reports')
    // Frames add 20 bytes per 64 KiB; the header holds the wrapped data key.
    expect(result.sealedBytes - result.plaintextBytes).toBeLessThan(result.headerBytes + 20 * 20)
    expect(readdirSync(directory).sort()).toEqual(['keystore', 'report.csv', 'report.csv.sre'])
  })
})
