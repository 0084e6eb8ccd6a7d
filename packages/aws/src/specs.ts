/**
 * AWS enum values and the engine's names for the same things, in one table each, so a
 * key spec, usage or algorithm core gains later is added here once.
 *
 * ```ts
 * awsKeySpec('EC_P256')                           // 'ECC_NIST_P256'
 * engineKeySpec('HMAC_256')                       // 'HMAC_SHA_256'
 * keyAlgorithms('EC_P384', 'SIGN/VERIFY')         // { SigningAlgorithms: ['ECDSA_SHA_384'] }
 * engineSigningAlgorithm('ED25519_SHA_512')       // 'ED25519'
 * AWS_ORIGINS.AWS_KMS                             // 'Aliyun_KMS'
 * ```
 *
 * 128-bit keys: AWS has no 128-bit symmetric KMS key. Keys the engine created with
 * `Aliyun_AES_128` (through the native API) are reported as `SYMMETRIC_DEFAULT`: they
 * encrypt, decrypt and make data keys exactly like 256-bit keys through every AWS
 * operation, and code written for AWS branches on `SYMMETRIC_DEFAULT` to mean "a
 * symmetric encryption key". `CreateKey` over the AWS protocol only ever creates
 * 256-bit keys; the native `describeKey` shows the true spec.
 *
 * Algorithms: a key's metadata lists exactly the algorithms AWS's API reference gives its
 * spec: RSA signing keys the six RSASSA algorithms (PKCS #1 v1.5 and PSS over SHA-256/384/512),
 * P-256 and secp256k1 `ECDSA_SHA_256`, P-384 `ECDSA_SHA_384`, P-521 `ECDSA_SHA_512`,
 * Ed25519 `ED25519_PH_SHA_512` and `ED25519_SHA_512`, in AWS's (alphabetical) order. Which
 * list a key has follows the key's usage, not only its spec: an RSA key made for
 * SIGN_VERIFY has signing algorithms and no encryption algorithms.
 */
import { KEY_SPECS, type AsymmetricSignRequest, type GenerateMacRequest, type KeySpec, type KeyUsage } from '@strongroom/core'

/** Every KeySpec value the AWS model has; values the engine cannot create are UnsupportedOperation, others ValidationException. */
export const AWS_KEY_SPEC_VALUES = [
  'SYMMETRIC_DEFAULT', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521',
  'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519', 'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2',
  'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ML_KEM_512', 'ML_KEM_768', 'ML_KEM_1024',
] as const
export type AwsKeySpec = (typeof AWS_KEY_SPEC_VALUES)[number]

export const AWS_KEY_USAGE_VALUES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT', 'ENCAPSULATE_DECAPSULATE'] as const
export type AwsKeyUsage = (typeof AWS_KEY_USAGE_VALUES)[number]

export const AWS_ORIGIN_VALUES = ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const

export const AWS_ENCRYPTION_ALGORITHM_VALUES = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const
export type AwsEncryptionAlgorithm = (typeof AWS_ENCRYPTION_ALGORITHM_VALUES)[number]

export const AWS_SIGNING_ALGORITHM_VALUES = [
  'ECDSA_SHA_256', 'ECDSA_SHA_384', 'ECDSA_SHA_512', 'ED25519_PH_SHA_512', 'ED25519_SHA_512', 'ML_DSA_SHAKE_256',
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'SM2DSA',
] as const
export type AwsSigningAlgorithm = (typeof AWS_SIGNING_ALGORITHM_VALUES)[number]

export const AWS_MESSAGE_TYPE_VALUES = ['RAW', 'DIGEST', 'EXTERNAL_MU'] as const

export const AWS_MAC_ALGORITHM_VALUES = ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] as const
export type AwsMacAlgorithm = (typeof AWS_MAC_ALGORITHM_VALUES)[number]

/** GetParametersForImport's `WrappingAlgorithm` (the model's AlgorithmSpec) and `WrappingKeySpec`. */
export const AWS_WRAPPING_ALGORITHM_VALUES = [
  'RSAES_PKCS1_V1_5', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'SM2PKE',
] as const
export const AWS_WRAPPING_KEY_SPEC_VALUES = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'SM2'] as const

export const AWS_EXPIRATION_MODEL_VALUES = ['KEY_MATERIAL_EXPIRES', 'KEY_MATERIAL_DOES_NOT_EXPIRE'] as const
export const AWS_IMPORT_TYPE_VALUES = ['NEW_KEY_MATERIAL', 'EXISTING_KEY_MATERIAL'] as const

export const AWS_DATA_KEY_SPEC_VALUES = ['AES_256', 'AES_128'] as const

/** GenerateDataKeyPair's `KeyPairSpec` (DataKeyPairSpec). */
export const AWS_DATA_KEY_PAIR_SPEC_VALUES = [
  'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1', 'ECC_NIST_EDWARDS25519', 'SM2',
] as const

