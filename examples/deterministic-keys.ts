/**
 * Keys that are the same on every run, for test suites. Two recipes:
 *
 * (a) A seeded engine: `random: seededRandom('…')` and a `ManualClock`. Every id, every
 *     generated key (AES, HMAC, EC_P256, EC_P256K, ED25519 — not RSA, which OpenSSL makes
 *     from its own randomness) and every ciphertext byte come out identical on every run,
 *     as long as the calls are made in the same order.
 * (b) Bring your own key into a chosen id: `createKey({ origin: 'EXTERNAL', keyId })` and
 *     import fixed material, wrapped with plain `node:crypto`. Works on any engine, seeded
 *     or not: the key id and the material are yours, so a ciphertext made in one run (or
 *     one process, or one CI job) decrypts in any other engine that imported the same.
 *
 * Test-only: whoever knows the seed or the material has the keys. Never do this with keys
 * that protect real data.
 *
 * Run it: `npx tsx --conditions=source examples/deterministic-keys.ts`
 */
import { constants, createHash, publicEncrypt } from 'node:crypto'
import { Kms, ManualClock, seededRandom } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

const PLAINTEXT = new TextEncoder().encode('fixture secret')
const CONTEXT = { suite: 'orders' }

// ---------------------------------------------------------------- (a) a seeded engine

/** A fresh in-memory engine whose randomness and clock are fixed: same calls, same bytes. */
export function seededEngine(seed: string): Promise<Kms> {
  return Kms.open({ storage: memoryStorage(), random: seededRandom(seed), clock: new ManualClock('2026-01-01T00:00:00Z') })
}

export interface SeededRun {
  readonly keyId: string
  readonly keyVersionId: string
  /** Hex, so two runs compare as strings. */
  readonly ciphertextHex: string
  /** An EC_P256 signing key made by the same engine: its public key is fixed as well. */
  readonly signingKeyId: string
  readonly signingPublicKey: string
}

export async function seededRun(seed = 'orders test suite'): Promise<SeededRun> {
  const kms = await seededEngine(seed)
  try {
    const { keyMetadata } = await kms.createKey({ description: 'orders fixture' })
    const { ciphertextBlob, keyVersionId } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
    const signing = (await kms.createKey({ keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' })).keyMetadata.keyId
    const { publicKey } = await kms.getPublicKey({ keyId: signing })
    return {
      keyId: keyMetadata.keyId, keyVersionId, ciphertextHex: Buffer.from(ciphertextBlob).toString('hex'),
      signingKeyId: signing, signingPublicKey: publicKey,
    }
  } finally {
    await kms.close()
  }
}

// ---------------------------------------------------------------- (b) BYOK into a chosen key id

/** Any UUID you like; commit it with your tests. */
export const FIXED_KEY_ID = 'c0ffee00-1234-4abc-8def-0123456789ab'
/** 32 bytes of AES-256 material, derived from a label so it need not be stored anywhere. */
export const FIXED_MATERIAL: Uint8Array = new Uint8Array(createHash('sha256').update('strongroom example: orders fixture key').digest())

/**
 * An engine (here a fresh in-memory one, not seeded) holding FIXED_KEY_ID with FIXED_MATERIAL,
 * imported the way a user with only node:crypto does it.
 */
export async function engineWithFixedKey(): Promise<Kms> {
  const kms = await Kms.open({ storage: memoryStorage() })
  await kms.createKey({ origin: 'EXTERNAL', keyId: FIXED_KEY_ID, description: 'orders fixture (imported)' })
  const { importToken, publicKey } = await kms.getParametersForImport({
    keyId: FIXED_KEY_ID, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
  })
  const encryptedKeyMaterial = publicEncrypt({ key: publicKey, oaepHash: 'sha256', padding: constants.RSA_PKCS1_OAEP_PADDING }, FIXED_MATERIAL)
  await kms.importKeyMaterial({ keyId: FIXED_KEY_ID, importToken, encryptedKeyMaterial })
  return kms
}

export interface ByokRun {
  readonly keyId: string
  readonly keyVersionId: string
  readonly ciphertextBlob: Uint8Array
}

/** One run of a test suite: its own fresh engine, the fixed key, one encryption. */
export async function byokRun(): Promise<ByokRun> {
  const kms = await engineWithFixedKey()
  try {
    const { keyId, keyVersionId, ciphertextBlob } = await kms.encrypt({ keyId: FIXED_KEY_ID, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
    return { keyId, keyVersionId, ciphertextBlob }
  } finally {
    await kms.close()
  }
}

/** Another run (a completely fresh engine) decrypts what `run` encrypted. */
export async function decryptInFreshEngine(run: ByokRun): Promise<string> {
  const kms = await engineWithFixedKey()
  try {
    const { plaintext } = await kms.decrypt({ ciphertextBlob: run.ciphertextBlob, encryptionContext: CONTEXT })
    return new TextDecoder().decode(plaintext)
  } finally {
    await kms.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [a1, a2] = [await seededRun(), await seededRun()]
  console.log(`(a) seeded engine     key ${a1.keyId}  same key, ciphertext and EC public key on a second run: ${JSON.stringify(a1) === JSON.stringify(a2)}`)
  const b1 = await byokRun()
  console.log(`(b) BYOK, chosen id   key ${b1.keyId}  version ${b1.keyVersionId}`)
  console.log(`    decrypted in a fresh engine: "${await decryptInFreshEngine(b1)}"`)
}
