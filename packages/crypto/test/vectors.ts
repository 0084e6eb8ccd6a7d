/**
 * Loads the committed known-answer vectors in test/vectors/*.json. They are data, copied
 * from the cited standards and verified against node:crypto once; never regenerate them.
 */
import { readFileSync } from 'node:fs'

export interface AesGcmVector {
  id: string
  source: string
  key: string
  nonce: string
  plaintext: string
  aad: string
  ciphertext: string
  tag: string
  result: 'valid' | 'invalid'
}
export interface HmacVector { id: string; key: string; data: string; mac: string }
export interface HkdfVector { id: string; ikm: string; salt: string; info: string; length: number; okm: string }
export interface Sha256Vector { id: string; data: string; digest: string }
export interface HmacSha2Vector {
  id: string
  key: string
  data: string
  HMAC_SHA_256: string
  HMAC_SHA_384: string
  HMAC_SHA_512: string
}
export interface SignatureVector {
  id: string
  source: string
  spec: 'EC_P256' | 'EC_P256K' | 'ED25519'
  algorithm: 'ECDSA_SHA_256' | 'ED25519'
  privateKey: string
  publicKey: string
  message: string
  signature: string
}
export interface ScryptVector { id: string; password: string; salt: string; N: number; r: number; p: number; dkLen: number; key: string }

function load<T>(file: string): T[] {
  const text = readFileSync(new URL(`./vectors/${file}`, import.meta.url), 'utf8')
  return (JSON.parse(text) as { vectors: T[] }).vectors
}

export const aesGcmVectors = load<AesGcmVector>('aes-gcm.json')
export const hmacVectors = load<HmacVector>('hmac-sha256.json')
export const hkdfVectors = load<HkdfVector>('hkdf-sha256.json')
export const sha256Vectors = load<Sha256Vector>('sha256.json')
export const scryptVectors = load<ScryptVector>('scrypt.json')
export const hmacSha2Vectors = load<HmacSha2Vector>('hmac-sha2.json')
export const signatureVectors = load<SignatureVector>('signatures.json')

/** Hex to a plain Uint8Array (not a Buffer), as callers of the providers hold. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'))
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The same bytes as a view at an odd offset inside a larger buffer, to catch byteOffset bugs. */
export function atOddOffset(bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(bytes.length + 7).fill(0xee)
  backing.set(bytes, 3)
  return backing.subarray(3, 3 + bytes.length)
}
