/**
 * Envelope encryption against a raw `node:crypto` AES-256-GCM pass over the same bytes
 * (same run, alternating rounds, median ratio), and against the AWS Encryption SDK
 * (`@aws-crypto/client-node`, raw AES keyring, unsigned committing suite) on 1 KiB and
 * 1 MiB; then encrypt-file of a large file in a child process, reporting its peak RSS.
 *
 * Run: `npx -y pnpm@12.21.0 --filter @strongroom/benchmarks bench:envelope` (from the root).
 * Options: `--quick` fewer rounds; `--large` encrypt-file of 1 GiB (default 256 MiB);
 * `--json` machine-readable results.
 *
 * Targets (issue 4): bulk throughput ≥ 70 % of the raw pass; ≥ 10× the AWS Encryption SDK
 * on 1 MiB; encrypt-file of 1 GiB with peak memory under 100 MiB.
 */
import { execFile } from 'node:child_process'
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import {
  AlgorithmSuiteIdentifier, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier, buildClient,
} from '@aws-crypto/client-node'
import { Kms } from '@strongroom/core'
import { Envelope } from '@strongroom/envelope'
import { memoryStorage } from '@strongroom/storage-memory'
import { compare } from './harness.js'

const quick = process.argv.includes('--quick')
const large = process.argv.includes('--large')
const json = process.argv.includes('--json')
const KIB = 1024
const MIB = 1024 * KIB

const key = randomFillSync(new Uint8Array(32))
const nonce = randomFillSync(new Uint8Array(12))
const aad = new TextEncoder().encode('tenant=acme')

/** The raw pass: one AES-256-GCM encryption of the whole buffer. */
function rawSeal(plaintext: Uint8Array): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad)
  const ciphertext = cipher.update(plaintext)
  cipher.final()
  return { ciphertext, tag: cipher.getAuthTag() }
}

function rawOpen(sealed: { ciphertext: Buffer; tag: Buffer }): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, nonce)
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.tag)
  const plaintext = decipher.update(sealed.ciphertext)
  decipher.final()
  return plaintext
}

interface Row {
  readonly name: string
  readonly bytes: number
  readonly baseline: string
  readonly baselineMicros: number
  readonly candidateMicros: number
  /** Candidate throughput as a share of the baseline's (baseline time / candidate time). */
  readonly relative: number
}

const rows: Row[] = []

async function measure(name: string, bytes: number, baseline: string, baselineFn: () => unknown, candidate: () => unknown): Promise<void> {
  const batch = bytes >= 64 * MIB ? 1 : bytes >= MIB ? (quick ? 4 : 10) : (quick ? 200 : 1000)
  const rounds = bytes >= 64 * MIB ? 3 : (quick ? 5 : 9)
  const r = await compare({ name, baseline: baselineFn, candidate, batch, rounds })
  rows.push({ name, bytes, baseline, baselineMicros: r.baselineMicros, candidateMicros: r.candidateMicros, relative: 1 / r.ratio })
}

const kms = await Kms.open({ storage: memoryStorage() })
const { keyMetadata } = await kms.createKey({ description: 'bench' })
const keyIds = [keyMetadata.keyId]
const encryptionContext = { tenant: 'acme' }
const envelope = new Envelope({ kms })
const cached = new Envelope({ kms, dataKeyCache: { maxAgeMs: 60_000, maxMessages: 1_000_000 }, unwrapCache: { maxAgeMs: 60_000 } })

const aws = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
const keyring = new RawAesKeyringNode({
  keyName: 'bench', keyNamespace: 'strongroom-bench', unencryptedMasterKey: randomFillSync(new Uint8Array(32)),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
})
const awsOptions = { encryptionContext, suiteId: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY }

