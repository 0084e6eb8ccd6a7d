/**
 * The state × operation matrix, proved through the public API: every operation in
 * KEY_OPERATION_RULES is called on a key in every state of KEY_STATES, and the outcome
 * must be exactly the rule — `allowed` resolves, anything else rejects with a KmsError of
 * that code and leaves the key, its aliases, tags and versions untouched.
 *
 * How a key reaches each state (public API only):
 *   Enabled          createKey (origin EXTERNAL: createKey + getParametersForImport + importKeyMaterial)
 *   Disabled         … + disableKey
 *   PendingDeletion  … + scheduleKeyDeletion(7 days)
 *   PendingImport    createKey({ origin: 'EXTERNAL' }), no material imported
 *
 * Each row runs on a key of a spec that can do the operation (KEY_KIND_OF): an EC_P256
 * SIGN/VERIFY key for asymmetricSign/Verify and getPublicKey, an RSA_2048 ENCRYPT/DECRYPT
 * key for asymmetricEncrypt/Decrypt, an HMAC_SHA_256 key for generateMac/verifyMac, an
 * EXTERNAL Aliyun_AES_256 key for the import operations, an Aliyun_AES_256 key otherwise.
 * PendingImport exists only for EXTERNAL keys, so that column is an EXTERNAL key without
 * material for every row. What a spec cannot do at all is the second matrix below
 * (spec × operation, Enabled keys): InvalidKeyUsage, or Rejected.UnsupportedOperation.
 *
 * Where a state makes a valid request impossible, the test says what "allowed" means:
 * - describeKeyVersion in PendingImport: the key has no version, so any version id names
 *   nothing. The state check runs first (it would reject with the rule's code), so an
 *   allowed call ends in Forbidden.ResourceNotFound — the version lookup was reached.
 * - decrypt / reEncrypt (as source) in PendingImport: the key never had material, so no
 *   blob of it exists. The test forges one: a real blob of another key with this key's id
 *   written into the header. The state check runs before authentication (as for a
 *   Disabled key), so a rejecting rule shows its code; an allowed one could only end in
 *   InvalidCiphertext. (exportDataKey, which opens a blob too, is rejected there.)
 * - reEncrypt checks both keys against the same rule; it is run once with the key under
 *   test as the source and once as the destination.
 * - importKeyMaterial imports the material the key already has (or, in PendingImport, its
 *   first material) with a token fetched while the key was Enabled: re-importing the same
 *   material is allowed and only sets its expiry.
 *
 * Every cell runs twice: on the engine that set the key up (the key is cached, so
 * encrypt/decrypt take the no-await hot path) and on a second engine over the same store
 * that has never loaded the key (the slow path through storage). Both must obey the rule.
 *
 * RSA key pairs (the RSA_2048 keys and the import wrapping keys) come from a pool made once
 * per file: the matrix is about states, and a fresh 2048-bit pair (~100 ms) per cell would
 * take a minute. Real key generation is tested in asymmetric.test.ts and byok.test.ts.
 */
import { constants, createPublicKey, generateKeyPairSync, privateDecrypt, publicEncrypt, verify as nodeVerify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  DAY_MS, ERROR_CODES, KEY_OPERATION_RULES, KEY_STATES, Kms, KmsError, ManualClock, rawRootKey,
  type CreateKeyRequest, type CryptoProvider, type KeyOperation, type KeyState, type KmsErrorCode, type StateRule,
} from '@strongroom/core'
import type { AsymmetricKeyPair, SigningAlgorithm } from '@strongroom/crypto'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { memoryStorage } from '@strongroom/storage-memory'
import { MemoryLevel } from 'memory-level'

/** Every public method of Kms that takes a key (by id, resource name, alias, or inside a blob). */
const KEY_TAKING_METHODS = [
  'describeKey', 'updateKeyDescription', 'enableKey', 'disableKey', 'scheduleKeyDeletion', 'cancelKeyDeletion',
  'setDeletionProtection', 'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext',
  'generateDataKeyPair', 'generateDataKeyPairWithoutPlaintext',
  'createKeyVersion', 'listKeyVersions', 'describeKeyVersion', 'updateRotationPolicy', 'createAlias', 'updateAlias',
  'deleteAlias', 'listAliasesByKeyId', 'tagResource', 'untagResource', 'listResourceTags', 'setKeyPolicy', 'getKeyPolicy',
  'exportDataKey', 'generateAndExportDataKey', 'asymmetricSign', 'asymmetricVerify', 'asymmetricEncrypt', 'asymmetricDecrypt',
  'getPublicKey', 'generateMac', 'verifyMac', 'getParametersForImport', 'importKeyMaterial', 'deleteKeyMaterial',
] as const

