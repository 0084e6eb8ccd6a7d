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
 * params.ts, views.ts, ciphertext.ts, provider-errors.ts and import-tokens.ts).
 */
import type { EngineContext, OperationHandlers } from '../engine/context.js'
import * as keys from './keys.js'
import * as cryptography from './cryptography.js'
import * as versions from './versions.js'
import * as aliases from './aliases.js'
import * as tags from './tags.js'
import * as policies from './policies.js'
import * as asymmetric from './asymmetric.js'
import * as dataKeyExport from './data-key-export.js'
import * as dataKeyPairs from './data-key-pairs.js'
import * as randomness from './randomness.js'
import * as byok from './import.js'

/** Every operation's handler, bound to the engine; built once per engine, so a call allocates nothing here. */
export function operationHandlers(ctx: EngineContext): OperationHandlers {
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
    generateDataKeyPair: (c, r) => dataKeyPairs.generateDataKeyPair(ctx, c, r),
    generateDataKeyPairWithoutPlaintext: (c, r) => dataKeyPairs.generateDataKeyPairWithoutPlaintext(ctx, c, r),
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
    tagResource: (c, r) => tags.tagResource(ctx, c, r),
    untagResource: (c, r) => tags.untagResource(ctx, c, r),
    listResourceTags: (c, r) => tags.listResourceTags(ctx, c, r),
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
    // asymmetric
    asymmetricSign: (c, r) => asymmetric.asymmetricSign(ctx, c, r),
    asymmetricVerify: (c, r) => asymmetric.asymmetricVerify(ctx, c, r),
    asymmetricEncrypt: (c, r) => asymmetric.asymmetricEncrypt(ctx, c, r),
    asymmetricDecrypt: (c, r) => asymmetric.asymmetricDecrypt(ctx, c, r),
    getPublicKey: (c, r) => asymmetric.getPublicKey(ctx, c, r),
    generateMac: (c, r) => asymmetric.generateMac(ctx, c, r),
    verifyMac: (c, r) => asymmetric.verifyMac(ctx, c, r),
    // data key export
    exportDataKey: (c, r) => dataKeyExport.exportDataKey(ctx, c, r),
    generateAndExportDataKey: (c, r) => dataKeyExport.generateAndExportDataKey(ctx, c, r),
    // randomness
    generateRandom: (c, r) => randomness.generateRandom(ctx, c, r),
    getRandomPassword: (c, r) => randomness.getRandomPassword(ctx, c, r),
    // import
    getParametersForImport: (c, r) => byok.getParametersForImport(ctx, c, r),
    importKeyMaterial: (c, r) => byok.importKeyMaterial(ctx, c, r),
    deleteKeyMaterial: (c, r) => byok.deleteKeyMaterial(ctx, c, r),
  }
}
