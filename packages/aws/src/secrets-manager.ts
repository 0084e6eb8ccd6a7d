/**
 * The AWS Secrets Manager protocol (`X-Amz-Target: secretsmanager.<Operation>`, JSON 1.1)
 * on the engine's secrets, beside the KMS protocol on the same endpoint: CreateSecret,
 * GetSecretValue, PutSecretValue, UpdateSecretVersionStage, DescribeSecret, ListSecrets,
 * ListSecretVersionIds, UpdateSecret, DeleteSecret, RestoreSecret, RotateSecret,
 * TagResource, UntagResource and GetRandomPassword, for `@aws-sdk/client-secrets-manager`.
 *
 * ```ts
 * const sm = new SecretsManagerClient({ region, credentials, requestHandler: awsRequestHandler(kms) })
 * await sm.send(new CreateSecretCommand({ Name: 'db/password', SecretString: 'hunter2' }))
 * ```
 *
 * Stages: `AWSCURRENT` and `AWSPREVIOUS` are the engine's `ACSCurrent` and `ACSPrevious`
 * (the engine keeps Alibaba's names; other stages pass as they are). `ClientRequestToken`
 * is the version id. ARNs are `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6>`,
 * the suffix derived from the name. RotateSecret runs the engine's `secretRotation`
 * function (a `Kms.open` option); `RotationLambdaARN` is not used.
 */
import { createHash, randomUUID } from 'node:crypto'
import { KmsError, type SecretMetadata, type Tag } from '@strongroom/core'
import type { EngineClient } from './engine.js'
import { AwsError, toAwsError } from './errors.js'
import type { AwsNames } from './names.js'
import {
  epochSeconds, optionalBlob, optionalBoolean, optionalInteger, optionalList, optionalString, optionalStringList, requiredString,
  structure, type JsonObject,
} from './wire.js'

export const SECRETS_MANAGER_TARGET_PREFIX = 'secretsmanager.'

/** Engine codes and the Secrets Manager exception each becomes (the KMS table maps the rest). */
const SECRETS_MANAGER_ERRORS: Readonly<Record<string, string>> = {
  'Forbidden.ResourceNotFound': 'ResourceNotFoundException',
  AlreadyExists: 'ResourceExistsException',
  InvalidParameter: 'InvalidParameterException',
  'Rejected.InvalidState': 'InvalidRequestException',
  'Rejected.UnsupportedOperation': 'InvalidRequestException',
  'Rejected.Disabled': 'DecryptionFailure',
  InvalidKeyUsage: 'EncryptionFailure',
  LimitExceeded: 'LimitExceededException',
}

/** A Secrets Manager exception on the wire: a client fault (400) named as Secrets Manager's model names it. */
export class SecretsManagerError extends AwsError {
  readonly #wireType: string
  constructor(wireType: string, message: string, options?: { readonly cause?: unknown }) {
    super('ValidationException', message, options)
    this.#wireType = wireType
  }

  override get wireType(): string {
    return this.#wireType
  }
}

/** Engine errors in Secrets Manager's terms; faults stay the KMS facade's (generic message, 5xx). */
export function toSecretsManagerError(error: unknown): AwsError {
  if (KmsError.is(error)) {
    const type = SECRETS_MANAGER_ERRORS[error.code]
    if (type !== undefined) return new SecretsManagerError(type, error.message, { cause: error })
  }
  return toAwsError(error)
}

type SmOperation = (input: JsonObject, context: { readonly client: EngineClient; readonly names: AwsNames }) => Promise<JsonObject>

const TO_ENGINE_STAGE: Readonly<Record<string, string>> = { AWSCURRENT: 'ACSCurrent', AWSPREVIOUS: 'ACSPrevious' }
const TO_AWS_STAGE: Readonly<Record<string, string>> = { ACSCurrent: 'AWSCURRENT', ACSPrevious: 'AWSPREVIOUS' }
const engineStage = (stage: string): string => TO_ENGINE_STAGE[stage] ?? stage
const awsStages = (stages: readonly string[]): string[] => stages.map((s) => TO_AWS_STAGE[s] ?? s)

/** The six characters AWS appends to a secret's ARN, derived from the name so the ARN is stable. */
function arnSuffix(name: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  const digest = createHash('sha256').update(name).digest()
  return Array.from(digest.subarray(0, 6), (b) => alphabet[b % alphabet.length]).join('')
}

function secretArn(names: AwsNames, name: string): string {
  return `arn:${names.partition}:secretsmanager:${names.region}:${names.account}:secret:${name}-${arnSuffix(name)}`
}

