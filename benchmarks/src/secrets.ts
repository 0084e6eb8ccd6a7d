/**
 * Secrets (issue 17): getSecretValue of a hot 1 KiB secret against an engine decrypt of a
 * 1 KiB ciphertext in the same run (goal: within 1.5×), and the same read through the
 * secretCache helper. Memory storage, audit off (the engine's own cost).
 *
 * ```sh
 * npx -y pnpm@12.21.0 --filter @strongroom/benchmarks bench:secrets -- --quick
 * ```
 */
import { randomFillSync } from 'node:crypto'
import { Kms, rawRootKey, secretCache } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { compare, formatTable, type Comparison } from './harness.js'

const quick = process.argv.includes('--quick')
const json = process.argv.includes('--json')
const rounds = quick ? 5 : 15
const batch = quick ? 500 : 2000

const kms = await Kms.open({ storage: memoryStorage(), rootKey: rawRootKey(randomFillSync(new Uint8Array(32))), audit: false })
const value = Buffer.from(randomFillSync(new Uint8Array(768))).toString('base64')
const plaintext = new TextEncoder().encode(value)
const { keyMetadata } = await kms.createKey()
const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext })
await kms.createSecret({ secretName: 'bench/hot', versionId: 'v1', secretData: value })
const cache = secretCache(kms, { maxAgeMs: 60_000 })

const rows: (Comparison & { target: number })[] = []
const baseline = () => kms.decrypt({ ciphertextBlob })
rows.push({ ...(await compare({ name: 'getSecretValue 1 KiB vs decrypt 1 KiB', baseline, candidate: () => kms.getSecretValue({ secretName: 'bench/hot' }), batch, rounds })), target: 1.5 })
rows.push({ ...(await compare({ name: 'secretCache.get 1 KiB vs decrypt 1 KiB', baseline, candidate: () => cache.get('bench/hot'), batch, rounds })), target: 1 })
cache.close()
await kms.close()
if (json) console.log(JSON.stringify(rows, null, 2))
else {
  console.log(`Strongroom secrets vs an engine decrypt of the same size (Node ${process.version}, ${rounds} rounds × ${batch} ops, median ratio)\n`)
  console.log(formatTable(rows))
}
