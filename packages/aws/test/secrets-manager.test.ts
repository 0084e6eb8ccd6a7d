/**
 * The Secrets Manager protocol (issue 17) driven by `@aws-sdk/client-secrets-manager`, over
 * the in-process request handler and the loopback HTTP server, with SigV4 credentials:
 * versions and AWSCURRENT/AWSPREVIOUS, binary values, stages moved, describe and list with
 * filters, deletion and restore, rotation with the engine's function, tags, random
 * passwords, and Secrets Manager's exception names.
 */
import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand,
  ListSecretsCommand, ListSecretVersionIdsCommand, PutSecretValueCommand, ResourceExistsException, ResourceNotFoundException,
  InvalidRequestException, RestoreSecretCommand, RotateSecretCommand, SecretsManagerClient, TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kms, ManualClock } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { awsRequestHandler, startAwsKmsServer, type AwsKmsServer } from '@strongroom/aws'
import { ACCOUNT, REGION, START } from './helpers.js'

const CREDENTIALS = { AKIDSECRETS: { secretAccessKey: 'secrets-test-secret' } }
const V1 = '00000000-0000-4000-8000-000000000001'
const V2 = '00000000-0000-4000-8000-000000000002'
const V3 = '00000000-0000-4000-8000-000000000003'

for (const transport of ['in-process handler', 'HTTP server'] as const) {
  describe(`Secrets Manager through @aws-sdk/client-secrets-manager (${transport})`, () => {
    let kms: Kms
    let server: AwsKmsServer | undefined
    let sm: SecretsManagerClient

    beforeAll(async () => {
      kms = await Kms.open({
        storage: memoryStorage(), region: REGION, accountId: ACCOUNT, clock: new ManualClock(START),
        secretRotation: ({ current }) => `${current.secretData as string}-rotated`,
      })
      const base = { region: REGION, credentials: { accessKeyId: 'AKIDSECRETS', secretAccessKey: 'secrets-test-secret' } }
      if (transport === 'HTTP server') {
        server = await startAwsKmsServer({ kms, credentials: CREDENTIALS })
        sm = new SecretsManagerClient({ ...base, endpoint: server.url })
      } else {
        sm = new SecretsManagerClient({ ...base, requestHandler: awsRequestHandler(kms, { credentials: CREDENTIALS }) })
      }
    })
    afterAll(async () => {
      sm.destroy()
      await server?.close()
      await kms.close()
    })

    it('creates, versions and reads a secret with AWSCURRENT and AWSPREVIOUS', async () => {
      const created = await sm.send(new CreateSecretCommand({ Name: 'db/password', SecretString: 'hunter2', ClientRequestToken: V1, Description: 'orders' }))
      expect(created.ARN).toMatch(new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db/password-[A-Za-z0-9]{6}$`))
      expect(created.VersionId).toBe(V1)
      const put = await sm.send(new PutSecretValueCommand({ SecretId: 'db/password', SecretString: 'correct horse', ClientRequestToken: V2 }))
      expect(put.VersionStages).toEqual(['AWSCURRENT'])
      const current = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN! }))
      expect([current.SecretString, current.VersionId, current.VersionStages]).toEqual(['correct horse', V2, ['AWSCURRENT']])
      expect(current.CreatedDate).toEqual(new Date(START))
      const previous = await sm.send(new GetSecretValueCommand({ SecretId: 'db/password', VersionStage: 'AWSPREVIOUS' }))
      expect(previous.SecretString).toBe('hunter2')
      const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'db/password' }))
      expect(versions.Versions!.map((v) => [v.VersionId, v.VersionStages])).toEqual([[V2, ['AWSCURRENT']], [V1, ['AWSPREVIOUS']]])
      await sm.send(new UpdateSecretVersionStageCommand({ SecretId: 'db/password', VersionStage: 'AWSCURRENT', RemoveFromVersionId: V2, MoveToVersionId: V1 }))
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'db/password' }))).SecretString).toBe('hunter2')
    })

    it('carries binary values and answers Secrets Manager\'s exceptions', async () => {
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255])
      await sm.send(new CreateSecretCommand({ Name: 'tls/key', SecretBinary: bytes }))
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'tls/key' }))).SecretBinary).toEqual(bytes)
      await expect(sm.send(new CreateSecretCommand({ Name: 'tls/key', SecretString: 'x' }))).rejects.toBeInstanceOf(ResourceExistsException)
      await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nothing' }))).rejects.toBeInstanceOf(ResourceNotFoundException)
      await expect(sm.send(new GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tls/key-AAAAAA` }))).rejects.toBeInstanceOf(ResourceNotFoundException)
    })

    it('describes and lists secrets with filters, and tags them', async () => {
      await sm.send(new TagResourceCommand({ SecretId: 'db/password', Tags: [{ Key: 'team', Value: 'pay' }] }))
      const described = await sm.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
      expect([described.Name, described.Description, described.RotationEnabled]).toEqual(['db/password', 'orders', false])
      expect(described.Tags).toEqual([{ Key: 'team', Value: 'pay' }])
      expect(described.VersionIdsToStages).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPREVIOUS'] })
      expect(described.KmsKeyId).toMatch(/^arn:aws:kms:/)
      const listed = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['pay'] }] }))
      expect(listed.SecretList!.map((s) => s.Name)).toEqual(['db/password'])
      const paged = await sm.send(new ListSecretsCommand({ MaxResults: 1 }))
      expect([paged.SecretList!.map((s) => s.Name), paged.NextToken]).toEqual([['db/password'], 'db/password'])
    })

    it('rotates with the engine\'s function and keeps a rotation schedule', async () => {
      const rotated = await sm.send(new RotateSecretCommand({ SecretId: 'db/password', ClientRequestToken: V3, RotationRules: { AutomaticallyAfterDays: 30 } }))
      expect(rotated.VersionId).toBe(V3)
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'db/password' }))).SecretString).toBe('hunter2-rotated')
      const described = await sm.send(new DescribeSecretCommand({ SecretId: 'db/password' }))
      expect([described.RotationEnabled, described.RotationRules?.AutomaticallyAfterDays]).toEqual([true, 30])
    })

    it('deletes with a recovery window, restores, and makes random passwords', async () => {
      const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 'tls/key', RecoveryWindowInDays: 7 }))
      expect(deleted.DeletionDate).toEqual(new Date(Date.parse(START) + 7 * 86_400_000))
      await expect(sm.send(new GetSecretValueCommand({ SecretId: 'tls/key' }))).rejects.toBeInstanceOf(InvalidRequestException)
      await sm.send(new RestoreSecretCommand({ SecretId: 'tls/key' }))
      expect((await sm.send(new GetSecretValueCommand({ SecretId: 'tls/key' }))).SecretBinary).toHaveLength(6)
      const { RandomPassword } = await sm.send(new GetRandomPasswordCommand({ PasswordLength: 24, ExcludePunctuation: true }))
      expect(RandomPassword).toMatch(/^[A-Za-z0-9]{24}$/)
    })
  })
}
