/**
 * The root of trust. All key material at rest is wrapped under a key-encryption key
 * (KEK) derived from a root secret that a RootKeyProvider supplies; storage never sees
 * material in the clear. A keystore header records the provider kind and its public
 * parameters (KDF salt and costs) plus a check value, so a wrong passphrase fails fast
 * with `RootKeyMismatch` before anything is written.
 *
 * ```ts
 * const kms = await Kms.open({ storage, rootKey: passphraseRootKey(process.env.STRONGROOM_PASSPHRASE!) })
 * ```
 *
 * Providers here: `passphraseRootKey` (scrypt), `rawRootKey` (32 bytes the host keeps,
 * e.g. from an OS keychain or Electron safeStorage), `ephemeralRootKey` (random, lives
 * only as long as the engine: for memory stores). A custom provider (an outer KMS, a
 * hardware token) creates a random secret and stores it wrapped in its `params`.
 *
 * Derivation (HKDF-SHA-256, RFC 5869, salt = the header's random 32-byte salt):
 * KEK = HKDF(secret, info "strongroom/root/kek/v1"), check = HMAC(HKDF(secret, info
 * "strongroom/root/check/v1"), "strongroom/keystore/v1" ‖ salt) in a schema-1 header and
 * the same with "strongroom/keystore/v2/sealed-records" in a schema-2 header. Other engine
 * keys are derived as HKDF(secret, info "strongroom/root/<label>"): the audit MAC key
 * (`audit/mac/v1`), the record-sealing key (`records/seal/v1`), the header MAC key
 * (`header/mac/v1`).
 *
 * Wrapped material: `0x01 ‖ nonce(12) ‖ AES-256-GCM(KEK, nonce, material,
 * AAD = "strongroom/material/v1" ‖ keyId ‖ versionId)`, base64 — so a wrapped value
 * copied to another key or version does not unwrap.
 */
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import { GCM_NONCE_LENGTH } from '@strongroom/crypto'
import { concatBytes, fromBase64, toBase64, utf8Decode, utf8Encode, uuidToBytes, wipe } from './bytes.js'
import { KmsError } from './errors.js'

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue }
export type RootKeyParams = { readonly [key: string]: JsonValue }

export interface RootKeyContext {
  readonly crypto: CryptoProvider
  readonly random: RandomSource
}

export interface RootKeyProvider {
  /** Recorded in the keystore header; opening with a provider of another kind fails. */
  readonly kind: string
  /** False when the secret cannot be recovered after the engine closes (ephemeral keys). */
  readonly persistent: boolean
  /** Makes the root secret of a new keystore; `params` are stored in the clear in its header. */
  create(context: RootKeyContext): Promise<{ secret: Uint8Array; params: RootKeyParams }>
  /** Recovers the root secret of an existing keystore from its stored `params`. */
  unlock(params: RootKeyParams, context: RootKeyContext): Promise<Uint8Array>
}

const ROOT_SECRET_BYTES = 32

export interface PassphraseOptions {
  /** scrypt cost N, a power of two from 2^14 (default 2^17, OWASP's recommendation). */
  readonly N?: number
  /** scrypt block size r (default 8). */
  readonly r?: number
  /** scrypt parallelisation p (default 1). */
  readonly p?: number
}

const MIN_SCRYPT_N = 2 ** 14
const MAX_SCRYPT_N = 2 ** 22
const MAX_SCRYPT_MEMORY = 2 ** 30

function assertScryptParams(N: unknown, r: unknown, p: unknown, make: (why: string) => Error): void {
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v)
  if (!isInt(N) || N < MIN_SCRYPT_N || N > MAX_SCRYPT_N || (N & (N - 1)) !== 0) {
    throw make(`scrypt N must be a power of two from 2^14 to 2^22`)
  }
  if (!isInt(r) || r < 1 || r > 32) throw make('scrypt r must be an integer from 1 to 32')
  if (!isInt(p) || p < 1 || p > 16) throw make('scrypt p must be an integer from 1 to 16')
  // scrypt needs 128·N·r bytes; a stored header must not be able to demand more than 1 GiB.
  if (128 * N * r > MAX_SCRYPT_MEMORY) throw make('scrypt parameters need more than 1 GiB of memory (128·N·r)')
}

