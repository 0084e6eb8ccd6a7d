/**
 * The state × operation matrix, proved through the public API: every operation in
 * KEY_OPERATION_RULES is called on a key in every state of KEY_STATES, and the outcome
 * must be exactly the rule — `allowed` resolves, anything else rejects with a KmsError of
 * that code and leaves the key, its aliases, tags and versions untouched.
 *
 * How a key reaches each state (public API only):
 *   Enabled          createKey
 *   Disabled         createKey + disableKey
 *   PendingDeletion  createKey + scheduleKeyDeletion(7 days)
 *   PendingImport    createKey({ origin: 'EXTERNAL' })
 *
 * Where a state makes a valid request impossible, the test says what "allowed" means:
 * - describeKeyVersion in PendingImport: the key has no version, so any version id names
 *   nothing. The state check runs first (it would reject with the rule's code), so an
 *   allowed call ends in Forbidden.ResourceNotFound — the version lookup was reached.
 * - decrypt / reEncrypt (as source) in PendingImport: the key never had material, so no
 *   blob of it exists. The test forges one: a real blob of another key with this key's id
 *   written into the header. The state check runs before authentication (as for a
 *   Disabled key), so a rejecting rule shows its code; an allowed one could only end in
 *   InvalidCiphertext.
 * - reEncrypt checks both keys against the same rule; it is run once with the key under
 *   test as the source and once as the destination.
 *
 * Every cell runs twice: on the engine that set the key up (the key is cached, so
 * encrypt/decrypt take the no-await hot path) and on a second engine over the same store
 * that has never loaded the key (the slow path through storage). Both must obey the rule.
 */
import { describe, expect, it } from 'vitest'
import {
  DAY_MS, ERROR_CODES, KEY_OPERATION_RULES, KEY_STATES, Kms, KmsError, ManualClock, rawRootKey,
  type KeyOperation, type KeyState, type KmsErrorCode, type StateRule,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { MemoryLevel } from 'memory-level'

/** Every public method of Kms that takes a key (by id, resource name, alias, or inside a blob). */
const KEY_TAKING_METHODS = [
  'describeKey', 'updateKeyDescription', 'enableKey', 'disableKey', 'scheduleKeyDeletion', 'cancelKeyDeletion',
  'setDeletionProtection', 'encrypt', 'decrypt', 'reEncrypt', 'generateDataKey', 'generateDataKeyWithoutPlaintext',
  'createKeyVersion', 'listKeyVersions', 'describeKeyVersion', 'updateRotationPolicy', 'createAlias', 'updateAlias',
  'deleteAlias', 'listAliasesByKeyId', 'tagResource', 'untagResource', 'listResourceTags', 'setKeyPolicy', 'getKeyPolicy',
] as const

/** Public methods that act on no particular key, so the matrix has no row for them. */
const KEYLESS_METHODS = [
  'createKey', 'listKeys', 'describeRegions', 'listAliases', 'maintenance', 'close', 'as',
  'createPolicy', 'updatePolicy', 'getPolicy', 'deletePolicy', 'listPolicies', 'attachPolicy', 'detachPolicy', 'listPoliciesForPrincipal',
] as const

const START = '2026-01-01T00:00:00Z'
const PLAINTEXT = new TextEncoder().encode('matrix secret')
const CONTEXT = { purpose: 'state-matrix' }
const SUBJECT_ALIAS = 'alias/subject'
const OTHER_ALIAS = 'alias/other'
const FRESH_ALIAS = 'alias/fresh'
/** A well-formed version id that no key here has (used where the key has no version). */
const ABSENT_VERSION_ID = '00000000-0000-4000-8000-000000000000'

interface Fixture {
  /** The engine the call under test runs on. */
  readonly kms: Kms
  /** The engine that set the key up; snapshots are read through it. */
  readonly setup: Kms
  readonly clock: ManualClock
  /** The key under test, in the requested state. */
  readonly keyId: string
  readonly state: KeyState
  /** A version id of the key under test (ABSENT_VERSION_ID when it has none). */
  readonly keyVersionId: string
  /** A blob naming the key under test, sealed while it was Enabled (forged for PendingImport). */
  readonly blob: Uint8Array
  /** An Enabled helper key, with OTHER_ALIAS pointing at it and `otherBlob` sealed under it. */
  readonly otherKeyId: string
  readonly otherBlob: Uint8Array
}

function uuidBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'))
}

