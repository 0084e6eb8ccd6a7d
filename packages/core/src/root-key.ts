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
  /**
   * Which root key this is, counting changes (absent: 0, the first). Sealed records and
   * wrapped material carry `generationTag(generation)`, so while a change is under way each
   * says which of the two root keys sealed it.
   */
  readonly generation?: number
  /** A root-key change under way (see `RootKeyring.beginChange`); absent otherwise. */
  readonly pendingChange?: PendingRootKeyChange
  /** Schema 2: HMAC-SHA-256 under HKDF(secret, "strongroom/root/header/mac/v1") of the other fields. */
  readonly mac?: string
}

/**
 * The marker of a root-key change in the header (authenticated by the header's MAC under
 * the old key): the new key's kind, parameters, salt and check value, and each root secret
 * wrapped under the other's KEK, so that whichever of the two keys the store is opened with
 * recovers both and the open finishes the change. Dropped when the change completes.
 */
export interface PendingRootKeyChange {
  readonly rootKeyKind: string
  readonly rootKeyParams: RootKeyParams
  readonly salt: string
  readonly check: string
  readonly generation: number
  /** The new root secret, wrapped under the old key's KEK. */
  readonly nextSecret: string
  /** The old root secret, wrapped under the new key's KEK. */
  readonly previousSecret: string
}

export const KEYSTORE_HEADER_KEY = 'meta/keystore'

const LABEL_KEK = utf8Encode('strongroom/root/kek/v1')
const LABEL_CHECK = utf8Encode('strongroom/root/check/v1')
const CHECK_MESSAGE = utf8Encode('strongroom/keystore/v1')
const CHECK_MESSAGE_V2 = utf8Encode('strongroom/keystore/v2/sealed-records')
const HEADER_MAC_LABEL = 'header/mac/v1'
const MATERIAL_AAD_LABEL = utf8Encode('strongroom/material/v1')
const NEXT_SECRET_AAD = utf8Encode('strongroom/root/next-secret/v1')
const PREVIOUS_SECRET_AAD = utf8Encode('strongroom/root/previous-secret/v1')

/**
 * The format byte of wrapped material and of sealed records (sealed-storage.ts): 1 for the
 * first root key (the byte every store had before root keys could change), then counting
 * up with each change, 1..255 cyclically. Only two generations ever coexist (during a
 * change), so the byte always tells them apart.
 */
export function generationTag(generation: number): number {
  return 1 + (generation % 255)
}

/** One root secret and what is derived from it. */
interface Root {
  readonly secret: Uint8Array
  readonly salt: Uint8Array
  readonly kek: Uint8Array
  readonly generation: number
  readonly tag: number
}

/**
 * The unlocked root: wraps and unwraps key material, derives labelled engine keys. While a
 * root-key change is under way it holds both keys: the new one (current) wraps and derives,
 * the old one (retiring) still unwraps what it wrapped, chosen by the format byte.
 */
export class RootKeyring {
  readonly #crypto: CryptoProvider
  readonly #random: RandomSource
  #current: Root
  #retiring: Root | undefined
  /** Set by `wipe()`: from then on the zeroed KEK must never wrap or unwrap anything. */
  #wiped = false

  private constructor(crypto: CryptoProvider, random: RandomSource, current: Root, retiring?: Root) {
    this.#crypto = crypto
    this.#random = random
    this.#current = current
    this.#retiring = retiring
  }

