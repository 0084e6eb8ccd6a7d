/**
 * The operation table: every operation of `Kms` (call.ts's OPERATIONS), mapped to the
 * function of its family that handles it. The dispatcher (engine/dispatcher.ts) runs the
 * handler of each call; `Kms` methods and `kms.as(principal)` clients both go through it.
 *
 * ```ts
 * const engine = new KeyAccess(options, opened)
 * engine.bind(operationHandlers(engine))
 * await engine.invoke(ROOT_PRINCIPAL, 'encrypt', { keyId, plaintext })   // cryptography.encrypt
 * ```
 *
 * One module per family; a family reaches the engine only through the part of
 * `EngineContext` it names, and never imports another family (shared helpers live in
 * params.ts, views.ts, ciphertext.ts, provider-errors.ts, import-tokens.ts, and for the secrets
 * families secret-access.ts and secret-rotation.ts).
 *
 * The families that need the provider's asymmetric code (asymmetric keys and MACs,
 * data-key export, data key pairs, BYOK import) are loaded at their first call, with that code
 * (`loadAsymmetric()`): importing the engine stays cheap for a process that only encrypts.
 * Once loaded they answer as the others do, synchronously on a cached key.
 */
import { lazyModule, type CryptoProvider, type LazyModule } from '@strongroom/crypto'
import type { EngineContext, OperationHandlers } from '../engine/context.js'
import * as keys from './keys.js'
import * as cryptography from './cryptography.js'
import * as versions from './versions.js'
import * as aliases from './aliases.js'
import * as tags from './tags.js'
import * as policies from './policies.js'
import * as grants from './grants.js'
import * as randomness from './randomness.js'
import * as secrets from './secrets.js'
import * as secretValues from './secret-values.js'
import type * as api from '../api.js'

const NOT_LOADED = 'an asymmetric family was called before it was loaded'
const asymmetricFamily = lazyModule(() => import('./asymmetric.js'), NOT_LOADED)
const dataKeyExportFamily = lazyModule(() => import('./data-key-export.js'), NOT_LOADED)
const importFamily = lazyModule(() => import('./import.js'), NOT_LOADED)
const dataKeyPairsFamily = lazyModule(() => import('./data-key-pairs.js'), NOT_LOADED)

/** Providers whose `loadAsymmetric()` has resolved. */
const asymmetricReady = new WeakSet<CryptoProvider>()

/** Runs `work` with the family: at once when it and the provider's asymmetric code are loaded, else once they are. */
function withFamily<F, R>(family: LazyModule<F>, crypto: CryptoProvider, work: (family: F) => R | Promise<R>): R | Promise<R> {
  const loaded = family.peek()
  if (loaded !== undefined && asymmetricReady.has(crypto)) return work(loaded)
  return Promise.all([family.load(), crypto.loadAsymmetric?.()]).then(([module]) => {
    asymmetricReady.add(crypto)
    return work(module)
  })
}

/** tagResource, untagResource and listResourceTags take a key or, as in the reference model, a secret. */
const namesSecret = (request: unknown): request is { secretName: unknown } =>
  request !== null && typeof request === 'object' && (request as { secretName?: unknown }).secretName !== undefined