const ROOT_KEY = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i)

/** `cold`: the call runs on a second engine over the same store, which has not loaded the key. */
async function fixture(state: KeyState, cold: boolean): Promise<Fixture> {
  const clock = new ManualClock(START)
  const db = new MemoryLevel()
  const kms = await Kms.open({ storage: memoryStorage(db), clock, rootKey: rawRootKey(ROOT_KEY) })
  const other = (await kms.createKey({ description: 'helper' })).keyMetadata.keyId
  await kms.createAlias({ aliasName: OTHER_ALIAS, keyId: other })
  const otherBlob = (await kms.encrypt({ keyId: other, plaintext: PLAINTEXT, encryptionContext: CONTEXT })).ciphertextBlob
  const tags = [{ tagKey: 'env', tagValue: 'test' }]

  let keyId: string
  let keyVersionId: string
  let blob: Uint8Array
  if (state === 'PendingImport') {
    const created = await kms.createKey({ origin: 'EXTERNAL', description: 'subject', tags })
    keyId = created.keyMetadata.keyId
    keyVersionId = ABSENT_VERSION_ID
    blob = otherBlob.slice()
    blob.set(uuidBytes(keyId), 2) // bytes 2‥17: key id (blob.ts)
    await kms.createAlias({ aliasName: SUBJECT_ALIAS, keyId })
  } else {
    const created = await kms.createKey({ description: 'subject', tags })
    keyId = created.keyMetadata.keyId
    keyVersionId = created.keyMetadata.primaryKeyVersion!
    blob = (await kms.encrypt({ keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })).ciphertextBlob
    await kms.createAlias({ aliasName: SUBJECT_ALIAS, keyId })
    if (state === 'Disabled') await kms.disableKey({ keyId })
    if (state === 'PendingDeletion') await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
  }
  // Precondition: the key really is in the state under test.
  expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe(state)
  const caller = cold
    ? await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), clock, rootKey: rawRootKey(ROOT_KEY) })
    : kms
  return { kms: caller, setup: kms, clock, keyId, state, keyVersionId, blob, otherKeyId: other, otherBlob }
}

async function closeFixture(f: Fixture): Promise<void> {
  if (f.kms !== f.setup) await f.kms.close()
  await f.setup.close()
}

type Call = (f: Fixture) => Promise<unknown>