  static #root(crypto: CryptoProvider, secret: Uint8Array, salt: Uint8Array, generation: number): Root {
    return { secret, salt, kek: crypto.hkdfSha256(secret, salt, LABEL_KEK, 32), generation, tag: generationTag(generation) }
  }

  /**
   * Unlocks an existing keystore or initialises a new one; returns the keyring and the
   * header to store (if new). A schema-1 header (records not yet sealed) unlocks as
   * before; the engine then upgrades the store and stores `upgradedHeader(header)`. A
   * header with a pending root-key change unlocks with either key and returns a keyring
   * that holds both (`changing`); the engine then finishes the change.
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
      const keyring = new RootKeyring(crypto, random, RootKeyring.#root(crypto, secret, salt, 0))
      const base = { rootKeyKind: provider.kind, rootKeyParams: params, salt: toBase64(salt), createdAt: now }
      return { keyring, newHeader: keyring.#sealedHeader(base) }
    }
    if (header.pendingChange !== undefined) return { keyring: await RootKeyring.#openChanging(provider, header, context) }
    if (header.rootKeyKind !== provider.kind) {
      throw new KmsError('RootKeyMismatch', `this keystore was created with a "${header.rootKeyKind}" root key, not "${provider.kind}"`)
    }
    const root = await RootKeyring.#unlockRoot(provider, header, header.schema, header.generation ?? 0, context)
    if (root === undefined) throw new KmsError('RootKeyMismatch', 'the root key does not open this keystore (wrong passphrase or key)')
    const keyring = new RootKeyring(crypto, random, root)
    if (header.schema === 2) keyring.#assertHeaderMac(header, root)
    return { keyring }
  }

  /** Either key of a pending change opens the store; each recovers the other from the marker. */
  static async #openChanging(provider: RootKeyProvider, header: KeystoreHeader, context: RootKeyContext): Promise<RootKeyring> {
    const { crypto, random } = context
    const pending = header.pendingChange!
    const oldGeneration = header.generation ?? 0
    if (header.schema !== 2 || pending.generation !== oldGeneration + 1) throw new KmsError('CorruptRecord', 'the keystore header has an unreadable root-key change')
    let old: Root | undefined
    let next: Root | undefined
    try {
      old = await RootKeyring.#unlockRoot(provider, header, 2, oldGeneration, context, true)
      if (old !== undefined) {
        next = RootKeyring.#recoverRoot(crypto, old, pending.nextSecret, NEXT_SECRET_AAD, pending, pending.generation, 2)
      } else {
        next = await RootKeyring.#unlockRoot(provider, pending, 2, pending.generation, context)
        if (next === undefined) {
          throw new KmsError('RootKeyMismatch', 'the root key opens neither side of this keystore\'s root-key change (wrong passphrase or key)')
        }
        old = RootKeyring.#recoverRoot(crypto, next, pending.previousSecret, PREVIOUS_SECRET_AAD, header, oldGeneration, 2)
      }
    } catch (error) {
      if (old !== undefined) wipeRoot(old)
      if (next !== undefined) wipeRoot(next)
      throw error
    }
    const keyring = new RootKeyring(crypto, random, next, old)
    keyring.#assertHeaderMac(header, old)
    return keyring
  }

  /** The root of `fields` if `provider` opens it, `undefined` if it is another key (kind or check differ). */
  static async #unlockRoot(
    provider: RootKeyProvider, fields: Pick<KeystoreHeader, 'rootKeyKind' | 'rootKeyParams' | 'salt' | 'check'>, schema: 1 | 2, generation: number,
    context: RootKeyContext, otherSide = false,
  ): Promise<Root | undefined> {
    if (fields.rootKeyKind !== provider.kind) return undefined
    const salt = fromBase64(fields.salt)
    const check = fromBase64(fields.check)
    if (salt === undefined || check === undefined) throw new KmsError('CorruptRecord', 'the keystore header is unreadable')
    let secret: Uint8Array
    try {
      secret = await provider.unlock(fields.rootKeyParams, context)
    } catch (error) {
      // Trying one side of a change: a provider that cannot open it (an ephemeral key held
      // by another engine, a missing keychain entry) may open the other side.
      if (otherSide && KmsError.is(error, 'RootKeyMismatch')) return undefined
      throw error
    }
    const root = RootKeyring.#root(context.crypto, secret, salt, generation)
    if (context.crypto.timingSafeEqual(checkValue(context.crypto, root, schema), check)) return root
    wipeRoot(root)
    return undefined
  }

  /** The other root of a change, unwrapped from the marker with `by`, checked against its check value. */
  static #recoverRoot(
    crypto: CryptoProvider, by: Root, wrapped: string, label: Uint8Array, fields: Pick<KeystoreHeader, 'salt' | 'check'>, generation: number, schema: 1 | 2,
  ): Root {
    const bytes = fromBase64(wrapped)
    const salt = fromBase64(fields.salt)
    const check = fromBase64(fields.check)
    const secret = bytes === undefined || salt === undefined || bytes.length < GCM_NONCE_LENGTH + 16
      ? undefined
      : crypto.aesGcmDecrypt(by.kek, bytes.subarray(0, GCM_NONCE_LENGTH), bytes.subarray(GCM_NONCE_LENGTH), concatBytes(label, salt))
    if (secret === undefined || check === undefined) throw new KmsError('CorruptRecord', 'the keystore header\'s root-key change failed authentication')
    const root = RootKeyring.#root(crypto, secret, salt!, generation)
    if (!crypto.timingSafeEqual(checkValue(crypto, root, schema), check)) {
      wipeRoot(root)
      throw new KmsError('CorruptRecord', 'the keystore header\'s root-key change failed authentication')
    }
    return root
  }

  #wrapSecret(by: Root, secret: Uint8Array, label: Uint8Array, salt: Uint8Array): string {
    const out = new Uint8Array(GCM_NONCE_LENGTH + secret.length + 16)
    const nonce = this.#random.fill(out.subarray(0, GCM_NONCE_LENGTH))
    this.#crypto.aesGcmEncrypt(by.kek, nonce, secret, concatBytes(label, salt), out.subarray(GCM_NONCE_LENGTH))
    return toBase64(out)
  }

  #assertHeaderMac(header: KeystoreHeader, root: Root): void {
    const mac = header.mac === undefined ? undefined : fromBase64(header.mac)
    if (mac === undefined || header.records !== 'sealed-v1' || !this.#crypto.timingSafeEqual(this.#headerMac(header, root), mac)) {
      this.wipe()
      throw new KmsError('CorruptRecord', 'the keystore header was modified (its MAC does not match)')
    }
  }

  /** The schema-2 header for a store whose records are now all sealed (same salt, kind and parameters). */
  upgradedHeader(header: KeystoreHeader): KeystoreHeader {
    this.#assertLive()
    const { rootKeyKind, rootKeyParams, salt, createdAt } = header
    return this.#sealedHeader({ rootKeyKind, rootKeyParams, salt, createdAt })
  }

  #sealedHeader(base: Pick<KeystoreHeader, 'rootKeyKind' | 'rootKeyParams' | 'salt' | 'createdAt'>): KeystoreHeader {
    const unsigned: KeystoreHeader = { schema: 2, ...base, check: toBase64(checkValue(this.#crypto, this.#current, 2)), records: 'sealed-v1' }
    return { ...unsigned, mac: toBase64(this.#headerMac(unsigned, this.#current)) }
  }

  /** The generation of the current root key (0 for the first). */
  get generation(): number {
    return this.#current.generation
  }

  /** The generation being replaced while a change is under way, else `undefined`. */
  get retiringGeneration(): number | undefined {
    return this.#retiring?.generation
  }

  /**
   * Starts a change to the root key `provider` makes: from now on this keyring wraps and
   * derives under the new key and still unwraps under the old one. Returns the header to
   * commit, `header` plus the pending-change marker, MAC'd under the old key. If that commit
   * fails, `abandonChange()` goes back to the old key.
   */
  async beginChange(provider: RootKeyProvider, header: KeystoreHeader, context: RootKeyContext): Promise<KeystoreHeader> {
    this.#assertLive()
    if (this.#retiring !== undefined) throw new KmsError('Conflict', 'a root-key change is already under way')
    const old = this.#current
    const { secret, params } = await provider.create(context)
    const salt = this.#random.fill(new Uint8Array(32))
    const next = RootKeyring.#root(this.#crypto, secret, salt, old.generation + 1)
    const pendingChange: PendingRootKeyChange = {
      rootKeyKind: provider.kind, rootKeyParams: params, salt: toBase64(salt), check: toBase64(checkValue(this.#crypto, next, 2)),
      generation: next.generation,
      nextSecret: this.#wrapSecret(old, next.secret, NEXT_SECRET_AAD, next.salt),
      previousSecret: this.#wrapSecret(next, old.secret, PREVIOUS_SECRET_AAD, old.salt),
    }
    const { mac: _mac, ...rest } = header
    const unsigned: KeystoreHeader = { ...rest, pendingChange }
    this.#retiring = old
    this.#current = next
    return { ...unsigned, mac: toBase64(this.#headerMac(unsigned, old)) }
  }

  /** The header that ends a change: the new key's fields, no marker, MAC'd under the new key. */
  completedHeader(header: KeystoreHeader): KeystoreHeader {
    this.#assertLive()
    const p = header.pendingChange
    if (p === undefined || p.generation !== this.#current.generation) throw new KmsError('Conflict', 'the keystore header holds no change to this root key')
    const unsigned: KeystoreHeader = {
      schema: 2, rootKeyKind: p.rootKeyKind, rootKeyParams: p.rootKeyParams, salt: p.salt, check: p.check,
      createdAt: header.createdAt, records: 'sealed-v1', generation: p.generation,
    }
    return { ...unsigned, mac: toBase64(this.#headerMac(unsigned, this.#current)) }
  }

  /** The change committed: the old key is wiped and nothing it wrapped is read any more. */
  finishChange(): void {
    if (this.#retiring !== undefined) wipeRoot(this.#retiring)
    this.#retiring = undefined
  }

  /** The marker could not be committed: back to the old key, the new one wiped. */
  abandonChange(): void {
    if (this.#retiring === undefined) return
    wipeRoot(this.#current)
    this.#current = this.#retiring
    this.#retiring = undefined
  }

  /**
   * HMAC over every field but the MAC, in a fixed order (JSON of an array, so no field can be
   * moved into another). The generation and marker join the list only when present, so the
   * MAC of a header from before root keys could change is what it always was.
   */
  #headerMac(header: KeystoreHeader, root: Root): Uint8Array {
    const fields: JsonValue[] = [header.schema, header.rootKeyKind, header.rootKeyParams, header.salt, header.check, header.createdAt, header.records ?? null]
    if (header.generation !== undefined || header.pendingChange !== undefined) {
      fields.push(header.generation ?? 0, (header.pendingChange as unknown as JsonValue | undefined) ?? null)
    }
    const key = deriveFrom(this.#crypto, root, HEADER_MAC_LABEL)
    const mac = this.#crypto.hmacSha256(key, utf8Encode(JSON.stringify(fields)))
    wipe(key)
    return mac
  }

  /** A 32-byte key for an engine purpose, independent of the KEK (HKDF with its own label). */
  deriveKey(label: string): Uint8Array {
    this.#assertLive()
    return deriveFrom(this.#crypto, this.#current, label)
  }

  /** The same key under the root key being replaced; only while a change is under way. */
  deriveRetiringKey(label: string): Uint8Array {
    this.#assertLive()
    if (this.#retiring === undefined) throw new KmsError('Conflict', 'no root-key change is under way')
    return deriveFrom(this.#crypto, this.#retiring, label)
  }

  wrapMaterial(keyId: string, keyVersionId: string, material: Uint8Array): string {
    this.#assertLive()
    const root = this.#current
    const out = new Uint8Array(1 + GCM_NONCE_LENGTH + material.length + 16)
    out[0] = root.tag
    const nonce = out.subarray(1, 1 + GCM_NONCE_LENGTH)
    this.#random.fill(nonce)
    this.#crypto.aesGcmEncrypt(root.kek, nonce, material, materialAad(keyId, keyVersionId), out.subarray(1 + GCM_NONCE_LENGTH))
    return toBase64(out)
  }

  /** Whether `wrapped` is under the root key being replaced (so a change must re-wrap it). */
  isRetiringWrap(wrapped: string): boolean {
    const bytes = fromBase64(wrapped)
    return this.#retiring !== undefined && bytes !== undefined && bytes[0] === this.#retiring.tag
  }

  /** Throws CorruptRecord when the wrapped value was modified or moved to another key or version. */
  unwrapMaterial(keyId: string, keyVersionId: string, wrapped: string): Uint8Array {
    this.#assertLive()
    const bytes = fromBase64(wrapped)
    const root = bytes === undefined ? undefined : bytes[0] === this.#current.tag ? this.#current : bytes[0] === this.#retiring?.tag ? this.#retiring : undefined
    if (bytes === undefined || root === undefined || bytes.length < 1 + GCM_NONCE_LENGTH + 16) {
      throw new KmsError('CorruptRecord', `wrapped material of key ${keyId} is unreadable`)
    }
    const material = this.#crypto.aesGcmDecrypt(
      root.kek, bytes.subarray(1, 1 + GCM_NONCE_LENGTH), bytes.subarray(1 + GCM_NONCE_LENGTH), materialAad(keyId, keyVersionId))
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
    wipeRoot(this.#current)
    if (this.#retiring !== undefined) wipeRoot(this.#retiring)
  }
}

function wipeRoot(root: Root): void {
  wipe(root.secret, root.kek)
}

function deriveFrom(crypto: CryptoProvider, root: Root, label: string): Uint8Array {
  return crypto.hkdfSha256(root.secret, root.salt, utf8Encode(`strongroom/root/${label}`), 32)
}

function checkValue(crypto: CryptoProvider, root: Root, schema: 1 | 2): Uint8Array {
  const checkKey = crypto.hkdfSha256(root.secret, root.salt, LABEL_CHECK, 32)
  const value = crypto.hmacSha256(checkKey, concatBytes(schema === 1 ? CHECK_MESSAGE : CHECK_MESSAGE_V2, root.salt))
  wipe(checkKey)
  return value
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
  if (h.generation !== undefined && (!Number.isSafeInteger(h.generation) || h.generation < 1)) {
    throw new KmsError('CorruptRecord', 'the keystore header has an unreadable root-key generation')
  }
  const p = h.pendingChange as Partial<PendingRootKeyChange> | null | undefined
  if (p !== undefined && (p === null || typeof p !== 'object' || typeof p.rootKeyKind !== 'string' || typeof p.rootKeyParams !== 'object' ||
      p.rootKeyParams === null || typeof p.salt !== 'string' || typeof p.check !== 'string' || !Number.isSafeInteger(p.generation) ||
      typeof p.nextSecret !== 'string' || typeof p.previousSecret !== 'string')) {
    throw new KmsError('CorruptRecord', 'the keystore header has an unreadable root-key change')
  }
  return h as KeystoreHeader
}
