/**
 * AWS enum values and the engine's names for the same things, in one table each, so a
 * key spec or usage core gains later is added here once.
 *
 * ```ts
 * awsKeySpec('Aliyun_AES_128')                  // 'SYMMETRIC_DEFAULT' (see below)
 * engineKeySpec('SYMMETRIC_DEFAULT')            // 'Aliyun_AES_256'
 * AWS_ORIGINS.AWS_KMS                           // 'Aliyun_KMS'
 * ```
 *
 * 128-bit keys: AWS has no 128-bit symmetric KMS key. Keys the engine created with
 * `Aliyun_AES_128` (through the native API) are reported as `SYMMETRIC_DEFAULT`: they
 * encrypt, decrypt and make data keys exactly like 256-bit keys through every AWS
 * operation, and code written for AWS branches on `SYMMETRIC_DEFAULT` to mean "a
 * symmetric encryption key". `CreateKey` over the AWS protocol only ever creates
 * 256-bit keys; the native `describeKey` shows the true spec.
 */
import { KEY_SPECS, type KeySpec, type KeyUsage } from '@strongroom/core'

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

export const AWS_DATA_KEY_SPEC_VALUES = ['AES_256', 'AES_128'] as const

interface SpecMapping {
  readonly aws: AwsKeySpec
  readonly usage: AwsKeyUsage
  readonly encryptionAlgorithms?: readonly string[]
}

/** Engine key spec → its AWS description. */
const ENGINE_SPECS: Readonly<Record<KeySpec, SpecMapping>> = {
  Aliyun_AES_256: { aws: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['SYMMETRIC_DEFAULT'] },
  Aliyun_AES_128: { aws: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['SYMMETRIC_DEFAULT'] },
  // Asymmetric and HMAC keys are described faithfully; their operations (Sign, GenerateMac, …)
  // are not mapped onto the engine yet and answer UnsupportedOperationException.
  RSA_2048: { aws: 'RSA_2048', usage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
  RSA_3072: { aws: 'RSA_3072', usage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
  RSA_4096: { aws: 'RSA_4096', usage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
  EC_P256: { aws: 'ECC_NIST_P256', usage: 'SIGN_VERIFY' },
  EC_P256K: { aws: 'ECC_SECG_P256K1', usage: 'SIGN_VERIFY' },
  ED25519: { aws: 'ECC_NIST_EDWARDS25519', usage: 'SIGN_VERIFY' },
  HMAC_SHA_256: { aws: 'HMAC_256', usage: 'GENERATE_VERIFY_MAC' },
  HMAC_SHA_384: { aws: 'HMAC_384', usage: 'GENERATE_VERIFY_MAC' },
  HMAC_SHA_512: { aws: 'HMAC_512', usage: 'GENERATE_VERIFY_MAC' },
}

/** AWS key spec → the engine spec CreateKey makes for it. */
const CREATE_SPECS: Readonly<Partial<Record<AwsKeySpec, KeySpec>>> = {
  SYMMETRIC_DEFAULT: 'Aliyun_AES_256',
}

const ENGINE_USAGES: Readonly<Record<KeyUsage, AwsKeyUsage>> = {
  'ENCRYPT/DECRYPT': 'ENCRYPT_DECRYPT',
  'SIGN/VERIFY': 'SIGN_VERIFY',
  'GENERATE/VERIFY_MAC': 'GENERATE_VERIFY_MAC',
}

/** The AWS description of an engine spec; a spec without a mapping keeps its engine name rather than failing DescribeKey. */
export function awsKeySpec(spec: string): SpecMapping | undefined {
  return Object.hasOwn(ENGINE_SPECS, spec) ? ENGINE_SPECS[spec as KeySpec] : undefined
}

/** The engine spec for an AWS KeySpec, if this engine can create it. */
export function engineKeySpec(spec: AwsKeySpec): KeySpec | undefined {
  const engine = CREATE_SPECS[spec]
  return engine !== undefined && KEY_SPECS.includes(engine) ? engine : undefined
}

export function awsKeyUsage(usage: string): string {
  return Object.hasOwn(ENGINE_USAGES, usage) ? ENGINE_USAGES[usage as KeyUsage] : usage
}

export function engineKeyUsage(usage: AwsKeyUsage): KeyUsage | undefined {
  const entry = Object.entries(ENGINE_USAGES).find(([, aws]) => aws === usage)
  return entry?.[0] as KeyUsage | undefined
}

/** Key origin, AWS ⇄ engine. */
export const AWS_ORIGINS = { AWS_KMS: 'Aliyun_KMS', EXTERNAL: 'EXTERNAL' } as const

export function awsOrigin(origin: string): string {
  return origin === 'Aliyun_KMS' ? 'AWS_KMS' : origin
}