/** Each row's operation with valid parameters for the key under test. */
const CALLS: Record<KeyOperation, Call> = {
  describeKey: (f) => f.kms.describeKey({ keyId: f.keyId }),
  listKeyVersions: (f) => f.kms.listKeyVersions({ keyId: f.keyId }),
  describeKeyVersion: (f) => f.kms.describeKeyVersion({ keyId: f.keyId, keyVersionId: f.keyVersionId }),
  listAliasesByKeyId: (f) => f.kms.listAliasesByKeyId({ keyId: f.keyId }),
  listResourceTags: (f) => f.kms.listResourceTags({ keyId: f.keyId }),
  setKeyPolicy: (f) => f.kms.setKeyPolicy({
    keyId: f.keyId,
    policy: { Version: '1', Statement: [{ Effect: 'Allow', Principal: { RAM: ['alice'] }, Action: 'kms:Encrypt', Resource: '*' }] },
  }),
  getKeyPolicy: (f) => f.kms.getKeyPolicy({ keyId: f.keyId }),
  deleteAlias: (f) => f.kms.deleteAlias({ aliasName: SUBJECT_ALIAS }),
  updateKeyDescription: (f) => f.kms.updateKeyDescription({ keyId: f.keyId, description: 'changed' }),
  tagResource: (f) => f.kms.tagResource({ keyId: f.keyId, tags: [{ tagKey: 'team', tagValue: 'vault' }] }),
  untagResource: (f) => f.kms.untagResource({ keyId: f.keyId, tagKeys: ['env'] }),
  createAlias: (f) => f.kms.createAlias({ aliasName: FRESH_ALIAS, keyId: f.keyId }),
  updateAlias: (f) => f.kms.updateAlias({ aliasName: OTHER_ALIAS, keyId: f.keyId }),
  setDeletionProtection: (f) => f.kms.setDeletionProtection({
    keyId: f.keyId, enableDeletionProtection: true, deletionProtectionDescription: 'production data',
  }),
  updateRotationPolicy: (f) => f.kms.updateRotationPolicy({ keyId: f.keyId, enableAutomaticRotation: true, rotationInterval: '30d' }),
  enableKey: (f) => f.kms.enableKey({ keyId: f.keyId }),
  disableKey: (f) => f.kms.disableKey({ keyId: f.keyId }),
  scheduleKeyDeletion: (f) => f.kms.scheduleKeyDeletion({ keyId: f.keyId, pendingWindowInDays: 7 }),
  cancelKeyDeletion: (f) => f.kms.cancelKeyDeletion({ keyId: f.keyId }),
  createKeyVersion: (f) => f.kms.createKeyVersion({ keyId: f.keyId }),
  encrypt: (f) => f.kms.encrypt({ keyId: f.keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT }),
  decrypt: (f) => f.kms.decrypt({ ciphertextBlob: f.blob, encryptionContext: CONTEXT }),
  reEncrypt: (f) => f.kms.reEncrypt({
    ciphertextBlob: f.blob, sourceEncryptionContext: CONTEXT, destinationKeyId: f.otherKeyId, destinationEncryptionContext: CONTEXT,
  }),
  generateDataKey: (f) => f.kms.generateDataKey({ keyId: f.keyId, encryptionContext: CONTEXT }),
  generateDataKeyWithoutPlaintext: (f) => f.kms.generateDataKeyWithoutPlaintext({ keyId: f.keyId, encryptionContext: CONTEXT }),
}

/** reEncrypt with the key under test as the destination (source: the helper key's blob). */
const reEncryptAsDestination: Call = (f) => f.kms.reEncrypt({
  ciphertextBlob: f.otherBlob, sourceEncryptionContext: CONTEXT, destinationKeyId: f.keyId, destinationEncryptionContext: CONTEXT,
})

type Outcome = 'allowed' | KmsErrorCode

/** What an allowed call must end in, where the state makes a successful request impossible (see the header). */
function allowedOutcome(operation: KeyOperation, state: KeyState, role: 'source' | 'destination'): Outcome {
  if (state !== 'PendingImport') return 'allowed'
  if (operation === 'describeKeyVersion') return 'Forbidden.ResourceNotFound'
  if (operation === 'decrypt' || (operation === 'reEncrypt' && role === 'source')) return 'InvalidCiphertext'
  return 'allowed'
}

async function outcomeOf(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call
    return 'allowed'
  } catch (error) {
    // Anything but a KmsError (TypeError, a crash) fails the test with its own message.
    if (!(error instanceof KmsError)) throw error
    return error.code
  }
}

/** Everything a rejected call must leave unchanged. */
async function snapshot(f: Fixture): Promise<unknown> {
  const kms = f.setup
  const key = (await kms.describeKey({ keyId: f.keyId })).keyMetadata
  const versions = (await kms.listKeyVersions({ keyId: f.keyId, pageSize: 100 })).keyVersions
  const tags = (await kms.listResourceTags({ keyId: f.keyId })).tags
  const aliases = (await kms.listAliases({ pageSize: 100 })).aliases
  const other = (await kms.describeKey({ keyId: f.otherKeyId })).keyMetadata
  return { key, versions, tags, aliases, other }
}

