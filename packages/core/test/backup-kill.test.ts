/**
 * A restore killed (SIGKILL) at any moment of its writing pass leaves a LevelDB store that
 * `Kms.open` refuses (records but no keystore header) or a complete one; running the same
 * restore again completes it, with every record there and the digest verifying.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kms, KmsError, backupKeystore, rawRootKey, restoreKeystore } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { MemoryLevel } from 'memory-level'
import { utf8 } from './helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const workspace = path.resolve(here, '../../..')
const ROOT = new Uint8Array(32).fill(9)
const FILLER = 8000
let work: string
let file: string
let ciphertextBlob: Uint8Array
/** How many kills landed mid-restore (a store Kms.open refused). */
let interrupted = 0

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-restore-kill-'))
  file = path.join(work, 'keystore.backup')
  const db = new MemoryLevel()
  const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT) })
  const { keyId } = (await kms.createKey()).keyMetadata
  ciphertextBlob = (await kms.encrypt({ keyId, plaintext: utf8('kept') })).ciphertextBlob
  await kms.close()
  // Many records (unsealed audit-like ones: the barrier does not check them) so the writing pass takes many commits.
  const storage = memoryStorage(db)
  const value = new Uint8Array(100).fill(3)
  for (let i = 0; i < FILLER; i += 1000) {
    await storage.commit(Array.from({ length: 1000 }, (_, j) => ({ type: 'put' as const, key: `audit/seg/x${String(i + j).padStart(8, '0')}`, value, expectedRevision: null })))
  }
  await fs.promises.writeFile(file, backupKeystore({ storage, rootKey: rawRootKey(ROOT), chunkBytes: 4096 }))
  await storage.close()
})
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

/** Runs the child and SIGKILLs it `delayMs` after its writing pass starts. Resolves with what it printed. */
function restoreUntilKilled(dir: string, delayMs: number): Promise<string> {
  const script = path.join(here, 'fixtures', 'restore-until-killed.ts')
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, dir, file, Buffer.from(ROOT).toString('hex')], { cwd: workspace })
  let out = ''
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('writing') && !out.includes('killing')) {
        out += 'killing\n'
        setTimeout(() => child.kill('SIGKILL'), delayMs)
      }
    })
    child.on('error', reject)
    child.on('exit', () => resolve(out))
  })
}

describe('killing a restore', () => {
  it.each([0, 40, 100_000])('killed %i ms into writing: refused by Kms.open or complete; restoring again completes it', async (delayMs) => {
    const dir = path.join(work, `target-${delayMs}`)
    const printed = await restoreUntilKilled(dir, delayMs)
    let completed = printed.includes('restored')
    if (!completed) {
      try {
        await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey: rawRootKey(ROOT) }).then((kms) => kms.close())
        completed = true // killed after the last commit
      } catch (error) {
        expect(KmsError.is(error, 'CorruptRecord')).toBe(true)
        interrupted++
      }
    }
    if (!completed) {
      const storage = levelStorage(new ClassicLevel(dir))
      await restoreKeystore({ storage, backup: () => fs.createReadStream(file), rootKey: rawRootKey(ROOT) })
      await storage.close()
    }
    const storage = levelStorage(new ClassicLevel(dir))
    const filler = await storage.scan({ prefix: 'audit/seg/x', limit: 1000, after: `audit/seg/x${String(FILLER - 2).padStart(8, '0')}` })
    expect(filler.records.map((r) => r.key)).toEqual([`audit/seg/x${String(FILLER - 1).padStart(8, '0')}`])
    expect(await storage.get('meta/restore-in-progress')).toBeUndefined()
    const kms = await Kms.open({ storage, rootKey: rawRootKey(ROOT) })
    try {
      expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('kept')
      // The filler is not a valid audit chain, so only the sealed records' digest is checked.
      expect((await kms.verify()).records).toMatchObject({ ok: true })
    } finally {
      await kms.close()
    }
  }, 60_000)

  it('at least one kill landed in the middle of a restore', () => {
    expect(interrupted).toBeGreaterThan(0)
  })
})