/** Public methods that act on no particular key, so the matrix has no row for them. */
const KEYLESS_METHODS = [
  'createKey', 'listKeys', 'describeRegions', 'listAliases', 'maintenance', 'verify', 'backup', 'changeRootKey', 'close', 'as',
  'createPolicy', 'updatePolicy', 'getPolicy', 'deletePolicy', 'listPolicies', 'attachPolicy', 'detachPolicy', 'listPoliciesForPrincipal',
  'generateRandom', 'getRandomPassword',
  // Secrets act on a secret, whose states (active, pending deletion) secrets.test.ts covers.
  'createSecret', 'getSecretValue', 'putSecretValue', 'updateSecretVersionStage', 'listSecretVersionIds', 'describeSecret',
  'updateSecret', 'listSecrets', 'deleteSecret', 'restoreSecret', 'rotateSecret', 'updateSecretRotationPolicy',
] as const

/**
 * Grant methods: they name a key, but a grant is its own resource with AWS's rules (made
 * in any state but PendingDeletion, listed, retired and revoked in every state), tested in
 * grants.test.ts rather than in the key state matrix.
 */
const GRANT_METHODS = ['createGrant', 'listGrants', 'listRetirableGrants', 'retireGrant', 'revokeGrant'] as const

const START = '2026-01-01T00:00:00Z'
const PLAINTEXT = new TextEncoder().encode('matrix secret')
const CONTEXT = { purpose: 'state-matrix' }
const SUBJECT_ALIAS = 'alias/subject'
const OTHER_ALIAS = 'alias/other'
const FRESH_ALIAS = 'alias/fresh'
/** A well-formed version id that no key here has (used where the key has no version). */
const ABSENT_VERSION_ID = '00000000-0000-4000-8000-000000000000'
/** The material every EXTERNAL key here imports. */
const MATERIAL = new Uint8Array(32).fill(0x5a)

/** An RSA key pair of "the holder" that exportDataKey/generateAndExportDataKey hand data keys to. */
const HOLDER = generateKeyPairSync('rsa', { modulusLength: 2048 })
const EXPORT_TO = {
  publicKeyBlob: HOLDER.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
} as const
const fromHolder = (exported: Uint8Array): Uint8Array =>
  new Uint8Array(privateDecrypt({ key: HOLDER.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, exported))

/** node:crypto, with RSA_2048 key pairs drawn round-robin from a pool of three made on first use (see the header). */
const node = nodeCryptoProvider()
let rsaPool: Promise<AsymmetricKeyPair[]> | undefined
let rsaDraws = 0
const CRYPTO: CryptoProvider = {
  ...node,
  async generateKeyPair(spec, random) {
    if (spec !== 'RSA_2048') return node.generateKeyPair(spec, random)
    rsaPool ??= Promise.all([0, 1, 2].map(() => node.generateKeyPair('RSA_2048')))
    const pair = (await rsaPool)[rsaDraws++ % 3]!
    // Copies: the engine wipes the private key it was handed.
    return { privateKey: pair.privateKey.slice(), publicKey: pair.publicKey.slice() }
  },
}

/** What kind of key a row runs on (PendingImport: always an EXTERNAL key without material). */
type KeyKind = 'aes' | 'ecSign' | 'rsaEncrypt' | 'rsaSign' | 'hmac' | 'external'
const KEY_KINDS: Readonly<Record<KeyKind, CreateKeyRequest>> = {
  aes: {},
  ecSign: { keySpec: 'EC_P256', keyUsage: 'SIGN/VERIFY' },
  rsaEncrypt: { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT/DECRYPT' },
  rsaSign: { keySpec: 'RSA_2048', keyUsage: 'SIGN/VERIFY' },
  hmac: { keySpec: 'HMAC_SHA_256', keyUsage: 'GENERATE/VERIFY_MAC' },
  external: { origin: 'EXTERNAL' },
}
const KIND_LABEL: Readonly<Record<KeyKind, string>> = {
  aes: 'Aliyun_AES_256', ecSign: 'EC_P256 SIGN/VERIFY', rsaEncrypt: 'RSA_2048 ENCRYPT/DECRYPT', rsaSign: 'RSA_2048 SIGN/VERIFY',
  hmac: 'HMAC_SHA_256', external: 'EXTERNAL Aliyun_AES_256',
}
const SIGNING_ALGORITHM: Readonly<Record<KeyKind, SigningAlgorithm>> = {
  aes: 'ECDSA_SHA_256', ecSign: 'ECDSA_SHA_256', rsaEncrypt: 'RSA_PSS_SHA_256', rsaSign: 'RSA_PSS_SHA_256', hmac: 'ECDSA_SHA_256', external: 'ECDSA_SHA_256',
}

/** The key each row of the state matrix runs on: one whose spec can do the operation. */
const KEY_KIND_OF: Partial<Record<KeyOperation, KeyKind>> = {
  asymmetricSign: 'ecSign', asymmetricVerify: 'ecSign', getPublicKey: 'ecSign',
  asymmetricEncrypt: 'rsaEncrypt', asymmetricDecrypt: 'rsaEncrypt',
  generateMac: 'hmac', verifyMac: 'hmac',
  getParametersForImport: 'external', importKeyMaterial: 'external', deleteKeyMaterial: 'external',
}

interface Fixture {
  /** The engine the call under test runs on. */
  readonly kms: Kms
  /** The engine that set the key up; snapshots are read through it. */
  readonly setup: Kms
  readonly clock: ManualClock
  /** The key under test, in the requested state. */
  readonly keyId: string
  readonly kind: KeyKind
  readonly state: KeyState
  /** A version id of the key under test (ABSENT_VERSION_ID when it has none). */
  readonly keyVersionId: string
  /** A blob naming the key under test, sealed while it was Enabled (forged where the key cannot encrypt). */
  readonly blob: Uint8Array
  /** An Enabled helper key, with OTHER_ALIAS pointing at it and `otherBlob` sealed under it. */
  readonly otherKeyId: string
  readonly otherBlob: Uint8Array
  /** Made while the key was Enabled, where its spec can (else well-formed filler). */
  readonly signature: Uint8Array
  readonly asymmetricCiphertext: Uint8Array
  readonly mac: Uint8Array
  /** EXTERNAL keys: an unused import token and MATERIAL wrapped for it (else placeholders). */
  readonly importToken: string
  readonly encryptedKeyMaterial: Uint8Array
}

function uuidBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'))
}

/** A real blob of another key with `keyId` written into its header: names the key, opens under none. */
function forgedBlob(otherBlob: Uint8Array, keyId: string): Uint8Array {
  const blob = otherBlob.slice()
  blob.set(uuidBytes(keyId), 2) // bytes 2‥17: key id (blob.ts)
  return blob
}

const ROOT_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i)