/** `SecretId`: a name, or this endpoint's ARN of one (with its suffix). */
function secretIdParam(input: JsonObject, names: AwsNames): string {
  const id = requiredString(input, 'SecretId', 1, 2048)
  const prefix = `arn:${names.partition}:secretsmanager:${names.region}:${names.account}:secret:`
  if (!id.startsWith('arn:')) return id
  const rest = id.startsWith(prefix) ? id.slice(prefix.length) : undefined
  const name = rest?.slice(0, -7)
  if (rest === undefined || name === undefined || name === '' || rest !== `${name}-${arnSuffix(name)}`) {
    throw new SecretsManagerError('ResourceNotFoundException', 'Secrets Manager can\'t find the specified secret.')
  }
  return name
}

/** SecretString or SecretBinary (exactly one), as the engine's text or binary value. */
function valueParam(input: JsonObject, required: boolean): { secretData: string | Uint8Array } | undefined {
  const text = optionalString(input, 'SecretString', 1, 65536)
  const binary = optionalBlob(input, 'SecretBinary', 1, 65536)
  if (text !== undefined && binary !== undefined) throw new SecretsManagerError('InvalidParameterException', 'You can\'t specify both a binary secret value and a string secret value in the same secret.')
  if (text === undefined && binary === undefined) {
    if (required) throw new SecretsManagerError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.')
    return undefined
  }
  return { secretData: text ?? binary! }
}

function tagsParam(input: JsonObject): Tag[] | undefined {
  return optionalList(input, 'Tags', 50)?.map((item) => {
    const tag = structure(item, 'Tags')
    return { tagKey: requiredString(tag, 'Key', 1, 128), tagValue: requiredString(tag, 'Value', 0, 256) }
  })
}

function versionToken(input: JsonObject): string {
  return optionalString(input, 'ClientRequestToken', 32, 64) ?? randomUUID()
}

async function describe(client: EngineClient, names: AwsNames, m: SecretMetadata, withVersions: boolean): Promise<JsonObject> {
  const versions = withVersions
    ? (await client.listSecretVersionIds({ secretName: m.secretName, pageSize: 100 })).versionIds
    : []
  return {
    ARN: secretArn(names, m.secretName), Name: m.secretName,
    ...(m.description === '' ? {} : { Description: m.description }),
    KmsKeyId: names.keyArn(m.encryptionKeyId),
    RotationEnabled: m.automaticRotation === 'Enabled',
    ...(m.rotationInterval === undefined ? {} : { RotationRules: { AutomaticallyAfterDays: Math.round(Number.parseInt(m.rotationInterval, 10) / 86400) } }),
    ...(m.lastRotationDate === undefined ? {} : { LastRotatedDate: epochSeconds(m.lastRotationDate) }),
    ...(m.nextRotationDate === undefined ? {} : { NextRotationDate: epochSeconds(m.nextRotationDate) }),
    LastChangedDate: epochSeconds(m.updateTime), CreatedDate: epochSeconds(m.createTime),
    ...(m.plannedDeleteTime === undefined ? {} : { DeletedDate: epochSeconds(m.plannedDeleteTime) }),
    Tags: m.tags.map((t) => ({ Key: t.tagKey, Value: t.tagValue })),
    ...(withVersions ? { VersionIdsToStages: Object.fromEntries(versions.map((v) => [v.versionId, awsStages(v.versionStages)])) } : {}),
  }
}

const CreateSecret: SmOperation = async (input, { client, names }) => {
  const name = requiredString(input, 'Name', 1, 512)
  const versionId = versionToken(input)
  const description = optionalString(input, 'Description', 0, 2048)
  const kmsKeyId = optionalString(input, 'KmsKeyId', 0, 2048)
  const tags = tagsParam(input)
  const value = valueParam(input, true)!
  const result = await client.createSecret({
    secretName: name, versionId, ...value, ...(description === undefined ? {} : { description }),
    ...(kmsKeyId === undefined || kmsKeyId === '' ? {} : { encryptionKeyId: names.keyRef(kmsKeyId) }),
    ...(tags === undefined || tags.length === 0 ? {} : { tags }),
  })
  return { ARN: secretArn(names, result.secretName), Name: result.secretName, VersionId: result.versionId }
}

const GetSecretValue: SmOperation = async (input, { client, names }) => {
  const versionId = optionalString(input, 'VersionId', 32, 64)
  const stage = optionalString(input, 'VersionStage', 1, 256)
  const r = await client.getSecretValue({
    secretName: secretIdParam(input, names), ...(versionId === undefined ? {} : { versionId }),
    ...(stage === undefined ? {} : { versionStage: engineStage(stage) }),
  })
  return {
    ARN: secretArn(names, r.secretName), Name: r.secretName, VersionId: r.versionId, VersionStages: awsStages(r.versionStages),
    CreatedDate: epochSeconds(r.createTime),
    ...(r.secretDataType === 'binary' ? { SecretBinary: Buffer.from(r.secretData).toString('base64') } : { SecretString: r.secretData }),
  }
}

