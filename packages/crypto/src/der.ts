/**
 * The few DER structures the elliptic-curve keys need, written and read without
 * `node:crypto`, so both providers produce identical bytes: PKCS#8 `PrivateKeyInfo`
 * (RFC 5208, RFC 5915 `ECPrivateKey`, RFC 8410 for Ed25519), `SubjectPublicKeyInfo`
 * (RFC 5280, RFC 5480, RFC 8410), and the ECDSA signature `SEQUENCE { r, s }` (RFC 3279).
 * Internal (not exported from the package).
 *
 * ```ts
 * const der = encodeEcPrivateKey(P256, scalar, point)   // what OpenSSL itself writes
 * const { scalar } = decodeEcPrivateKey(P256, der)        // RangeError if not a P-256 key
 * ```
 *
 * The encoders write exactly OpenSSL 3's form (checked byte for byte in the tests), so a key
 * made by either provider round-trips through `node:crypto` unchanged. The decoders are strict
 * DER (definite, minimal lengths; no trailing bytes) and accept the optional fields OpenSSL
 * and RFC 8410 allow, so keys made by OpenSSL or imported by a user can be read too.
 */
import { mapHashToField } from '@noble/curves/abstract/modular.js'
import { EC_SEED_LENGTH, EC_SEED_LENGTHS, ED25519_KEY_LENGTH, type AsymmetricKeySpec } from './contract.js'
import { bytesEqual, concatBytes } from './bytes.js'

/** An elliptic curve for ECDSA: its DER names, order and sizes. */
export interface EcCurve {
  readonly spec: AsymmetricKeySpec
  /** The curve's name in OpenSSL (`createECDH`) and JWK. */
  readonly opensslName: string
  /** DER of the namedCurve OBJECT IDENTIFIER (tag and length included). */
  readonly oid: Uint8Array
  /** Group order n. */
  readonly n: bigint
  /** Bytes of a scalar or coordinate. */
  readonly size: number
  /** Whether produced signatures are normalised to s ≤ n/2 (BIP 62 / BIP 146 for secp256k1). */
  readonly lowS: boolean
  /** Random bytes a private key is derived from: `size` plus half of it (see EC_SEED_LENGTH). */
  readonly seedLength: number
}

const oid = (...bytes: number[]) => Uint8Array.of(0x06, bytes.length, ...bytes)

/** id-ecPublicKey, 1.2.840.10045.2.1 (RFC 5480). */
const ID_EC_PUBLIC_KEY = oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01)
/** id-Ed25519, 1.3.101.112 (RFC 8410). */
const ID_ED25519 = oid(0x2b, 0x65, 0x70)

/** NIST P-256 (prime256v1, 1.2.840.10045.3.1.7). OpenSSL does not normalise its signatures; neither do we. */
export const P256: EcCurve = Object.freeze({
  spec: 'EC_P256',
  opensslName: 'prime256v1',
  oid: oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  size: 32,
  lowS: false,
  seedLength: EC_SEED_LENGTH,
})

/** secp256k1 (1.3.132.0.10). Signatures are low-S, which Bitcoin and Ethereum require. */
export const SECP256K1: EcCurve = Object.freeze({
  spec: 'EC_P256K',
  opensslName: 'secp256k1',
  oid: oid(0x2b, 0x81, 0x04, 0x00, 0x0a),
  n: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
  size: 32,
  lowS: true,
  seedLength: EC_SEED_LENGTH,
})

/** NIST P-384 (secp384r1, 1.3.132.0.34). */
export const P384: EcCurve = Object.freeze({
  spec: 'EC_P384',
  opensslName: 'secp384r1',
  oid: oid(0x2b, 0x81, 0x04, 0x00, 0x22),
  n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  size: 48,
  lowS: false,
  seedLength: EC_SEED_LENGTHS.EC_P384!,
})

/** NIST P-521 (secp521r1, 1.3.132.0.35): scalars and coordinates are 66 bytes. */
export const P521: EcCurve = Object.freeze({
  spec: 'EC_P521',
  opensslName: 'secp521r1',
  oid: oid(0x2b, 0x81, 0x04, 0x00, 0x23),
  n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  size: 66,
  lowS: false,
  seedLength: EC_SEED_LENGTHS.EC_P521!,
})