/** A token for `keyId` and MATERIAL wrapped under its public key with plain node:crypto. */
async function importParameters(kms: Kms, keyId: string): Promise<{ importToken: string; encryptedKeyMaterial: Uint8Array }> {
  const { importToken, publicKey } = await kms.getParametersForImport({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
  const encryptedKeyMaterial = new Uint8Array(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, MATERIAL))
  return { importToken, encryptedKeyMaterial }
}

/** `cold`: the call runs on a second engine over the same store, which has not loaded the key. */
async function fixture(state: KeyState, cold: boolean, requested: KeyKind = 'aes'): Promise<Fixture> {
  const kind: KeyKind = state === 'PendingImport' ? 'external' : requested
  const clock = new ManualClock(START)
  const db = new MemoryLevel()
  const kms = await Kms.open({ storage: memoryStorage(db), clock, rootKey: rawRootKey(ROOT_KEY), crypto: CRYPTO })
  const other = (await kms.createKey({ description: 'helper' })).keyMetadata.keyId
  await kms.createAlias({ aliasName: OTHER_ALIAS, keyId: other })
  const otherBlob = (await kms.encrypt({ keyId: other, plaintext: PLAINTEXT, encryptionContext: CONTEXT })).ciphertextBlob
  const tags = [{ tagKey: 'env', tagValue: 'test' }]

  const created = await kms.createKey({ ...KEY_KINDS[kind], description: 'subject', tags })
  const keyId = created.keyMetadata.keyId
  let importToken = ABSENT_VERSION_ID
  let encryptedKeyMaterial: Uint8Array = new Uint8Array(256)
  if (kind === 'external') {
    if (state !== 'PendingImport') await kms.importKeyMaterial({ keyId, ...(await importParameters(kms, keyId)) })
    ;({ importToken, encryptedKeyMaterial } = await importParameters(kms, keyId))
  }
  const keyVersionId = (await kms.describeKey({ keyId })).keyMetadata.primaryKeyVersion ?? ABSENT_VERSION_ID
  const encrypts = state !== 'PendingImport' && (kind === 'aes' || kind === 'external')
  const blob = encrypts
    ? (await kms.encrypt({ keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })).ciphertextBlob
    : forgedBlob(otherBlob, keyId)
  const signature = kind === 'ecSign' || kind === 'rsaSign'
    ? (await kms.asymmetricSign({ keyId, algorithm: SIGNING_ALGORITHM[kind], message: PLAINTEXT })).value
    : new Uint8Array(64).fill(1)
  const asymmetricCiphertext = kind === 'rsaEncrypt'
    ? (await kms.asymmetricEncrypt({ keyId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: PLAINTEXT })).ciphertextBlob
    : new Uint8Array(256).fill(1)
  const mac = kind === 'hmac' ? (await kms.generateMac({ keyId, macAlgorithm: 'HMAC_SHA_256', message: PLAINTEXT })).mac : new Uint8Array(32).fill(1)
  await kms.createAlias({ aliasName: SUBJECT_ALIAS, keyId })
  if (state === 'Disabled') await kms.disableKey({ keyId })
  if (state === 'PendingDeletion') await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
  // Precondition: the key really is in the state under test.
  expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe(state)
  const caller = cold
    ? await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), clock, rootKey: rawRootKey(ROOT_KEY), crypto: CRYPTO })
    : kms
  return {
    kms: caller, setup: kms, clock, keyId, kind, state, keyVersionId, blob, otherKeyId: other, otherBlob,
    signature, asymmetricCiphertext, mac, importToken, encryptedKeyMaterial,
  }
}

