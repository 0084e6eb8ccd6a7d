/**
 * Least privilege through the engine's public API (issue 3): `kms.as(principal)` clients are
 * authorized against identity policies and key policies, with the condition keys the engine
 * supplies; the owner is never restricted; refusals name only the action and the resource
 * the caller referred to and never reveal whether other keys exist; policies are validated
 * on write, take effect at once (in every engine sharing the store) and persist.
 *
 * The evaluator itself (every operator, deny-overrides) is tested in policy.test.ts; here
 * the point is that the engine feeds it the right request.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  Kms, KmsError, ManualClock, passphraseRootKey, rawRootKey, seededRandom,
  type Clock, type StorageAdapter, type StoredRecord,
} from '@strongroom/core'
import { levelStorage } from '@strongroom/storage-level'
import { memoryStorage } from '@strongroom/storage-memory'
import { OPERATIONS, type OperationName } from '../src/call.js'
import { rejectsWith, utf8 } from './helpers.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const ROOT = new Uint8Array(32).fill(7)
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i
const START = '2026-01-01T00:00:00Z'

/** The code a call failed with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (error) {
    if (KmsError.is(error)) return error.code
    throw error
  }
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: { clock?: Clock; storage?: StorageAdapter } = {}): Promise<Kms> {
  const kms = await Kms.open({
    storage: options.storage ?? memoryStorage(), random: seededRandom(new Uint8Array(32).fill(3)), clock: options.clock ?? new ManualClock(START),
    audit: { flushIntervalMs: 60_000 },
  })
  cleanups.push(() => kms.close())
  return kms
}

type Statement = Record<string, unknown>
const doc = (...Statement: Statement[]) => ({ Version: '1', Statement })
const allow = (Action: string | string[], Resource: string | string[], Condition?: Record<string, unknown>): Statement =>
  ({ Effect: 'Allow', Action, Resource, ...(Condition === undefined ? {} : { Condition }) })
const deny = (Action: string | string[], Resource: string | string[], Condition?: Record<string, unknown>): Statement =>
  ({ Effect: 'Deny', Action, Resource, ...(Condition === undefined ? {} : { Condition }) })

/** Creates an identity policy and attaches it to `principal`. */
async function grant(kms: Kms, principal: string, policyName: string, ...statements: Statement[]): Promise<void> {
  await kms.createPolicy({ policyName, policyDocument: doc(...statements) })
  await kms.attachPolicy({ policyName, principal })
}

