/**
 * The engine itself on the adapter under test: `Kms.open` with a raw root key, then a
 * key's life through the public API — create, rotate, encrypt, reopen, decrypt — and the
 * records beside it (aliases, identity and key policies, the audit trail). An adapter can
 * pass every record-level test and still lose something the engine relies on; this is
 * where that shows.
 *
 * ```ts
 * engineTests(harness(runner, { factory, reopen, shared }))
 * ```
 *
 * "Reopen" closes the engine and, when the manifest says `durable` and a `reopen` factory
 * was given, the store too, then opens both again; otherwise a new engine opens on the
 * same adapter object (what a non-durable store can still promise).
 */

import { Kms, KmsError, rawRootKey, type KmsErrorCode, type StorageAdapter } from '@strongroom/core'
import { expect } from '../expect.js'
import { bytes, itIf, text, type Harness } from '../harness.js'

/** A fixed root key: the test data is not secret, and reopening needs the same key. */
const ROOT_KEY = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1)

function openEngine(storage: StorageAdapter): Promise<Kms> {
  // The suite closes the adapters it opened; the engine must leave them open for reopening.
  return Kms.open({ storage, rootKey: rawRootKey(ROOT_KEY.slice()), closeStorage: false })
}

async function rejectsWith(action: Promise<unknown>, code: KmsErrorCode): Promise<void> {
  let error: unknown
  try {
    await action
  } catch (caught) {
    error = caught
  }
  expect(KmsError.is(error, code) ? code : String(error ?? 'success'), `expected KmsError '${code}'`).toBe(code)
}