/** What an allowed call must have done (checked for the calls whose effect is easy to state). */
async function checkEffect(operation: KeyOperation, f: Fixture, result: unknown, role: 'source' | 'destination'): Promise<void> {
  const state = async (): Promise<KeyState> => (await f.kms.describeKey({ keyId: f.keyId })).keyMetadata.keyState
  switch (operation) {
    case 'enableKey':
      expect(await state()).toBe('Enabled')
      break
    case 'disableKey':
      expect(await state()).toBe('Disabled')
      break
    case 'scheduleKeyDeletion':
      expect(await state()).toBe('PendingDeletion')
      break
    case 'cancelKeyDeletion':
      // The reference model returns a cancelled key to Enabled; a key without material to PendingImport.
      expect(await state()).toBe('Enabled')
      break
    case 'decrypt':
      expect((result as { plaintext: Uint8Array }).plaintext).toEqual(PLAINTEXT)
      break
    case 'reEncrypt': {
      const { ciphertextBlob, keyId } = result as { ciphertextBlob: Uint8Array; keyId: string }
      expect(keyId).toBe(role === 'source' ? f.otherKeyId : f.keyId)
      const back = await f.kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })
      expect(back.plaintext).toEqual(PLAINTEXT)
      break
    }
    case 'encrypt': {
      const back = await f.kms.decrypt({ ciphertextBlob: (result as { ciphertextBlob: Uint8Array }).ciphertextBlob, encryptionContext: CONTEXT })
      expect(back.plaintext).toEqual(PLAINTEXT)
      break
    }
    case 'createAlias':
      expect((await f.kms.describeKey({ keyId: FRESH_ALIAS })).keyMetadata.keyId).toBe(f.keyId)
      break
    case 'updateAlias':
      expect((await f.kms.listAliasesByKeyId({ keyId: f.keyId })).aliases.map((a) => a.aliasName)).toContain(OTHER_ALIAS)
      expect((await f.kms.listAliasesByKeyId({ keyId: f.otherKeyId })).aliases).toEqual([])
      break
    case 'deleteAlias':
      expect((await f.kms.listAliasesByKeyId({ keyId: f.keyId })).aliases).toEqual([])
      expect((await f.kms.listAliases()).aliases.map((a) => a.aliasName)).toEqual([OTHER_ALIAS])
      break
    default:
      break
  }
}

function title(operation: string, state: KeyState, rule: StateRule, expected: Outcome): string {
  const detail = rule === 'allowed' && expected !== 'allowed' ? ` (reaches the next check: ${expected})` : ''
  return `${operation} in ${state} → ${rule}${detail}`
}

describe('KEY_OPERATION_RULES', () => {
  it('has a row for every public key-taking method of Kms, and no other', () => {
    expect(Object.keys(KEY_OPERATION_RULES).sort()).toEqual([...KEY_TAKING_METHODS].sort())
  })

  it('classifies every public method of Kms as key-taking or keyless (a new method must be added to one list)', () => {
    const methods = Object.getOwnPropertyNames(Kms.prototype).filter((name) => name !== 'constructor')
    expect(methods.sort()).toEqual([...KEY_TAKING_METHODS, ...KEYLESS_METHODS].sort())
  })

  it('gives every operation a rule in every state, and each rule is `allowed` or a registered error code', () => {
    for (const [operation, rules] of Object.entries(KEY_OPERATION_RULES)) {
      expect(Object.keys(rules).sort(), operation).toEqual([...KEY_STATES].sort())
      for (const rule of Object.values(rules) as StateRule[]) {
        expect(rule === 'allowed' || Object.hasOwn(ERROR_CODES, rule), `${operation}: ${rule}`).toBe(true)
      }
    }
  })
})