describe('the owner and a principal without policies', () => {
  it('the owner is not restricted, not even by a key policy that denies everyone', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.setKeyPolicy({ keyId, policy: doc({ ...deny('kms:*', '*'), Principal: '*' }) })
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('owner') })
    expect(text((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('owner')
    await kms.disableKey({ keyId })
    await kms.enableKey({ keyId })
    expect((await kms.listKeys()).totalCount).toBe(1)
    // ...while the same key policy does bind a principal, even one whose identity policy allows.
    await grant(kms, 'alice', 'all', allow('kms:*', '*'))
    await rejectsWith(kms.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
  })

  it('a principal with no policies is refused every operation except describeRegions, and changes nothing', async () => {
    const kms = await open()
    const key = (await kms.createKey({ tags: [{ tagKey: 'team', tagValue: 'pay' }] })).keyMetadata
    const other = (await kms.createKey()).keyMetadata
    const keyId = key.keyId
    await kms.createAlias({ aliasName: 'alias/existing', keyId })
    const policy = doc(allow('kms:Encrypt', '*'))
    await kms.createPolicy({ policyName: 'p1', policyDocument: policy })
    const stored = (await kms.getPolicy({ policyName: 'p1' })).policy.policyDocument
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('secret') })
    await kms.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'hunter2', encryptionKeyId: other.keyId })
    const requests: { readonly [N in OperationName]: unknown } = {
      createKey: {}, describeKey: { keyId }, listKeys: {}, updateKeyDescription: { keyId, description: 'x' },
      enableKey: { keyId }, disableKey: { keyId }, scheduleKeyDeletion: { keyId, pendingWindowInDays: 7 },
      cancelKeyDeletion: { keyId }, setDeletionProtection: { keyId, enableDeletionProtection: true },
      describeRegions: undefined, encrypt: { keyId, plaintext: utf8('x') }, decrypt: { ciphertextBlob },
      reEncrypt: { ciphertextBlob, destinationKeyId: other.keyId }, generateDataKey: { keyId },
      generateDataKeyWithoutPlaintext: { keyId }, generateDataKeyPair: { keyId, keyPairSpec: 'EC_P256' },
      generateDataKeyPairWithoutPlaintext: { keyId, keyPairSpec: 'ED25519' }, createKeyVersion: { keyId }, listKeyVersions: { keyId },
      describeKeyVersion: { keyId, keyVersionId: key.primaryKeyVersion }, updateRotationPolicy: { keyId, enableAutomaticRotation: false },
      createAlias: { aliasName: 'alias/new', keyId }, updateAlias: { aliasName: 'alias/existing', keyId: other.keyId },
      deleteAlias: { aliasName: 'alias/existing' }, listAliases: {}, listAliasesByKeyId: { keyId },
      tagResource: { keyId, tags: [{ tagKey: 'a', tagValue: 'b' }] }, untagResource: { keyId, tagKeys: ['team'] },
      listResourceTags: { keyId }, setKeyPolicy: { keyId, policy: doc({ ...allow('kms:*', '*'), Principal: '*' }) },
      getKeyPolicy: { keyId }, createGrant: { keyId, granteePrincipal: 'bob', operations: ['Decrypt'] }, listGrants: { keyId },
      listRetirableGrants: { retiringPrincipal: 'bob' }, retireGrant: { keyId, grantId: '0'.repeat(64) },
      revokeGrant: { keyId, grantId: '0'.repeat(64) }, createPolicy: { policyName: 'p2', policyDocument: policy },
      updatePolicy: { policyName: 'p1', policyDocument: doc(allow('kms:*', '*')) }, getPolicy: { policyName: 'p1' },
      deletePolicy: { policyName: 'p1' }, listPolicies: {}, attachPolicy: { policyName: 'p1', principal: 'alice' },
      detachPolicy: { policyName: 'p1', principal: 'alice' }, listPoliciesForPrincipal: { principal: 'alice' },
      // Issue 5: refused before the key's spec is even looked at (an AES key cannot sign, but alice may not ask).
      asymmetricSign: { keyId, algorithm: 'ECDSA_SHA_256', message: utf8('x') },
      asymmetricVerify: { keyId, algorithm: 'ECDSA_SHA_256', message: utf8('x'), value: new Uint8Array(64) },
      asymmetricEncrypt: { keyId, algorithm: 'RSAES_OAEP_SHA_256', plaintext: utf8('x') },
      asymmetricDecrypt: { keyId, algorithm: 'RSAES_OAEP_SHA_256', ciphertextBlob: new Uint8Array(256) },
      getPublicKey: { keyId }, generateMac: { keyId, macAlgorithm: 'HMAC_SHA_256', message: utf8('x') },
      verifyMac: { keyId, macAlgorithm: 'HMAC_SHA_256', message: utf8('x'), mac: new Uint8Array(32) },
      exportDataKey: { ciphertextBlob, publicKeyBlob: new Uint8Array(294), wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' },
      generateAndExportDataKey: { keyId, publicKeyBlob: new Uint8Array(294), wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' },
      generateRandom: { numberOfBytes: 32 }, getRandomPassword: {},
      getParametersForImport: { keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' },
      importKeyMaterial: { keyId, importToken: '00000000-0000-4000-8000-000000000000', encryptedKeyMaterial: new Uint8Array(256) },
      deleteKeyMaterial: { keyId },
      // Issue 17: secrets, refused whether or not the secret exists (`db` exists, `nope` does not).
      createSecret: { secretName: 'new', versionId: 'v1', secretData: 'x' }, getSecretValue: { secretName: 'db' },
      putSecretValue: { secretName: 'db', versionId: 'v2', secretData: 'y' },
      updateSecretVersionStage: { secretName: 'db', versionStage: 'custom', moveToVersion: 'v1' },
      listSecretVersionIds: { secretName: 'nope' }, describeSecret: { secretName: 'nope' }, updateSecret: { secretName: 'db', description: 'x' },
      listSecrets: {}, deleteSecret: { secretName: 'db' }, restoreSecret: { secretName: 'db' }, rotateSecret: { secretName: 'db' },
      updateSecretRotationPolicy: { secretName: 'db', enableAutomaticRotation: false },
    }
    const alice = kms.as('alice')
    expect(alice.principal).toBe('alice')
    for (const name of Object.keys(OPERATIONS) as OperationName[]) {
      const call = (alice[name] as (request: unknown) => Promise<unknown>)(requests[name])
      if (name === 'describeRegions') {
        expect(await call).toMatchObject({ regions: [{ regionId: 'local' }] })
        continue
      }
      const error = await rejectsWith(call, 'Forbidden.NoPermission')
      const action = name === 'reEncrypt' ? 'ReEncryptFrom' : OPERATIONS[name]
      expect(error.message, name).toContain(`kms:${action}`)
      expect(error.kind).toBe('caller')
      expect(error.httpStatus).toBe(403)
    }
    // Nothing changed.
    const after = (await kms.describeKey({ keyId })).keyMetadata
    expect([after.keyState, after.description, after.deletionProtection, after.primaryKeyVersion]).toEqual(['Enabled', '', 'Disabled', key.primaryKeyVersion])
    expect((await kms.listKeys()).totalCount).toBe(2)
    expect((await kms.listAliases()).aliases.map((a) => [a.aliasName, a.keyId])).toEqual([['alias/existing', keyId]])
    expect((await kms.listResourceTags({ keyId })).tags).toEqual([{ keyId, tagKey: 'team', tagValue: 'pay' }])
    expect((await kms.getKeyPolicy({ keyId })).policy).toBeUndefined()
    expect((await kms.listPolicies()).policies.map((p) => p.policyName)).toEqual(['p1'])
    expect((await kms.getPolicy({ policyName: 'p1' })).policy.policyDocument).toEqual(stored)
    expect((await kms.listPoliciesForPrincipal({ principal: 'alice' })).totalCount).toBe(0)
  })

  it('a refusal names the action and the resource the caller referred to, and nothing else', async () => {
    const kms = await open()
    const key = (await kms.createKey({ tags: [{ tagKey: 'team', tagValue: 'pay' }] })).keyMetadata
    const other = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/orders', keyId: key.keyId })
    await kms.disableKey({ keyId: key.keyId })
    const alice = kms.as('alice')
    /** What is left of the message once the principal, action and resource are taken out. */
    const rest = (message: string, ...named: string[]): string =>
      named.reduce((m, n) => m.split(n).join(''), message).replace('alice', '')
    const leaks = (message: string): void => {
      expect(message).not.toMatch(UUID)
      expect(message).not.toMatch(/Enabled|Disabled|Pending|acs:|alias\/|team|pay/)
      expect(message).not.toContain(other.keyId)
    }

    const byId = await rejectsWith(alice.encrypt({ keyId: key.keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    expect(byId.message).toContain('kms:Encrypt')
    expect(byId.message).toContain(key.arn)
    leaks(rest(byId.message, 'kms:Encrypt', key.arn))

    const byArn = await rejectsWith(alice.describeKey({ keyId: key.arn }), 'Forbidden.NoPermission')
    expect(byArn.message).toContain('kms:DescribeKey')
    expect(byArn.message).toContain(key.arn)
    leaks(rest(byArn.message, 'kms:DescribeKey', key.arn))

    // By alias: the alias is named, not the key it points at.
    const byAlias = await rejectsWith(alice.encrypt({ keyId: 'alias/orders', plaintext: utf8('x') }), 'Forbidden.NoPermission')
    expect(byAlias.message).toContain('kms:Encrypt')
    expect(byAlias.message).toContain('alias/orders')
    expect(byAlias.message).not.toContain(key.keyId)
    leaks(rest(byAlias.message, 'kms:Encrypt', 'alias/orders'))

    const list = await rejectsWith(alice.listKeys(), 'Forbidden.NoPermission')
    expect(list.message).toContain('kms:ListKeys')
    leaks(rest(list.message, 'kms:ListKeys'))
  })

  it("refuses the reserved principal names 'root' and 'system'", async () => {
    const kms = await open()
    await kms.createPolicy({ policyName: 'p', policyDocument: doc(allow('kms:*', '*')) })
    for (const name of ['root', 'system']) {
      expect(() => kms.as(name)).toThrow(KmsError)
      try {
        kms.as(name)
      } catch (error) {
        expect(KmsError.is(error, 'InvalidParameter')).toBe(true)
      }
      await rejectsWith(kms.attachPolicy({ policyName: 'p', principal: name }), 'InvalidParameter')
      await rejectsWith(kms.listPoliciesForPrincipal({ principal: name }), 'InvalidParameter')
    }
    expect(() => kms.as('bad*name')).toThrow(KmsError)
    expect(() => kms.as('')).toThrow(KmsError)
  })
})

describe('the issue scenario: Encrypt and Decrypt on one key, only for tenant=acme', () => {
  it('allows exactly that and refuses everything else', async () => {
    const kms = await open()
    const key = (await kms.createKey()).keyMetadata
    const other = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'acme-only', allow(['kms:Encrypt', 'kms:Decrypt'], key.arn, {
      StringEquals: { 'kms:EncryptionContext:tenant': 'acme' },
    }))
    const alice = kms.as('alice')
    const plaintext = utf8('card 4111')

    const sealed = await alice.encrypt({ keyId: key.keyId, plaintext, encryptionContext: { tenant: 'acme' } })
    expect(sealed.keyId).toBe(key.keyId)
    expect(text((await alice.decrypt({ ciphertextBlob: sealed.ciphertextBlob, encryptionContext: { tenant: 'acme' } })).plaintext)).toBe('card 4111')
    // The key's ARN is the same resource as its id.
    await alice.encrypt({ keyId: key.arn, plaintext, encryptionContext: { tenant: 'acme' } })

    const refused = {
      otherTenant: alice.encrypt({ keyId: key.keyId, plaintext, encryptionContext: { tenant: 'other' } }),
      noContext: alice.encrypt({ keyId: key.keyId, plaintext }),
      extraKeyOnly: alice.encrypt({ keyId: key.keyId, plaintext, encryptionContext: { customer: 'acme' } }),
      otherKey: alice.encrypt({ keyId: other.keyId, plaintext, encryptionContext: { tenant: 'acme' } }),
      generateDataKey: alice.generateDataKey({ keyId: key.keyId, encryptionContext: { tenant: 'acme' } }),
      withoutPlaintext: alice.generateDataKeyWithoutPlaintext({ keyId: key.keyId, encryptionContext: { tenant: 'acme' } }),
      disableKey: alice.disableKey({ keyId: key.keyId }),
      describeKey: alice.describeKey({ keyId: key.keyId }),
      listKeys: alice.listKeys(),
      createKey: alice.createKey(),
    }
    for (const [what, call] of Object.entries(refused)) expect([what, await outcome(call)]).toEqual([what, 'Forbidden.NoPermission'])

    // Decrypt of a tenant=other blob made by the owner is refused by policy, before the context is even checked.
    const foreign = await kms.encrypt({ keyId: key.keyId, plaintext, encryptionContext: { tenant: 'other' } })
    await rejectsWith(alice.decrypt({ ciphertextBlob: foreign.ciphertextBlob, encryptionContext: { tenant: 'other' } }), 'Forbidden.NoPermission')
    // With an allowed context that does not match the blob, it is the ordinary InvalidCiphertext.
    await rejectsWith(alice.decrypt({ ciphertextBlob: foreign.ciphertextBlob, encryptionContext: { tenant: 'acme' } }), 'InvalidCiphertext')

    expect((await kms.describeKey({ keyId: key.keyId })).keyMetadata.keyState).toBe('Enabled')
    expect((await kms.listKeys()).totalCount).toBe(2)
    // Another principal gets nothing from alice's policy.
    await rejectsWith(kms.as('bob').encrypt({ keyId: key.keyId, plaintext, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
  })
})

describe('condition keys the engine supplies, one operator family each', () => {
  it('kms:tag/<key> with StringEquals follows the key’s tags', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey({ tags: [{ tagKey: 'team', tagValue: 'payments' }] })).keyMetadata
    await grant(kms, 'alice', 'team', allow('kms:Encrypt', 'acs:kms:*:*:key/*', { StringEquals: { 'kms:tag/team': 'payments' } }))
    const alice = kms.as('alice')
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    await kms.tagResource({ keyId, tags: [{ tagKey: 'team', tagValue: 'growth' }] })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await kms.tagResource({ keyId, tags: [{ tagKey: 'team', tagValue: 'payments' }] })
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    await kms.untagResource({ keyId, tagKeys: ['team'] })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    // StringLike on the tag, too.
    await kms.updatePolicy({ policyName: 'team', policyDocument: doc(allow('kms:Encrypt', '*', { StringLike: { 'kms:tag/team': 'pay*' } })) })
    await kms.tagResource({ keyId, tags: [{ tagKey: 'team', tagValue: 'payroll' }] })
    await alice.encrypt({ keyId, plaintext: utf8('x') })
  })

  it('kms:KeySpec on the key (and on the request for createKey)', async () => {
    const kms = await open()
    const aes256 = (await kms.createKey()).keyMetadata.keyId
    const aes128 = (await kms.createKey({ keySpec: 'Aliyun_AES_128' })).keyMetadata.keyId
    await grant(kms, 'alice', 'aes128', allow(['kms:Encrypt', 'kms:CreateKey'], '*', { StringEquals: { 'kms:KeySpec': 'Aliyun_AES_128' } }))
    const alice = kms.as('alice')
    await alice.encrypt({ keyId: aes128, plaintext: utf8('x') })
    await rejectsWith(alice.encrypt({ keyId: aes256, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    expect((await alice.createKey({ keySpec: 'Aliyun_AES_128' })).keyMetadata.keySpec).toBe('Aliyun_AES_128')
    await rejectsWith(alice.createKey(), 'Forbidden.NoPermission')
    expect((await kms.listKeys()).totalCount).toBe(3)
  })

  it('kms:RequestAlias: allowed only when the request names the key through a given alias', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/acme', keyId })
    await kms.createAlias({ aliasName: 'alias/other', keyId })
    await grant(kms, 'alice', 'via-alias', allow('kms:Encrypt', 'acs:kms:*:*:key/*', { StringEquals: { 'kms:RequestAlias': 'alias/acme' } }))
    const alice = kms.as('alice')
    expect((await alice.encrypt({ keyId: 'alias/acme', plaintext: utf8('x') })).keyId).toBe(keyId)
    expect((await alice.encrypt({ keyId: 'acs:kms:local:000000000000:alias/acme', plaintext: utf8('x') })).keyId).toBe(keyId)
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId: 'alias/other', plaintext: utf8('x') }), 'Forbidden.NoPermission')
  })

  it('kms:EncryptionContextKeys with ForAllValues (and Null to require a context)', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'ctx', allow('kms:Encrypt', '*', {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'purpose'] },
      Null: { 'kms:EncryptionContextKeys': 'false' },
    }))
    const alice = kms.as('alice')
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'a' } })
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'a', purpose: 'b' } })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'a', extra: 'c' } }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: {} }), 'Forbidden.NoPermission')
  })

  it('acs:CurrentTime with DateLessThan follows the engine clock', async () => {
    const clock = new ManualClock(START)
    const kms = await open({ clock })
    const { keyId } = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'until', allow('kms:Encrypt', '*', { DateLessThan: { 'acs:CurrentTime': '2026-01-02T00:00:00Z' } }))
    const alice = kms.as('alice')
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    clock.advance(24 * 3_600_000 - 1)
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    clock.advance(1)
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
  })

  it('kms:NumberOfBytes with NumericLessThanEquals on generateDataKey', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'small', allow(['kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'], '*', {
      NumericLessThanEquals: { 'kms:NumberOfBytes': '32' },
    }))
    const alice = kms.as('alice')
    expect((await alice.generateDataKey({ keyId, numberOfBytes: 16 })).plaintext).toHaveLength(16)
    expect((await alice.generateDataKey({ keyId, numberOfBytes: 32 })).plaintext).toHaveLength(32)
    expect((await alice.generateDataKey({ keyId })).plaintext).toHaveLength(32) // AES_256 is 32 bytes
    await alice.generateDataKeyWithoutPlaintext({ keyId, keySpec: 'AES_128' })
    await rejectsWith(alice.generateDataKey({ keyId, numberOfBytes: 33 }), 'Forbidden.NoPermission')
    await rejectsWith(alice.generateDataKeyWithoutPlaintext({ keyId, numberOfBytes: 1024 }), 'Forbidden.NoPermission')
  })

  // No condition key the engine itself supplies is boolean; a request can still carry one in
  // its encryption context, which is what Bool is exercised on here.
  it('Bool on a request key (an encryption-context entry)', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'approved', allow('kms:Encrypt', '*', { Bool: { 'kms:EncryptionContext:approved': 'true' } }))
    const alice = kms.as('alice')
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { approved: 'true' } })
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { approved: 'TRUE' } })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { approved: 'false' } }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { approved: 'yes' } }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
  })

  it('kms:KeyState and kms:KeyUsage come from the key record', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await grant(kms, 'alice', 'state', allow('kms:DescribeKey', '*', {
      StringEquals: { 'kms:KeyState': 'Enabled', 'kms:KeyUsage': 'ENCRYPT/DECRYPT' },
    }))
    const alice = kms.as('alice')
    await alice.describeKey({ keyId })
    await kms.disableKey({ keyId })
    await rejectsWith(alice.describeKey({ keyId }), 'Forbidden.NoPermission')
  })
})

