/**
 * Bring your own key: getParametersForImport, importKeyMaterial, deleteKeyMaterial for
 * keys created with `origin: 'EXTERNAL'`.
 *
 * ```ts
 * const { importToken, publicKey } = await kms.getParametersForImport({ keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' })
 * await kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial })
 * ```
 *
 * The first import fixes the material: different material later is IncorrectKeyMaterial.
 */
import { encryptionAlgorithms, publicKeyPem, type CryptoProvider } from '@strongroom/crypto'
import type * as api from '../api.js'
import { isUuid, utf8Decode, utf8Encode, uuidV4FromRandom, wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { formatDate, SECOND_MS } from '../clock.js'
import type { EngineContext } from '../engine/context.js'
import { KmsError } from '../errors.js'
import { keyStateChange } from '../events.js'
import {
  HMAC_IMPORT_MAX_BYTES, isHmacSpec, KEY_SPEC_MATERIAL_BYTES, type HmacKeySpec, type KeyVersionRecord, type SymmetricKeySpec,
} from '../key-record.js'
import * as transitions from '../transitions.js'
import { bytesParam, integerParam, oneOf, requestObject, stringParam } from '../validate.js'
import { IMPORT_TOKEN_LIFETIME_MS, IMPORT_TOKEN_PREFIX, importedMaterialFingerprint, type ImportTokenRecord } from './import-tokens.js'

/** What this module needs from the engine (engine/context.ts). */
export type ImportContext = Pick<EngineContext, 'changeKey' | 'material' | 'newId' | 'transact' | 'txKey' | 'use'>

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

/**
 * A one-time RSA-2048 wrapping key for importing material into an EXTERNAL key, and a
 * token naming it; both expire 24 hours later by the engine's clock. The private half is
 * stored wrapped under the root key (bound to the key and the token) until used.
 */
export async function getParametersForImport(
  ctx: ImportContext, call: Call, request: api.GetParametersForImportRequest,
): Promise<api.GetParametersForImportResponse> {
  requestObject(request, 'getParametersForImport')
  const wrappingAlgorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms('RSA_2048'))
  oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048'])
  const keyId = (await ctx.use(call, request.keyId, 'getParametersForImport')).record.keyId
  const { crypto, keyring } = ctx.material
  if (!crypto.asymmetricSpecs.includes('RSA_2048')) {
    throw new KmsError('Rejected.UnsupportedOperation', `importing material needs RSA, which the ${crypto.name} crypto provider cannot do`)
  }
  const pair = await crypto.generateKeyPair('RSA_2048')
  const importToken = ctx.newId()
  const token = await ctx.transact(call, async (tx, now) => {
    await ctx.txKey(tx, keyId, now)
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
export async function importKeyMaterial(ctx: ImportContext, call: Call, request: api.ImportKeyMaterialRequest): Promise<api.KmsResponse> {
  requestObject(request, 'importKeyMaterial')
  const tokenId = stringParam(request.importToken, 'importToken', 1, 64)
  const encrypted = bytesParam(request.encryptedKeyMaterial, 'encryptedKeyMaterial', 1, 1024)
  const expireSeconds = request.keyMaterialExpireUnix === undefined || request.keyMaterialExpireUnix === 0
    ? undefined : integerParam(request.keyMaterialExpireUnix, 'keyMaterialExpireUnix', 1, 2 ** 40)
  const keyId = (await ctx.use(call, request.keyId, 'importKeyMaterial')).record.keyId
  const { crypto, keyring } = ctx.material
  await ctx.transact(call, async (tx, now) => {
    if (!isUuid(tokenId)) throw new KmsError('InvalidImportToken', 'importToken is not a token from getParametersForImport')
    const stored = await tx.record(IMPORT_TOKEN_PREFIX + tokenId)
    const token = stored === undefined ? undefined : JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
    if (stored === undefined || token === undefined || token.keyId !== keyId) {
      throw new KmsError('InvalidImportToken', 'importToken is unknown, already used, or belongs to another key')
    }
    if (token.expiresAt <= now) throw new KmsError('ExpiredImportToken', `the import token expired at ${formatDate(token.expiresAt)}`)
    if (expireSeconds !== undefined && expireSeconds * SECOND_MS <= now) throw new KmsError('InvalidParameter', 'keyMaterialExpireUnix is in the past')
    const entry = await ctx.txKey(tx, keyId, now)
    const wrappingKey = keyring.unwrapMaterial(keyId, tokenId, token.wrappedPrivateKey)
    const material = crypto.rsaDecrypt('RSA_2048', token.wrappingAlgorithm, wrappingKey, encrypted)
    wipe(wrappingKey)
    if (material === undefined) throw new KmsError('InvalidCiphertext', `encryptedKeyMaterial does not decrypt with this token's wrapping key (${token.wrappingAlgorithm})`)
    try {
      const spec = entry.record.keySpec as SymmetricKeySpec | HmacKeySpec
      const min = KEY_SPEC_MATERIAL_BYTES[spec]
      const max = isHmacSpec(spec) ? HMAC_IMPORT_MAX_BYTES[spec] : min
      if (material.length < min || material.length > max) {
        const takes = min === max ? `${min}` : `${min}-${max}`
        throw new KmsError('InvalidParameter', `a ${spec} key takes ${takes} bytes of material, not ${material.length}`)
      }
      const fingerprint = importedMaterialFingerprint(crypto, keyring, keyId, material)
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
export async function deleteKeyMaterial(ctx: ImportContext, call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
  requestObject(request, 'deleteKeyMaterial')
  await ctx.changeKey(call, request.keyId, (r) => transitions.removeKeyMaterial(r, 'deleteKeyMaterial'), keyStateChange)
  return { requestId: call.requestId }
}