describe('every operation in every state', () => {
  const rows: { name: string; operation: KeyOperation; call: Call; role: 'source' | 'destination' }[] = []
  for (const operation of Object.keys(KEY_OPERATION_RULES) as KeyOperation[]) {
    rows.push({ name: operation === 'reEncrypt' ? 'reEncrypt (key as source)' : operation, operation, call: CALLS[operation], role: 'source' })
  }
  rows.push({ name: 'reEncrypt (key as destination)', operation: 'reEncrypt', call: reEncryptAsDestination, role: 'destination' })

  for (const cold of [false, true]) {
    describe(cold ? 'cold engine (key not cached: slow path)' : 'warm engine (key cached: hot path)', () => {
      for (const state of KEY_STATES) {
        describe(state, () => {
          for (const { name, operation, call, role } of rows) {
            const rule: StateRule = KEY_OPERATION_RULES[operation][state]
            const expected: Outcome = rule === 'allowed' ? allowedOutcome(operation, state, role) : rule
            it(title(name, state, rule, expected), async () => {
              const f = await fixture(state, cold)
              const before = await snapshot(f)
              let result: unknown
              const outcome = await outcomeOf(call(f).then((r) => { result = r }))
              expect(outcome).toBe(expected)
              if (expected === 'allowed') await checkEffect(operation, f, result, role)
              // No partial writes: a rejected call changes nothing.
              else expect(await snapshot(f)).toEqual(before)
              await closeFixture(f)
            })
          }
        })
      }
    })
  }
})

async function engine(): Promise<{ kms: Kms; clock: ManualClock }> {
  const clock = new ManualClock(START)
  return { kms: await Kms.open({ storage: memoryStorage(), clock }), clock }
}

async function codeOf(call: Promise<unknown>): Promise<string> {
  const outcome = await outcomeOf(call)
  if (outcome === 'allowed') throw new Error('expected a rejection, the call resolved')
  return outcome
}

describe('purge', () => {
  it('ends the key 7 days after scheduling: describeKey → Forbidden.KeyNotFound, old blobs → InvalidCiphertext, aliases gone', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId })
    await kms.createAlias({ aliasName: 'alias/kept', keyId: keep })
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: PLAINTEXT })
    const purged: string[] = []
    kms.events.on('keyPurged', (e) => purged.push(e.keyId))

    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    const { deleteDate } = (await kms.describeKey({ keyId })).keyMetadata
    expect(deleteDate).toBe('2026-01-08T00:00:00Z')

    clock.advance(7 * DAY_MS - 1)
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    clock.advance(2) // 7 days + 1 ms
    expect(await codeOf(kms.describeKey({ keyId }))).toBe('Forbidden.KeyNotFound')
    expect(purged).toEqual([keyId])
    expect(await codeOf(kms.decrypt({ ciphertextBlob }))).toBe('InvalidCiphertext')
    expect((await kms.listAliases()).aliases.map((a) => a.aliasName)).toEqual(['alias/kept'])
    expect(await codeOf(kms.describeKey({ keyId: 'alias/doomed' }))).toBe('Forbidden.AliasNotFound')
    expect((await kms.listKeys()).keys.map((k) => k.keyId)).toEqual([keep])
    // The purged key's alias name is free again.
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: keep })
    await kms.close()
  })

  it('a key whose window has ended cannot be cancelled any more: it counts as gone', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS)
    expect(await codeOf(kms.cancelKeyDeletion({ keyId }))).toBe('Forbidden.KeyNotFound')
    await kms.close()
  })

  it('maintenance() purges a key nobody touches and reports it in `purged`', async () => {
    const { kms, clock } = await engine()
    const doomed = (await kms.createKey()).keyMetadata.keyId
    const later = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: doomed })
    await kms.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    await kms.scheduleKeyDeletion({ keyId: later, pendingWindowInDays: 30 })
    clock.advance(7 * DAY_MS + 1)
    expect(await kms.maintenance()).toEqual({ purged: [doomed], rotated: [] })
    expect(await kms.maintenance()).toEqual({ purged: [], rotated: [] })
    expect((await kms.listKeys()).keys.map((k) => k.keyId).sort()).toEqual([later, keep].sort())
    expect((await kms.listAliases()).aliases).toEqual([])
    expect((await kms.describeKey({ keyId: later })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.close()
  })

  // BUG (kms.ts `listAliases`): it lists alias records without settling due purges, so an
  // alias of a key whose window has ended is still listed until something touches the key
  // (listKeys, in contrast, purges first). Remove `.fails` once listAliases purges due keys.
  it('listAliases does not list the alias of a key whose window has ended, even before anything touches the key', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS + 1)
    expect((await kms.listAliases()).aliases).toEqual([])
    await kms.close()
  })

  // BUG (kms.ts `createAlias`): same cause — the alias record of a key whose window has
  // ended still blocks its name (AlreadyExists) until something touches the key, although
  // updateAlias can already move it and describeKey through it says Forbidden.KeyNotFound.
  it('the alias name of a key whose window has ended is free for createAlias', async () => {
    const { kms, clock } = await engine()
    const doomed = (await kms.createKey()).keyMetadata.keyId
    const keep = (await kms.createKey()).keyMetadata.keyId
    await kms.createAlias({ aliasName: 'alias/doomed', keyId: doomed })
    await kms.scheduleKeyDeletion({ keyId: doomed, pendingWindowInDays: 7 })
    clock.advance(7 * DAY_MS + 1)
    try {
      await kms.createAlias({ aliasName: 'alias/doomed', keyId: keep })
    } finally {
      await kms.close()
    }
  })
})