describe('identity and key policies together', () => {
  it('an explicit Deny wins over an Allow, whichever kind of policy holds each', async () => {
    const kms = await open()
    const { keyId, arn } = (await kms.createKey()).keyMetadata
    const alice = kms.as('alice')
    // Identity Allow, key policy Deny.
    await grant(kms, 'alice', 'all', allow('kms:*', '*'))
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    await kms.setKeyPolicy({ keyId, policy: doc({ ...deny('kms:Encrypt', '*'), Principal: { RAM: ['alice'] } }) })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await alice.describeKey({ keyId })
    // Key policy Allow, identity Deny.
    await kms.setKeyPolicy({ keyId, policy: doc({ ...allow('kms:*', '*'), Principal: '*' }) })
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    await grant(kms, 'alice', 'no-encrypt', deny('kms:Encrypt', arn))
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await alice.describeKey({ keyId })
    // A conditional Deny only bites when its condition holds.
    await kms.updatePolicy({ policyName: 'no-encrypt', policyDocument: doc(deny('kms:Encrypt', arn, { StringEquals: { 'kms:EncryptionContext:tenant': 'evil' } })) })
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'good' } })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'evil' } }), 'Forbidden.NoPermission')
  })

  it("a key policy naming Principal RAM ['alice'] grants alice, not bob, on that key only", async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const other = (await kms.createKey()).keyMetadata.keyId
    const policy = doc({ ...allow(['kms:Encrypt', 'kms:Decrypt'], '*'), Principal: { RAM: ['alice'] } })
    await kms.setKeyPolicy({ keyId, policy })
    expect((await kms.getKeyPolicy({ keyId })).policy).toEqual({
      Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: ['*'], Principal: { RAM: ['alice'] } }],
    })
    const { ciphertextBlob } = await kms.as('alice').encrypt({ keyId, plaintext: utf8('by key policy') })
    expect(text((await kms.as('alice').decrypt({ ciphertextBlob })).plaintext)).toBe('by key policy')
    await rejectsWith(kms.as('bob').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await rejectsWith(kms.as('bob').decrypt({ ciphertextBlob }), 'Forbidden.NoPermission')
    await rejectsWith(kms.as('alice').encrypt({ keyId: other, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await rejectsWith(kms.as('alice').disableKey({ keyId }), 'Forbidden.NoPermission')
  })

  it('setKeyPolicy refuses a malformed policy with InvalidParameter and stores nothing', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const good = doc({ ...allow('kms:Encrypt', '*'), Principal: { RAM: ['alice'] } })
    await kms.setKeyPolicy({ keyId, policy: good })
    const before = (await kms.getKeyPolicy({ keyId })).policy
    const malformed: unknown[] = [
      doc(allow('kms:Encrypt', '*')), // a key policy must name its principals
      doc({ ...allow('kms:Encrypt', '*'), Principal: { RAM: ['alice'] }, NotAction: 'kms:Decrypt' }),
      doc({ ...allow('kms:Encrypt', '*', { StringEquls: { 'kms:KeySpec': 'x' } }), Principal: '*' }),
      { Version: '2', Statement: [] },
      '{ not json',
      doc({ Effect: 'Permit', Action: 'kms:Encrypt', Resource: '*', Principal: '*' }),
    ]
    for (const policy of malformed) {
      const error = await rejectsWith(kms.setKeyPolicy({ keyId, policy }), 'InvalidParameter')
      expect(error.message.length).toBeGreaterThan(0)
      expect((await kms.getKeyPolicy({ keyId })).policy).toEqual(before)
    }
    // Still in force: alice may encrypt, nothing else.
    await kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
    await rejectsWith(kms.as('alice').describeKey({ keyId }), 'Forbidden.NoPermission')
  })
})

