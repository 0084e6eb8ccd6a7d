/**
 * Changing the root key is crash-safe: a child process changing the root key of a LevelDB
 * keystore of a few thousand keys, killed (SIGKILL) at moments spread over the change, over
 * and over on the same store (each child finishing what the last one left, then changing
 * to the other key), always leaves a store that opens under one of the two keys, in which
 * every key still decrypts what it encrypted, and whose digest and audit trail verify.
 *
 * In the end-to-end run (`pnpm run test:e2e`): a few dozen seconds of child processes.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kms, KmsError, rawRootKey } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { utf8 } from '../test/helpers.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const workspace = path.resolve(here, '../../..')
const KEY_A = new Uint8Array(32).fill(0xa1)
const KEY_B = new Uint8Array(32).fill(0xb2)
const KEYS = 2500
/** Every this-many keys, one ciphertext to decrypt after each kill. */
const SAMPLE_EVERY = 50
let work: string
let store: string
/** How many kills left the store in the middle of a change (its header holding the pending-change marker). */
let interrupted = 0
const samples: Array<{ keyId: string; blob: Uint8Array; plain: string }> = []

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-rootkey-kill-'))
  store = path.join(work, 'store')
  const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(store)), rootKey: rawRootKey(KEY_A) })
  for (let i = 0; i < KEYS; i += 100) {
    const ids = await Promise.all(Array.from({ length: Math.min(100, KEYS - i) }, async () => (await kms.createKey()).keyMetadata.keyId))
    for (const [j, keyId] of ids.entries()) {
      if ((i + j) % SAMPLE_EVERY !== 0) continue
      const plain = `secret ${i + j}`
      samples.push({ keyId, plain, blob: (await kms.encrypt({ keyId, plaintext: utf8(plain) })).ciphertextBlob })
    }
  }
  await kms.close()
}, 60_000)
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true })
})

/**
 * Runs the child on the store and SIGKILLs it `delayMs` after it printed `mark` (`opening`:
 * it starts opening; `changing`: it opened and starts the change), or lets it finish when
 * `delayMs` is undefined. Resolves with what it printed and how long the change took.
 */
function changeUntilKilled(mark: 'opening' | 'changing', delayMs: number | undefined): Promise<{ printed: string; changeMs?: number }> {
  const script = path.join(here, '..', 'test', 'fixtures', 'change-root-key-until-killed.ts')
  const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex')
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, store, hex(KEY_A), hex(KEY_B)], { cwd: workspace })
  let out = ''
  let err = ''
  let changingAt: number | undefined
  let changeMs: number | undefined
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (changingAt === undefined && out.includes('changing')) changingAt = performance.now()
      if (changeMs === undefined && changingAt !== undefined && out.includes('changed')) changeMs = performance.now() - changingAt
      if (delayMs !== undefined && out.includes(mark) && !out.includes('killing')) {
        out += 'killing\n'
        setTimeout(() => child.kill('SIGKILL'), delayMs)
      }
    })
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      // Killed, or finished cleanly: anything else (a thrown error) is a failure of the change itself.
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`the child failed (${code}): ${err}`))
      else resolve({ printed: out, ...(changeMs === undefined ? {} : { changeMs }) })
    })
  })
}

/** Opens a copy of the store (so the next child meets the store exactly as the killed one left it) with whichever key opens it. */
async function openCopy(copy: string): Promise<{ kms: Kms; key: 'A' | 'B' }> {
  fs.rmSync(copy, { recursive: true, force: true })
  fs.cpSync(store, copy, { recursive: true })
  const raw = levelStorage(new ClassicLevel(copy))
  const header = JSON.parse(new TextDecoder().decode((await raw.get('meta/keystore'))!.value)) as { pendingChange?: unknown }
  await raw.close()
  if (header.pendingChange !== undefined) interrupted++
  for (const [name, key] of [['A', KEY_A], ['B', KEY_B]] as const) {
    try {
      return { kms: await Kms.open({ storage: levelStorage(new ClassicLevel(copy)), rootKey: rawRootKey(key) }), key: name }
    } catch (error) {
      if (!KmsError.is(error, 'RootKeyMismatch')) throw error
    }
  }
  throw new Error('the store opens under neither root key')
}

describe('killing a root-key change', () => {
  /**
   * The first run changes the key undisturbed and measures how long a change takes here;
   * the kills then land at fractions of that (so they fall inside the change on a fast or
   * a slow machine), and one right after a child starts opening, where it finishes the
   * change the previous kill interrupted.
   */
  let changeMs = 0
  const kills: Array<[mark: 'opening' | 'changing', fraction: number | undefined]> = [
    ['changing', undefined], ['changing', 0.5], ['opening', 0], ['changing', 0.7], ['changing', 0.35], ['changing', 0.85], ['opening', 0.1], ['changing', 0.6],
  ]
  const opened = new Set<string>()
  it.each(kills.map(([mark, fraction], run) => [run, mark, fraction] as const))('run %i, killed after %s at %s of a change: opens under one of the keys with nothing lost', async (run, mark, fraction) => {
    const result = await changeUntilKilled(mark, fraction === undefined ? undefined : Math.round(fraction * changeMs))
    if (fraction === undefined) {
      expect(result.printed).toContain('changed')
      changeMs = result.changeMs!
    }
    const { kms, key } = await openCopy(path.join(work, `check-${run}`))
    opened.add(key)
    try {
      for (const { keyId, blob, plain } of samples) {
        const back = await kms.decrypt({ ciphertextBlob: blob })
        expect(back.keyId).toBe(keyId)
        expect(new TextDecoder().decode(back.plaintext)).toBe(plain)
      }
      const report = await kms.verify()
      expect(report).toMatchObject({ ok: true, records: { ok: true }, audit: { ok: true } })
      // Every key record is there (plus the trail's last-used records).
      expect(report.records.ok && report.records.records).toBeGreaterThanOrEqual(KEYS)
    } finally {
      await kms.close()
    }
  }, 60_000)

  it('at least one kill landed in the middle of a change, and the store moved between the two keys', () => {
    expect(interrupted).toBeGreaterThan(0)
    expect(opened).toEqual(new Set(['A', 'B']))
  })
})