async function closeFixture(f: Fixture): Promise<void> {
  if (f.kms !== f.setup) await f.kms.close()
  await f.setup.close()
}

type Call = (f: Fixture) => Promise<unknown>

/** Each row's operation with valid parameters for the key under test. */
const CALLS: Record<KeyOperation, Call> = {
  describeKey: (f) => f.kms.describeKey({ keyId: f.keyId }),
  listKeyVersions: (f) => f.kms.listKeyVersions({ keyId: f.keyId }),
  describeKeyVersion: (f) => f.kms.describeKeyVersion({ keyId: f.keyId, keyVersionId: f.keyVersionId }),
  listAliasesByKeyId: (f) => f.kms.listAliasesByKeyId({ keyId: f.keyId }),
  listResourceTags: (f) => f.kms.listResourceTags({ keyId: f.keyId }),
  setKeyPolicy: (f) => f.kms.setKeyPolicy({
    keyId: f.keyId,
    policy: { Version: '1', Statement: [{ Effect: 'Allow', Principal: { RAM: ['alice'] }, Action: 'kms:Encrypt', Resource: '*' }] },
  }),
  getKeyPolicy: (f) => f.kms.getKeyPolicy({ keyId: f.keyId }),
  deleteAlias: (f) => f.kms.deleteAlias({ aliasName: SUBJECT_ALIAS }),
  updateKeyDescription: (f) => f.kms.updateKeyDescription({ keyId: f.keyId, description: 'changed' }),
  tagResource: (f) => f.kms.tagResource({ keyId: f.keyId, tags: [{ tagKey: 'team', tagValue: 'vault' }] }),
  untagResource: (f) => f.kms.untagResource({ keyId: f.keyId, tagKeys: ['env'] }),
  createAlias: (f) => f.kms.createAlias({ aliasName: FRESH_ALIAS, keyId: f.keyId }),
  updateAlias: (f) => f.kms.updateAlias({ aliasName: OTHER_ALIAS, keyId: f.keyId }),
  setDeletionProtection: (f) => f.kms.setDeletionProtection({
    keyId: f.keyId, enableDeletionProtection: true, deletionProtectionDescription: 'production data',
  }),
  updateRotationPolicy: (f) => f.kms.updateRotationPolicy({ keyId: f.keyId, enableAutomaticRotation: true, rotationInterval: '30d' }),
  enableKey: (f) => f.kms.enableKey({ keyId: f.keyId }),
  disableKey: (f) => f.kms.disableKey({ keyId: f.keyId }),
  scheduleKeyDeletion: (f) => f.kms.scheduleKeyDeletion({ keyId: f.keyId, pendingWindowInDays: 7 }),
  cancelKeyDeletion: (f) => f.kms.cancelKeyDeletion({ keyId: f.keyId }),
  createKeyVersion: (f) => f.kms.createKeyVersion({ keyId: f.keyId }),
  encrypt: (f) => f.kms.encrypt({ keyId: f.keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT }),
  decrypt: (f) => f.kms.decrypt({ ciphertextBlob: f.blob, encryptionContext: CONTEXT }),
  reEncrypt: (f) => f.kms.reEncrypt({
    ciphertextBlob: f.blob, sourceEncryptionContext: CONTEXT, destinationKeyId: f.otherKeyId, destinationEncryptionContext: CONTEXT,
  }),
  generateDataKey: (f) => f.kms.generateDataKey({ keyId: f.keyId, encryptionContext: CONTEXT }),
  generateDataKeyWithoutPlaintext: (f) => f.kms.generateDataKeyWithoutPlaintext({ keyId: f.keyId, encryptionContext: CONTEXT }),
  generateDataKeyPair: (f) => f.kms.generateDataKeyPair({ keyId: f.keyId, keyPairSpec: 'EC_P256', encryptionContext: CONTEXT }),
  generateDataKeyPairWithoutPlaintext: (f) => f.kms.generateDataKeyPairWithoutPlaintext({ keyId: f.keyId, keyPairSpec: 'ED25519', encryptionContext: CONTEXT }),
  exportDataKey: (f) => f.kms.exportDataKey({ ciphertextBlob: f.blob, encryptionContext: CONTEXT, ...EXPORT_TO }),
  generateAndExportDataKey: (f) => f.kms.generateAndExportDataKey({ keyId: f.keyId, encryptionContext: CONTEXT, ...EXPORT_TO }),
  asymmetricSign: (f) => f.kms.asymmetricSign({ keyId: f.keyId, algorithm: SIGNING_ALGORITHM[f.kind], message: PLAINTEXT }),
  asymmetricVerify: (f) => f.kms.asymmetricVerify({ keyId: f.keyId, algorithm: SIGNING_ALGORITHM[f.kind], message: PLAINTEXT, value: f.signature }),
  asymmetricEncrypt: (f) => f.kms.asymmetricEncrypt({ keyId: f.keyId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: PLAINTEXT }),
  asymmetricDecrypt: (f) => f.kms.asymmetricDecrypt({ keyId: f.keyId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: f.asymmetricCiphertext }),
  getPublicKey: (f) => f.kms.getPublicKey({ keyId: f.keyId }),
  generateMac: (f) => f.kms.generateMac({ keyId: f.keyId, macAlgorithm: 'HMAC_SHA_256', message: PLAINTEXT }),
  verifyMac: (f) => f.kms.verifyMac({ keyId: f.keyId, macAlgorithm: 'HMAC_SHA_256', message: PLAINTEXT, mac: f.mac }),
  getParametersForImport: (f) => f.kms.getParametersForImport({ keyId: f.keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }),
  importKeyMaterial: (f) => f.kms.importKeyMaterial({ keyId: f.keyId, importToken: f.importToken, encryptedKeyMaterial: f.encryptedKeyMaterial }),
  deleteKeyMaterial: (f) => f.kms.deleteKeyMaterial({ keyId: f.keyId }),
}