describe('managing identity policies', () => {
  it('createPolicy and updatePolicy refuse malformed documents and store nothing', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const malformed: unknown[] = [
      doc({ ...allow('kms:Encrypt', '*'), Principal: '*' }), // identity policies never name a principal
      doc(allow('s3:GetObject', '*')),
      doc({ ...allow('kms:Encrypt', '*'), NotResource: 'x' }),
      doc(allow('kms:Encrypt', '*', { DateLessThan: 'soon' })),
      { Version: '1' },
      42,
    ]
    for (const policyDocument of malformed) await rejectsWith(kms.createPolicy({ policyName: 'bad', policyDocument }), 'InvalidParameter')
    expect((await kms.listPolicies()).totalCount).toBe(0)
    await rejectsWith(kms.getPolicy({ policyName: 'bad' }), 'Forbidden.PolicyNotFound')
    await rejectsWith(kms.attachPolicy({ policyName: 'bad', principal: 'alice' }), 'Forbidden.PolicyNotFound')

    await grant(kms, 'alice', 'enc', allow('kms:Encrypt', '*'))
    for (const policyDocument of malformed) await rejectsWith(kms.updatePolicy({ policyName: 'enc', policyDocument }), 'InvalidParameter')
    expect((await kms.getPolicy({ policyName: 'enc' })).policy.policyDocument).toEqual({
      Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt'], Resource: ['*'] }],
    })
    await kms.as('alice').encrypt({ keyId, plaintext: utf8('x') })
    await rejectsWith(kms.createPolicy({ policyName: 'enc', policyDocument: doc(allow('kms:*', '*')) }), 'AlreadyExists')
    await rejectsWith(kms.updatePolicy({ policyName: 'missing', policyDocument: doc(allow('kms:*', '*')) }), 'Forbidden.PolicyNotFound')
  })

  it('updatePolicy governs attached principals at once; detachPolicy revokes at once', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const alice = kms.as('alice')
    await grant(kms, 'alice', 'p', allow('kms:Encrypt', '*'))
    await alice.encrypt({ keyId, plaintext: utf8('x') })
    await rejectsWith(alice.describeKey({ keyId }), 'Forbidden.NoPermission')

    await kms.updatePolicy({ policyName: 'p', policyDocument: doc(allow('kms:DescribeKey', '*')) })
    await alice.describeKey({ keyId })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')

    expect((await kms.listPoliciesForPrincipal({ principal: 'alice' })).policies.map((p) => p.policyName)).toEqual(['p'])
    await kms.detachPolicy({ policyName: 'p', principal: 'alice' })
    await rejectsWith(alice.describeKey({ keyId }), 'Forbidden.NoPermission')
    expect((await kms.listPoliciesForPrincipal({ principal: 'alice' })).totalCount).toBe(0)
    await rejectsWith(kms.detachPolicy({ policyName: 'p', principal: 'alice' }), 'Forbidden.PolicyNotFound')
  })

  it('deletePolicy of an attached policy is Rejected.PolicyInUse; attaching an unknown policy is Forbidden.PolicyNotFound', async () => {
    const kms = await open()
    await grant(kms, 'alice', 'p', allow('kms:Encrypt', '*'))
    await kms.attachPolicy({ policyName: 'p', principal: 'bob' })
    await kms.attachPolicy({ policyName: 'p', principal: 'bob' }) // idempotent
    await rejectsWith(kms.deletePolicy({ policyName: 'p' }), 'Rejected.PolicyInUse')
    await kms.detachPolicy({ policyName: 'p', principal: 'alice' })
    await rejectsWith(kms.deletePolicy({ policyName: 'p' }), 'Rejected.PolicyInUse')
    await kms.detachPolicy({ policyName: 'p', principal: 'bob' })
    await kms.deletePolicy({ policyName: 'p' })
    expect((await kms.listPolicies()).totalCount).toBe(0)
    await rejectsWith(kms.attachPolicy({ policyName: 'p', principal: 'alice' }), 'Forbidden.PolicyNotFound')
    await rejectsWith(kms.deletePolicy({ policyName: 'p' }), 'Forbidden.PolicyNotFound')
  })

  it('a principal may manage policies only as its own policy allows', async () => {
    const kms = await open()
    await kms.createPolicy({ policyName: 'team-read', policyDocument: doc(allow('kms:DescribeKey', '*')) })
    await kms.createPolicy({ policyName: 'admin', policyDocument: doc(allow('kms:*', '*')) })
    await grant(kms, 'lead', 'lead', allow('kms:AttachPolicy', 'acs:kms:*:*:policy/team-*'))
    const lead = kms.as('lead')
    await lead.attachPolicy({ policyName: 'team-read', principal: 'alice' })
    // The lead cannot hand out (or take) admin.
    await rejectsWith(lead.attachPolicy({ policyName: 'admin', principal: 'alice' }), 'Forbidden.NoPermission')
    await rejectsWith(lead.attachPolicy({ policyName: 'admin', principal: 'lead' }), 'Forbidden.NoPermission')
    expect((await kms.listPoliciesForPrincipal({ principal: 'alice' })).policies.map((p) => p.policyName)).toEqual(['team-read'])
  })
})