/** Every operation's handler, bound to the engine; built once per engine, so a call allocates nothing here. */
export function operationHandlers(ctx: EngineContext): OperationHandlers {
  const { crypto } = ctx.material
  const asymmetric = <R>(work: (family: typeof import('./asymmetric.js')) => R | Promise<R>) => withFamily(asymmetricFamily, crypto, work)
  const dataKeyExport = <R>(work: (family: typeof import('./data-key-export.js')) => R | Promise<R>) => withFamily(dataKeyExportFamily, crypto, work)
  const byok = <R>(work: (family: typeof import('./import.js')) => R | Promise<R>) => withFamily(importFamily, crypto, work)
  const dataKeyPairs = <R>(work: (family: typeof import('./data-key-pairs.js')) => R | Promise<R>) => withFamily(dataKeyPairsFamily, crypto, work)
  return {
    // keys
    createKey: (c, r) => keys.createKey(ctx, c, r),
    describeKey: (c, r) => keys.describeKey(ctx, c, r),
    listKeys: (c, r) => keys.listKeys(ctx, c, r),
    updateKeyDescription: (c, r) => keys.updateKeyDescription(ctx, c, r),
    enableKey: (c, r) => keys.enableKey(ctx, c, r),
    disableKey: (c, r) => keys.disableKey(ctx, c, r),
    scheduleKeyDeletion: (c, r) => keys.scheduleKeyDeletion(ctx, c, r),
    cancelKeyDeletion: (c, r) => keys.cancelKeyDeletion(ctx, c, r),
    setDeletionProtection: (c, r) => keys.setDeletionProtection(ctx, c, r),
    describeRegions: (c) => keys.describeRegions(ctx, c),
    // cryptography
    encrypt: (c, r) => cryptography.encrypt(ctx, c, r),
    decrypt: (c, r) => cryptography.decrypt(ctx, c, r),
    reEncrypt: (c, r) => cryptography.reEncrypt(ctx, c, r),
    generateDataKey: (c, r) => cryptography.generateDataKey(ctx, c, r),
    generateDataKeyWithoutPlaintext: (c, r) => cryptography.generateDataKeyWithoutPlaintext(ctx, c, r),
    // data key pairs
    generateDataKeyPair: (c, r) => dataKeyPairs((family) => family.generateDataKeyPair(ctx, c, r)),
    generateDataKeyPairWithoutPlaintext: (c, r) => dataKeyPairs((family) => family.generateDataKeyPairWithoutPlaintext(ctx, c, r)),
    // versions
    createKeyVersion: (c, r) => versions.createKeyVersion(ctx, c, r),
    listKeyVersions: (c, r) => versions.listKeyVersions(ctx, c, r),
    describeKeyVersion: (c, r) => versions.describeKeyVersion(ctx, c, r),
    updateRotationPolicy: (c, r) => versions.updateRotationPolicy(ctx, c, r),
    // aliases
    createAlias: (c, r) => aliases.createAlias(ctx, c, r),
    updateAlias: (c, r) => aliases.updateAlias(ctx, c, r),
    deleteAlias: (c, r) => aliases.deleteAlias(ctx, c, r),
    listAliases: (c, r) => aliases.listAliases(ctx, c, r),
    listAliasesByKeyId: (c, r) => aliases.listAliasesByKeyId(ctx, c, r),
    // tags
    tagResource: (c, r: api.TagResourceRequest | api.TagSecretRequest) => namesSecret(r) ? secrets.tagSecret(ctx, c, r) : tags.tagResource(ctx, c, r),
    untagResource: (c, r: api.UntagResourceRequest | api.UntagSecretRequest) => namesSecret(r) ? secrets.untagSecret(ctx, c, r) : tags.untagResource(ctx, c, r),
    listResourceTags: (c, r: api.KeyRequest | api.SecretRequest) => namesSecret(r) ? secrets.listSecretTags(ctx, c, r) : tags.listResourceTags(ctx, c, r),
    // policies
    setKeyPolicy: (c, r) => policies.setKeyPolicy(ctx, c, r),
    getKeyPolicy: (c, r) => policies.getKeyPolicy(ctx, c, r),
    createPolicy: (c, r) => policies.createPolicy(ctx, c, r),
    updatePolicy: (c, r) => policies.updatePolicy(ctx, c, r),
    getPolicy: (c, r) => policies.getPolicy(ctx, c, r),
    deletePolicy: (c, r) => policies.deletePolicy(ctx, c, r),
    listPolicies: (c, r) => policies.listPolicies(ctx, c, r),
    attachPolicy: (c, r) => policies.attachPolicy(ctx, c, r),
    detachPolicy: (c, r) => policies.detachPolicy(ctx, c, r),
    listPoliciesForPrincipal: (c, r) => policies.listPoliciesForPrincipal(ctx, c, r),
    // grants
    createGrant: (c, r) => grants.createGrant(ctx, c, r),
    listGrants: (c, r) => grants.listGrants(ctx, c, r),
    listRetirableGrants: (c, r) => grants.listRetirableGrants(ctx, c, r),
    retireGrant: (c, r) => grants.retireGrant(ctx, c, r),
    revokeGrant: (c, r) => grants.revokeGrant(ctx, c, r),
    // asymmetric
    asymmetricSign: (c, r) => asymmetric((family) => family.asymmetricSign(ctx, c, r)),
    asymmetricVerify: (c, r) => asymmetric((family) => family.asymmetricVerify(ctx, c, r)),
    asymmetricEncrypt: (c, r) => asymmetric((family) => family.asymmetricEncrypt(ctx, c, r)),
    asymmetricDecrypt: (c, r) => asymmetric((family) => family.asymmetricDecrypt(ctx, c, r)),
    getPublicKey: (c, r) => asymmetric((family) => family.getPublicKey(ctx, c, r)),
    generateMac: (c, r) => asymmetric((family) => family.generateMac(ctx, c, r)),
    verifyMac: (c, r) => asymmetric((family) => family.verifyMac(ctx, c, r)),
    // data key export
    exportDataKey: (c, r) => dataKeyExport((family) => family.exportDataKey(ctx, c, r)),
    generateAndExportDataKey: (c, r) => dataKeyExport((family) => family.generateAndExportDataKey(ctx, c, r)),
    // randomness
    generateRandom: (c, r) => randomness.generateRandom(ctx, c, r),
    getRandomPassword: (c, r) => randomness.getRandomPassword(ctx, c, r),
    // import
    getParametersForImport: (c, r) => byok((family) => family.getParametersForImport(ctx, c, r)),
    importKeyMaterial: (c, r) => byok((family) => family.importKeyMaterial(ctx, c, r)),
    deleteKeyMaterial: (c, r) => byok((family) => family.deleteKeyMaterial(ctx, c, r)),
    // secrets
    createSecret: (c, r) => secrets.createSecret(ctx, c, r),
    describeSecret: (c, r) => secrets.describeSecret(ctx, c, r),
    updateSecret: (c, r) => secrets.updateSecret(ctx, c, r),
    listSecrets: (c, r) => secrets.listSecrets(ctx, c, r),
    deleteSecret: (c, r) => secrets.deleteSecret(ctx, c, r),
    restoreSecret: (c, r) => secrets.restoreSecret(ctx, c, r),
    updateSecretRotationPolicy: (c, r) => secrets.updateSecretRotationPolicy(ctx, c, r),
    getSecretValue: (c, r) => secretValues.getSecretValue(ctx, c, r),
    putSecretValue: (c, r) => secretValues.putSecretValue(ctx, c, r),
    updateSecretVersionStage: (c, r) => secretValues.updateSecretVersionStage(ctx, c, r),
    listSecretVersionIds: (c, r) => secretValues.listSecretVersionIds(ctx, c, r),
    rotateSecret: (c, r) => secretValues.rotateSecret(ctx, c, r),
  }
}