/** reEncrypt with the key under test as the destination (source: the helper key's blob). */
const reEncryptAsDestination: Call = (f) => f.kms.reEncrypt({
  ciphertextBlob: f.otherBlob, sourceEncryptionContext: CONTEXT, destinationKeyId: f.keyId, destinationEncryptionContext: CONTEXT,
})

type Outcome = 'allowed' | KmsErrorCode

/** What an allowed call must end in, where the state makes a successful request impossible (see the header). */
function allowedOutcome(operation: KeyOperation, state: KeyState, role: 'source' | 'destination'): Outcome {
  if (state !== 'PendingImport') return 'allowed'
  if (operation === 'describeKeyVersion') return 'Forbidden.ResourceNotFound'
  if (operation === 'decrypt' || (operation === 'reEncrypt' && role === 'source')) return 'InvalidCiphertext'
  return 'allowed'
}

async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call
    return 'allowed'
  } catch (error) {
    // Anything but a KmsError (TypeError, a crash) fails the test with its own message.
    if (!(error instanceof KmsError)) throw error
    return error.code
  }
}

/** Everything a rejected call must leave unchanged. */
async function snapshot(f: Fixture): Promise<unknown> {
  const kms = f.setup
  const key = (await kms.describeKey({ keyId: f.keyId })).keyMetadata
  const versions = (await kms.listKeyVersions({ keyId: f.keyId, pageSize: 100 })).keyVersions
  const tags = (await kms.listResourceTags({ keyId: f.keyId })).tags
  const aliases = (await kms.listAliases({ pageSize: 100 })).aliases
  const other = (await kms.describeKey({ keyId: f.otherKeyId })).keyMetadata
  return { key, versions, tags, aliases, other }
}