/**
 * A root key derived from a passphrase with scrypt (RFC 7914). The passphrase string is
 * NFC-normalised, then UTF-8 encoded. The provider keeps its own copy of the passphrase
 * bytes so the engine can be reopened with it; drop the provider to release them.
 */
export function passphraseRootKey(passphrase: string | Uint8Array, options: PassphraseOptions = {}): RootKeyProvider {
  if (typeof passphrase !== 'string' && !(passphrase instanceof Uint8Array)) {
    throw new TypeError('passphrase must be a string or Uint8Array')
  }
  // A plain Uint8Array copy: a Node Buffer's slice() is a view of the caller's bytes.
  const password = typeof passphrase === 'string' ? utf8Encode(passphrase.normalize('NFC')) : new Uint8Array(passphrase)
  if (password.length === 0) throw new KmsError('InvalidParameter', 'the passphrase must not be empty')
  const N = options.N ?? 2 ** 17
  const r = options.r ?? 8
  const p = options.p ?? 1
  assertScryptParams(N, r, p, (why) => new KmsError('InvalidParameter', why))
  return {
    kind: 'passphrase',
    persistent: true,
    async create({ crypto, random }) {
      const salt = random.fill(new Uint8Array(32))
      const secret = await crypto.scrypt(password, salt, { N, r, p, dkLen: ROOT_SECRET_BYTES })
      return { secret, params: { kdf: 'scrypt', salt: toBase64(salt), N, r, p } }
    },
    async unlock(params, { crypto }) {
      const salt = typeof params['salt'] === 'string' ? fromBase64(params['salt']) : undefined
      if (params['kdf'] !== 'scrypt' || salt === undefined || salt.length < 16) {
        throw new KmsError('CorruptRecord', 'the keystore header has unreadable passphrase parameters')
      }
      assertScryptParams(params['N'], params['r'], params['p'], (why) => new KmsError('CorruptRecord', `keystore header: ${why}`))
      return crypto.scrypt(password, salt, { N: params['N'] as number, r: params['r'] as number, p: params['p'] as number, dkLen: ROOT_SECRET_BYTES })
    },
  }
}

/** A 32-byte root key the host keeps elsewhere (OS keychain, Electron safeStorage, an HSM export). */
export function rawRootKey(key: Uint8Array): RootKeyProvider {
  if (!(key instanceof Uint8Array)) throw new TypeError('the raw root key must be a Uint8Array')
  if (key.length !== ROOT_SECRET_BYTES) throw new KmsError('InvalidParameter', 'the raw root key must be 32 bytes')
  // A plain Uint8Array copy, never a Buffer (whose slice() is a view): closing the engine
  // wipes what `create`/`unlock` return, and that must be neither the caller's bytes nor ours.
  const secret = new Uint8Array(key)
  return {
    kind: 'raw',
    persistent: true,
    async create() {
      return { secret: secret.slice(), params: {} }
    },
    async unlock() {
      return secret.slice()
    },
  }
}

/** A random root key that exists only inside this provider: for memory stores and tests. */
export function ephemeralRootKey(): RootKeyProvider {
  let secret: Uint8Array | undefined
  return {
    kind: 'ephemeral',
    persistent: false,
    async create({ random }) {
      secret ??= random.fill(new Uint8Array(ROOT_SECRET_BYTES))
      return { secret: secret.slice(), params: {} }
    },
    async unlock() {
      if (secret === undefined) {
        throw new KmsError('RootKeyMismatch', 'this keystore was created with an ephemeral root key held by another engine; open it with that engine\'s rootKey')
      }
      return secret.slice()
    },
  }
}

/**
 * Stored in the clear at `KEYSTORE_HEADER_KEY`. Holds nothing secret.
 *
 * Schema 1 (the first release): records were stored as plain JSON. Schema 2: every other
 * record is sealed (sealed-storage.ts); the check value is computed with its own label,
 * so a schema-2 header cannot be turned back into a schema-1 one (which would make the
 * engine accept unsealed records again) without the root key; and `mac` authenticates
 * every field under a key derived from the root key.
 */
export interface KeystoreHeader {
  readonly schema: 1 | 2
  readonly rootKeyKind: string
  readonly rootKeyParams: RootKeyParams
  readonly salt: string
  readonly check: string
  readonly createdAt: number
  /** Schema 2: `sealed-v1`, the record format of sealed-storage.ts. */
  readonly records?: 'sealed-v1'
  /** Schema 2: HMAC-SHA-256 under HKDF(secret, "strongroom/root/header/mac/v1") of the other fields. */
  readonly mac?: string
}

