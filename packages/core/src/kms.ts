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
 */
import type { AsymmetricEncryptionAlgorithm, CryptoProvider, HmacAlgorithm, SigningAlgorithm } from '@strongroom/crypto'
import {
  HMAC_ALGORITHMS, SIGNING_DIGEST_LENGTH, encryptionAlgorithms, publicKeyPem, rsaOaepMaxPlaintextLength, signingAlgorithms,
} from '@strongroom/crypto'
import type * as api from './api.js'
import type { AuditVerification } from './audit.js'
import { Call, OPERATIONS, type OperationName } from './call.js'
import { concatBytes, fromBase64, isUuid, toBase64, utf8Decode, utf8Encode, uuidV4FromRandom, wipe } from './bytes.js'
import { SECOND_MS, formatDate } from './clock.js'
import { encodeEncryptionContext } from './context.js'
import { KmsError } from './errors.js'
import { keyStateChange, type KmsEventEmitter } from './events.js'
import type { KeyEntry } from './key-entry.js'
import {
  KEY_SPEC_MATERIAL_BYTES, type AsymmetricKeySpec, type SymmetricKeySpec, primaryVersion, type KeyVersionRecord,
} from './key-record.js'
import { ROOT_PRINCIPAL, assertPrincipalName } from './policy-store.js'
import type { StoreVerification } from './sealed-storage.js'
import * as transitions from './transitions.js'
import type { KeyOperation } from './transitions.js'
import { booleanParam, bytesParam, integerParam, oneOf, optionalString, requestObject, stringParam } from './validate.js'

import { randomPassword } from './password.js'
import { auditAdministration, type AuditAnchor, type KmsAudit } from './engine/audit-admin.js'
import type { OperationHandlers } from './engine/context.js'
import { KeyAccess } from './engine/key-access.js'
import { openKeystore, type KmsOptions, type OpenedKeystore } from './engine/open.js'
import * as aliases from './operations/aliases.js'
import * as cryptography from './operations/cryptography.js'
import * as keys from './operations/keys.js'
import * as policies from './operations/policies.js'
import * as tags from './operations/tags.js'
import * as versions from './operations/versions.js'
import { dataKeyRequest, invalidCiphertext, openBlob } from './operations/ciphertext.js'
import { IMPORT_TOKEN_LIFETIME_MS, IMPORT_TOKEN_PREFIX, type ImportTokenRecord } from './operations/import-tokens.js'
import { cryptoCall } from './operations/provider-errors.js'

export type { AuditAnchor, KmsAudit, KmsOptions }
export { MAX_ENCRYPT_PLAINTEXT_BYTES } from './operations/cryptography.js'

/** Largest message asymmetricSign/Verify and generateMac/verifyMac take; sign longer ones by digest. */
const MAX_SIGNING_MESSAGE_BYTES = 4096
/** A caller's RSA public key to export a data key to. */
interface WrappingKey {
  readonly spki: Uint8Array
  readonly spec: AsymmetricKeySpec
  readonly algorithm: AsymmetricEncryptionAlgorithm
}

/** The same operations as `Kms`, bound to one principal: what `kms.as(principal)` returns. */
export type KmsClient = Pick<Kms, OperationName> & { readonly principal: string }

/** What `kms.verify()` found: the sealed records (and their freshness) and the audit trail. */
export interface KmsVerification {
  readonly ok: boolean
  readonly records: StoreVerification
  /** Absent when auditing is off. */
  readonly audit?: AuditVerification
}

/**
 * The version id imported material always has: derived from the key id (the first 16 bytes
 * of SHA-256 over a label and the id, shaped as a UUIDv4), never drawn at random. Fix: with
 * a random id, the same material imported into the same chosen key id in another engine
 * became another version, and ciphertexts (which name key and version) did not open there,
 * which is the point of BYOK into a fixed id for deterministic tests. Not a secret: a
 * version id is public, and this one says nothing about the material.
 */
