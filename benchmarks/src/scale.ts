/**
 * The scale suite: a LevelDB keystore of many keys (1,000,000 by default), then, in a fresh
 * process, what users of such a store see: open time, list-page latency (by marker and by
 * page number), RSS over the process's baseline after walking every key, and decrypt on a
 * cold key (first use after open) and on a hot one, median and p99.
 *
 * ```sh
 * pnpm bench -- --scale                  # 1,000,000 keys
 * pnpm bench -- --scale --keys 100000    # a smaller store
 * ```
 *
 * Creating the store goes through the engine's API (`createKey`, 64 calls in flight), so the
 * store measured is exactly what the engine writes. Two things make creation a bulk path:
 * the audit trail is off (it is not what this suite measures) and LevelDB commits are not
 * fsync'd one by one (`levelStorage(db, { sync: false })`; the store is closed cleanly).
 * The store is made once per `--keys` under the system's temp directory and reused
 * (`--fresh` makes it again).
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { Kms, rawRootKey } from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'

const ROOT = new Uint8Array(32).fill(42)
/** Keys whose blobs are kept for the decrypt rows: twice the default key cache, so the cold pass cannot be served from it. */
const SAMPLED = 2000

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at < 0 ? undefined : process.argv[at + 1]
}

const keys = Number(argument('--keys') ?? 1_000_000)
const dir = join(tmpdir(), `strongroom-scale-${keys}`)
const blobsFile = join(dir, 'blobs.json')

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!
}