describe('no existence leak', () => {
  it('without permission, a missing key, a missing alias and a forbidden key all fail the same way', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/real', keyId })
    const alice = kms.as('alice')
    const missingId = '00000000-0000-4000-8000-000000000000'
    const codes = await Promise.all([
      outcome(alice.encrypt({ keyId, plaintext: utf8('x') })),
      outcome(alice.encrypt({ keyId: missingId, plaintext: utf8('x') })),
      outcome(alice.encrypt({ keyId: 'alias/real', plaintext: utf8('x') })),
      outcome(alice.encrypt({ keyId: 'alias/missing', plaintext: utf8('x') })),
      outcome(alice.describeKey({ keyId: missingId })),
      outcome(alice.describeKey({ keyId: 'alias/missing' })),
      outcome(alice.deleteAlias({ aliasName: 'alias/missing' })),
      outcome(alice.deleteAlias({ aliasName: 'alias/real' })),
    ])
    expect(new Set(codes)).toEqual(new Set(['Forbidden.NoPermission']))
    // A principal limited to one key learns nothing about others either.
    await grant(kms, 'alice', 'one', allow('kms:*', `acs:kms:*:*:key/${keyId}`))
    await alice.describeKey({ keyId })
    expect(await outcome(alice.describeKey({ keyId: missingId }))).toBe('Forbidden.NoPermission')
    expect(await outcome(alice.describeKey({ keyId: 'alias/missing' }))).toBe('Forbidden.NoPermission')
  })

  it('a principal allowed on key/* learns that a key is missing', async () => {
    const kms = await open()
    await grant(kms, 'alice', 'keys', allow('kms:*', ['acs:kms:*:*:key/*', 'acs:kms:*:*:alias/*']))
    const alice = kms.as('alice')
    await rejectsWith(alice.describeKey({ keyId: '00000000-0000-4000-8000-000000000000' }), 'Forbidden.KeyNotFound')
    await rejectsWith(alice.encrypt({ keyId: '00000000-0000-4000-8000-000000000000', plaintext: utf8('x') }), 'Forbidden.KeyNotFound')
    await rejectsWith(alice.encrypt({ keyId: 'alias/missing', plaintext: utf8('x') }), 'Forbidden.AliasNotFound')
  })

  it('decrypt of a blob under a key the principal may not use is NoPermission, not InvalidCiphertext', async () => {
    const kms = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { a: '1' } })
    const alice = kms.as('alice')
    await rejectsWith(alice.decrypt({ ciphertextBlob, encryptionContext: { a: '1' } }), 'Forbidden.NoPermission')
    // Even with the wrong context or a flipped tag byte: whether the blob is genuine is not told either.
    await rejectsWith(alice.decrypt({ ciphertextBlob }), 'Forbidden.NoPermission')
    const mangled = ciphertextBlob.slice()
    mangled[mangled.length - 1]! ^= 1
    await rejectsWith(alice.decrypt({ ciphertextBlob: mangled, encryptionContext: { a: '1' } }), 'Forbidden.NoPermission')
    // Once allowed, the usual answers come back.
    await grant(kms, 'alice', 'dec', allow('kms:Decrypt', '*'))
    expect(text((await alice.decrypt({ ciphertextBlob, encryptionContext: { a: '1' } })).plaintext)).toBe('x')
    await rejectsWith(alice.decrypt({ ciphertextBlob: mangled, encryptionContext: { a: '1' } }), 'InvalidCiphertext')
  })
})