for (const size of [KIB, MIB, 256 * MIB]) {
  const label = size >= MIB ? `${size / MIB} MiB` : `${size / KIB} KiB`
  const plaintext = randomFillSync(new Uint8Array(size))
  const rawSealed = rawSeal(plaintext)
  const sealed = await envelope.seal(plaintext, { keyIds, encryptionContext })
  await measure(`seal ${label}`, size, 'raw', () => rawSeal(plaintext), () => envelope.seal(plaintext, { keyIds, encryptionContext }))
  await measure(`open ${label}`, size, 'raw', () => rawOpen(rawSealed), () => envelope.open(sealed))
  if (size === KIB) {
    const sealedCached = await cached.seal(plaintext, { keyIds, encryptionContext })
    await measure(`seal ${label}, data-key cache`, size, 'raw', () => rawSeal(plaintext), () => cached.seal(plaintext, { keyIds, encryptionContext }))
    await measure(`open ${label}, unwrap cache`, size, 'raw', () => rawOpen(rawSealed), () => cached.open(sealedCached))
  }
  if (size <= MIB) {
    const awsSealed = (await aws.encrypt(keyring, plaintext, awsOptions)).result
    await measure(`seal ${label}`, size, 'AWS SDK', () => aws.encrypt(keyring, plaintext, awsOptions), () => envelope.seal(plaintext, { keyIds, encryptionContext }))
    await measure(`open ${label}`, size, 'AWS SDK', () => aws.decrypt(keyring, awsSealed), () => envelope.open(sealed))
  }
}
await kms.close()

// ---------------------------------------------------------------- encrypt-file in a child process

interface FileResult {
  readonly mebibytes: number
  readonly copySeconds: number
  readonly gcmCopySeconds: number
  readonly sealSeconds: number
  readonly openSeconds: number
  readonly baselineRss: number
  readonly peakRssSeal: number
  readonly peakRssOpen: number
}

const fileMebibytes = large ? 1024 : 256
const directory = mkdtempSync(join(tmpdir(), 'strongroom-bench-envelope-'))
let file: FileResult
try {
  const child = new URL('./envelope-file-child.ts', import.meta.url).pathname
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', child, directory, String(fileMebibytes)], {
    cwd: new URL('..', import.meta.url).pathname, maxBuffer: 1 << 20,
  })
  file = JSON.parse(stdout) as FileResult
} finally {
  rmSync(directory, { recursive: true, force: true })
}

// ---------------------------------------------------------------- report

const mbps = (bytes: number, micros: number) => (bytes / MIB / (micros / 1e6)).toFixed(0)
if (json) {
  console.log(JSON.stringify({ rows, file }, null, 2))
} else {
  const lines = [
    '| case | vs | baseline µs/op | envelope µs/op | envelope MiB/s | envelope speed vs baseline |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.baseline} | ${r.baselineMicros.toFixed(1)} | ${r.candidateMicros.toFixed(1)} | ` +
      `${mbps(r.bytes, r.candidateMicros)} | ${r.baseline === 'raw' ? `${(r.relative * 100).toFixed(0)} %` : `${r.relative.toFixed(1)}×`} |`),
  ]
  console.log(lines.join('\n'))
  const mib = (b: number) => (b / MIB).toFixed(0)
  console.log(`\nencrypt-file ${file.mebibytes} MiB: ${(file.mebibytes / file.sealSeconds).toFixed(0)} MiB/s, ` +
    `decrypt-file ${(file.mebibytes / file.openSeconds).toFixed(0)} MiB/s, a plain copy with fsync ` +
    `${(file.mebibytes / file.copySeconds).toFixed(0)} MiB/s, that copy with one raw AES-GCM pass ` +
    `${(file.mebibytes / file.gcmCopySeconds).toFixed(0)} MiB/s (sealFile ${(file.sealSeconds / file.gcmCopySeconds).toFixed(2)}×, ` +
    `openFile ${(file.openSeconds / file.gcmCopySeconds).toFixed(2)}× its time; target ≤ 1.2×); peak RSS ${mib(file.peakRssSeal)} MiB sealing, ` +
    `${mib(file.peakRssOpen)} MiB opening (process baseline ${mib(file.baselineRss)} MiB, of which the tsx loader ≈ 35 MiB; ` +
    `growth ${mib(file.peakRssSeal - file.baselineRss)} / ${mib(file.peakRssOpen - file.baselineRss)} MiB)`)
  const bulk = rows.filter((r) => r.bytes >= 256 * MIB)
  const aws1m = rows.filter((r) => r.bytes === MIB && r.baseline === 'AWS SDK')
  console.log(`targets: bulk ≥ 70 % of raw: ${bulk.map((r) => `${r.name} ${(r.relative * 100).toFixed(0)} %`).join(', ')}; ` +
    `≥ 10× AWS SDK on 1 MiB: ${aws1m.map((r) => `${r.name} ${r.relative.toFixed(1)}×`).join(', ')}; ` +
    `1 GiB file < 100 MiB growth: ${large ? `${mib(file.peakRssSeal - file.baselineRss)} MiB` : 'run with --large'}`)
}