const micros = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`

async function create(): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  // The bulk path: commits reach the OS but are not fsync'd one by one (`sync: false`); the
  // records are the ones the engine writes with fsync on, and the store is closed cleanly.
  const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(dir), { sync: false }), rootKey: rawRootKey(ROOT), audit: false })
  const started = performance.now()
  const sampleEvery = Math.max(1, Math.floor(keys / SAMPLED))
  const blobs: { keyId: string; blob: string }[] = []
  let made = 0
  const worker = async (): Promise<void> => {
    while (made < keys) {
      const n = made++
      const { keyId } = (await kms.createKey()).keyMetadata
      if (n % sampleEvery === 0 && blobs.length < SAMPLED) {
        const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: new Uint8Array(1024) })
        blobs.push({ keyId, blob: Buffer.from(ciphertextBlob).toString('base64') })
      }
      if (n > 0 && n % 50_000 === 0) console.log(`  … ${n} keys, ${((performance.now() - started) / 1000).toFixed(0)} s`)
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  await kms.close()
  writeFileSync(blobsFile, JSON.stringify(blobs))
  const seconds = (performance.now() - started) / 1000
  console.log(`created ${keys} keys through createKey (64 in flight, audit off, no fsync per commit) in ${seconds.toFixed(0)} s (${(seconds * 1e6 / keys).toFixed(0)} µs per key)`)
}

/** Runs in a fresh process: nothing of the creation is in its heap or caches. */
async function measure(): Promise<void> {
  const blobs = (JSON.parse(readFileSync(blobsFile, 'utf8')) as { keyId: string; blob: string }[]).map((b) => ({ ...b, bytes: new Uint8Array(Buffer.from(b.blob, 'base64')) }))
  global.gc?.()
  const baseline = process.memoryUsage().rss
  const baselineHeap = process.memoryUsage().heapUsed
  let started = performance.now()
  const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey: rawRootKey(ROOT), audit: false })
  const openMs = performance.now() - started
  const rows: [string, string][] = [['open (store of ' + keys.toLocaleString('en') + ' keys)', `${openMs.toFixed(1)} ms`]]

  const time = async (n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < n; i++) {
      const t = performance.now()
      await fn(i)
      out.push(performance.now() - t)
    }
    return out
  }
  const row = (name: string, samples: number[]): void => {
    rows.push([name, `median ${micros(percentile(samples, 0.5))}, p99 ${micros(percentile(samples, 0.99))}`])
  }

  const first = await time(200, () => kms.listKeys({ pageSize: 100 }))
  row('listKeys first page of 100', first)
  // Markers from across the store, gathered by walking it once (which also loads every index entry).
  started = performance.now()
  const markers: string[] = []
  let marker: string | undefined
  let listed = 0
  do {
    const page = await kms.listKeys({ pageSize: 100, ...(marker === undefined ? {} : { marker }) })
    listed += page.keys.length
    marker = page.nextMarker
    if (marker !== undefined && markers.length < 100_000) markers.push(marker)
  } while (marker !== undefined)
  const walkMs = performance.now() - started
  rows.push([`walk every key by marker (${listed.toLocaleString('en')} keys, pages of 100)`, `${(walkMs / 1000).toFixed(1)} s (${(walkMs / Math.ceil(listed / 100)).toFixed(2)} ms per page)`])
  const sampleMarkers = Array.from({ length: 200 }, (_, i) => markers[Math.floor((i * markers.length) / 200)]!)
  row('listKeys page of 100 after a marker anywhere in the store', await time(sampleMarkers.length, (i) => kms.listKeys({ pageSize: 100, marker: sampleMarkers[i]! })))
  for (const pageNumber of [10, 100]) {
    if ((pageNumber - 1) * 100 < listed) row(`listKeys pageNumber ${pageNumber} (pageSize 100; earlier pages skipped by name)`, await time(20, () => kms.listKeys({ pageSize: 100, pageNumber })))
  }
  const last = Math.ceil(listed / 100)
  row(`listKeys pageNumber ${last} (the last page)`, await time(3, () => kms.listKeys({ pageSize: 100, pageNumber: last })))
  global.gc?.()
  const afterListing = process.memoryUsage().rss
  rows.push(['RSS over baseline after open and listing every key', `${mib(afterListing - baseline)} (JS heap in use: +${mib(process.memoryUsage().heapUsed - baselineHeap)})`])

  // Cold: the first use of each key after open (twice the cache's keys, so none is cached).
  const cold = await time(blobs.length, (i) => kms.decrypt({ ciphertextBlob: blobs[i]!.bytes }))
  row(`decrypt 1 KiB on a cold key (first use after open, ${blobs.length} keys)`, cold)
  const hotBlob = blobs[0]!.bytes
  await time(2000, () => kms.decrypt({ ciphertextBlob: hotBlob }))
  row('decrypt 1 KiB on a hot key', await time(20_000, () => kms.decrypt({ ciphertextBlob: hotBlob })))
  // A working set twice the key cache (1000), in random order: about half the calls miss.
  const order = Array.from({ length: 20_000 }, () => Math.floor(Math.random() * blobs.length))
  row(`decrypt 1 KiB, working set of ${blobs.length} keys over a cache of 1000, random order`, await time(order.length, (i) => kms.decrypt({ ciphertextBlob: blobs[order[i]!]!.bytes })))
  global.gc?.()
  rows.push(['RSS over baseline at the end', `${mib(process.memoryUsage().rss - baseline)} (JS heap in use: +${mib(process.memoryUsage().heapUsed - baselineHeap)})`])
  await kms.close()

  console.log(`\nscale suite (${process.version}, ${process.platform} ${process.arch}):`)
  const width = Math.max(...rows.map(([name]) => name.length))
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`)
}

if (process.argv.includes('--measure')) {
  await measure()
} else {
  if (process.argv.includes('--fresh') || !existsSync(blobsFile)) await create()
  else console.log(`reusing the store of ${keys} keys at ${dir} (--fresh to make it again)`)
  // Measured in a fresh process with plain node flags (plus --expose-gc, to read RSS after a collection).
  const self = fileURLToPath(import.meta.url)
  const { status } = spawnSync(process.execPath, ['--expose-gc', self, '--measure', '--keys', String(keys)], { stdio: 'inherit' })
  process.exitCode = status ?? 1
}