/** What an allowed call must have done (checked for the calls whose effect is easy to state). */
async function checkEffect(operation: KeyOperation, f: Fixture, result: unknown, role: 'source' | 'destination'): Promise<void> {
  const state = async (): Promise<KeyState> => (await f.kms.describeKey({ keyId: f.keyId })).keyMetadata.keyState
  const r = result as Record<string, unknown>
  switch (operation) {
    case 'enableKey':
      expect(await state()).toBe('Enabled')
      break
    case 'disableKey':
      expect(await state()).toBe('Disabled')
      break
    case 'scheduleKeyDeletion':
      expect(await state()).toBe('PendingDeletion')
      break
    case 'cancelKeyDeletion':
      // The reference model returns a cancelled key to Enabled; a key without material to PendingImport.
      expect(await state()).toBe('Enabled')
      break
    case 'decrypt':
      expect(r['plaintext']).toEqual(PLAINTEXT)
      break
    case 'reEncrypt': {
      const { ciphertextBlob, keyId } = result as { ciphertextBlob: Uint8Array; keyId: string }
      expect(keyId).toBe(role === 'source' ? f.otherKeyId : f.keyId)
      const back = await f.kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })
      expect(back.plaintext).toEqual(PLAINTEXT)
      break
    }
    case 'encrypt': {
      const back = await f.kms.decrypt({ ciphertextBlob: r['ciphertextBlob'] as Uint8Array, encryptionContext: CONTEXT })
      expect(back.plaintext).toEqual(PLAINTEXT)
      break
    }
    case 'createAlias':
      expect((await f.kms.describeKey({ keyId: FRESH_ALIAS })).keyMetadata.keyId).toBe(f.keyId)
      break
    case 'updateAlias':
      expect((await f.kms.listAliasesByKeyId({ keyId: f.keyId })).aliases.map((a) => a.aliasName)).toContain(OTHER_ALIAS)
      expect((await f.kms.listAliasesByKeyId({ keyId: f.otherKeyId })).aliases).toEqual([])
      break
    case 'deleteAlias':
      expect((await f.kms.listAliasesByKeyId({ keyId: f.keyId })).aliases).toEqual([])
      expect((await f.kms.listAliases()).aliases.map((a) => a.aliasName)).toEqual([OTHER_ALIAS])
      break
    case 'exportDataKey':
      expect(fromHolder(r['exportedDataKey'] as Uint8Array)).toEqual(PLAINTEXT)
      expect(r).not.toHaveProperty('plaintext')
      break
    case 'generateAndExportDataKey': {
      const { plaintext } = await f.kms.decrypt({ ciphertextBlob: r['ciphertextBlob'] as Uint8Array, encryptionContext: CONTEXT })
      expect(fromHolder(r['exportedDataKey'] as Uint8Array)).toEqual(plaintext)
      expect(r).not.toHaveProperty('plaintext')
      break
    }
    case 'asymmetricSign': {
      const { publicKey } = await f.kms.getPublicKey({ keyId: f.keyId })
      const key = f.kind === 'rsaSign' ? { key: createPublicKey(publicKey), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : createPublicKey(publicKey)
      expect(nodeVerify('sha256', PLAINTEXT, key, r['value'] as Uint8Array)).toBe(true)
      break
    }
    case 'asymmetricVerify':
      expect(r['value']).toBe(true)
      break
    case 'asymmetricEncrypt': {
      const back = await f.kms.asymmetricDecrypt({ keyId: f.keyId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: r['ciphertextBlob'] as Uint8Array })
      expect(back.plaintext).toEqual(PLAINTEXT)
      break
    }
    case 'asymmetricDecrypt':
      expect(r['plaintext']).toEqual(PLAINTEXT)
      break
    case 'getPublicKey':
      expect(r['keyVersionId']).toBe(f.keyVersionId)
      expect(r['publicKey']).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
      break
    case 'generateMac':
      expect((await f.kms.verifyMac({ keyId: f.keyId, macAlgorithm: 'HMAC_SHA_256', message: PLAINTEXT, mac: r['mac'] as Uint8Array })).macValid).toBe(true)
      break
    case 'verifyMac':
      expect(r['macValid']).toBe(true)
      break
    case 'getParametersForImport':
      expect(r['publicKey']).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
      expect(r['tokenExpireTime']).toBe('2026-01-02T00:00:00Z')
      break
    case 'importKeyMaterial':
      // First material: PendingImport → Enabled; the same material again: the state stays.
      expect(await state()).toBe(f.state === 'PendingImport' ? 'Enabled' : f.state)
      break
    case 'deleteKeyMaterial':
      expect(await state()).toBe('PendingImport')
      expect((await f.kms.listKeyVersions({ keyId: f.keyId })).keyVersions).toEqual([])
      expect(await outcomeOf(f.kms.decrypt({ ciphertextBlob: f.blob, encryptionContext: CONTEXT }))).toBe('Rejected.InvalidState')
      break
    default:
      break
  }
}

function title(operation: string, kind: KeyKind, state: KeyState, rule: StateRule, expected: Outcome): string {
  const detail = rule === 'allowed' && expected !== 'allowed' ? ` (reaches the next check: ${expected})` : ''
  const key = state === 'PendingImport' || kind === 'aes' ? '' : ` [${KIND_LABEL[kind]}]`
  return `${operation}${key} in ${state} → ${rule}${detail}`
}

interface Row { readonly name: string; readonly operation: KeyOperation; readonly call: Call; readonly role: 'source' | 'destination' }
const ROWS: readonly Row[] = [
  ...(Object.keys(KEY_OPERATION_RULES) as KeyOperation[]).map((operation): Row => ({
    name: operation === 'reEncrypt' ? 'reEncrypt (key as source)' : operation, operation, call: CALLS[operation], role: 'source',
  })),
  { name: 'reEncrypt (key as destination)', operation: 'reEncrypt', call: reEncryptAsDestination, role: 'destination' },
]

describe('KEY_OPERATION_RULES', () => {
  it('has a row for every public key-taking method of Kms, and no other', () => {
    expect(Object.keys(KEY_OPERATION_RULES).sort()).toEqual([...KEY_TAKING_METHODS].sort())
  })

  it('classifies every public method of Kms as key-taking, keyless or a grant method (a new method must be added to one list)', () => {
    const methods = Object.getOwnPropertyNames(Kms.prototype).filter((name) => name !== 'constructor')
    expect(methods.sort()).toEqual([...KEY_TAKING_METHODS, ...KEYLESS_METHODS, ...GRANT_METHODS].sort())
  })

  it('gives every operation a rule in every state, and each rule is `allowed` or a registered error code', () => {
    for (const [operation, rules] of Object.entries(KEY_OPERATION_RULES)) {
      expect(Object.keys(rules).sort(), operation).toEqual([...KEY_STATES].sort())
      for (const rule of Object.values(rules) as StateRule[]) {
        expect(rule === 'allowed' || Object.hasOwn(ERROR_CODES, rule), `${operation}: ${rule}`).toBe(true)
      }
    }
  })
})