describe('operations that touch two resources', () => {
  it('reEncrypt needs kms:ReEncryptFrom on the source and kms:ReEncryptTo on the destination', async () => {
    const kms = await open()
    const source = (await kms.createKey()).keyMetadata
    const destination = (await kms.createKey()).keyMetadata
    const { ciphertextBlob } = await kms.encrypt({ keyId: source.keyId, plaintext: utf8('moving') })
    const alice = kms.as('alice')
    const move = () => alice.reEncrypt({ ciphertextBlob, destinationKeyId: destination.keyId })

    await grant(kms, 'alice', 'from', allow('kms:ReEncryptFrom', source.arn))
    const toDenied = await rejectsWith(move(), 'Forbidden.NoPermission')
    expect(toDenied.message).toContain('kms:ReEncryptTo')
    expect(toDenied.message).toContain(destination.arn)

    await kms.detachPolicy({ policyName: 'from', principal: 'alice' })
    await grant(kms, 'alice', 'to', allow('kms:ReEncryptTo', destination.arn))
    const fromDenied = await rejectsWith(move(), 'Forbidden.NoPermission')
    expect(fromDenied.message).toContain('kms:ReEncryptFrom')
    expect(fromDenied.message).toContain(source.arn)

    await kms.attachPolicy({ policyName: 'from', principal: 'alice' })
    const moved = await move()
    expect([moved.sourceKeyId, moved.keyId]).toEqual([source.keyId, destination.keyId])
    expect(text((await kms.decrypt({ ciphertextBlob: moved.ciphertextBlob })).plaintext)).toBe('moving')
    // Neither permission is Decrypt or Encrypt.
    await rejectsWith(alice.decrypt({ ciphertextBlob }), 'Forbidden.NoPermission')
    // kms:ReEncrypt* grants both sides.
    await grant(kms, 'bob', 'both', allow('kms:ReEncrypt*', 'acs:kms:*:*:key/*'))
    await kms.as('bob').reEncrypt({ ciphertextBlob, destinationKeyId: destination.keyId })
  })

  it('createAlias needs kms:CreateAlias on the alias and on the key', async () => {
    const kms = await open()
    const key = (await kms.createKey()).keyMetadata
    const aliasArn = 'acs:kms:local:000000000000:alias/orders'
    const alice = kms.as('alice')
    const create = () => alice.createAlias({ aliasName: 'alias/orders', keyId: key.keyId })

    await grant(kms, 'alice', 'alias-only', allow('kms:CreateAlias', aliasArn))
    const keyDenied = await rejectsWith(create(), 'Forbidden.NoPermission')
    expect(keyDenied.message).toContain(key.arn)
    await kms.detachPolicy({ policyName: 'alias-only', principal: 'alice' })

    await grant(kms, 'alice', 'key-only', allow('kms:CreateAlias', key.arn))
    const aliasDenied = await rejectsWith(create(), 'Forbidden.NoPermission')
    expect(aliasDenied.message).toContain('alias/orders')
    expect((await kms.listAliases()).totalCount).toBe(0)

    await kms.attachPolicy({ policyName: 'alias-only', principal: 'alice' })
    await create()
    expect((await kms.listAliasesByKeyId({ keyId: key.keyId })).aliases.map((a) => a.aliasName)).toEqual(['alias/orders'])
  })
})