export const KEYSTORE_HEADER_KEY = 'meta/keystore'

const LABEL_KEK = utf8Encode('strongroom/root/kek/v1')
const LABEL_CHECK = utf8Encode('strongroom/root/check/v1')
const CHECK_MESSAGE = utf8Encode('strongroom/keystore/v1')
const CHECK_MESSAGE_V2 = utf8Encode('strongroom/keystore/v2/sealed-records')
const HEADER_MAC_LABEL = 'header/mac/v1'
const MATERIAL_AAD_LABEL = utf8Encode('strongroom/material/v1')
const WRAP_FORMAT = 1

/** The unlocked root: wraps and unwraps key material, derives labelled engine keys. */
export class RootKeyring {
  readonly #crypto: CryptoProvider
  readonly #random: RandomSource
  readonly #secret: Uint8Array
  readonly #salt: Uint8Array
  readonly #kek: Uint8Array
  /** Set by `wipe()`: from then on the zeroed KEK must never wrap or unwrap anything. */
  #wiped = false

  private constructor(crypto: CryptoProvider, random: RandomSource, secret: Uint8Array, salt: Uint8Array) {
    this.#crypto = crypto
    this.#random = random
    this.#secret = secret
    this.#salt = salt
    this.#kek = crypto.hkdfSha256(secret, salt, LABEL_KEK, 32)
  }