describe('every operation in every state', () => {
  for (const cold of [false, true]) {
    describe(cold ? 'cold engine (key not cached: slow path)' : 'warm engine (key cached: hot path)', () => {
      for (const state of KEY_STATES) {
        describe(state, () => {
          for (const { name, operation, call, role } of ROWS) {
            const kind = KEY_KIND_OF[operation] ?? 'aes'
            const rule: StateRule = KEY_OPERATION_RULES[operation][state]
            const expected: Outcome = rule === 'allowed' ? allowedOutcome(operation, state, role) : rule
            it(title(name, kind, state, rule, expected), async () => {
              const f = await fixture(state, cold, kind)
              const before = await snapshot(f)
              let result: unknown
              const outcome = await outcomeOf(call(f).then((r) => { result = r }))
              expect(outcome).toBe(expected)
              if (expected === 'allowed') await checkEffect(operation, f, result, role)
              // No partial writes: a rejected call changes nothing.
              else expect(await snapshot(f)).toEqual(before)
              await closeFixture(f)
            })
          }
        })
      }
    })
  }
})

/**
 * The second matrix: what each key spec can do at all, on Enabled keys. An operation the
 * spec or usage cannot do is InvalidKeyUsage; the import operations on generated keys, and
 * rotation of imported keys, are Rejected.UnsupportedOperation (an origin matter, not usage).
 */
const CAN_DO: Readonly<Record<KeyKind, readonly KeyOperation[]>> = {
  aes: [
    'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext', 'generateDataKeyPair',
    'generateDataKeyPairWithoutPlaintext', 'exportDataKey', 'generateAndExportDataKey',
  ],
  external: [
    'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext', 'generateDataKeyPair',
    'generateDataKeyPairWithoutPlaintext', 'exportDataKey', 'generateAndExportDataKey',
  ],
  ecSign: ['asymmetricSign', 'asymmetricVerify', 'getPublicKey'],
  rsaSign: ['asymmetricSign', 'asymmetricVerify', 'getPublicKey'],
  rsaEncrypt: ['asymmetricEncrypt', 'asymmetricDecrypt', 'getPublicKey'],
  hmac: ['generateMac', 'verifyMac'],
}
const USAGE_OPERATIONS: readonly KeyOperation[] = [
  'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext', 'generateDataKeyPair',
  'generateDataKeyPairWithoutPlaintext', 'exportDataKey', 'generateAndExportDataKey',
  'asymmetricSign', 'asymmetricVerify', 'asymmetricEncrypt', 'asymmetricDecrypt', 'getPublicKey', 'generateMac', 'verifyMac',
]
const IMPORT_OPERATIONS: readonly KeyOperation[] = ['getParametersForImport', 'importKeyMaterial', 'deleteKeyMaterial']

function expectedFor(kind: KeyKind, operation: KeyOperation): Outcome {
  if (USAGE_OPERATIONS.includes(operation)) return CAN_DO[kind].includes(operation) ? 'allowed' : 'InvalidKeyUsage'
  if (IMPORT_OPERATIONS.includes(operation)) return kind === 'external' ? 'allowed' : 'Rejected.UnsupportedOperation'
  if (operation === 'createKeyVersion') return kind === 'external' ? 'Rejected.UnsupportedOperation' : 'allowed'
  // Automatic rotation is for generated AES keys; the others rotate by createKeyVersion only.
  if (operation === 'updateRotationPolicy') return kind === 'aes' ? 'allowed' : 'Rejected.UnsupportedOperation'
  return KEY_OPERATION_RULES[operation].Enabled === 'allowed' ? 'allowed' : KEY_OPERATION_RULES[operation].Enabled
}

describe('every key spec × every operation (Enabled keys)', () => {
  for (const kind of Object.keys(KEY_KINDS) as KeyKind[]) {
    describe(KIND_LABEL[kind], () => {
      for (const { name, operation, call, role } of ROWS) {
        const expected = expectedFor(kind, operation)
        it(`${name} → ${expected}`, async () => {
          const f = await fixture('Enabled', false, kind)
          const before = await snapshot(f)
          let result: unknown
          expect(await outcomeOf(call(f).then((r) => { result = r }))).toBe(expected)
          if (expected === 'allowed') await checkEffect(operation, f, result, role)
          else expect(await snapshot(f)).toEqual(before)
          await closeFixture(f)
        })
      }
    })
  }
})

async function engine(): Promise<{ kms: Kms; clock: ManualClock }> {
  const clock = new ManualClock(START)
  return { kms: await Kms.open({ storage: memoryStorage(), clock }), clock }
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  const outcome = await outcomeOf(call)
  if (outcome === 'allowed') throw new Error('expected a rejection, the call resolved')
  return outcome
}