/** The engine's names for algorithms (its request types, so a rename in core breaks the build here). */
export type EngineSigningAlgorithm = AsymmetricSignRequest['algorithm']
export type EngineMacAlgorithm = GenerateMacRequest['macAlgorithm']
export type EngineEncryptionAlgorithm = 'RSAES_OAEP_SHA_256' | 'RSAES_OAEP_SHA_1'

/** Engine key spec → its AWS name. */
const ENGINE_SPECS: Readonly<Record<KeySpec, AwsKeySpec>> = {
  Aliyun_AES_256: 'SYMMETRIC_DEFAULT',
  Aliyun_AES_128: 'SYMMETRIC_DEFAULT',
  RSA_2048: 'RSA_2048',
  RSA_3072: 'RSA_3072',
  RSA_4096: 'RSA_4096',
  EC_P256: 'ECC_NIST_P256',
  EC_P384: 'ECC_NIST_P384',
  EC_P521: 'ECC_NIST_P521',
  EC_P256K: 'ECC_SECG_P256K1',
  ED25519: 'ECC_NIST_EDWARDS25519',
  HMAC_SHA_224: 'HMAC_224',
  HMAC_SHA_256: 'HMAC_256',
  HMAC_SHA_384: 'HMAC_384',
  HMAC_SHA_512: 'HMAC_512',
}

/** AWS key spec → the engine spec CreateKey makes for it. */
const CREATE_SPECS: Readonly<Partial<Record<AwsKeySpec, KeySpec>>> = {
  SYMMETRIC_DEFAULT: 'Aliyun_AES_256',
  RSA_2048: 'RSA_2048',
  RSA_3072: 'RSA_3072',
  RSA_4096: 'RSA_4096',
  ECC_NIST_P256: 'EC_P256',
  ECC_NIST_P384: 'EC_P384',
  ECC_NIST_P521: 'EC_P521',
  ECC_SECG_P256K1: 'EC_P256K',
  ECC_NIST_EDWARDS25519: 'ED25519',
  HMAC_224: 'HMAC_SHA_224',
  HMAC_256: 'HMAC_SHA_256',
  HMAC_384: 'HMAC_SHA_384',
  HMAC_512: 'HMAC_SHA_512',
}

/**
 * The usages AWS allows with each key spec it has (for CreateKey: a usage AWS refuses is a
 * ValidationException, one AWS allows that this engine cannot make is UnsupportedOperation).
 */
const AWS_SPEC_USAGES: Readonly<Record<AwsKeySpec, readonly AwsKeyUsage[]>> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
  ML_DSA_44: ['SIGN_VERIFY'],
  ML_DSA_65: ['SIGN_VERIFY'],
  ML_DSA_87: ['SIGN_VERIFY'],
  ML_KEM_512: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_768: ['ENCAPSULATE_DECAPSULATE'],
  ML_KEM_1024: ['ENCAPSULATE_DECAPSULATE'],
}

/** The values of the deprecated `CustomerMasterKeySpec` (it never gained the newer specs). */
const LEGACY_SPECS: readonly AwsKeySpec[] = [
  'SYMMETRIC_DEFAULT', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_SECG_P256K1',
  'HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512', 'SM2',
]

const ENGINE_USAGES: Readonly<Record<KeyUsage, AwsKeyUsage>> = {
  'ENCRYPT/DECRYPT': 'ENCRYPT_DECRYPT',
  'SIGN/VERIFY': 'SIGN_VERIFY',
  'GENERATE/VERIFY_MAC': 'GENERATE_VERIFY_MAC',
}

/**
 * AWS signing algorithm → the engine's, for those the engine computes: all but ML-DSA and
 * SM2. ED25519_SHA_512 is pure Ed25519 (which hashes with SHA-512 inside) and
 * ED25519_PH_SHA_512 is Ed25519ph.
 */
const SIGNING_ALGORITHMS: Readonly<Partial<Record<AwsSigningAlgorithm, EngineSigningAlgorithm>>> = {
  ECDSA_SHA_256: 'ECDSA_SHA_256',
  ECDSA_SHA_384: 'ECDSA_SHA_384',
  ECDSA_SHA_512: 'ECDSA_SHA_512',
  ED25519_SHA_512: 'ED25519',
  ED25519_PH_SHA_512: 'ED25519_PH',
  RSASSA_PSS_SHA_256: 'RSA_PSS_SHA_256',
  RSASSA_PSS_SHA_384: 'RSA_PSS_SHA_384',
  RSASSA_PSS_SHA_512: 'RSA_PSS_SHA_512',
  RSASSA_PKCS1_V1_5_SHA_256: 'RSA_PKCS1_SHA_256',
  RSASSA_PKCS1_V1_5_SHA_384: 'RSA_PKCS1_SHA_384',
  RSASSA_PKCS1_V1_5_SHA_512: 'RSA_PKCS1_SHA_512',
}