describe('alias changes', () => {
  it('updateAlias needs kms:UpdateAlias on the alias, the key it leaves and the key it moves to; a refusal does not name the key it points at', async () => {
    const kms = await open()
    const from = (await kms.createKey()).keyMetadata
    const to = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/app', keyId: from.keyId })
    const alice = kms.as('alice')
    const move = () => alice.updateAlias({ aliasName: 'alias/app', keyId: to.keyId })
    await grant(kms, 'alice', 'alias-and-target', allow('kms:UpdateAlias', ['acs:kms:*:*:alias/app', to.arn]))
    const refused = await rejectsWith(move(), 'Forbidden.NoPermission')
    // alice named the alias and the new key; which key the alias points at now is not hers to learn.
    expect(refused.message).toContain('kms:UpdateAlias')
    expect(refused.message).not.toContain(from.keyId)
    await kms.attachPolicy({ policyName: 'alias-and-target', principal: 'bob' })
    await grant(kms, 'bob', 'old-key', allow('kms:UpdateAlias', from.arn))
    await kms.as('bob').updateAlias({ aliasName: 'alias/app', keyId: to.keyId })
    expect((await kms.describeKey({ keyId: 'alias/app' })).keyMetadata.keyId).toBe(to.keyId)
  })

  it('deleteAlias needs kms:DeleteAlias on the alias and on its key', async () => {
    const kms = await open()
    const key = (await kms.createKey()).keyMetadata
    await kms.createAlias({ aliasName: 'alias/app', keyId: key.keyId })
    await grant(kms, 'alice', 'alias', allow('kms:DeleteAlias', 'acs:kms:*:*:alias/app'))
    const refused = await rejectsWith(kms.as('alice').deleteAlias({ aliasName: 'alias/app' }), 'Forbidden.NoPermission')
    expect(refused.message).not.toContain(key.keyId)
    await kms.updatePolicy({ policyName: 'alias', policyDocument: doc(allow('kms:DeleteAlias', ['acs:kms:*:*:alias/app', key.arn])) })
    await kms.as('alice').deleteAlias({ aliasName: 'alias/app' })
    expect((await kms.listAliases()).totalCount).toBe(0)
  })
})