describe('purge', () => {
  it('ends the key 7 days after scheduling: describeKey → Forbidden.KeyNotFound, old blobs → InvalidCiphertext, aliases gone', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId })
    await kms.createAlias({ aliasName: 'alias/kept', keyId: keep })
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: PLAINTEXT })
    const purged: string[] = []
    kms.events.on('keyPurged', (e) => purged.push(e.keyId))

    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    const { deleteDate } = (await kms.describeKey({ keyId })).keyMetadata
    expect(deleteDate).toBe('2026-01-08T00:00:00Z')

    clock.advance(7 * DAY_MS - 1)
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    clock.advance(2) // 7 days + 1 ms
    expect(await codeOf(kms.describeKey({ keyId }))).toBe('Forbidden.KeyNotFound')
    expect(purged).toEqual([keyId])
    expect(await codeOf(kms.decrypt({ ciphertextBlob }))).toBe('InvalidCiphertext')
    expect((await kms.listAliases()).aliases.map((a) => a.aliasName)).toEqual(['alias/kept'])
    expect(await codeOf(kms.describeKey({ keyId: 'alias/doomed' }))).toBe('Forbidden.AliasNotFound')
    expect((await kms.listKeys()).keys.map((k) => k.keyId)).toEqual([keep])
    // The purged key's alias name is free again.
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: keep })
    await kms.close()
  })

  it('a key whose window has ended cannot be cancelled any more: it counts as gone', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS)
    expect(await codeOf(kms.cancelKeyDeletion({ keyId }))).toBe('Forbidden.KeyNotFound')
    await kms.close()
  })

  it('maintenance() purges a key nobody touches and reports it in `purged`', async () => {
    const { kms, clock } = await engine()
    const doomed = (await kms.createKey()).keyMetadata.keyId
    const later = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: doomed })
    await kms.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    await kms.scheduleKeyDeletion({ keyId: later, pendingWindowInDays: 30 })
    clock.advance(7 * DAY_MS + 1)
    expect(await kms.maintenance()).toEqual({ purged: [doomed], rotated: [] })
    expect(await kms.maintenance()).toEqual({ purged: [], rotated: [] })
    expect((await kms.listKeys()).keys.map((k) => k.keyId).sort()).toEqual([later, keep].sort())
    expect((await kms.listAliases()).aliases).toEqual([])
    expect((await kms.describeKey({ keyId: later })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.close()
  })

  // Regression: listAliases settles due purges first, as listKeys does.
  it('listAliases does not list the alias of a key whose window has ended, even before anything touches the key', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS + 1)
    expect((await kms.listAliases()).aliases).toEqual([])
    await kms.close()
  })

  // Regression: the alias name of a key whose window has ended is freed by the due purge.
  it('the alias name of a key whose window has ended is free for createAlias', async () => {
    const { kms, clock } = await engine()
    const doomed = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: doomed })
    await kms.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS + 1)
    try {
      await kms.createAlias({ aliasName: 'alias/doomed', keyId: keep })
    } finally {
      await kms.close()
    }
  })
})

describe('cancelKeyDeletion', () => {
  it('returns an Enabled key to Enabled and its blobs decrypt again', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT }))).toBe('Rejected.InvalidState')
    clock.advance(7 * DAY_MS - 1)
    await kms.cancelKeyDeletion({ keyId })
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('Enabled')
    expect(keyMetadata.deleteDate).toBeUndefined()
    expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
    // The window is gone for good: time passing no longer purges it.
    clock.advance(30 * DAY_MS)
    expect((await kms.maintenance()).purged).toEqual([])
    expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
    await kms.close()
  })

  it('returns a key that was Disabled before scheduling to Enabled (the reference model\'s rule)', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.disableKey({ keyId })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    await kms.cancelKeyDeletion({ keyId })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
    await kms.close()
  })

  it('returns an EXTERNAL key without material to PendingImport', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.cancelKeyDeletion({ keyId })
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('PendingImport')
    expect(keyMetadata.deleteDate).toBeUndefined()
    await kms.close()
  })
})

describe('deletion protection', () => {
  it('blocks scheduleKeyDeletion with Forbidden.DeletionProtected until it is turned off', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.setDeletionProtection({ keyId, enableDeletionProtection: true, deletionProtectionDescription: 'prod' })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('Enabled')
    expect(keyMetadata.deletionProtection).toBe('Enabled')
    expect(keyMetadata.deletionProtectionDescription).toBe('prod')

    await kms.disableKey({ keyId })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')

    await kms.setDeletionProtection({ keyId, enableDeletionProtection: false })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.close()
  })

  it('also protects an EXTERNAL key in PendingImport', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await kms.setDeletionProtection({ keyId, enableDeletionProtection: true })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    await kms.close()
  })
})