const RSA_SIGNING_ALGORITHMS: readonly AwsSigningAlgorithm[] = [
  'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512',
]

/** The signing algorithms AWS's API reference gives each spec, in AWS's names and (alphabetical) order. */
const SPEC_SIGNING_ALGORITHMS: Readonly<Partial<Record<KeySpec, readonly AwsSigningAlgorithm[]>>> = {
  RSA_2048: RSA_SIGNING_ALGORITHMS,
  RSA_3072: RSA_SIGNING_ALGORITHMS,
  RSA_4096: RSA_SIGNING_ALGORITHMS,
  EC_P256: ['ECDSA_SHA_256'],
  EC_P384: ['ECDSA_SHA_384'],
  EC_P521: ['ECDSA_SHA_512'],
  EC_P256K: ['ECDSA_SHA_256'],
  ED25519: ['ED25519_PH_SHA_512', 'ED25519_SHA_512'],
}

const RSA_ENCRYPTION_ALGORITHMS: readonly AwsEncryptionAlgorithm[] = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']

const MAC_ALGORITHMS: Readonly<Partial<Record<KeySpec, EngineMacAlgorithm>>> = {
  HMAC_SHA_224: 'HMAC_SHA_224',
  HMAC_SHA_256: 'HMAC_SHA_256',
  HMAC_SHA_384: 'HMAC_SHA_384',
  HMAC_SHA_512: 'HMAC_SHA_512',
}

/** The AWS name of an engine spec; a spec without a mapping keeps its engine name rather than failing DescribeKey. */
export function awsKeySpec(spec: string): string {
  return Object.hasOwn(ENGINE_SPECS, spec) ? ENGINE_SPECS[spec as KeySpec] : spec
}

/** Whether the deprecated `CustomerMasterKeySpec` member has a value for this AWS spec. */
export function isLegacySpec(spec: string): boolean {
  return (LEGACY_SPECS as readonly string[]).includes(spec)
}

/** The engine spec for an AWS KeySpec, if this engine can create it. */
export function engineKeySpec(spec: AwsKeySpec): KeySpec | undefined {
  const engine = CREATE_SPECS[spec]
  return engine !== undefined && KEY_SPECS.includes(engine) ? engine : undefined
}

/** Whether AWS itself allows `usage` with `spec` (else CreateKey is a ValidationException, as on AWS). */
export function awsAllowsUsage(spec: AwsKeySpec, usage: AwsKeyUsage): boolean {
  return AWS_SPEC_USAGES[spec].includes(usage)
}

export function awsKeyUsage(usage: string): string {
  return Object.hasOwn(ENGINE_USAGES, usage) ? ENGINE_USAGES[usage as KeyUsage] : usage
}

export function engineKeyUsage(usage: AwsKeyUsage): KeyUsage | undefined {
  const entry = Object.entries(ENGINE_USAGES).find(([, aws]) => aws === usage)
  return entry?.[0] as KeyUsage | undefined
}

/** The engine's name for an AWS signing algorithm; `undefined` when the engine has none. */
export function engineSigningAlgorithm(algorithm: AwsSigningAlgorithm): EngineSigningAlgorithm | undefined {
  return SIGNING_ALGORITHMS[algorithm]
}

/** The AWS name of an engine signing algorithm. */
export function awsSigningAlgorithm(algorithm: string): string {
  return Object.entries(SIGNING_ALGORITHMS).find(([, engine]) => engine === algorithm)?.[0] ?? algorithm
}

/** The algorithm lists of a key's AWS metadata (and GetPublicKey), chosen by its spec and usage. */
export function keyAlgorithms(spec: string, usage: string): {
  EncryptionAlgorithms?: readonly string[]; SigningAlgorithms?: readonly string[]; MacAlgorithms?: readonly string[]
} {
  if (spec === 'Aliyun_AES_256' || spec === 'Aliyun_AES_128') return { EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] }
  if (usage === 'ENCRYPT/DECRYPT' && spec.startsWith('RSA_')) return { EncryptionAlgorithms: RSA_ENCRYPTION_ALGORITHMS }
  if (usage === 'SIGN/VERIFY') {
    const signing = SPEC_SIGNING_ALGORITHMS[spec as KeySpec]
    return signing === undefined ? {} : { SigningAlgorithms: signing }
  }
  if (usage === 'GENERATE/VERIFY_MAC') {
    const mac = MAC_ALGORITHMS[spec as KeySpec]
    return mac === undefined ? {} : { MacAlgorithms: [mac] }
  }
  return {}
}

/** Key origin, AWS ⇄ engine. */
export const AWS_ORIGINS = { AWS_KMS: 'Aliyun_KMS', EXTERNAL: 'EXTERNAL' } as const

export function awsOrigin(origin: string): string {
  return origin === 'Aliyun_KMS' ? 'AWS_KMS' : origin
}