  /**
   * Unlocks an existing keystore or initialises a new one; returns the keyring and the
   * header to store (if new). A schema-1 header (records not yet sealed) unlocks as
   * before; the engine then upgrades the store and stores `upgradedHeader(header)`.
   */
  static async open(
    provider: RootKeyProvider,
    header: KeystoreHeader | undefined,
    context: RootKeyContext,
    now: number,
  ): Promise<{ keyring: RootKeyring; newHeader?: KeystoreHeader }> {
    const { crypto, random } = context
    if (header === undefined) {
      const { secret, params } = await provider.create(context)
      const salt = random.fill(new Uint8Array(32))
      const keyring = new RootKeyring(crypto, random, secret, salt)
      const base = { rootKeyKind: provider.kind, rootKeyParams: params, salt: toBase64(salt), createdAt: now }
      return { keyring, newHeader: keyring.#sealedHeader(base) }
    }
    if (header.rootKeyKind !== provider.kind) {
      throw new KmsError('RootKeyMismatch', `this keystore was created with a "${header.rootKeyKind}" root key, not "${provider.kind}"`)
    }
    const salt = fromBase64(header.salt)
    const check = fromBase64(header.check)
    if (salt === undefined || check === undefined) throw new KmsError('CorruptRecord', 'the keystore header is unreadable')
    const secret = await provider.unlock(header.rootKeyParams, context)
    const keyring = new RootKeyring(crypto, random, secret, salt)
    if (!crypto.timingSafeEqual(keyring.#checkValue(header.schema), check)) {
      keyring.wipe()
      throw new KmsError('RootKeyMismatch', 'the root key does not open this keystore (wrong passphrase or key)')
    }
    if (header.schema === 2) {
      const mac = header.mac === undefined ? undefined : fromBase64(header.mac)
      if (mac === undefined || header.records !== 'sealed-v1' || !crypto.timingSafeEqual(keyring.#headerMac(header), mac)) {
        keyring.wipe()
        throw new KmsError('CorruptRecord', 'the keystore header was modified (its MAC does not match)')
      }
    }
    return { keyring }
  }

  /** The schema-2 header for a store whose records are now all sealed (same salt, kind and parameters). */
  upgradedHeader(header: KeystoreHeader): KeystoreHeader {
    this.#assertLive()
    const { rootKeyKind, rootKeyParams, salt, createdAt } = header
    return this.#sealedHeader({ rootKeyKind, rootKeyParams, salt, createdAt })
  }

  #sealedHeader(base: Pick<KeystoreHeader, 'rootKeyKind' | 'rootKeyParams' | 'salt' | 'createdAt'>): KeystoreHeader {
    const unsigned: KeystoreHeader = { schema: 2, ...base, check: toBase64(this.#checkValue(2)), records: 'sealed-v1' }
    return { ...unsigned, mac: toBase64(this.#headerMac(unsigned)) }
  }

  /** HMAC over every field but the MAC, in a fixed order (JSON of an array, so no field can be moved into another). */
  #headerMac(header: KeystoreHeader): Uint8Array {
    const fields = [header.schema, header.rootKeyKind, header.rootKeyParams, header.salt, header.check, header.createdAt, header.records ?? null]
    const key = this.deriveKey(HEADER_MAC_LABEL)
    const mac = this.#crypto.hmacSha256(key, utf8Encode(JSON.stringify(fields)))
    wipe(key)
    return mac
  }

  #checkValue(schema: 1 | 2): Uint8Array {
    const checkKey = this.#crypto.hkdfSha256(this.#secret, this.#salt, LABEL_CHECK, 32)
    const value = this.#crypto.hmacSha256(checkKey, concatBytes(schema === 1 ? CHECK_MESSAGE : CHECK_MESSAGE_V2, this.#salt))
    wipe(checkKey)
    return value
  }

  /** A 32-byte key for an engine purpose, independent of the KEK (HKDF with its own label). */
  deriveKey(label: string): Uint8Array {
    this.#assertLive()
    return this.#crypto.hkdfSha256(this.#secret, this.#salt, utf8Encode(`strongroom/root/${label}`), 32)
  }

  wrapMaterial(keyId: string, keyVersionId: string, material: Uint8Array): string {
    this.#assertLive()
    const out = new Uint8Array(1 + GCM_NONCE_LENGTH + material.length + 16)
    out[0] = WRAP_FORMAT
    const nonce = out.subarray(1, 1 + GCM_NONCE_LENGTH)
    this.#random.fill(nonce)
    this.#crypto.aesGcmEncrypt(this.#kek, nonce, material, materialAad(keyId, keyVersionId), out.subarray(1 + GCM_NONCE_LENGTH))
    return toBase64(out)
  }

  /** Throws CorruptRecord when the wrapped value was modified or moved to another key or version. */
  unwrapMaterial(keyId: string, keyVersionId: string, wrapped: string): Uint8Array {
    this.#assertLive()
    const bytes = fromBase64(wrapped)
    if (bytes === undefined || bytes.length < 1 + GCM_NONCE_LENGTH + 16 || bytes[0] !== WRAP_FORMAT) {
      throw new KmsError('CorruptRecord', `wrapped material of key ${keyId} is unreadable`)
    }
    const material = this.#crypto.aesGcmDecrypt(
      this.#kek, bytes.subarray(1, 1 + GCM_NONCE_LENGTH), bytes.subarray(1 + GCM_NONCE_LENGTH), materialAad(keyId, keyVersionId))
    if (material === undefined) throw new KmsError('CorruptRecord', `wrapped material of key ${keyId} failed authentication`)
    return material
  }

  /**
   * Precondition: the keyring was not wiped. An operation that was already under way when
   * the engine closed must fail with Closed, not wrap new material under an all-zero KEK
   * (which would store it effectively in the clear and make it unrecoverable).
   */
  #assertLive(): void {
    if (this.#wiped) throw new KmsError('Closed', 'the engine is closed')
  }

  wipe(): void {
    this.#wiped = true
    wipe(this.#secret, this.#kek)
  }
}

function materialAad(keyId: string, keyVersionId: string): Uint8Array {
  return concatBytes(MATERIAL_AAD_LABEL, uuidToBytes(keyId), uuidToBytes(keyVersionId))
}

export function encodeKeystoreHeader(header: KeystoreHeader): Uint8Array {
  return utf8Encode(JSON.stringify(header))
}

export function decodeKeystoreHeader(bytes: Uint8Array): KeystoreHeader {
  let parsed: unknown
  try {
    parsed = JSON.parse(utf8Decode(bytes))
  } catch (cause) {
    throw new KmsError('CorruptRecord', 'the keystore header is not valid JSON', { cause })
  }
  const h = parsed as Partial<KeystoreHeader> | null
  if (h === null || typeof h !== 'object' || (h.schema !== 1 && h.schema !== 2) || typeof h.rootKeyKind !== 'string' ||
      typeof h.salt !== 'string' || typeof h.check !== 'string' || typeof h.rootKeyParams !== 'object' || h.rootKeyParams === null) {
    throw new KmsError('CorruptRecord', 'the keystore header is unreadable or from a newer release')
  }
  return h as KeystoreHeader
}
