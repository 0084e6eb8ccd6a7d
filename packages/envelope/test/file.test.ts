/**
 * Files: real files in a temporary directory. A failure never leaves a destination (or a
 * temporary file) behind; an existing destination is never replaced by accident; memory
 * does not grow with the file size.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsError } from '@strongroom/core'
import { Envelope, FRAME_OVERHEAD, readEnvelopeHeader } from '@strongroom/envelope'
import { openFile, sealFile, type FileProgress } from '@strongroom/envelope/node'
import { expectSameBytes, openFixture, pseudoRandomBytes, type Fixture } from './helpers.js'

const run = promisify(execFile)
let fixture: Fixture
let envelope: Envelope
let root: string
/** A fresh empty directory per test, so "nothing left behind" can be checked by listing it. */
function freshDirectory(): string {
  return mkdtempSync(join(root, 'case-'))
}

beforeAll(async () => {
  fixture = await openFixture()
  envelope = new Envelope({ kms: fixture.kms, frameSize: 4096 })
  root = mkdtempSync(join(tmpdir(), 'strongroom-envelope-files-'))
})
afterAll(async () => {
  await fixture.kms.close()
  rmSync(root, { recursive: true, force: true })
})

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

describe('sealFile and openFile', () => {
  it('round-trip a file, report sizes and the verified header, and write plaintext with mode 0600', async () => {
    const dir = freshDirectory()
    const plaintext = pseudoRandomBytes(50_000)
    writeFileSync(join(dir, 'in.bin'), plaintext)
    const progress: FileProgress[] = []
    const sealed = await sealFile(envelope, join(dir, 'in.bin'), join(dir, 'in.bin.sre'), {
      keyIds: ['alias/a', 'alias/b'], encryptionContext: { file: 'in.bin' }, onProgress: (p) => progress.push(p),
    })
    expect(sealed.bytesRead).toBe(50_000)
    expect(sealed.bytesWritten).toBe(statSync(join(dir, 'in.bin.sre')).size)
    expect(progress.at(-1)).toEqual({ bytesRead: 50_000, totalBytes: 50_000 })
    const opened = await openFile(envelope, join(dir, 'in.bin.sre'), join(dir, 'out.bin'), { encryptionContext: { file: 'in.bin' } })
    expect(opened.keyId).toBe(fixture.keys[0])
    expect(opened.encryptionContext).toEqual({ file: 'in.bin' })
    expect(opened.bytesWritten).toBe(50_000)
    expectSameBytes(readFileSync(join(dir, 'out.bin')), plaintext)
    expect(statSync(join(dir, 'out.bin')).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir).sort()).toEqual(['in.bin', 'in.bin.sre', 'out.bin'])
  })

  it('an empty file seals to a header and one empty final frame', async () => {
    const dir = freshDirectory()
    writeFileSync(join(dir, 'empty'), new Uint8Array(0))
    await sealFile(envelope, join(dir, 'empty'), join(dir, 'empty.sre'), { keyIds: ['alias/a'] })
    const sealed = readFileSync(join(dir, 'empty.sre'))
    expect(sealed.length).toBe(readEnvelopeHeader(sealed).headerLength + FRAME_OVERHEAD)
    await openFile(envelope, join(dir, 'empty.sre'), join(dir, 'empty.out'))
    expect(readFileSync(join(dir, 'empty.out')).length).toBe(0)
  })

  it('never replaces an existing destination unless asked, and then atomically (even in place)', async () => {
    const dir = freshDirectory()
    writeFileSync(join(dir, 'in'), 'secret data')
    writeFileSync(join(dir, 'taken'), 'keep me')
    const error = await failure(sealFile(envelope, join(dir, 'in'), join(dir, 'taken'), { keyIds: ['alias/a'] }))
    expect((error as NodeJS.ErrnoException).code).toBe('EEXIST')
    expect(readFileSync(join(dir, 'taken'), 'utf8')).toBe('keep me')
    await sealFile(envelope, join(dir, 'in'), join(dir, 'taken'), { keyIds: ['alias/a'], overwrite: true })
    expect(readEnvelopeHeader(readFileSync(join(dir, 'taken'))).recipients).toHaveLength(1)
    // In place: the source is read fully into the temporary file before the rename.
    await sealFile(envelope, join(dir, 'in'), join(dir, 'in'), { keyIds: ['alias/a'], overwrite: true })
    await openFile(envelope, join(dir, 'in'), join(dir, 'in'), { overwrite: true })
    expect(readFileSync(join(dir, 'in'), 'utf8')).toBe('secret data')
    expect(readdirSync(dir).sort()).toEqual(['in', 'taken'])
  })

  it('a damaged or truncated envelope leaves no destination and no temporary file', async () => {
    const dir = freshDirectory()
    const plaintext = pseudoRandomBytes(20_000)
    writeFileSync(join(dir, 'in'), plaintext)
    await sealFile(envelope, join(dir, 'in'), join(dir, 'good.sre'), { keyIds: ['alias/a'] })
    const good = readFileSync(join(dir, 'good.sre'))
    const damaged = Uint8Array.from(good)
    damaged[damaged.length - 100]! ^= 1 // in the last frame: earlier frames verify and are written to the temp file first
    writeFileSync(join(dir, 'damaged.sre'), damaged)
    writeFileSync(join(dir, 'truncated.sre'), good.subarray(0, good.length - FRAME_OVERHEAD))
    for (const name of ['damaged.sre', 'truncated.sre']) {
      const error = await failure(openFile(envelope, join(dir, name), join(dir, 'out')))
      expect(KmsError.is(error, 'InvalidCiphertext')).toBe(true)
      expect(existsSync(join(dir, 'out'))).toBe(false)
    }
    expect(readdirSync(dir).sort()).toEqual(['damaged.sre', 'good.sre', 'in', 'truncated.sre'])
  })

  // Reads are 1 MiB and pipelined (the next read and the previous write run while a chunk is
  // processed): sizes around a read and around a frame, with frame sizes that divide a read
  // (64 KiB) and that do not (3000 B: frames straddle reads and are staged).
  const READ = 1 << 20
  it.each([
    [65_536, READ - 1], [65_536, READ], [65_536, READ + 1], [65_536, 2 * READ + 65_536],
    [3000, READ - 1], [3000, READ + 2999], [3000, 2 * READ + 1],
  ])('frames of %i B, a file of %i B: round-trips across read boundaries', async (frameSize, length) => {
    const dir = freshDirectory()
    const framed = new Envelope({ kms: fixture.kms, frameSize })
    const plaintext = pseudoRandomBytes(length)
    writeFileSync(join(dir, 'in'), plaintext)
    const progress: number[] = []
    const sealed = await sealFile(framed, join(dir, 'in'), join(dir, 'in.sre'), { keyIds: ['alias/a'], onProgress: (p) => progress.push(p.bytesRead) })
    expect(progress).toEqual(Array.from({ length: Math.ceil(length / READ) }, (_, i) => Math.min((i + 1) * READ, length)))
    const bytes = readFileSync(join(dir, 'in.sre'))
    expect(sealed.bytesWritten).toBe(bytes.length)
    expect(bytes.length).toBe(readEnvelopeHeader(bytes).headerLength + length + Math.ceil((length + 1) / frameSize) * FRAME_OVERHEAD)
    const opened = await openFile(framed, join(dir, 'in.sre'), join(dir, 'out'))
    expect(opened.bytesWritten).toBe(length)
    expectSameBytes(readFileSync(join(dir, 'out')), plaintext)
    // The same bytes open in memory: the file path writes exactly the format.
    expectSameBytes((await framed.open(bytes)).plaintext, plaintext)
  })

  it('a byte changed or cut past the first read fails the whole file: nothing is left behind', async () => {
    const dir = freshDirectory()
    const plaintext = pseudoRandomBytes(2 * READ + 10_000)
    writeFileSync(join(dir, 'in'), plaintext)
    await sealFile(envelope, join(dir, 'in'), join(dir, 'good.sre'), { keyIds: ['alias/a'] })
    const good = readFileSync(join(dir, 'good.sre'))
    const damaged = Uint8Array.from(good)
    damaged[READ + 12_345]! ^= 0x80 // in the second read: the frames of the first were already written to the temp file
    writeFileSync(join(dir, 'damaged.sre'), damaged)
    writeFileSync(join(dir, 'truncated.sre'), good.subarray(0, READ + 5000))
    writeFileSync(join(dir, 'extended.sre'), Buffer.concat([good, Buffer.from([0])]))
    for (const name of ['damaged.sre', 'truncated.sre', 'extended.sre']) {
      const error = await failure(openFile(envelope, join(dir, name), join(dir, 'out')))
      expect(KmsError.is(error, 'InvalidCiphertext'), name).toBe(true)
      expect(existsSync(join(dir, 'out'))).toBe(false)
    }
    expect(readdirSync(dir).sort()).toEqual(['damaged.sre', 'extended.sre', 'good.sre', 'in', 'truncated.sre'])
  })

  it('a wrong context or an unusable key fails before any plaintext is written', async () => {
    const dir = freshDirectory()
    writeFileSync(join(dir, 'in'), 'x')
    await sealFile(envelope, join(dir, 'in'), join(dir, 'in.sre'), { keyIds: ['alias/a'], encryptionContext: { k: 'v' } })
    const error = await failure(openFile(envelope, join(dir, 'in.sre'), join(dir, 'out'), { encryptionContext: { k: 'other' } }))
    expect(KmsError.is(error, 'InvalidCiphertext')).toBe(true)
    const missing = await failure(sealFile(envelope, join(dir, 'in'), join(dir, 'x.sre'), { keyIds: ['alias/missing'] }))
    expect(KmsError.is(missing, 'Forbidden.AliasNotFound')).toBe(true)
    expect(readdirSync(dir).sort()).toEqual(['in', 'in.sre'])
  })

  it('aborting stops the work and removes the temporary file', async () => {
    const dir = freshDirectory()
    writeFileSync(join(dir, 'in'), pseudoRandomBytes(3 << 20)) // three reads
    const controller = new AbortController()
    const error = await failure(sealFile(envelope, join(dir, 'in'), join(dir, 'out.sre'), {
      keyIds: ['alias/a'], signal: controller.signal, onProgress: () => controller.abort(new Error('stop')),
    }))
    expect((error as Error).message).toBe('stop')
    expect(readdirSync(dir)).toEqual(['in'])
    await expect(sealFile(envelope, join(dir, 'in'), join(dir, 'out.sre'), { keyIds: ['alias/a'], signal: AbortSignal.abort() }))
      .rejects.toThrow()
  })

  it('a missing source is the filesystem error, with nothing created', async () => {
    const dir = freshDirectory()
    const error = await failure(sealFile(envelope, join(dir, 'nope'), join(dir, 'out'), { keyIds: ['alias/a'] }))
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT')
    expect(readdirSync(dir)).toEqual([])
  })

  it('memory does not grow with the file: sealing and opening 256 MiB stays within a few dozen MiB of RSS', async () => {
    const dir = freshDirectory()
    const fixtureScript = new URL('./fixtures/large-file.ts', import.meta.url).pathname
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', 'tsx', fixtureScript, dir, '256'], {
      cwd: new URL('../../..', import.meta.url).pathname, timeout: 120_000,
    })
    const result = JSON.parse(stdout) as { baseline: number; afterSeal: number; afterOpen: number; sealedBytes: number; openedBytes: number }
    expect(result.openedBytes).toBe(256 * 2 ** 20)
    // node:crypto allocates a fresh buffer per frame and V8 collects them lazily (up to its
    // 64 MiB external-memory soft limit), so growth is bounded by that, not by the file.
    expect(result.afterSeal - result.baseline).toBeLessThan(80 * 2 ** 20)
    expect(result.afterOpen - result.baseline).toBeLessThan(80 * 2 ** 20)
  }, 120_000)
})