// ---------------------------------------------------------------- two engines, restart

/** Passes every call through; `hold` makes reads of one key return their (already read) value only once released. */
function holdingReads(inner: StorageAdapter) {
  let held: { key: string; release: Promise<void>; reached: () => void } | undefined
  const adapter: StorageAdapter = {
    manifest: inner.manifest,
    async get(key: string): Promise<StoredRecord | undefined> {
      const result = await inner.get(key)
      const h = held
      if (h !== undefined && h.key === key) {
        held = undefined
        h.reached()
        await h.release
      }
      return result
    },
    scan: (options) => inner.scan(options),
    commit: (mutations) => inner.commit(mutations),
    watch: (listener) => inner.watch!(listener),
    close: () => inner.close(),
  }
  return {
    adapter,
    /** The next read of `key` is held after reading; resolves `reached` once it is. */
    hold(key: string): { reached: Promise<void>; release: () => void } {
      let release!: () => void
      let reached!: () => void
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve))
      held = { key, release: new Promise<void>((resolve) => (release = resolve)), reached }
      return { reached: reachedPromise, release }
    },
  }
}

describe('two engines sharing one store', () => {
  async function twoEngines() {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const holdA = holdingReads(memoryStorage(db, { closeDatabase: false }))
    const clock = new ManualClock(START)
    const a = await Kms.open({ storage: holdA.adapter, rootKey: rawRootKey(ROOT), clock })
    cleanups.push(() => a.close())
    const b = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(ROOT), clock })
    cleanups.push(() => b.close())
    return { a, b, holdA }
  }

  it('a policy detached or narrowed in engine B stops granting in engine A at once', async () => {
    const { a, b } = await twoEngines()
    const { keyId } = (await a.createKey()).keyMetadata
    await grant(a, 'alice', 'p', allow(['kms:Encrypt', 'kms:DescribeKey'], '*'))
    await a.as('alice').encrypt({ keyId, plaintext: utf8('warm') }) // A has alice's policies cached now
    await b.updatePolicy({ policyName: 'p', policyDocument: doc(allow('kms:DescribeKey', '*')) })
    await rejectsWith(a.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await a.as('alice').describeKey({ keyId })
    await b.detachPolicy({ policyName: 'p', principal: 'alice' })
    await rejectsWith(a.as('alice').describeKey({ keyId }), 'Forbidden.NoPermission')
    // And the other way: a grant in B is seen by A.
    await b.attachPolicy({ policyName: 'p', principal: 'alice' })
    await a.as('alice').describeKey({ keyId })
    // Key policies travel with the key record.
    await b.setKeyPolicy({ keyId, policy: doc({ ...deny('kms:*', '*'), Principal: '*' }) })
    await rejectsWith(a.as('alice').describeKey({ keyId }), 'Forbidden.NoPermission')
  })

  it('a detach in B that lands while A is reading the attachment is not lost in A’s cache', async () => {
    const { a, b, holdA } = await twoEngines()
    const { keyId } = (await a.createKey()).keyMetadata
    await grant(a, 'alice', 'p', allow('kms:DescribeKey', '*'))
    // A reads alice's attachment (still there), B detaches, then A's read completes.
    const { reached, release } = holdA.hold('principal/alice')
    const racing = a.as('alice').describeKey({ keyId })
    await reached
    await b.detachPolicy({ policyName: 'p', principal: 'alice' })
    release()
    await racing // concurrent with the detach: either answer is acceptable
    await rejectsWith(a.as('alice').describeKey({ keyId }), 'Forbidden.NoPermission')
  })

  it('a key disabled in B while A is loading it is not cached stale in A', async () => {
    const { a, b, holdA } = await twoEngines()
    const { keyId } = (await b.createKey()).keyMetadata
    const { reached, release } = holdA.hold(`key/${keyId}`)
    const racing = a.encrypt({ keyId, plaintext: utf8('x') })
    await reached
    await b.disableKey({ keyId })
    release()
    await outcome(racing)
    await rejectsWith(a.encrypt({ keyId, plaintext: utf8('x') }), 'Rejected.Disabled')
  })
})

describe('on LevelDB', () => {
  it('policies, attachments and key policies survive a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-authz-'))
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }))
    const rootKey = passphraseRootKey('correct horse battery staple', { N: 2 ** 14 })
    const openAt = () => Kms.open({ storage: levelStorage(new ClassicLevel(dir)), rootKey })

    const first = await openAt()
    const key = (await first.createKey()).keyMetadata
    const other = (await first.createKey()).keyMetadata
    await grant(first, 'alice', 'acme', allow('kms:Encrypt', key.arn, { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } }))
    await first.setKeyPolicy({ keyId: other.keyId, policy: doc({ ...allow('kms:DescribeKey', '*'), Principal: { RAM: ['bob'] } }) })
    await first.close()

    const second = await openAt()
    cleanups.push(() => second.close())
    const alice = second.as('alice')
    await alice.encrypt({ keyId: key.keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme' } })
    await rejectsWith(alice.encrypt({ keyId: key.keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'other' } }), 'Forbidden.NoPermission')
    await second.as('bob').describeKey({ keyId: other.keyId })
    await rejectsWith(second.as('bob').describeKey({ keyId: key.keyId }), 'Forbidden.NoPermission')
    expect((await second.listPoliciesForPrincipal({ principal: 'alice' })).policies.map((p) => p.policyName)).toEqual(['acme'])
    expect((await second.getKeyPolicy({ keyId: other.keyId })).policy?.Statement[0]?.Principal).toEqual({ RAM: ['bob'] })
  })
})
