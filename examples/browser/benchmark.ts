/**
 * The operations the README's browser table reports, timed with performance.now over N
 * iterations (best of three rounds). Runs unchanged in a web page (browser-level, the noble provider) and in
 * Node (classic-level, node:crypto or noble), so the numbers compare like for like.
 *
 * ```ts
 * const rows = await benchmarkKeystore(kms)   // [{ operation: 'encrypt 1 KiB', iterations: 2000, microsPerOp: 41.2 }, …]
 * ```
 */
import type { CryptoProvider, Kms } from '@strongroom/core'
import { Envelope } from '@strongroom/envelope'

export interface BenchRow {
  readonly operation: string
  readonly iterations: number
  readonly microsPerOp: number
}

/**
 * Three rounds of a third of the iterations each; the best round counts. On a shared
 * machine the slowest rounds measure the neighbours, not the operation.
 */
async function time(operation: string, iterations: number, run: (i: number) => unknown): Promise<BenchRow> {
  await run(0) // warm-up: loads and caches the key, compiles the path
  const perRound = Math.max(1, Math.ceil(iterations / 3))
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    const start = performance.now()
    for (let i = 0; i < perRound; i++) await run(i)
    best = Math.min(best, ((performance.now() - start) * 1000) / perRound)
  }
  return { operation, iterations: perRound * 3, microsPerOp: best }
}

/** `scale` multiplies every iteration count (1 for the README table, less for a quick check). */
export async function benchmarkKeystore(kms: Kms, crypto: CryptoProvider, scale = 1): Promise<BenchRow[]> {
  const n = (count: number): number => Math.max(1, Math.round(count * scale))
  const aes = (await kms.createKey({})).keyMetadata.keyId
  const ec = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
  const mac = (await kms.createKey({ keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' })).keyMetadata.keyId
  const kib = crypto.randomFill(new Uint8Array(1024))
  const mib = crypto.randomFill(new Uint8Array(1024 * 1024))
  const { ciphertextBlob } = await kms.encrypt({ keyId: aes, plaintext: kib })
  const digest = crypto.sha256(kib)
  const { value: signature } = await kms.asymmetricSign({ keyId: ec, algorithm: 'ECDSA_SHA_256', digest })
  const envelope = new Envelope({ kms, crypto })
  const sealed = await envelope.seal(mib, { keyIds: [aes] })

  return [
    await time('encrypt 1 KiB (AES-256-GCM)', n(2000), () => kms.encrypt({ keyId: aes, plaintext: kib })),
    await time('decrypt 1 KiB', n(2000), () => kms.decrypt({ ciphertextBlob })),
    await time('generateDataKey (AES-256)', n(2000), () => kms.generateDataKey({ keyId: aes })),
    await time('generateMac HMAC-SHA-256, 1 KiB', n(2000), () => kms.generateMac({ keyId: mac, message: kib, macAlgorithm: 'HMAC_SHA_256' })),
    await time('asymmetricSign ECDSA P-256', n(200), () => kms.asymmetricSign({ keyId: ec, algorithm: 'ECDSA_SHA_256', digest })),
    await time('asymmetricVerify ECDSA P-256', n(200), () => kms.asymmetricVerify({ keyId: ec, algorithm: 'ECDSA_SHA_256', digest, value: signature })),
    await time('envelope seal 1 MiB', n(20), () => envelope.seal(mib, { keyIds: [aes] })),
    await time('envelope open 1 MiB', n(20), () => envelope.open(sealed)),
    await time('createKey (AES-256, one storage commit)', n(100), () => kms.createKey({})),
    await time('scrypt N=2^15 r=8 (passphrase unlock)', n(3), () => crypto.scrypt(kib.subarray(0, 16), kib.subarray(16, 48), { N: 2 ** 15, r: 8, p: 1, dkLen: 32 })),
  ]
}