function importedVersionId(crypto: CryptoProvider, keyId: string): string {
  return uuidV4FromRandom(crypto.sha256(utf8Encode(`strongroom/imported-version/v1\u0000${keyId}`)).slice(0, 16))
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
  #timer: ReturnType<typeof setInterval> | undefined

  private constructor(options: KmsOptions, opened: OpenedKeystore) {
    const engine = new KeyAccess(options, opened)
    engine.bind(this.#operationHandlers())
    this.#engine = engine
    this.events = engine.events
    this.region = engine.region
    this.accountId = engine.accountId
    this.#closeStorage = options.closeStorage ?? true
    this.audit = auditAdministration(engine)
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

  /** Keys in id order; keys whose pending window has ended are purged, not listed. */
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

  tagResource(request: api.TagResourceRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'tagResource', request)
  }

  untagResource(request: api.UntagResourceRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'untagResource', request)
  }

  listResourceTags(request: api.KeyRequest): Promise<api.ListResourceTagsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'listResourceTags', request)
  }

  /** Sets the key policy, evaluated together with the caller's identity policies. */
  setKeyPolicy(request: api.SetKeyPolicyRequest): Promise<api.KmsResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'setKeyPolicy', request)
  }

  getKeyPolicy(request: api.KeyRequest): Promise<api.GetKeyPolicyResponse> {
    return this.#engine.invoke(ROOT_PRINCIPAL, 'getKeyPolicy', request)
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

  /** Every operation's handler, by name; `Kms` methods and `as()` clients both dispatch through it. */
  #operationHandlers(): OperationHandlers {
    return {
      createKey: (c, r) => keys.createKey(this.#engine, c, r), describeKey: (c, r) => keys.describeKey(this.#engine, c, r),
      listKeys: (c, r) => keys.listKeys(this.#engine, c, r), updateKeyDescription: (c, r) => keys.updateKeyDescription(this.#engine, c, r),
      enableKey: (c, r) => keys.enableKey(this.#engine, c, r), disableKey: (c, r) => keys.disableKey(this.#engine, c, r),
      scheduleKeyDeletion: (c, r) => keys.scheduleKeyDeletion(this.#engine, c, r), cancelKeyDeletion: (c, r) => keys.cancelKeyDeletion(this.#engine, c, r),
      setDeletionProtection: (c, r) => keys.setDeletionProtection(this.#engine, c, r), describeRegions: (c) => keys.describeRegions(this.#engine, c),
      encrypt: (c, r) => cryptography.encrypt(this.#engine, c, r), decrypt: (c, r) => cryptography.decrypt(this.#engine, c, r), reEncrypt: (c, r) => cryptography.reEncrypt(this.#engine, c, r),
      generateDataKey: (c, r) => cryptography.generateDataKey(this.#engine, c, r),
      generateDataKeyWithoutPlaintext: (c, r) => cryptography.generateDataKeyWithoutPlaintext(this.#engine, c, r),
      createKeyVersion: (c, r) => versions.createKeyVersion(this.#engine, c, r), listKeyVersions: (c, r) => versions.listKeyVersions(this.#engine, c, r),
      describeKeyVersion: (c, r) => versions.describeKeyVersion(this.#engine, c, r), updateRotationPolicy: (c, r) => versions.updateRotationPolicy(this.#engine, c, r),
      createAlias: (c, r) => aliases.createAlias(this.#engine, c, r), updateAlias: (c, r) => aliases.updateAlias(this.#engine, c, r),
      deleteAlias: (c, r) => aliases.deleteAlias(this.#engine, c, r), listAliases: (c, r) => aliases.listAliases(this.#engine, c, r),
      listAliasesByKeyId: (c, r) => aliases.listAliasesByKeyId(this.#engine, c, r), tagResource: (c, r) => tags.tagResource(this.#engine, c, r),
      untagResource: (c, r) => tags.untagResource(this.#engine, c, r), listResourceTags: (c, r) => tags.listResourceTags(this.#engine, c, r),
      setKeyPolicy: (c, r) => policies.setKeyPolicy(this.#engine, c, r), getKeyPolicy: (c, r) => policies.getKeyPolicy(this.#engine, c, r),
      createPolicy: (c, r) => policies.createPolicy(this.#engine, c, r), updatePolicy: (c, r) => policies.updatePolicy(this.#engine, c, r),
      getPolicy: (c, r) => policies.getPolicy(this.#engine, c, r), deletePolicy: (c, r) => policies.deletePolicy(this.#engine, c, r),
      listPolicies: (c, r) => policies.listPolicies(this.#engine, c, r), attachPolicy: (c, r) => policies.attachPolicy(this.#engine, c, r),
      detachPolicy: (c, r) => policies.detachPolicy(this.#engine, c, r), listPoliciesForPrincipal: (c, r) => policies.listPoliciesForPrincipal(this.#engine, c, r),
      asymmetricSign: (c, r) => this.#asymmetricSign(c, r), asymmetricVerify: (c, r) => this.#asymmetricVerify(c, r),
      asymmetricEncrypt: (c, r) => this.#asymmetricEncrypt(c, r), asymmetricDecrypt: (c, r) => this.#asymmetricDecrypt(c, r),
      getPublicKey: (c, r) => this.#getPublicKey(c, r), generateMac: (c, r) => this.#generateMac(c, r), verifyMac: (c, r) => this.#verifyMac(c, r),
      exportDataKey: (c, r) => this.#exportDataKey(c, r), generateAndExportDataKey: (c, r) => this.#generateAndExportDataKey(c, r),
      generateRandom: (c, r) => this.#generateRandom(c, r), getRandomPassword: (c, r) => this.#getRandomPassword(c, r),
      getParametersForImport: (c, r) => this.#getParametersForImport(c, r), importKeyMaterial: (c, r) => this.#importKeyMaterial(c, r),
      deleteKeyMaterial: (c, r) => this.#deleteKeyMaterial(c, r),
    }
  }

  // ---------------------------------------------------------------- keys

  // ---------------------------------------------------------------- cryptography

  // ---------------------------------------------------------------- versions and rotation

  // ---------------------------------------------------------------- aliases

  // ---------------------------------------------------------------- tags

  // ---------------------------------------------------------------- authorization policies

  // ---------------------------------------------------------------- asymmetric keys, MACs, data-key export

  /** Runs `work` on the key: at once when it is cached (no promise of its own), else once loaded. */
  #withKey<T>(call: Call, ref: unknown, operation: KeyOperation, work: (entry: KeyEntry) => T): T | Promise<T> {
    const cached = this.#engine.useCached(call, ref, operation)
    return cached !== undefined ? work(cached) : this.#engine.use(call, ref, operation).then(work)
  }

  /** A named version of the key, or its primary version. */
  #version(entry: KeyEntry, keyVersionId: unknown): KeyVersionRecord {
    if (keyVersionId === undefined) {
      const primary = primaryVersion(entry.record)
      if (primary === undefined) throw new KmsError('Rejected.InvalidState', `key ${entry.record.keyId} has no material`)
      return primary
    }
    const id = stringParam(keyVersionId, 'keyVersionId', 36, 36)
    const version = isUuid(id) ? entry.version(id) : undefined
    if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${id}`)
    return version
  }

  /** Digest (the reference model's input: a 32-byte SHA-256) or raw message (up to 4 KiB), exactly one. */
  #signingInput(request: api.SigningInput, algorithm: SigningAlgorithm): { input: Uint8Array; isDigest: boolean } {
    if ((request.digest === undefined) === (request.message === undefined)) {
      throw new KmsError('InvalidParameter', 'pass exactly one of digest (the SHA-256 of the message) or message')
    }
    if (request.digest !== undefined) {
      if (algorithm === 'ED25519') throw new KmsError('InvalidParameter', 'ED25519 signs messages, not digests: pass message')
      return { input: bytesParam(request.digest, 'digest', SIGNING_DIGEST_LENGTH, SIGNING_DIGEST_LENGTH, ' (a SHA-256 digest)'), isDigest: true }
    }
    return { input: bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES, '; sign longer messages by their SHA-256 digest'), isDigest: false }
  }

  #asymmetricSign(call: Call, request: api.AsymmetricSignRequest): api.AsymmetricSignResponse | Promise<api.AsymmetricSignResponse> {
    requestObject(request, 'asymmetricSign')
    return this.#withKey(call, request.keyId, 'asymmetricSign', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
      const { input, isDigest } = this.#signingInput(request, algorithm)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const privateKey = entry.material(version, this.#engine.material)
      const value = cryptoCall('asymmetricSign', () => this.#engine.material.crypto.sign(spec, algorithm, privateKey, input, isDigest))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
    })
  }

  #asymmetricVerify(call: Call, request: api.AsymmetricVerifyRequest): api.AsymmetricVerifyResponse | Promise<api.AsymmetricVerifyResponse> {
    requestObject(request, 'asymmetricVerify')
    return this.#withKey(call, request.keyId, 'asymmetricVerify', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
      const { input, isDigest } = this.#signingInput(request, algorithm)
      const signature = bytesParam(request.value, 'value', 1, 1024)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const publicKey = entry.publicKey(version)
      const value = cryptoCall('asymmetricVerify', () => this.#engine.material.crypto.verify(spec, algorithm, publicKey, input, isDigest, signature))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
    })
  }

  #asymmetricEncrypt(call: Call, request: api.AsymmetricEncryptRequest): api.AsymmetricEncryptResponse | Promise<api.AsymmetricEncryptResponse> {
    requestObject(request, 'asymmetricEncrypt')
    return this.#withKey(call, request.keyId, 'asymmetricEncrypt', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
      const plaintext = bytesParam(request.plaintext, 'plaintext', 1, rsaOaepMaxPlaintextLength(spec, algorithm), ` (the most ${algorithm} takes with ${spec})`)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const publicKey = entry.publicKey(version)
      const ciphertextBlob = cryptoCall('asymmetricEncrypt', () => this.#engine.material.crypto.rsaEncrypt(spec, algorithm, publicKey, plaintext))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, ciphertextBlob }
    })
  }

  #asymmetricDecrypt(call: Call, request: api.AsymmetricDecryptRequest): api.AsymmetricDecryptResponse | Promise<api.AsymmetricDecryptResponse> {
    requestObject(request, 'asymmetricDecrypt')
    return this.#withKey(call, request.keyId, 'asymmetricDecrypt', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
      const ciphertext = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 1, 1024)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const privateKey = entry.material(version, this.#engine.material)
      const plaintext = cryptoCall('asymmetricDecrypt', () => this.#engine.material.crypto.rsaDecrypt(spec, algorithm, privateKey, ciphertext))
      if (plaintext === undefined) throw invalidCiphertext()
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, plaintext }
    })
  }

  /** The version's public key, as PEM and as SubjectPublicKeyInfo DER, for any standard tool. */
  async #getPublicKey(call: Call, request: api.GetPublicKeyRequest): Promise<api.GetPublicKeyResponse> {
    requestObject(request, 'getPublicKey')
    const entry = await this.#engine.use(call, request.keyId, 'getPublicKey')
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const version = this.#version(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const publicKeyDer = fromBase64(version.publicKey!)!
    return {
      requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, keySpec: spec, keyUsage: entry.record.keyUsage,
      publicKey: publicKeyPem(publicKeyDer), publicKeyDer,
      ...(entry.record.keyUsage === 'SIGN/VERIFY' ? { signingAlgorithms: signingAlgorithms(spec) } : { encryptionAlgorithms: encryptionAlgorithms(spec) }),
    }
  }

  #macAlgorithm(entry: KeyEntry, value: unknown): HmacAlgorithm {
    const algorithm = oneOf(value, 'macAlgorithm', HMAC_ALGORITHMS)
    if (algorithm !== entry.record.keySpec) throw new KmsError('InvalidKeyUsage', `a ${entry.record.keySpec} key computes ${entry.record.keySpec}, not ${algorithm}`)
    return algorithm
  }

  async #generateMac(call: Call, request: api.GenerateMacRequest): Promise<api.GenerateMacResponse> {
    requestObject(request, 'generateMac')
    const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
    const entry = await this.#engine.use(call, request.keyId, 'generateMac')
    const macAlgorithm = this.#macAlgorithm(entry, request.macAlgorithm)
    const version = this.#version(entry, undefined)
    call.keyVersionId = version.keyVersionId
    const mac = this.#engine.material.crypto.hmac(macAlgorithm, entry.material(version, this.#engine.material), message)
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, macAlgorithm, mac }
  }

  /**
   * Recomputes the MAC under the named version (or under each version, newest first, so a
   * MAC made before a rotation still verifies) and compares in constant time.
   */
  async #verifyMac(call: Call, request: api.VerifyMacRequest): Promise<api.VerifyMacResponse> {
    requestObject(request, 'verifyMac')
    const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
    const mac = bytesParam(request.mac, 'mac', 1, 64)
    const entry = await this.#engine.use(call, request.keyId, 'verifyMac')
    const macAlgorithm = this.#macAlgorithm(entry, request.macAlgorithm)
    const versions = request.keyVersionId === undefined ? [...entry.record.versions].reverse() : [this.#version(entry, request.keyVersionId)]
    const { crypto } = this.#engine.material
    let matched: KeyVersionRecord | undefined
    for (const version of versions) {
      const expected = crypto.hmac(macAlgorithm, entry.material(version, this.#engine.material), message)
      if (crypto.timingSafeEqual(expected, mac)) matched ??= version
    }
    const keyVersionId = (matched ?? versions[0]!).keyVersionId
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, macAlgorithm, macValid: matched !== undefined }
  }

  /** An RSA public key from the caller (SubjectPublicKeyInfo DER, or PEM text) to wrap a data key for. */
  #wrappingKey(request: api.DataKeyExport): WrappingKey {
    const spec = oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const)
    const algorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms(spec))
    const blob = request.publicKeyBlob
    let spki: Uint8Array | undefined
    if (typeof blob === 'string') {
      const body = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(blob.trim())?.[1]
      spki = body === undefined ? undefined : fromBase64(body.replace(/\s+/g, ''))
      if (spki === undefined) throw new KmsError('InvalidParameter', 'publicKeyBlob is not a PEM public key')
    } else {
      spki = bytesParam(blob, 'publicKeyBlob', 1, 4096)
    }
    return { spki, spec, algorithm }
  }

  #exportTo(wrapping: WrappingKey, dataKey: Uint8Array): Uint8Array {
    return cryptoCall('exportDataKey', () => this.#engine.material.crypto.rsaEncrypt(wrapping.spec, wrapping.algorithm, wrapping.spki, dataKey))
  }

  /** Re-wraps a data key (a generateDataKey blob) under the caller's RSA public key; the caller never sees it. */
  async #exportDataKey(call: Call, request: api.ExportDataKeyRequest): Promise<api.ExportDataKeyResponse> {
    requestObject(request, 'exportDataKey')
    const wrapping = this.#wrappingKey(request)
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const context = encodeEncryptionContext(request.encryptionContext)
    if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
    const { entry, keyVersionId, plaintext } = await openBlob(this.#engine, call, blob, context, 'exportDataKey', 'ExportDataKey')
    try {
      call.keyVersionId = keyVersionId
      const exportedDataKey = this.#exportTo(wrapping, plaintext)
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, exportedDataKey }
    } finally {
      wipe(plaintext)
    }
  }

  /** A new data key, wrapped under the CMK and under the caller's RSA public key; never in the clear outside. */
  async #generateAndExportDataKey(call: Call, request: api.GenerateAndExportDataKeyRequest): Promise<api.GenerateAndExportDataKeyResponse> {
    requestObject(request, 'generateAndExportDataKey')
    const wrapping = this.#wrappingKey(request)
    const { length, conditions, context } = dataKeyRequest(call, request)
    const entry = await this.#engine.use(call, request.keyId, 'generateAndExportDataKey', call.eventName, conditions)
    const dataKey = this.#engine.random.fill(new Uint8Array(length))
    try {
      const exportedDataKey = this.#exportTo(wrapping, dataKey)
      const { blob, keyVersionId } = entry.seal(dataKey, context, this.#engine.material)
      call.keyVersionId = keyVersionId
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, exportedDataKey }
    } finally {
      wipe(dataKey)
    }
  }

  // ---------------------------------------------------------------- randomness

  async #generateRandom(call: Call, request: api.GenerateRandomRequest): Promise<api.GenerateRandomResponse> {
    requestObject(request, 'generateRandom')
    const length = integerParam(request.numberOfBytes, 'numberOfBytes', 1, 1024)
    await this.#engine.authorize(call, 'GenerateRandom', '*', '*')
    return { requestId: call.requestId, plaintext: this.#engine.random.fill(new Uint8Array(length)) }
  }

  async #getRandomPassword(call: Call, request: api.GetRandomPasswordRequest = {}): Promise<api.GetRandomPasswordResponse> {
    requestObject(request, 'getRandomPassword')
    const options = {
      length: request.passwordLength === undefined ? 32 : integerParam(request.passwordLength, 'passwordLength', 8, 128),
      exclude: optionalString(request.excludeCharacters, 'excludeCharacters', 0, 256) ?? '',
      lowercase: request.excludeLowercase === undefined ? true : !booleanParam(request.excludeLowercase, 'excludeLowercase'),
      uppercase: request.excludeUppercase === undefined ? true : !booleanParam(request.excludeUppercase, 'excludeUppercase'),
      numbers: request.excludeNumbers === undefined ? true : !booleanParam(request.excludeNumbers, 'excludeNumbers'),
      punctuation: request.excludePunctuation === undefined ? true : !booleanParam(request.excludePunctuation, 'excludePunctuation'),
      requireEachIncludedType: request.requireEachIncludedType === undefined ? true : booleanParam(request.requireEachIncludedType, 'requireEachIncludedType'),
    }
    await this.#engine.authorize(call, 'GetRandomPassword', '*', '*')
    return { requestId: call.requestId, randomPassword: randomPassword(this.#engine.random, options) }
  }

  // ---------------------------------------------------------------- bring your own key

  /**
   * A one-time RSA-2048 wrapping key for importing material into an EXTERNAL key, and a
   * token naming it; both expire 24 hours later by the engine's clock. The private half is
   * stored wrapped under the root key (bound to the key and the token) until used.
   */
  async #getParametersForImport(call: Call, request: api.GetParametersForImportRequest): Promise<api.GetParametersForImportResponse> {
    requestObject(request, 'getParametersForImport')
    const wrappingAlgorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms('RSA_2048'))
    oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048'])
    const keyId = (await this.#engine.use(call, request.keyId, 'getParametersForImport')).record.keyId
    const { crypto, keyring } = this.#engine.material
    if (!crypto.asymmetricSpecs.includes('RSA_2048')) {
      throw new KmsError('Rejected.UnsupportedOperation', `importing material needs RSA, which the ${crypto.name} crypto provider cannot do`)
    }
    const pair = await crypto.generateKeyPair('RSA_2048')
    const importToken = this.#engine.newId()
    const token = await this.#engine.transact(call, async (tx, now) => {
      await this.#engine.txKey(tx, keyId, now)
      const record: ImportTokenRecord = {
        schema: 1, keyId, wrappingAlgorithm, expiresAt: now + IMPORT_TOKEN_LIFETIME_MS,
        wrappedPrivateKey: keyring.wrapMaterial(keyId, importToken, pair.privateKey),
      }
      tx.putRecord(IMPORT_TOKEN_PREFIX + importToken, utf8Encode(JSON.stringify(record)), null)
      return record
    }).finally(() => wipe(pair.privateKey))
    return {
      requestId: call.requestId, keyId, importToken, publicKey: publicKeyPem(pair.publicKey), publicKeyDer: pair.publicKey,
      wrappingAlgorithm, wrappingKeySpec: 'RSA_2048', tokenExpireTime: formatDate(token.expiresAt),
    }
  }

  /**
   * Unwraps material with the token's private key and installs it. The first import fixes
   * the material: importing different material later is IncorrectKeyMaterial; the same
   * material may be imported again (after deleteKeyMaterial or expiry, or to change expiry).
   */
  async #importKeyMaterial(call: Call, request: api.ImportKeyMaterialRequest): Promise<api.KmsResponse> {
    requestObject(request, 'importKeyMaterial')
    const tokenId = stringParam(request.importToken, 'importToken', 1, 64)
    const encrypted = bytesParam(request.encryptedKeyMaterial, 'encryptedKeyMaterial', 1, 1024)
    const expireSeconds = request.keyMaterialExpireUnix === undefined || request.keyMaterialExpireUnix === 0
      ? undefined : integerParam(request.keyMaterialExpireUnix, 'keyMaterialExpireUnix', 1, 2 ** 40)
    const keyId = (await this.#engine.use(call, request.keyId, 'importKeyMaterial')).record.keyId
    const { crypto, keyring } = this.#engine.material
    await this.#engine.transact(call, async (tx, now) => {
      if (!isUuid(tokenId)) throw new KmsError('InvalidImportToken', 'importToken is not a token from getParametersForImport')
      const stored = await tx.record(IMPORT_TOKEN_PREFIX + tokenId)
      const token = stored === undefined ? undefined : JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
      if (stored === undefined || token === undefined || token.keyId !== keyId) {
        throw new KmsError('InvalidImportToken', 'importToken is unknown, already used, or belongs to another key')
      }
      if (token.expiresAt <= now) throw new KmsError('ExpiredImportToken', `the import token expired at ${formatDate(token.expiresAt)}`)
      if (expireSeconds !== undefined && expireSeconds * SECOND_MS <= now) throw new KmsError('InvalidParameter', 'keyMaterialExpireUnix is in the past')
      const entry = await this.#engine.txKey(tx, keyId, now)
      const wrappingKey = keyring.unwrapMaterial(keyId, tokenId, token.wrappedPrivateKey)
      const material = crypto.rsaDecrypt('RSA_2048', token.wrappingAlgorithm, wrappingKey, encrypted)
      wipe(wrappingKey)
      if (material === undefined) throw new KmsError('InvalidCiphertext', `encryptedKeyMaterial does not decrypt with this token's wrapping key (${token.wrappingAlgorithm})`)
      try {
        const expected = KEY_SPEC_MATERIAL_BYTES[entry.record.keySpec as SymmetricKeySpec]
        if (material.length !== expected) throw new KmsError('InvalidParameter', `a ${entry.record.keySpec} key takes ${expected} bytes of material, not ${material.length}`)
        const fingerprintKey = keyring.deriveKey('import/fingerprint/v1')
        const fingerprint = toBase64(crypto.hmac('HMAC_SHA_256', fingerprintKey, concatBytes(utf8Encode(keyId), material)))
        wipe(fingerprintKey)
        const known = entry.record.importedMaterialFingerprint
        if (known !== undefined && !crypto.timingSafeEqual(utf8Encode(known), utf8Encode(fingerprint))) {
          throw new KmsError('IncorrectKeyMaterial', `key ${keyId} was imported with different material`)
        }
        const keyVersionId = entry.record.importedVersionId ?? importedVersionId(crypto, keyId)
        const version: KeyVersionRecord = { keyVersionId, creationDate: now, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, material) }
        const next = transitions.importKeyMaterial(entry.record, version, fingerprint, expireSeconds === undefined ? undefined : expireSeconds * SECOND_MS)
        tx.putKey(entry, next)
        tx.deleteRecord(IMPORT_TOKEN_PREFIX + tokenId, stored.revision) // one use only
        call.keyVersionId = keyVersionId
        if (next.keyState !== entry.record.keyState) {
          tx.emit({ name: 'keyStateChanged', payload: { keyId, from: entry.record.keyState, to: next.keyState, time: now } })
        }
      } finally {
        wipe(material)
      }
    })
    return { requestId: call.requestId }
  }

  /** Erases imported material: the key returns to PendingImport until the same material is imported again. */
  async #deleteKeyMaterial(call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'deleteKeyMaterial')
    await this.#engine.changeKey(call, request.keyId, (r) => transitions.removeKeyMaterial(r, 'deleteKeyMaterial'), keyStateChange)
    return { requestId: call.requestId }
  }

  // ---------------------------------------------------------------- verification

  /**
   * Checks the whole store: every record's seal, that the records are the latest ones
   * written (the store digest catches a record rolled back to an older genuine copy, deleted
   * or copied in), and the audit trail (against `anchor` when given). Reads every record.
   */
  async verify(options: { readonly anchor?: AuditAnchor } = {}): Promise<KmsVerification> {
    this.#engine.assertOpen()
    requestObject(options, 'verify')
    // In turn with this engine's commits, so none lands between the scan and the digest.
    const records = await this.#engine.keys.exclusive(() => this.#engine.storage.verify())
    const audit = this.#engine.audit === undefined ? undefined : await this.audit.verify(options)
    return { ok: records.ok && (audit?.ok ?? true), records, ...(audit === undefined ? {} : { audit }) }
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Purges every key whose pending window has ended and rotates every key whose
   * automatic rotation is due. Both also happen lazily when a key is used; call this
   * (or set `maintenanceIntervalMs`) so they happen for keys nobody touches.
   */
  async maintenance(): Promise<api.MaintenanceResult> {
    this.#engine.assertOpen()
    const purged: string[] = []
    const rotated: string[] = []
    for (const record of await this.#engine.keys.scanKeys()) {
      const now = this.#engine.clock.now()
      if (transitions.isPurgeDue(record, now)) {
        if (await this.#engine.purge(record.keyId)) purged.push(record.keyId)
      } else if (transitions.isMaterialExpiryDue(record, now)) {
        await this.#engine.expireMaterial(record.keyId)
      } else if (transitions.isRotationDue(record, now)) {
        const before = record.versions.length
        const entry = await this.#engine.rotate(this.#engine.systemCall('CreateKeyVersion', record.keyId), record.keyId, 'automatic', record.keySpec)
        if (entry.record.versions.length > before) rotated.push(record.keyId)
      }
    }
    await this.#dropStaleImportTokens()
    return { purged, rotated }
  }

  /** Import tokens past their expiry, or of keys that no longer exist, are useless: delete them. */
  async #dropStaleImportTokens(): Promise<void> {
    const now = this.#engine.clock.now()
    for (const stored of await this.#engine.keys.scanRecords(IMPORT_TOKEN_PREFIX)) {
      let token: ImportTokenRecord | undefined
      try {
        token = JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
      } catch {
        token = undefined
      }
      const stale = token === undefined || token.expiresAt <= now || (await this.#engine.keys.loadKey(token.keyId)) === undefined
      if (!stale) continue
      await this.#engine.keys.exclusive(() => this.#engine.keys.commitDirect([{ type: 'delete', key: stored.key, expectedRevision: stored.revision }]))
        .catch((error: unknown) => {
          // Someone used or removed it meanwhile: nothing left to clean.
          if (!KmsError.is(error, 'Conflict')) throw error
        })
    }
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