const CURVES: Readonly<Partial<Record<AsymmetricKeySpec, EcCurve>>> = { EC_P256: P256, EC_P256K: SECP256K1, EC_P384: P384, EC_P521: P521 }

/** The curve of an EC spec, or undefined for ED25519 and RSA. */
export function ecCurve(spec: AsymmetricKeySpec): EcCurve | undefined {
  return CURVES[spec]
}

/**
 * FIPS 186-5 §A.2.1: d = (c mod (n − 1)) + 1, a scalar in [1, n − 1], as `size` big-endian
 * bytes. The arithmetic on this secret is @noble/curves' (`mapHashToField`), not ours.
 */
export function scalarFromSeed(curve: EcCurve, seed: Uint8Array): Uint8Array {
  if (seed.length !== curve.seedLength) throw new RangeError(`seed must be ${curve.seedLength} bytes, got ${seed.length}`)
  return mapHashToField(seed, curve.n)
}

// --- integers (public values: signature components, range checks) ---

function bytesToBigint(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

// --- DER writer ---

const SEQUENCE = 0x30
const INTEGER = 0x02
const BIT_STRING = 0x03
const OCTET_STRING = 0x04
const CONTEXT_0 = 0xa0
const CONTEXT_1 = 0xa1

/** One TLV with a minimal definite length (X.690 §10.1). */
function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const body = concatBytes(...contents)
  const length = body.length
  const header =
    length < 0x80
      ? Uint8Array.of(tag, length)
      : length < 0x100
        ? Uint8Array.of(tag, 0x81, length)
        : Uint8Array.of(tag, 0x82, length >> 8, length & 0xff)
  return concatBytes(header, body)
}

/** A non-negative INTEGER, minimal two's complement (a 0x00 prefix when the top bit is set). */
function derUnsignedInteger(value: bigint): Uint8Array {
  let hex = value.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return tlv(INTEGER, bytes[0]! & 0x80 ? Uint8Array.of(0, ...bytes) : bytes)
}

const VERSION_0 = Uint8Array.of(INTEGER, 1, 0)
const VERSION_1 = Uint8Array.of(INTEGER, 1, 1)

/**
 * PKCS#8 of an EC key, as OpenSSL 3 writes it: `PrivateKeyInfo { 0, { id-ecPublicKey, curve },
 * OCTET STRING ECPrivateKey { 1, OCTET STRING d, [1] BIT STRING point } }` with the curve in the
 * AlgorithmIdentifier only (no `[0] parameters`, RFC 5915 §3) and the uncompressed point.
 */
export function encodeEcPrivateKey(curve: EcCurve, scalar: Uint8Array, point: Uint8Array): Uint8Array {
  const ecPrivateKey = tlv(
    SEQUENCE,
    VERSION_1,
    tlv(OCTET_STRING, scalar),
    tlv(CONTEXT_1, tlv(BIT_STRING, Uint8Array.of(0), point)),
  )
  return tlv(SEQUENCE, VERSION_0, tlv(SEQUENCE, ID_EC_PUBLIC_KEY, curve.oid), tlv(OCTET_STRING, ecPrivateKey))
}

/** SubjectPublicKeyInfo of an EC key (RFC 5480): `{ { id-ecPublicKey, curve }, BIT STRING point }`. */
export function encodeEcPublicKey(curve: EcCurve, point: Uint8Array): Uint8Array {
  return tlv(SEQUENCE, tlv(SEQUENCE, ID_EC_PUBLIC_KEY, curve.oid), tlv(BIT_STRING, Uint8Array.of(0), point))
}

/** PKCS#8 of an Ed25519 key, as OpenSSL writes it (RFC 8410 §7, version 0, no public key). */
export function encodeEd25519PrivateKey(seed: Uint8Array): Uint8Array {
  return tlv(SEQUENCE, VERSION_0, tlv(SEQUENCE, ID_ED25519), tlv(OCTET_STRING, tlv(OCTET_STRING, seed)))
}

/** SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4). */
export function encodeEd25519PublicKey(publicKey: Uint8Array): Uint8Array {
  return tlv(SEQUENCE, tlv(SEQUENCE, ID_ED25519), tlv(BIT_STRING, Uint8Array.of(0), publicKey))
}

