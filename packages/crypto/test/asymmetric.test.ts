import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  ASYMMETRIC_KEY_SPECS,
  encryptionAlgorithms,
  hmacLength,
  isRsaSpec,
  publicKeyPem,
  rsaModulusBits,
  rsaOaepMaxPlaintextLength,
  signingAlgorithms,
  signingDigestLength,
  UnsupportedAlgorithmError,
  type AsymmetricKeySpec,
} from '@strongroom/crypto'

describe('spec tables', () => {
  it('algorithms per spec, as in the reference model', () => {
    expect(ASYMMETRIC_KEY_SPECS).toEqual(['EC_P256', 'EC_P256K', 'ED25519', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P384', 'EC_P521'])
    expect(signingAlgorithms('EC_P256')).toEqual(['ECDSA_SHA_256'])
    expect(signingAlgorithms('EC_P256K')).toEqual(['ECDSA_SHA_256'])
    expect(signingAlgorithms('EC_P384')).toEqual(['ECDSA_SHA_384'])
    expect(signingAlgorithms('EC_P521')).toEqual(['ECDSA_SHA_512'])
    expect(signingAlgorithms('ED25519')).toEqual(['ED25519', 'ED25519_PH'])
    expect(signingAlgorithms('RSA_3072')).toEqual([
      'RSA_PSS_SHA_256', 'RSA_PKCS1_SHA_256', 'RSA_PSS_SHA_384', 'RSA_PKCS1_SHA_384', 'RSA_PSS_SHA_512', 'RSA_PKCS1_SHA_512',
    ])
    expect(signingAlgorithms('RSA_3072').map(signingDigestLength)).toEqual([32, 32, 48, 48, 64, 64])
    expect(signingDigestLength('ED25519_PH')).toBe(64)
    expect(hmacLength('HMAC_SHA_224')).toBe(28)
    expect(encryptionAlgorithms('RSA_4096')).toEqual(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'])
    expect(encryptionAlgorithms('EC_P256')).toEqual([])
    expect(ASYMMETRIC_KEY_SPECS.filter(isRsaSpec)).toEqual(['RSA_2048', 'RSA_3072', 'RSA_4096'])
    expect(rsaModulusBits('RSA_3072')).toBe(3072)
    expect(() => rsaModulusBits('ED25519')).toThrow(RangeError)
    expect(() => signingAlgorithms('EC_P192' as AsymmetricKeySpec)).toThrow(RangeError)
    expect(Object.isFrozen(signingAlgorithms('RSA_2048'))).toBe(true)
  })

  it('RSAES-OAEP plaintext limits: k − 2·hLen − 2 (RFC 8017 §7.1.1)', () => {
    expect(rsaOaepMaxPlaintextLength('RSA_2048', 'RSAES_OAEP_SHA_256')).toBe(190)
    expect(rsaOaepMaxPlaintextLength('RSA_2048', 'RSAES_OAEP_SHA_1')).toBe(214)
    expect(rsaOaepMaxPlaintextLength('RSA_3072', 'RSAES_OAEP_SHA_256')).toBe(318)
    expect(rsaOaepMaxPlaintextLength('RSA_3072', 'RSAES_OAEP_SHA_1')).toBe(342)
    expect(rsaOaepMaxPlaintextLength('RSA_4096', 'RSAES_OAEP_SHA_256')).toBe(446)
    expect(rsaOaepMaxPlaintextLength('RSA_4096', 'RSAES_OAEP_SHA_1')).toBe(470)
    expect(() => rsaOaepMaxPlaintextLength('EC_P256', 'RSAES_OAEP_SHA_256')).toThrow(RangeError)
  })

  it('HMAC lengths', () => {
    expect([hmacLength('HMAC_SHA_256'), hmacLength('HMAC_SHA_384'), hmacLength('HMAC_SHA_512')]).toEqual([32, 48, 64])
    expect(() => hmacLength('HMAC_MD5' as 'HMAC_SHA_256')).toThrow(RangeError)
  })
})

describe('publicKeyPem', () => {
  it('writes byte for byte what node:crypto exports, for every key type', () => {
    const pairs = [
      generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 1024 }),
    ]
    for (const { publicKey } of pairs) {
      const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
      expect(publicKeyPem(der)).toBe(publicKey.export({ type: 'spki', format: 'pem' }))
    }
  })

  it('base64 padding for every length mod 3, 64-character lines', () => {
    for (let length = 1; length <= 100; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff)
      const pem = publicKeyPem(bytes)
      const body = pem.split('\n').slice(1, -2)
      expect(body.join('')).toBe(Buffer.from(bytes).toString('base64'))
      expect(body.slice(0, -1).every((line) => line.length === 64)).toBe(true)
      expect(pem.startsWith('-----BEGIN PUBLIC KEY-----\n') && pem.endsWith('\n-----END PUBLIC KEY-----\n')).toBe(true)
    }
  })

  it('TypeError for non-bytes, RangeError for empty', () => {
    expect(() => publicKeyPem('MFkw' as unknown as Uint8Array)).toThrow(TypeError)
    expect(() => publicKeyPem(new Uint8Array(0))).toThrow(RangeError)
  })
})

describe('UnsupportedAlgorithmError', () => {
  it('is an Error with a stable code, the provider and the spec', () => {
    const error = new UnsupportedAlgorithmError('noble', 'RSA_2048', 'no RSA here')
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('UnsupportedAlgorithmError')
    expect(error.code).toBe('UnsupportedAlgorithm')
    expect([error.provider, error.spec, error.message]).toEqual(['noble', 'RSA_2048', 'no RSA here'])
  })

  it('is recognised by identity: one from another copy of this package counts, a look-alike does not', async () => {
    const specifier: string = '../src/contract.ts?copy'
    const foreign = (await import(/* @vite-ignore */ specifier)) as typeof import('../src/contract.js')
    expect(foreign.UnsupportedAlgorithmError).not.toBe(UnsupportedAlgorithmError)
    const error = new foreign.UnsupportedAlgorithmError('other', 'RSA_4096', 'no RSA there')
    expect(UnsupportedAlgorithmError.is(error)).toBe(true)
    expect(error instanceof UnsupportedAlgorithmError).toBe(true)
    expect(foreign.UnsupportedAlgorithmError.is(new UnsupportedAlgorithmError('noble', 'RSA_2048', 'x'))).toBe(true)
    const lookAlike = Object.assign(new Error('x'), { name: 'UnsupportedAlgorithmError', code: 'UnsupportedAlgorithm' })
    expect(UnsupportedAlgorithmError.is(lookAlike)).toBe(false)
    expect(lookAlike instanceof UnsupportedAlgorithmError).toBe(false)
    expect(UnsupportedAlgorithmError.is(new RangeError('x'))).toBe(false)
    expect(Object.getOwnPropertySymbols(error)).toEqual([])
  })
})
