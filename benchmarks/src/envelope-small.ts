/**
 * Small envelopes against the engine call they wrap: seal and open 1 KiB, each compared with
 * one `kms.encrypt` of 1 KiB on the same engine (memory storage), in alternating rounds
 * (harness.ts): with the audit trail off, so the envelope's own work is what the ratio shows
 * (with it on, both sides pay one audited engine call and the ratio flatters the envelope). Target: each ≤ 3× the engine encrypt. A seal is a generateDataKey,
 * a key derivation, a header and one frame; an open a decrypt, the same derivation, the
 * header checks and one frame, so about 2× is the floor.
 *
 *   npx -y pnpm@12.21.0 --filter @strongroom/benchmarks bench:envelope-small [--quick] [--profile]
 */
import { randomFillSync } from 'node:crypto'
import { Kms } from '@strongroom/core'
import { Envelope } from '@strongroom/envelope'
import { memoryStorage } from '@strongroom/storage-memory'
import { compare, formatTable } from './harness.js'

const quick = process.argv.includes('--quick')
const kms = await Kms.open({ storage: memoryStorage(), audit: false })
const { keyMetadata } = await kms.createKey({ description: 'bench' })
const keyIds = [keyMetadata.keyId]
const encryptionContext = { tenant: 'acme' }
const envelope = new Envelope({ kms })
const plaintext = randomFillSync(new Uint8Array(1024))
const sealed = await envelope.seal(plaintext, { keyIds, encryptionContext })
const engineEncrypt = () => kms.encrypt({ keyId: keyMetadata.keyId, plaintext, encryptionContext })

if (process.argv.includes('--profile')) {
  // A steady loop for `node --cpu-prof`, timed in CPU µs per operation (a busy neighbour moves it less than wall time).
  const cpuPerOp = async (operation: () => Promise<unknown>): Promise<number> => {
    const start = process.cpuUsage()
    for (let i = 0; i < 10_000; i++) await operation()
    const { user, system } = process.cpuUsage(start)
    return (user + system) / 10_000
  }
  for (let round = 0; round < 3; round++) {
    const encrypt = await cpuPerOp(engineEncrypt)
    const seal = await cpuPerOp(() => envelope.seal(plaintext, { keyIds, encryptionContext }))
    const open = await cpuPerOp(() => envelope.open(sealed))
    console.log(`CPU µs/op: engine encrypt ${encrypt.toFixed(1)}, seal ${seal.toFixed(1)} (${(seal / encrypt).toFixed(2)}×), open ${open.toFixed(1)} (${(open / encrypt).toFixed(2)}×)`)
  }
} else {
  const options = { batch: quick ? 200 : 1000, rounds: quick ? 5 : 9 }
  const rows = [
    { ...(await compare({ name: 'envelope seal 1 KiB vs engine encrypt 1 KiB (audit off)', baseline: engineEncrypt, candidate: () => envelope.seal(plaintext, { keyIds, encryptionContext }), ...options })), target: 3 },
    { ...(await compare({ name: 'envelope open 1 KiB vs engine encrypt 1 KiB (audit off)', baseline: engineEncrypt, candidate: () => envelope.open(sealed), ...options })), target: 3 },
  ]
  console.log(`\n<!-- bench:envelope-small -->\n${formatTable(rows).replace('| raw µs/op | engine µs/op | engine ops/s |', '| engine encrypt µs/op | envelope µs/op | envelope ops/s |')}`)
}
await kms.close()