const PutSecretValue: SmOperation = async (input, { client, names }) => {
  const stages = optionalStringList(input, 'VersionStages', 20, 1, 256)
  const r = await client.putSecretValue({
    secretName: secretIdParam(input, names), versionId: versionToken(input), ...valueParam(input, true)!,
    ...(stages === undefined ? {} : { versionStages: stages.map(engineStage) }),
  })
  return { ARN: secretArn(names, r.secretName), Name: r.secretName, VersionId: r.versionId, VersionStages: awsStages(r.versionStages) }
}

const UpdateSecretVersionStage: SmOperation = async (input, { client, names }) => {
  const removeFromVersion = optionalString(input, 'RemoveFromVersionId', 32, 64)
  const moveToVersion = optionalString(input, 'MoveToVersionId', 32, 64)
  const r = await client.updateSecretVersionStage({
    secretName: secretIdParam(input, names), versionStage: engineStage(requiredString(input, 'VersionStage', 1, 256)),
    ...(removeFromVersion === undefined ? {} : { removeFromVersion }), ...(moveToVersion === undefined ? {} : { moveToVersion }),
  })
  return { ARN: secretArn(names, r.secretName), Name: r.secretName }
}

const DescribeSecret: SmOperation = async (input, { client, names }) =>
  describe(client, names, await client.describeSecret({ secretName: secretIdParam(input, names) }), true)

const FILTER_KEYS: Readonly<Record<string, 'SecretName' | 'Description' | 'TagKey' | 'TagValue'>> = {
  name: 'SecretName', description: 'Description', 'tag-key': 'TagKey', 'tag-value': 'TagValue',
}

const ListSecrets: SmOperation = async (input, { client, names }) => {
  const pageSize = optionalInteger(input, 'MaxResults', 1, 100) ?? 100
  const nextToken = optionalString(input, 'NextToken', 1, 4096)
  const filters = optionalList(input, 'Filters', 10)?.map((item) => {
    const filter = structure(item, 'Filters')
    const key = requiredString(filter, 'Key', 1, 32)
    const mapped = FILTER_KEYS[key]
    if (mapped === undefined) throw new SecretsManagerError('InvalidParameterException', `Filter key ${key} is not supported here (name, description, tag-key, tag-value).`)
    return { key: mapped, values: optionalStringList(filter, 'Values', 10, 1, 512) ?? [] }
  })
  const page = await client.listSecrets({
    pageSize, ...(nextToken === undefined ? {} : { nextToken }), ...(filters === undefined ? {} : { filters }),
  })
  const list = await Promise.all(page.secretList.map((m) => describe(client, names, m, false)))
  return { SecretList: list, ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) }
}

const ListSecretVersionIds: SmOperation = async (input, { client, names }) => {
  const secretName = secretIdParam(input, names)
  const includeDeprecated = optionalBoolean(input, 'IncludeDeprecated') ?? false
  const r = await client.listSecretVersionIds({ secretName, includeDeprecated, pageSize: 100 })
  return {
    ARN: secretArn(names, r.secretName), Name: r.secretName,
    Versions: r.versionIds.map((v) => ({ VersionId: v.versionId, VersionStages: awsStages(v.versionStages), CreatedDate: epochSeconds(v.createTime) })),
  }
}

const UpdateSecret: SmOperation = async (input, { client, names }) => {
  const secretName = secretIdParam(input, names)
  const description = optionalString(input, 'Description', 0, 2048)
  if (optionalString(input, 'KmsKeyId', 0, 2048) !== undefined) throw new SecretsManagerError('InvalidRequestException', 'A secret\'s master key cannot be changed here.')
  if (description !== undefined) await client.updateSecret({ secretName, description })
  const value = valueParam(input, false)
  if (value === undefined) return { ARN: secretArn(names, secretName), Name: secretName }
  const r = await client.putSecretValue({ secretName, versionId: versionToken(input), ...value })
  return { ARN: secretArn(names, secretName), Name: secretName, VersionId: r.versionId }
}