describe('cancelKeyDeletion', () => {
  it('returns an Enabled key to Enabled and its blobs decrypt again', async () => {
    const { kms, clock } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: PLAINTEXT, encryptionContext: CONTEXT })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect(await codeOf(kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT }))).toBe('Rejected.InvalidState')
    clock.advance(7 * DAY_MS - 1)
    await kms.cancelKeyDeletion({ keyId })
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('Enabled')
    expect(keyMetadata.deleteDate).toBeUndefined()
    expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
    // The window is gone for good: time passing no longer purges it.
    clock.advance(30 * DAY_MS)
    expect((await kms.maintenance()).purged).toEqual([])
    expect((await kms.decrypt({ ciphertextBlob, encryptionContext: CONTEXT })).plaintext).toEqual(PLAINTEXT)
    await kms.close()
  })

  it('returns a key that was Disabled before scheduling to Enabled (the reference model\'s rule)', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.disableKey({ keyId })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    await kms.cancelKeyDeletion({ keyId })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Enabled')
    await kms.close()
  })

  it('returns an EXTERNAL key without material to PendingImport', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.cancelKeyDeletion({ keyId })
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('PendingImport')
    expect(keyMetadata.deleteDate).toBeUndefined()
    await kms.close()
  })
})

describe('deletion protection', () => {
  it('blocks scheduleKeyDeletion with Forbidden.DeletionProtected until it is turned off', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey()).keyMetadata.keyId
    await kms.setDeletionProtection({ keyId, enableDeletionProtection: true, deletionProtectionDescription: 'prod' })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    const { keyMetadata } = await kms.describeKey({ keyId })
    expect(keyMetadata.keyState).toBe('Enabled')
    expect(keyMetadata.deletionProtection).toBe('Enabled')
    expect(keyMetadata.deletionProtectionDescription).toBe('prod')

    await kms.disableKey({ keyId })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')

    await kms.setDeletionProtection({ keyId, enableDeletionProtection: false })
    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('PendingDeletion')
    await kms.close()
  })

  it('also protects an EXTERNAL key in PendingImport', async () => {
    const { kms } = await engine()
    const keyId = (await kms.createKey({ origin: 'EXTERNAL' })).keyMetadata.keyId
    await kms.setDeletionProtection({ keyId, enableDeletionProtection: true })
    expect(await codeOf(kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 }))).toBe('Forbidden.DeletionProtected')
    await kms.close()
  })
})
