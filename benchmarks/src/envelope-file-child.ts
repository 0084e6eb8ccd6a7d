/**
 * Child process of envelope.ts: encrypt-file and decrypt-file of a large file, timed, with
 * the process's own RSS high-water mark before and after, and two baselines: a plain copy of
 * the same file (1 MiB reads, fsync) and that copy with one raw AES-256-GCM pass over the
 * bytes (one streaming cipher, each read encrypted before it is written), the target of
 * sealFile and openFile (≤ 1.2× it).
 *
 * RSS comes from /proc/self/status VmHWM: `process.resourceUsage().maxRSS` is inherited
 * across fork and exec on Linux, so it would report the parent's high-water mark.
 *
 * `node --conditions=source --import tsx envelope-file-child.ts DIRECTORY MEBIBYTES`
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createCipheriv, randomFillSync } from 'node:crypto'
import { join } from 'node:path'
import { Kms } from '@strongroom/core'
import { Envelope } from '@strongroom/envelope'
import { openFile, sealFile } from '@strongroom/envelope/node'
import { memoryStorage } from '@strongroom/storage-memory'

const [directory, mebibytes] = process.argv.slice(2)
if (directory === undefined || mebibytes === undefined) throw new Error('usage: envelope-file-child.ts DIRECTORY MEBIBYTES')
const source = join(directory, 'large.bin')
// Real (random) data, written once: 1 MiB of random bytes repeated.
const block = randomFillSync(new Uint8Array(1 << 20))
const fd = openSync(source, 'w')
for (let i = 0; i < Number(mebibytes); i++) writeSync(fd, block)
closeSync(fd)

const kms = await Kms.open({ storage: memoryStorage() })
const { keyMetadata } = await kms.createKey({})
const envelope = new Envelope({ kms })
// Warm every code path on a small file, so the baseline includes the loaded code.
const warm = join(directory, 'warm.bin')
closeSync(openSync(warm, 'w'))
await sealFile(envelope, warm, `${warm}.sre`, { keyIds: [keyMetadata.keyId] })
await openFile(envelope, `${warm}.sre`, `${warm}.out`)

const rss = (): number => {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  return match === null ? process.resourceUsage().maxRSS * 1024 : Number(match[1]) * 1024
}

/** The I/O baseline: copy the file in 1 MiB reads (like sealFile), then fsync. */
async function copyFile(from: string, to: string): Promise<void> {
  const input = await open(from, 'r')
  const output = await open(to, 'wx')
  const buffer = new Uint8Array(1 << 20)
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, buffer.length, null)
    if (bytesRead === 0) break
    await output.write(buffer.subarray(0, bytesRead))
  }
  await output.sync()
  await Promise.all([input.close(), output.close()])
}
/** The target: the copy above with one raw AES-256-GCM pass (the envelope's work without its framing). */
async function copyWithGcm(from: string, to: string): Promise<void> {
  const input = await open(from, 'r')
  const output = await open(to, 'wx')
  const cipher = createCipheriv('aes-256-gcm', randomFillSync(new Uint8Array(32)), randomFillSync(new Uint8Array(12)))
  const buffer = new Uint8Array(1 << 20)
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, buffer.length, null)
    if (bytesRead === 0) break
    await output.write(cipher.update(buffer.subarray(0, bytesRead)))
  }
  cipher.final()
  await output.write(cipher.getAuthTag())
  await output.sync()
  await Promise.all([input.close(), output.close()])
}
let started = performance.now()
await copyFile(source, `${source}.copy`)
const copySeconds = (performance.now() - started) / 1000
started = performance.now()
await copyWithGcm(source, `${source}.gcm`)
const gcmCopySeconds = (performance.now() - started) / 1000
const baselineRss = rss()
started = performance.now()
await sealFile(envelope, source, `${source}.sre`, { keyIds: [keyMetadata.keyId] })
const sealSeconds = (performance.now() - started) / 1000
const peakRssSeal = rss()
started = performance.now()
await openFile(envelope, `${source}.sre`, `${source}.out`)
const openSeconds = (performance.now() - started) / 1000
const peakRssOpen = rss()
await kms.close()
console.log(JSON.stringify({ mebibytes: Number(mebibytes), copySeconds, gcmCopySeconds, sealSeconds, openSeconds, baselineRss, peakRssSeal, peakRssOpen }))
