/**
 * The engine. `Kms.open` unlocks (or initialises) a keystore on the given storage and
 * returns an object with the reference model's operations.
 *
 * ```ts
 * const kms = await Kms.open({ storage: memoryStorage() })
 * const { keyMetadata } = await kms.createKey({ description: 'orders' })
 * const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext, encryptionContext: { tenant: 'acme' } })
 * const { plaintext: back } = await kms.decrypt({ ciphertextBlob, encryptionContext: { tenant: 'acme' } })
 * await kms.close()
 * ```
 *
 * Every method validates its request before touching storage, runs pure transitions
 * (transitions.ts) inside a transaction (key-store.ts), emits lifecycle events after the
 * commit, and fails with a KmsError whose code is in errors.ts.
 *
 * This class is the public face only: each method is one call into the dispatcher
 * (engine/dispatcher.ts), which runs the operation's handler from its family module
 * (operations/index.ts names them) and audits the call. Opening a keystore is
 * engine/open.ts; loading keys for operations is engine/key-access.ts.
 */
import type * as api from './api.js'
import type { AuditVerification } from './audit.js'
import { backupKeystore, type BackupOptions } from './backup.js'
import { Call, OPERATIONS, type OperationName } from './call.js'
import { auditAdministration, type AuditAnchor, type KmsAudit } from './engine/audit-admin.js'
import { KeyAccess } from './engine/key-access.js'
import { changeRootKey } from './engine/root-key-change.js'
import { KmsError } from './errors.js'
import { openKeystore, type KmsOptions, type OpenedKeystore } from './engine/open.js'
import type { KmsEventEmitter } from './events.js'
import { operationHandlers } from './operations/index.js'
import { maintenance as runMaintenance } from './operations/maintenance.js'
import { ROOT_PRINCIPAL, SYSTEM_PRINCIPAL, assertPrincipalName } from './policy-store.js'
import type { RootKeyProvider } from './root-key.js'
import type { StoreVerification } from './sealed-storage.js'
import { requestObject } from './validate.js'

export type { AuditAnchor, KmsAudit, KmsOptions }
export { MAX_ENCRYPT_PLAINTEXT_BYTES } from './operations/cryptography.js'

/** The same operations as `Kms`, bound to one principal: what `kms.as(principal)` returns. */
export type KmsClient = Pick<Kms, OperationName> & { readonly principal: string }

/** What `kms.verify()` found: the sealed records (and their freshness) and the audit trail. */
export interface KmsVerification {
  readonly ok: boolean
  readonly records: StoreVerification
  /** Absent when auditing is off. */
  readonly audit?: AuditVerification
}

export class Kms {
  /** Lifecycle events; see events.ts. */
  readonly events: KmsEventEmitter
  readonly region: string
  readonly accountId: string
  /** The trail's administration (query, export, verify, prune, flush); owner only. */
  readonly audit: KmsAudit
  readonly #engine: KeyAccess
  readonly #closeStorage: boolean
  /** The adapter under the barrier and the root key provider, for backups (a root-key change replaces the provider). */
  #raw: OpenedKeystore['raw']
  #timer: ReturnType<typeof setInterval> | undefined