export function engineTests(h: Harness): void {
  const { describe, it } = h.runner

  /** Closes the engine, reopens the store when it is durable (and can be reopened), opens a new engine. */
  async function reopen(kms: Kms, storage: StorageAdapter): Promise<{ kms: Kms; storage: StorageAdapter }> {
    await kms.close()
    const next = storage.manifest.durable && h.reopen !== undefined ? await h.reopen(storage) : storage
    return { kms: await openEngine(next), storage: next }
  }

  describe('the engine on this adapter', () => {
    it('create, rotate, encrypt, reopen, decrypt: every version still decrypts, the primary moved', async () => {
      let storage = await h.open()
      let kms = await openEngine(storage)
      const { keyMetadata } = await kms.createKey({ description: 'conformance' })
      const keyId = keyMetadata.keyId
      const context = { suite: 'storage-conformance' }
      const first = await kms.encrypt({ keyId, plaintext: bytes('before rotation'), encryptionContext: context })
      const { keyVersion } = await kms.createKeyVersion({ keyId })
      const second = await kms.encrypt({ keyId, plaintext: bytes('after rotation'), encryptionContext: context })
      expect(second.keyVersionId).toBe(keyVersion.keyVersionId)
      expect(first.keyVersionId === second.keyVersionId, 'rotation changes the primary version').toBe(false)

      ;({ kms, storage } = await reopen(kms, storage))
      try {
        expect(text((await kms.decrypt({ ciphertextBlob: first.ciphertextBlob, encryptionContext: context })).plaintext)).toBe('before rotation')
        const decrypted = await kms.decrypt({ ciphertextBlob: second.ciphertextBlob, encryptionContext: context })
        expect({ text: text(decrypted.plaintext), keyVersionId: decrypted.keyVersionId }).toEqual({ text: 'after rotation', keyVersionId: keyVersion.keyVersionId })
        expect((await kms.encrypt({ keyId, plaintext: bytes('x') })).keyVersionId).toBe(keyVersion.keyVersionId)
        expect((await kms.listKeyVersions({ keyId })).totalCount).toBe(2)
        expect((await kms.describeKey({ keyId })).keyMetadata.description).toBe('conformance')
        await rejectsWith(kms.decrypt({ ciphertextBlob: first.ciphertextBlob, encryptionContext: { suite: 'other' } }), 'InvalidCiphertext')
        expect((await kms.audit.verify()).ok).toBe(true)
      } finally {
        await kms.close()
      }
    })

    it('aliases, identity policies and key policies round-trip; a disabled key stays disabled', async () => {
      let storage = await h.open()
      let kms = await openEngine(storage)
      const keyId = (await kms.createKey()).keyMetadata.keyId
      const retired = (await kms.createKey()).keyMetadata.keyId
      await kms.createAlias({ aliasName: 'alias/conformance', keyId })
      await kms.createPolicy({ policyName: 'encrypt-only', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } })
      await kms.attachPolicy({ policyName: 'encrypt-only', principal: 'alice' })
      await kms.setKeyPolicy({ keyId, policy: { Version: '1', Statement: [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*', Principal: { RAM: ['alice'] } }] } })
      await kms.disableKey({ keyId: retired })

      ;({ kms, storage } = await reopen(kms, storage))
      try {
        expect((await kms.describeKey({ keyId: 'alias/conformance' })).keyMetadata.keyId).toBe(keyId)
        expect((await kms.listAliases()).aliases.map((a) => a.aliasName)).toEqual(['alias/conformance'])
        expect((await kms.listPoliciesForPrincipal({ principal: 'alice' })).policies.map((p) => p.policyName)).toEqual(['encrypt-only'])
        expect((await kms.getKeyPolicy({ keyId })).policy === undefined, 'the key policy survived').toBe(false)
        const alice = kms.as('alice')
        const { ciphertextBlob } = await alice.encrypt({ keyId: 'alias/conformance', plaintext: bytes('for alice') })
        await rejectsWith(alice.decrypt({ ciphertextBlob }), 'Forbidden.NoPermission')
        await rejectsWith(kms.as('bob').encrypt({ keyId, plaintext: bytes('x') }), 'Forbidden.NoPermission')
        expect(text((await kms.decrypt({ ciphertextBlob })).plaintext)).toBe('for alice')
        expect((await kms.describeKey({ keyId: retired })).keyMetadata.keyState).toBe('Disabled')
        await rejectsWith(kms.encrypt({ keyId: retired, plaintext: bytes('x') }), 'Rejected.Disabled')
        await kms.updateAlias({ aliasName: 'alias/conformance', keyId: retired })
        expect((await kms.describeKey({ keyId: 'alias/conformance' })).keyMetadata.keyId).toBe(retired)
      } finally {
        await kms.close()
      }
    })

    itIf(h, h.shared !== undefined, 'no shared() factory given', 'two engines on two instances of one store: a disable, a rotation and an alias move are seen by the other', async () => {
      const [one, two] = await h.shared!()
      const a = await openEngine(one)
      const b = await openEngine(two)
      try {
        const keyId = (await a.createKey()).keyMetadata.keyId
        const other = (await a.createKey()).keyMetadata.keyId
        await a.createAlias({ aliasName: 'alias/moving', keyId })
        // b loads (and caches) the key and the alias before a changes them.
        const before = await b.encrypt({ keyId: 'alias/moving', plaintext: bytes('cached') })
        const { keyVersion } = await a.createKeyVersion({ keyId })
        expect((await b.encrypt({ keyId, plaintext: bytes('rotated') })).keyVersionId).toBe(keyVersion.keyVersionId)
        await a.updateAlias({ aliasName: 'alias/moving', keyId: other })
        expect((await b.encrypt({ keyId: 'alias/moving', plaintext: bytes('moved') })).keyId).toBe(other)
        await a.disableKey({ keyId })
        await rejectsWith(b.encrypt({ keyId, plaintext: bytes('refused') }), 'Rejected.Disabled')
        await rejectsWith(b.decrypt({ ciphertextBlob: before.ciphertextBlob }), 'Rejected.Disabled')
      } finally {
        await b.close()
        await a.close()
      }
    })
  })
}
