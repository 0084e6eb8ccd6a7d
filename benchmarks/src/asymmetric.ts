/**
 * Asymmetric operations through the engine against the fastest plain primitive on this
 * machine, in the same run: node:crypto where it has the operation, @noble/curves where it
 * does not (ECDSA verify of a precomputed digest — node only verifies messages). These
 * operations cost tens of microseconds to milliseconds, so engine overhead should vanish:
 * the target is 1.2× the primitive.
 *
 * Run: `npx -y pnpm@12.21.0 --filter @strongroom/benchmarks bench:asymmetric` (`--quick` for fewer rounds).
 */
import { constants, createHash, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, sign, verify, type KeyObject } from 'node:crypto'
import { p256 } from '@noble/curves/nist.js'
import { Kms, type KeySpec } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { compare, formatTable, type Comparison } from './harness.js'

const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 7
const message = new TextEncoder().encode('transfer 100 to acme, nonce 7')
const digest = createHash('sha256').update(message).digest()

const kms = await Kms.open({ storage: memoryStorage(), audit: false })
const rows: (Comparison & { target: number })[] = []

async function key(keySpec: KeySpec, keyUsage: 'SIGN/VERIFY' | 'ENCRYPT/DECRYPT') {
  const { keyMetadata } = await kms.createKey({ keySpec, keyUsage })
  const { publicKey } = await kms.getPublicKey({ keyId: keyMetadata.keyId })
  // The plain primitive gets its own key of the same spec (the engine never reveals private keys).
  return { keyId: keyMetadata.keyId, publicKey: createPublicKey(publicKey) }
}

function plainPair(spec: KeySpec): { privateKey: KeyObject; publicKey: KeyObject } {
  if (spec === 'ED25519') return generateKeyPairSync('ed25519')
  if (spec === 'EC_P256') return generateKeyPairSync('ec', { namedCurve: 'P-256' })
  if (spec === 'EC_P256K') return generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

const run = async (name: string, baseline: () => unknown, candidate: () => unknown, batch: number) => {
  rows.push({ ...(await compare({ name, baseline, candidate, batch, rounds })), target: 1.2 })
}

for (const spec of ['EC_P256', 'EC_P256K', 'ED25519', 'RSA_2048'] as const) {
  const { keyId } = await key(spec, 'SIGN/VERIFY')
  const plain = plainPair(spec)
  const hash = spec === 'ED25519' ? null : 'sha256'
  const algorithm = spec === 'ED25519' ? 'ED25519' : spec === 'RSA_2048' ? 'RSA_PSS_SHA_256' : 'ECDSA_SHA_256'
  const pss = spec === 'RSA_2048' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {}
  const batch = spec === 'RSA_2048' ? 100 : 300
  const plainSignature = sign(hash, message, { key: plain.privateKey, ...pss })
  const { value: engineSignature } = await kms.asymmetricSign({ keyId, algorithm, message })
  await run(`sign ${spec} (message)`, () => sign(hash, message, { key: plain.privateKey, ...pss }),
    () => kms.asymmetricSign({ keyId, algorithm, message }), batch)
  await run(`verify ${spec} (message)`, () => verify(hash, message, { key: plain.publicKey, ...pss }, plainSignature),
    () => kms.asymmetricVerify({ keyId, algorithm, message, value: engineSignature }), batch)
}

// The audit trail on (the engine's default): each signature is also one audit record.
{
  const audited = await Kms.open({ storage: memoryStorage() })
  for (const spec of ['EC_P256', 'ED25519'] as const) {
    const { keyMetadata } = await audited.createKey({ keySpec: spec, keyUsage: 'SIGN/VERIFY' })
    const plain = plainPair(spec)
    const hash = spec === 'ED25519' ? null : 'sha256'
    const algorithm = spec === 'ED25519' ? 'ED25519' : 'ECDSA_SHA_256'
    await run(`sign ${spec} (message), audit on`, () => sign(hash, message, plain.privateKey),
      () => audited.asymmetricSign({ keyId: keyMetadata.keyId, algorithm, message }), 300)
  }
  await audited.close()
}

// Digest mode, the reference model's input: node cannot verify a precomputed digest, so the
// fastest plain primitive is @noble/curves.
{
  const { keyId } = await key('EC_P256', 'SIGN/VERIFY')
  const secret = p256.utils.randomSecretKey()
  const pub = p256.getPublicKey(secret)
  const plainSignature = p256.sign(digest, secret, { prehash: false })
  const { value } = await kms.asymmetricSign({ keyId, algorithm: 'ECDSA_SHA_256', digest })
  await run('verify EC_P256 (digest)', () => p256.verify(plainSignature, digest, pub, { prehash: false }),
    () => kms.asymmetricVerify({ keyId, algorithm: 'ECDSA_SHA_256', digest, value }), 100)
}

{
  const { keyId, publicKey } = await key('RSA_2048', 'ENCRYPT/DECRYPT')
  const plain = plainPair('RSA_2048')
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }
  const dataKey = new Uint8Array(32).fill(7)
  const plainCiphertext = publicEncrypt({ key: plain.publicKey, ...oaep }, dataKey)
  const engineCiphertext = publicEncrypt({ key: publicKey, ...oaep }, dataKey)
  await run('RSA_2048 OAEP-SHA-256 decrypt', () => privateDecrypt({ key: plain.privateKey, ...oaep }, plainCiphertext),
    () => kms.asymmetricDecrypt({ keyId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: engineCiphertext }), 100)
  await run('RSA_2048 OAEP-SHA-256 encrypt', () => publicEncrypt({ key: plain.publicKey, ...oaep }, dataKey),
    () => kms.asymmetricEncrypt({ keyId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: dataKey }), 300)
}

await kms.close()
console.log(`Strongroom asymmetric operations vs the fastest plain primitive (Node ${process.version}, ${rounds} rounds, median ratio)\n`)
console.log(formatTable(rows))