  private constructor(options: KmsOptions, opened: OpenedKeystore) {
    const engine = new KeyAccess(options, opened)
    engine.bind(operationHandlers(engine))
    this.#engine = engine
    this.events = engine.events
    this.region = engine.region
    this.accountId = engine.accountId
    this.#closeStorage = options.closeStorage ?? true
    this.#raw = opened.raw
    this.audit = auditAdministration(engine)
    // A change another process began and this open finished is an act of the engine itself.
    if (opened.finishedRootKeyChange === true) engine.record(new Call('ChangeRootKey', SYSTEM_PRINCIPAL, engine.requestId(), engine.clock.now()))
    if (options.maintenanceIntervalMs !== undefined) {
      const onError = options.onMaintenanceError
      let running = false
      this.#timer = setInterval(() => {
        // One run at a time: with slow storage, runs would otherwise pile up (each scanning every key).
        if (running) return
        running = true
        this.maintenance().catch((error: unknown) => onError?.(error)).finally(() => {
          running = false
        })
      }, options.maintenanceIntervalMs)
      // An embedded engine must never be the reason a process stays alive.
      ;(this.#timer as { unref?: () => void }).unref?.()
    }
  }

  /**
   * Opens an engine on `storage`: unlocks the keystore with `rootKey`, or initialises the
   * store on first use. A wrong root key fails with RootKeyMismatch and writes nothing.
   */
  static async open(options: KmsOptions): Promise<Kms> {
    requestObject(options, 'Kms.open')
    const { storage } = options
    if (storage === null || typeof storage !== 'object' || typeof storage.commit !== 'function') {
      throw new TypeError('Kms.open needs a storage adapter (e.g. memoryStorage())')
    }
    try {
      return new Kms(options, await openKeystore(storage, options))
    } catch (error) {
      // The engine was handed the storage: a failed open must not leave it (and a LevelDB
      // lock) held. The open error is the one the caller needs; a close error would hide it.
      if (options.closeStorage ?? true) await storage.close().catch(() => undefined)
      throw error
    }
  }

  // ---------------------------------------------------------------- the API (as the owner, root)

  /** Creates a customer master key (CMK); `origin: 'EXTERNAL'` makes one awaiting imported material. */
  createKey(request: api.CreateKeyRequest = {}): Promise<api.KeyMetadataResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createKey', request)
  }

  /** The key's metadata, with `lastUsedDate` from the audit trail. */
  describeKey(request: api.KeyRequest): Promise<api.KeyMetadataResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'describeKey', request)
  }

  /** Keys in id order, a page at a time (by `pageNumber` or `marker`); keys whose pending window has ended are hidden until maintenance purges them. */
  listKeys(request: api.Paging = {}): Promise<api.ListKeysResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listKeys', request)
  }

  updateKeyDescription(request: api.UpdateKeyDescriptionRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateKeyDescription', request)
  }

  enableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'enableKey', request)
  }

  /** Disabled keys refuse every cryptographic operation until enabled again. */
  disableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'disableKey', request)
  }

  /** Purges the key after `pendingWindowInDays` (7-366) unless cancelled; until then it cannot be used. */
  scheduleKeyDeletion(request: api.ScheduleKeyDeletionRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'scheduleKeyDeletion', request)
  }

  cancelKeyDeletion(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'cancelKeyDeletion', request)
  }

  setDeletionProtection(request: api.SetDeletionProtectionRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'setDeletionProtection', request)
  }

  /** Needs no permission, as in the reference model. */
  describeRegions(): Promise<api.DescribeRegionsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'describeRegions', undefined)
  }

  /** Encrypts up to 6 KiB under the key's primary version, bound to the encryption context. */
  encrypt(request: api.EncryptRequest): Promise<api.EncryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'encrypt', request)
  }

  /** Needs only the blob and the same encryption context; any mismatch is InvalidCiphertext. */
  decrypt(request: api.DecryptRequest): Promise<api.DecryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'decrypt', request)
  }

  /** Moves a ciphertext to another key (or context) without the plaintext leaving the engine. */
  reEncrypt(request: api.ReEncryptRequest): Promise<api.ReEncryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'reEncrypt', request)
  }

  /** A data key in the clear and wrapped under the key, for envelope encryption. */
  generateDataKey(request: api.GenerateDataKeyRequest): Promise<api.GenerateDataKeyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateDataKey', request)
  }

  generateDataKeyWithoutPlaintext(request: api.GenerateDataKeyRequest): Promise<api.EncryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateDataKeyWithoutPlaintext', request)
  }

  /** A fresh asymmetric key pair: the public key, and the private key in the clear and encrypted under the key. */
  generateDataKeyPair(request: api.GenerateDataKeyPairRequest): Promise<api.GenerateDataKeyPairResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateDataKeyPair', request)
  }

  /** Like generateDataKeyPair, but the private key only encrypted (decrypt it later, where it is used). */
  generateDataKeyPairWithoutPlaintext(request: api.GenerateDataKeyPairRequest): Promise<api.GenerateDataKeyPairWithoutPlaintextResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateDataKeyPairWithoutPlaintext', request)
  }

  /** Rotates now: a new primary version; older versions still decrypt. */
  createKeyVersion(request: api.KeyRequest): Promise<api.KeyVersionResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createKeyVersion', request)
  }

  listKeyVersions(request: api.ListKeyVersionsRequest): Promise<api.ListKeyVersionsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listKeyVersions', request)
  }

  describeKeyVersion(request: api.DescribeKeyVersionRequest): Promise<api.KeyVersionResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'describeKeyVersion', request)
  }

  updateRotationPolicy(request: api.UpdateRotationPolicyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateRotationPolicy', request)
  }

  createAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createAlias', request)
  }

  updateAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateAlias', request)
  }

  deleteAlias(request: api.AliasRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'deleteAlias', request)
  }

  listAliases(request: api.Paging = {}): Promise<api.ListAliasesResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listAliases', request)
  }

  listAliasesByKeyId(request: api.ListAliasesByKeyIdRequest): Promise<api.ListAliasesResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listAliasesByKeyId', request)
  }

  /** Tags a key (`keyId`) or, as in the reference model, a secret (`secretName`). */
  tagResource(request: api.TagResourceRequest | api.TagSecretRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'tagResource', request)
  }

  untagResource(request: api.UntagResourceRequest | api.UntagSecretRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'untagResource', request)
  }

  listResourceTags(request: api.KeyRequest): Promise<api.ListResourceTagsResponse>
  listResourceTags(request: api.SecretRequest): Promise<api.ListSecretTagsResponse>
  listResourceTags(request: api.KeyRequest | api.SecretRequest): Promise<api.ListResourceTagsResponse | api.ListSecretTagsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listResourceTags', request)
  }

  /** Sets the key policy, evaluated together with the caller's identity policies. */
  setKeyPolicy(request: api.SetKeyPolicyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'setKeyPolicy', request)
  }

  getKeyPolicy(request: api.KeyRequest): Promise<api.GetKeyPolicyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getKeyPolicy', request)
  }

  /**
   * Grants one principal some of a key's operations (AWS KMS grants; see operations/grants.ts).
   * Returns the grant id and a grant token that any call may carry in `grantTokens`.
   */
  createGrant(request: api.CreateGrantRequest): Promise<api.CreateGrantResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createGrant', request)
  }

  /** A key's grants, optionally one grant or one grantee's; `limit` and `cursor` page. */
  listGrants(request: api.ListGrantsRequest): Promise<api.ListGrantsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listGrants', request)
  }

  /** Every grant that names this retiring principal, across keys. */
  listRetirableGrants(request: api.ListRetirableGrantsRequest): Promise<api.ListGrantsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listRetirableGrants', request)
  }

  /** Ends a grant, by its token or by key and grant id (the retiring principal's or the grantee's way). */
  retireGrant(request: api.RetireGrantRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'retireGrant', request)
  }

  /** Ends a grant (the key manager's way, authorized by policy). */
  revokeGrant(request: api.RevokeGrantRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'revokeGrant', request)
  }

  /** Stores an identity policy (validated; a malformed one is refused and nothing is stored). */
  createPolicy(request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createPolicy', request)
  }

  updatePolicy(request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updatePolicy', request)
  }

  getPolicy(request: api.PolicyNameRequest): Promise<api.PolicyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getPolicy', request)
  }

  deletePolicy(request: api.PolicyNameRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'deletePolicy', request)
  }

  listPolicies(request: api.Paging = {}): Promise<api.ListPoliciesResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listPolicies', request)
  }

  /** Grants a principal what the policy allows (and denies what it denies). */
  attachPolicy(request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'attachPolicy', request)
  }

  detachPolicy(request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'detachPolicy', request)
  }

  listPoliciesForPrincipal(request: api.PrincipalRequest): Promise<api.ListPoliciesResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listPoliciesForPrincipal', request)
  }

  /** Signs a digest (SHA-256, the reference model's input) or a message with an asymmetric SIGN/VERIFY key. */
  asymmetricSign(request: api.AsymmetricSignRequest): Promise<api.AsymmetricSignResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'asymmetricSign', request)
  }

  asymmetricVerify(request: api.AsymmetricVerifyRequest): Promise<api.AsymmetricVerifyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'asymmetricVerify', request)
  }

  /** RSA-OAEP under an RSA ENCRYPT/DECRYPT key; standard ciphertext any RSA tool can produce from the public key. */
  asymmetricEncrypt(request: api.AsymmetricEncryptRequest): Promise<api.AsymmetricEncryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'asymmetricEncrypt', request)
  }

  asymmetricDecrypt(request: api.AsymmetricDecryptRequest): Promise<api.AsymmetricDecryptResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'asymmetricDecrypt', request)
  }

  /** The public key of an asymmetric key version, as PEM and as SubjectPublicKeyInfo DER. */
  getPublicKey(request: api.GetPublicKeyRequest): Promise<api.GetPublicKeyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getPublicKey', request)
  }

  generateMac(request: api.GenerateMacRequest): Promise<api.GenerateMacResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateMac', request)
  }

  /** Constant-time check of a MAC, under any version of the key unless one is named. */
  verifyMac(request: api.VerifyMacRequest): Promise<api.VerifyMacResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'verifyMac', request)
  }

  /** Hands a data key to the holder of an RSA public key without exposing it to the caller. */
  exportDataKey(request: api.ExportDataKeyRequest): Promise<api.ExportDataKeyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'exportDataKey', request)
  }

  generateAndExportDataKey(request: api.GenerateAndExportDataKeyRequest): Promise<api.GenerateAndExportDataKeyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateAndExportDataKey', request)
  }

  /** 1-1024 random bytes from the engine's CSPRNG. */
  generateRandom(request: api.GenerateRandomRequest): Promise<api.GenerateRandomResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'generateRandom', request)
  }

  getRandomPassword(request: api.GetRandomPasswordRequest = {}): Promise<api.GetRandomPasswordResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getRandomPassword', request)
  }

  /** BYOK: a wrapping public key and a 24-hour import token for an EXTERNAL key. */
  getParametersForImport(request: api.GetParametersForImportRequest): Promise<api.GetParametersForImportResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getParametersForImport', request)
  }

  importKeyMaterial(request: api.ImportKeyMaterialRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'importKeyMaterial', request)
  }

  deleteKeyMaterial(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'deleteKeyMaterial', request)
  }

  // ---------------------------------------------------------------- secrets

  /** Creates a secret with its first version (ACSCurrent), sealed under `encryptionKeyId` or the default secrets key. */
  createSecret(request: api.CreateSecretRequest): Promise<api.CreateSecretResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'createSecret', request)
  }

  /** A version's value: by `versionId`, by `versionStage`, or ACSCurrent. */
  getSecretValue(request: api.GetSecretValueRequest): Promise<api.GetSecretValueResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getSecretValue', request)
  }

  /** A new version (ACSCurrent unless `versionStages` says otherwise); idempotent for the same id and value. */
  putSecretValue(request: api.PutSecretValueRequest): Promise<api.PutSecretValueResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'putSecretValue', request)
  }

  /** Moves a stage between versions in one commit. */
  updateSecretVersionStage(request: api.UpdateSecretVersionStageRequest): Promise<api.SecretNameResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateSecretVersionStage', request)
  }

  listSecretVersionIds(request: api.ListSecretVersionIdsRequest): Promise<api.ListSecretVersionIdsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listSecretVersionIds', request)
  }

  describeSecret(request: api.SecretRequest): Promise<api.DescribeSecretResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'describeSecret', request)
  }

  updateSecret(request: api.UpdateSecretRequest): Promise<api.SecretNameResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateSecret', request)
  }

  /** Secrets in name order, a page (and `nextToken`) at a time, optionally filtered. */
  listSecrets(request: api.ListSecretsRequest = {}): Promise<api.ListSecretsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listSecrets', request)
  }

  /** Purged after a 7-30 day recovery window (restoreSecret cancels it), or at once with `forceDeleteWithoutRecovery`. */
  deleteSecret(request: api.DeleteSecretRequest): Promise<api.DeleteSecretResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'deleteSecret', request)
  }

  restoreSecret(request: api.SecretRequest): Promise<api.SecretNameResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'restoreSecret', request)
  }

  /** Makes the next value with the `secretRotation` function (a `Kms.open` option); stages move only if it succeeds. */
  rotateSecret(request: api.RotateSecretRequest): Promise<api.RotateSecretResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'rotateSecret', request)
  }

  /** Automatic rotation every 6 hours to 365 days, run by `maintenance()`. */
  updateSecretRotationPolicy(request: api.UpdateSecretRotationPolicyRequest): Promise<api.SecretNameResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'updateSecretRotationPolicy', request)
  }

  /**
   * A client with this engine's API, bound to `principal`: every call is authorized against
   * the principal's identity policies and the key's policy (least privilege), and audited
   * under its name. The owner (calls on `kms` itself) is never restricted.
   */
  as(principal: string): KmsClient {
    this.#engine.assertOpen()
    assertPrincipalName(principal)
    const engine = this.#engine
    const client: Record<string, unknown> = { principal }
    for (const name of Object.keys(OPERATIONS) as OperationName[]) {
      client[name] = (request?: unknown) => engine.invoke(principal, name, request)
    }
    return Object.freeze(client) as KmsClient
  }

  // ---------------------------------------------------------------- verification and maintenance

  /**
   * Checks the whole store: every record's seal, that the records are the latest ones
   * written (the store digest catches a record rolled back to an older genuine copy, deleted
   * or copied in), and the audit trail (against `anchor` when given). Reads every record.
   */
  /**
   * The whole keystore as one encrypted, authenticated stream (see backup.ts for the format
   * and `restoreKeystore` to load it into an empty store on any adapter): under this
   * engine's root key, or a separate `passphrase`. Pending audit records are committed
   * first; a change committed while the stream is read ends it with Conflict (take the
   * backup again), so what is restored is always one consistent moment.
   */
  async backup(options: Omit<BackupOptions, 'storage' | 'rootKey' | 'crypto' | 'random' | 'clock'> = {}): Promise<AsyncGenerator<Uint8Array, void, undefined>> {
    this.#engine.assertOpen()
    requestObject(options, 'backup')
    await this.audit.flush().catch(() => undefined)
    await this.#engine.keys.drain()
    const { random, clock } = this.#engine
    const { crypto } = this.#engine.material
    return backupKeystore({ ...options, ...this.#raw, crypto, random, clock })
  }

  /**
   * Changes the root key to the one `rootKey` makes (`rootKey.create` is called once): every
   * key's material is re-wrapped and every record re-sealed under it, a page at a time,
   * crash-safely — a process killed at any point leaves a store that opens under the old or
   * the new key, and the open finishes the change (see engine/root-key-change.ts). The
   * engine keeps working on the new key; calls that write wait until the change is done.
   * Owner only; recorded in the audit trail as `ChangeRootKey`. Returns the new key's
   * generation (how many times the store's root key has changed).
   */
  async changeRootKey(rootKey: RootKeyProvider): Promise<{ readonly generation: number }> {
    this.#engine.assertOpen()
    if (rootKey === null || typeof rootKey !== 'object' || typeof rootKey.kind !== 'string' || typeof rootKey.create !== 'function' || typeof rootKey.unlock !== 'function') {
      throw new TypeError('changeRootKey needs a root key provider (e.g. passphraseRootKey(newPassphrase))')
    }
    if (!rootKey.persistent && this.#engine.storage.manifest.durable) {
      throw new KmsError('InvalidParameter', 'an ephemeral root key on durable storage would make every key unrecoverable after close')
    }
    const result = await changeRootKey(this.#engine, rootKey)
    this.#raw = { storage: this.#raw.storage, rootKey }
    return result
  }

  async verify(options: { readonly anchor?: AuditAnchor } = {}): Promise<KmsVerification> {
    this.#engine.assertOpen()
    requestObject(options, 'verify')
    // In turn with this engine's commits, so none lands between the scan and the digest.
    const records = await this.#engine.keys.exclusive(() => this.#engine.storage.verify())
    const audit = this.#engine.audit === undefined ? undefined : await this.audit.verify(options)
    return { ok: records.ok && (audit?.ok ?? true), records, ...(audit === undefined ? {} : { audit }) }
  }

  /**
   * Purges every key whose pending window has ended and rotates every key whose
   * automatic rotation is due. Both also happen lazily when a key is used; call this
   * (or set `maintenanceIntervalMs`) so they happen for keys nobody touches.
   */
  async maintenance(): Promise<api.MaintenanceResult> {
    this.#engine.assertOpen()
    return runMaintenance(this.#engine)
  }

  /**
   * Waits for in-flight changes, wipes unwrapped material and the root key from memory,
   * and closes the storage (unless `closeStorage: false`). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#engine.closed) return
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#engine.close(this.#closeStorage)
  }
}
