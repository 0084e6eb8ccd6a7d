export { createTestKms, DEFAULT_SEED, DEFAULT_START } from './test-kms.js'
export type { TestKms, TestKmsOptions, TestKeyRequest } from './test-kms.js'
export { awsKmsClient, TEST_CREDENTIALS } from './aws.js'
export type { AwsKmsClientOptions } from './aws.js'
