/** Access keys from a credentials file, and the banner `serveAwsKms` prints. */
import { CreateKeyCommand, DescribeKeyCommand, NotFoundException } from '@aws-sdk/client-kms'
import { describe, expect, it } from 'vitest'
import { awsKmsProtocol, parseAccessKeys, serveBanner } from '@strongroom/aws'
import { ACCOUNT, REGION, TRANSPORTS, kmsClient, openEngine, rejectsWith } from './helpers.js'

describe('parseAccessKeys', () => {
  it('reads access key ids with their secret and optional principal', () => {
    const keys = parseAccessKeys({ AKIAALICE0000000001: { secretAccessKey: 's1', principal: 'alice' }, test: { secretAccessKey: 's2' } })
    expect(keys).toEqual({ AKIAALICE0000000001: { secretAccessKey: 's1', principal: 'alice' }, test: { secretAccessKey: 's2' } })
    expect(Object.getPrototypeOf(keys)).toBe(null)
  })

  it('refuses malformed files naming the entry and the rule, never a secret', () => {
    const refusals: Array<[unknown, RegExp]> = [
      [[], /JSON object/],
      [{}, /no access keys/],
      [{ 'bad id!': { secretAccessKey: 'hidden-1' } }, /access key id/],
      [{ AKIA: 'hidden-2' }, /must be an object/],
      [{ AKIA: { secretAccessKey: '' } }, /secretAccessKey/],
      [{ AKIA: { secretAccessKey: 'hidden-3', principal: 7 } }, /principal/],
      [{ AKIA: { secretAccessKey: 'hidden-4', secret: 'x' } }, /unknown member "secret"/],
    ]
    for (const [json, message] of refusals) {
      let error: unknown
      try {
        parseAccessKeys(json)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(message)
      expect((error as Error).message).not.toMatch(/hidden/)
    }
  })
})

describe('serveBanner', () => {
  it('open: a loud warning and an environment block with a usable key', () => {
    const lines = serveBanner('http://127.0.0.1:4599', 'us-east-1', '111122223333', undefined)
    expect(lines.join('\n')).toMatch(/OPEN ENDPOINT/)
    expect(lines.filter((l) => l.startsWith('export '))).toEqual([
      'export AWS_ENDPOINT_URL=http://127.0.0.1:4599', 'export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4599',
      'export AWS_REGION=us-east-1', 'export AWS_DEFAULT_REGION=us-east-1',
      'export AWS_ACCESS_KEY_ID=test', 'export AWS_SECRET_ACCESS_KEY=test',
    ])
  })

  it('with credentials: no warning, the key ids, never a secret', () => {
    const text = serveBanner('http://127.0.0.1:1', 'eu-west-1', '111122223333', { AKIAONE: { secretAccessKey: 'never-printed' } }).join('\n')
    expect(text).not.toMatch(/OPEN ENDPOINT|never-printed|AWS_SECRET_ACCESS_KEY=/)
    expect(text).toContain('AKIAONE')
  })
})

describe('region and account options', () => {
  it('are checked: a region like us-east-1, a 12-digit account', async () => {
    const { kms } = await openEngine()
    expect(() => awsKmsProtocol(kms, { region: 'US East' })).toThrow(TypeError)
    expect(() => awsKmsProtocol(kms, { accountId: '12' })).toThrow(TypeError)
    expect(() => awsKmsProtocol(kms, { region: 'eu-west-1', accountId: '444455556666' })).not.toThrow()
    await kms.close()
  })

  it('name the ARNs in answers and the ARNs requests may use', async () => {
    const { kms } = await openEngine()
    const transport = await TRANSPORTS['in-process handler'](kms, { region: 'eu-west-1', accountId: '444455556666' })
    const client = kmsClient(transport).client
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}))
    const arn = `arn:aws:kms:eu-west-1:444455556666:key/${KeyMetadata!.KeyId!}`
    expect([KeyMetadata!.Arn, KeyMetadata!.AWSAccountId]).toEqual([arn, '444455556666'])
    expect((await client.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyId).toBe(KeyMetadata!.KeyId)
    await rejectsWith(client.send(new DescribeKeyCommand({ KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KeyMetadata!.KeyId!}` })), NotFoundException)
    client.destroy()
    await kms.close()
  })
})