/** An ECDSA signature as DER `SEQUENCE { INTEGER r, INTEGER s }` (RFC 3279 §2.2.3). */
export function encodeEcdsaSignature(r: bigint, s: bigint): Uint8Array {
  return tlv(SEQUENCE, derUnsignedInteger(r), derUnsignedInteger(s))
}

// --- DER reader ---

/** Reads TLVs from `bytes`, strictly: a malformed input throws RangeError with `message`. */
class DerReader {
  #offset = 0

  constructor(
    readonly bytes: Uint8Array,
    readonly message: string,
  ) {}

  fail(): never {
    throw new RangeError(this.message)
  }

  get done(): boolean {
    return this.#offset === this.bytes.length
  }

  peek(): number | undefined {
    return this.bytes[this.#offset]
  }

  /** Reads one TLV with the given tag and returns its contents. */
  read(tag: number): Uint8Array {
    const bytes = this.bytes
    let offset = this.#offset
    if (bytes[offset++] !== tag) this.fail()
    let length = bytes[offset++]
    if (length === undefined) this.fail()
    if (length >= 0x80) {
      const count = length & 0x7f
      // Indefinite (0x80) and lengths over 64 KiB have no place in these structures.
      if (count === 0 || count > 2) this.fail()
      length = 0
      for (let i = 0; i < count; i++) length = length * 256 + (bytes[offset++] ?? this.fail())
      // Minimal encoding: long form only from 128, and no leading zero byte.
      if (length < 0x80 || (count === 2 && length < 0x100)) this.fail()
    }
    if (offset + length > bytes.length) this.fail()
    this.#offset = offset + length
    return bytes.subarray(offset, offset + length)
  }

  /** Reads a TLV and checks its whole encoding equals `expected` (a version or an OID). */
  expect(expected: Uint8Array): void {
    const start = this.#offset
    this.read(expected[0]!)
    if (!bytesEqual(this.bytes.subarray(start, this.#offset), expected)) this.fail()
  }

  end(): void {
    if (!this.done) this.fail()
  }
}

/**
 * Whether `der` is exactly one SEQUENCE with a minimal definite length and nothing after it.
 * OpenSSL's decoders ignore trailing bytes; checking this first makes the node provider
 * refuse the same keys the strict readers here refuse.
 */
export function isOneDerSequence(der: Uint8Array): boolean {
  try {
    const reader = new DerReader(der, 'not DER')
    reader.read(SEQUENCE)
    return reader.done
  } catch {
    return false
  }
}

/** A BIT STRING's contents with no unused bits: the bytes after the leading 0x00. */
function bitStringBytes(reader: DerReader, contents: Uint8Array): Uint8Array {
  if (contents[0] !== 0) reader.fail()
  return contents.subarray(1)
}

/** Reads `PrivateKeyInfo`/`OneAsymmetricKey` up to the privateKey OCTET STRING, skipping the optional trailers. */
function readPrivateKeyInfo(
  der: Uint8Array,
  message: string,
  algorithm: readonly Uint8Array[],
): { privateKey: Uint8Array; publicKey: Uint8Array | undefined } {
  const outer = new DerReader(der, message)
  const info = new DerReader(outer.read(SEQUENCE), message)
  outer.end()
  const version = info.read(INTEGER)
  // RFC 5958: version 0 (v1) or 1 (v2, which may carry the public key).
  if (version.length !== 1 || version[0]! > 1) info.fail()
  const identifier = new DerReader(info.read(SEQUENCE), message)
  for (const part of algorithm) identifier.expect(part)
  identifier.end()
  const privateKey = info.read(OCTET_STRING)
  if (info.peek() === CONTEXT_0) info.read(CONTEXT_0) // attributes: ignored
  let publicKey: Uint8Array | undefined
  if (info.peek() === 0x81 && version[0] === 1) publicKey = bitStringBytes(info, info.read(0x81)) // [1] IMPLICIT BIT STRING
  info.end()
  return { privateKey, publicKey }
}

/**
 * The scalar (as `curve.size` bytes) and, when the key carries it, the public point of an EC
 * PKCS#8. RangeError unless it is a well-formed key of this curve with 1 ≤ d < n.
 */
export function decodeEcPrivateKey(curve: EcCurve, der: Uint8Array): { scalar: Uint8Array; point: Uint8Array | undefined } {
  const message = `privateKey is not an ${curve.spec} PKCS#8 private key`
  const { privateKey } = readPrivateKeyInfo(der, message, [ID_EC_PUBLIC_KEY, curve.oid])
  const outer = new DerReader(privateKey, message)
  const ec = new DerReader(outer.read(SEQUENCE), message)
  outer.end()
  ec.expect(VERSION_1)
  const scalar = ec.read(OCTET_STRING)
  // RFC 5915: the key is ceiling(log2(n)/8) octets; OpenSSL always pads to that length.
  if (scalar.length !== curve.size) ec.fail()
  const d = bytesToBigint(scalar)
  if (d === 0n || d >= curve.n) ec.fail()
  if (ec.peek() === CONTEXT_0) {
    const parameters = new DerReader(ec.read(CONTEXT_0), message)
    parameters.expect(curve.oid)
    parameters.end()
  }
  let point: Uint8Array | undefined
  if (ec.peek() === CONTEXT_1) {
    const wrapped = new DerReader(ec.read(CONTEXT_1), message)
    point = bitStringBytes(wrapped, wrapped.read(BIT_STRING))
    wrapped.end()
  }
  ec.end()
  return { scalar: scalar.slice(), point }
}

/** The encoded point (SEC 1 §2.3.3, compressed or not; not yet checked to be on the curve) of an EC SubjectPublicKeyInfo. */
export function decodeEcPublicKey(curve: EcCurve, der: Uint8Array): Uint8Array {
  return readPublicKeyInfo(der, `publicKey is not an ${curve.spec} SubjectPublicKeyInfo`, [ID_EC_PUBLIC_KEY, curve.oid])
}

/** The 32-byte seed and, for a v2 `OneAsymmetricKey`, the public key of an Ed25519 PKCS#8. */
export function decodeEd25519PrivateKey(der: Uint8Array): { seed: Uint8Array; publicKey: Uint8Array | undefined } {
  const message = 'privateKey is not an ED25519 PKCS#8 private key'
  const { privateKey, publicKey } = readPrivateKeyInfo(der, message, [ID_ED25519])
  const inner = new DerReader(privateKey, message)
  const seed = inner.read(OCTET_STRING)
  inner.end()
  if (seed.length !== ED25519_KEY_LENGTH) inner.fail()
  if (publicKey !== undefined && publicKey.length !== ED25519_KEY_LENGTH) inner.fail()
  return { seed: seed.slice(), publicKey }
}

/** The 32-byte public key of an Ed25519 SubjectPublicKeyInfo. */
export function decodeEd25519PublicKey(der: Uint8Array): Uint8Array {
  const message = 'publicKey is not an ED25519 SubjectPublicKeyInfo'
  const key = readPublicKeyInfo(der, message, [ID_ED25519])
  if (key.length !== ED25519_KEY_LENGTH) throw new RangeError(message)
  return key
}

function readPublicKeyInfo(der: Uint8Array, message: string, algorithm: readonly Uint8Array[]): Uint8Array {
  const outer = new DerReader(der, message)
  const info = new DerReader(outer.read(SEQUENCE), message)
  outer.end()
  const identifier = new DerReader(info.read(SEQUENCE), message)
  for (const part of algorithm) identifier.expect(part)
  identifier.end()
  const key = bitStringBytes(info, info.read(BIT_STRING))
  info.end()
  return key
}

/**
 * r and s of a DER ECDSA signature, or undefined when the bytes are not exactly one minimal
 * `SEQUENCE { INTEGER, INTEGER }` of positive integers (what OpenSSL's verifier demands too).
 */
export function decodeEcdsaSignature(signature: Uint8Array): { r: bigint; s: bigint } | undefined {
  try {
    const outer = new DerReader(signature, 'signature')
    const sequence = new DerReader(outer.read(SEQUENCE), 'signature')
    outer.end()
    const r = readPositiveInteger(sequence)
    const s = readPositiveInteger(sequence)
    sequence.end()
    return { r, s }
  } catch {
    return undefined
  }
}

function readPositiveInteger(reader: DerReader): bigint {
  const bytes = reader.read(INTEGER)
  if (bytes.length === 0 || bytes[0]! & 0x80) reader.fail() // empty or negative
  if (bytes[0] === 0 && (bytes.length === 1 || !(bytes[1]! & 0x80))) reader.fail() // zero or not minimal
  return bytesToBigint(bytes)
}