const DeleteSecret: SmOperation = async (input, { client, names }) => {
  const days = optionalInteger(input, 'RecoveryWindowInDays', 7, 30)
  const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false
  const r = await client.deleteSecret({
    secretName: secretIdParam(input, names), ...(days === undefined ? {} : { recoveryWindowInDays: days }), ...(force ? { forceDeleteWithoutRecovery: true } : {}),
  })
  return {
    ARN: secretArn(names, r.secretName), Name: r.secretName,
    DeletionDate: r.plannedDeleteTime === undefined ? Math.floor(Date.now() / 1000) : epochSeconds(r.plannedDeleteTime),
  }
}

const RestoreSecret: SmOperation = async (input, { client, names }) => {
  const r = await client.restoreSecret({ secretName: secretIdParam(input, names) })
  return { ARN: secretArn(names, r.secretName), Name: r.secretName }
}

/** RotationRules sets the policy (days only); the rotation itself runs the engine's function, now unless RotateImmediately is false. */
const RotateSecret: SmOperation = async (input, { client, names }) => {
  const secretName = secretIdParam(input, names)
  const rules = input['RotationRules'] === undefined ? undefined : structure(input['RotationRules'], 'RotationRules')
  if (rules !== undefined) {
    if (rules['ScheduleExpression'] !== undefined || rules['Duration'] !== undefined) {
      throw new SecretsManagerError('InvalidParameterException', 'RotationRules takes AutomaticallyAfterDays here (no schedule expressions).')
    }
    const days = optionalInteger(rules, 'AutomaticallyAfterDays', 1, 1000)
    if (days !== undefined) await client.updateSecretRotationPolicy({ secretName, enableAutomaticRotation: true, rotationInterval: `${days}d` })
  }
  const token = optionalString(input, 'ClientRequestToken', 32, 64)
  if (optionalBoolean(input, 'RotateImmediately') === false) return { ARN: secretArn(names, secretName), Name: secretName }
  const r = await client.rotateSecret({ secretName, ...(token === undefined ? {} : { versionId: token }) })
  return { ARN: secretArn(names, r.secretName), Name: r.secretName, VersionId: r.versionId }
}

const TagResource: SmOperation = async (input, { client, names }) => {
  const tags = tagsParam(input)
  if (tags === undefined || tags.length === 0) throw new SecretsManagerError('InvalidParameterException', 'Tags is required.')
  await client.tagResource({ secretName: secretIdParam(input, names), tags })
  return {}
}

const UntagResource: SmOperation = async (input, { client, names }) => {
  const tagKeys = optionalStringList(input, 'TagKeys', 50, 1, 128)
  if (tagKeys === undefined || tagKeys.length === 0) throw new SecretsManagerError('InvalidParameterException', 'TagKeys is required.')
  await client.untagResource({ secretName: secretIdParam(input, names), tagKeys })
  return {}
}

const GetRandomPassword: SmOperation = async (input, { client }) => {
  if (optionalBoolean(input, 'IncludeSpace') === true) throw new SecretsManagerError('InvalidParameterException', 'IncludeSpace is not supported here.')
  const length = optionalInteger(input, 'PasswordLength', 1, 4096)
  const flags = ['ExcludeLowercase', 'ExcludeUppercase', 'ExcludeNumbers', 'ExcludePunctuation', 'RequireEachIncludedType'] as const
  const options = Object.fromEntries(flags.flatMap((f) => {
    const value = optionalBoolean(input, f)
    return value === undefined ? [] : [[f[0]!.toLowerCase() + f.slice(1), value]]
  }))
  const exclude = optionalString(input, 'ExcludeCharacters', 0, 4096)
  const r = await client.getRandomPassword({
    ...options, ...(length === undefined ? {} : { passwordLength: length }), ...(exclude === undefined ? {} : { excludeCharacters: exclude }),
  })
  return { RandomPassword: r.randomPassword }
}

/** The Secrets Manager operations this endpoint serves; any other is UnknownOperationException. */
export const SECRETS_MANAGER_OPERATIONS: Readonly<Record<string, SmOperation>> = {
  CreateSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage, DescribeSecret, ListSecrets, ListSecretVersionIds,
  UpdateSecret, DeleteSecret, RestoreSecret, RotateSecret, TagResource, UntagResource, GetRandomPassword,
}

export function findSecretsManagerOperation(name: string): SmOperation | undefined {
  return Object.hasOwn(SECRETS_MANAGER_OPERATIONS, name) ? SECRETS_MANAGER_OPERATIONS[name] : undefined
}

/** Runs one Secrets Manager operation; every failure in Secrets Manager's terms. */
export async function runSecretsManager(operation: SmOperation, input: JsonObject, context: { readonly client: EngineClient; readonly names: AwsNames }): Promise<JsonObject> {
  try {
    return await operation(input, context)
  } catch (error) {
    if (error instanceof AwsError) throw error
    throw toSecretsManagerError(error)
  }
}
