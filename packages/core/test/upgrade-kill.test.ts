/**
 * The in-place upgrade of a first-release store is crash-safe: a process killed (SIGKILL)
 * at any moment of it leaves a store that opens afterwards, upgraded or still plain, with
 * nothing lost — every golden vector decrypts, every record is there, the digest verifies.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { afterAll, describe, expect, it } from 'vitest'
import { Kms, rawRootKey } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { GOLDEN_V1_FILE, goldenRootKeyBytes, type GoldenKeystore } from './golden/generate.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const workspace = path.resolve(here, '../../..')
const golden = JSON.parse(fs.readFileSync(GOLDEN_V1_FILE, 'utf8')) as GoldenKeystore
/** Plain first-release records beside the golden ones, so the upgrade takes many commits. */
const FILLER = 3000
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

async function firstReleaseStore(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-upgrade-'))
  dirs.push(dir)
  const storage = levelStorage(new ClassicLevel(dir))
  const records = [
    ...golden.records.map((r) => ({ key: r.key, value: new Uint8Array(Buffer.from(r.valueBase64, 'base64')) })),
    ...Array.from({ length: FILLER }, (_, i) => ({ key: `audit/used/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, value: new TextEncoder().encode(String(1767225600000 + i)) })),
  ]
  for (let i = 0; i < records.length; i += 500) {
    await storage.commit(records.slice(i, i + 500).map((r) => ({ type: 'put' as const, key: r.key, value: r.value, expectedRevision: null })))
  }
  await storage.close()
  return dir
}

/** Runs the child and SIGKILLs it `delayMs` after it starts opening (or lets it finish). Resolves with what it printed. */
function upgradeUntilKilled(dir: string, delayMs: number): Promise<string> {
  const script = path.join(here, 'fixtures', 'upgrade-until-killed.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, dir, Buffer.from(goldenRootKeyBytes()).toString('hex')], { cwd: workspace })
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('opening') && !out.includes('killing')) {
        out += 'killing\n'
        setTimeout(() => child.kill('SIGKILL'), delayMs)
      }
    })
    child.on('error', reject)
    child.on('exit', () => resolve(out))
  })
}

describe('killing the upgrade of a first-release store', () => {
  it.each([0, 15, 40, 80, 160, 100_000])('killed %i ms into opening: the store opens afterwards with nothing lost', async (delayMs) => {
    const dir = await firstReleaseStore()
    await upgradeUntilKilled(dir, delayMs)
    const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey: rawRootKey(goldenRootKeyBytes()) })
    try {
      for (const v of golden.vectors) {
        const back = await kms.decrypt({ ciphertextBlob: new Uint8Array(Buffer.from(v.blobBase64, 'base64')), ...(v.encryptionContext ? { encryptionContext: v.encryptionContext } : {}) })
        expect(Buffer.from(back.plaintext).toString('base64')).toBe(v.plaintextBase64)
      }
      const report = await kms.verify()
      expect(report).toMatchObject({ ok: true })
      // Every record the first release had is there and sealed (plus the last-used dates of these decrypts).
      expect(report.records.ok && report.records.records).toBeGreaterThanOrEqual(golden.records.length - 1 + FILLER)
    } finally {
      await kms.close()
    }
  }, 60_000)
})
