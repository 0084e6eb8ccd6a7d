/**
 * Names of things: key ids, resource names (`acs:kms:<region>:<account>:key/<id>`) and
 * aliases (`alias/<name>`). Every operation that takes a key accepts any of the three.
 *
 * ```ts
 * parseKeyReference('alias/orders')  // { kind: 'alias', aliasName: 'alias/orders' }
 * keyArn('cn-hangzhou', '1234', id)  // 'acs:kms:cn-hangzhou:1234:key/<id>'
 * ```
 */
import { isUuid } from './bytes.js'
import { KmsError } from './errors.js'

export type KeyReference =
  | { readonly kind: 'id'; readonly keyId: string }
  | { readonly kind: 'alias'; readonly aliasName: string }

/**
 * `alias/` then 1–250 of letters, digits, `_ - / :`; `alias/acs/` is reserved, as in the
 * reference model. Up to 256 characters in all, AWS's AliasName limit. The reference model
 * documents 1–255 characters; a longer limit in the engine does not contradict it, because
 * the Alibaba protocol still refuses a 256th character (packages/aliyun's AliasName check),
 * so the engine takes AWS's larger limit and each protocol keeps its own. The colon is the
 * reference model's; the AWS protocol refuses it, as AWS does.
 */
const ALIAS_PATTERN = /^alias\/[a-zA-Z0-9:/_-]{1,250}$/
const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/
const ACCOUNT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

export function keyArn(region: string, account: string, keyId: string): string {
  return `acs:kms:${region}:${account}:key/${keyId}`
}

export function aliasArn(region: string, account: string, aliasName: string): string {
  return `acs:kms:${region}:${account}:${aliasName}`
}

export function isValidRegion(region: string): boolean {
  return REGION_PATTERN.test(region)
}

export function isValidAccount(account: string): boolean {
  return ACCOUNT_PATTERN.test(account)
}

/** Validates an alias name for creation; throws InvalidParameter. */
export function assertAliasName(aliasName: unknown): asserts aliasName is string {
  if (typeof aliasName !== 'string') throw new TypeError('aliasName must be a string')
  if (!ALIAS_PATTERN.test(aliasName)) {
    throw new KmsError('InvalidParameter', 'aliasName must be "alias/" followed by 1-250 of letters, digits, _ - / :')
  }
  if (aliasName.startsWith('alias/acs/')) throw new KmsError('InvalidParameter', 'the alias/acs/ prefix is reserved')
}

/**
 * Parses a key id, key resource name, alias, or alias resource name issued by this
 * engine (same region and account). Anything else is InvalidParameter; a well-formed
 * reference to another region or account names nothing here (Forbidden.KeyNotFound).
 */
export function parseKeyReference(ref: unknown, region: string, account: string): KeyReference {
  if (ref === undefined) throw new KmsError('InvalidParameter', 'keyId is required')
  if (typeof ref !== 'string') throw new TypeError('keyId must be a string')
  if (isUuid(ref)) return { kind: 'id', keyId: ref }
  // Ids are stored lower-case; accept the upper-case spelling some tools print.
  if (ref.length === 36 && isUuid(ref.toLowerCase())) return { kind: 'id', keyId: ref.toLowerCase() }
  if (ref.startsWith('alias/')) {
    if (!ALIAS_PATTERN.test(ref)) throw new KmsError('InvalidParameter', 'keyId is not a valid alias name')
    return { kind: 'alias', aliasName: ref }
  }
  if (ref.startsWith('acs:kms:')) {
    const parts = ref.split(':')
    if (parts.length >= 5) {
      const [, , refRegion, refAccount, ...restParts] = parts
      const rest = restParts.join(':')
      const id = rest.slice(4).toLowerCase()
      if (rest.startsWith('key/') && isUuid(id)) {
        if (refRegion !== region || refAccount !== account) throw new KmsError('Forbidden.KeyNotFound', 'the key belongs to another region or account')
        return { kind: 'id', keyId: id }
      }
      if (ALIAS_PATTERN.test(rest)) {
        if (refRegion !== region || refAccount !== account) throw new KmsError('Forbidden.AliasNotFound', 'the alias belongs to another region or account')
        return { kind: 'alias', aliasName: rest }
      }
    }
  }
  throw new KmsError('InvalidParameter', 'keyId must be a key id (UUID), a key resource name or an alias')
}
