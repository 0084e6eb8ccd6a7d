/**
 * AWS names for the engine's keys and aliases. Responses carry AWS ARNs
 * (`arn:aws:kms:<region>:<account>:key/<id>`) built from the engine's region and account;
 * requests may name a key by id, key ARN, alias name (`alias/x`) or alias ARN, and are
 * translated to the engine's own references (a key id or an alias name).
 *
 * ```ts
 * const names = new AwsNames('aws', 'us-east-1', '111122223333')
 * names.keyArn(id)                                           // 'arn:aws:kms:us-east-1:111122223333:key/<id>'
 * names.keyRef('arn:aws:kms:us-east-1:111122223333:alias/app')  // 'alias/app'
 * names.keyRef('not a key')                                   // throws NotFoundException, as AWS does
 * names.keyId('alias/app')                                    // throws NotFoundException: this member takes key ids and ARNs only
 * ```
 */
import { AwsError, validation } from './errors.js'

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
/** The engine's alias rule (`alias/` + 1–250 of these), which AWS's character set matches. */
const ALIAS = /^alias\/[a-zA-Z0-9:/_-]{1,250}$/
const PARTITION = /^aws(-[a-z]+)*$/
/** AWS's AliasName member pattern (its length, 1–256, is the codec's). */
const ALIAS_NAME_PATTERN = /^[a-zA-Z0-9:/_-]+$/

/** What a key reference names: a key by id, or an alias to resolve. */
export type AwsKeyReference =
  | { readonly kind: 'key'; readonly keyId: string }
  | { readonly kind: 'alias'; readonly aliasName: string }

export class AwsNames {
  constructor(readonly partition: string, readonly region: string, readonly account: string) {
    if (!PARTITION.test(partition)) throw new TypeError('partition must look like aws, aws-cn or aws-us-gov')
  }

  keyArn(keyId: string): string {
    return `arn:${this.partition}:kms:${this.region}:${this.account}:key/${keyId}`
  }

  aliasArn(aliasName: string): string {
    return `arn:${this.partition}:kms:${this.region}:${this.account}:${aliasName}`
  }

  /**
   * Parses a KeyId member into what the engine takes: a key id or an alias name. A
   * malformed reference names no key, so it is a NotFoundException (as AWS answers
   * "Invalid keyId"), never a ValidationException; so is an ARN of another partition,
   * region or account, which cannot name anything in this engine.
   */
  parse(ref: string): AwsKeyReference {
    if (UUID.test(ref)) return { kind: 'key', keyId: ref.toLowerCase() }
    if (ALIAS.test(ref)) return { kind: 'alias', aliasName: ref }
    if (ref.startsWith('arn:')) {
      const [, partition, service, region, account, ...rest] = ref.split(':')
      const resource = rest.join(':')
      const id = resource.slice('key/'.length)
      const isKey = resource.startsWith('key/') && UUID.test(id)
      if (service === 'kms' && (isKey || ALIAS.test(resource))) {
        if (partition !== this.partition || region !== this.region || account !== this.account) {
          throw new AwsError('NotFoundException', `${isKey ? 'key' : 'alias'} ARN names another partition, region or account than this endpoint's (${this.region}, ${this.account})`)
        }
        return isKey ? { kind: 'key', keyId: id.toLowerCase() } : { kind: 'alias', aliasName: resource }
      }
    }
    throw new AwsError('NotFoundException', 'Invalid keyId: expected a key id, key ARN, alias name (alias/…) or alias ARN')
  }

  /** The engine reference for any KeyId member. */
  keyRef(ref: string): string {
    const parsed = this.parse(ref)
    return parsed.kind === 'key' ? parsed.keyId : parsed.aliasName
  }

  /**
   * A member that takes a key id or key ARN only (the management operations: EnableKey,
   * TagResource, GetKeyPolicy, …). An alias there names no key, and AWS answers
   * NotFoundException "Invalid keyId <alias>" — never resolving it, so code that passes an
   * alias here fails here as it would against AWS.
   */
  keyId(ref: string): string {
    const parsed = this.parse(ref)
    // The value matched the alias pattern, so it is an identifier, safe to echo as AWS does.
    if (parsed.kind === 'alias') throw new AwsError('NotFoundException', `Invalid keyId ${ref}`)
    return parsed.keyId
  }

  /**
   * Validates an AliasName member (alias operations name aliases, never ARNs), in AWS's
   * order and with its exceptions: the member's pattern (ValidationException, AWS's
   * framework message), the `alias/` prefix (ValidationException), the reserved
   * `alias/aws/` prefix (NotAuthorizedException), then a colon, which the pattern admits
   * but alias names may not hold (ValidationException "… contains invalid characters for
   * an alias"). The name is echoed as AWS does: it is an identifier, at most 256 characters.
   */
  aliasName(name: string): string {
    if (!ALIAS_NAME_PATTERN.test(name)) {
      throw validation(`1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`)
    }
    if (!name.startsWith('alias/')) {
      throw validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html')
    }
    if (name.startsWith('alias/aws/')) {
      throw new AwsError('NotAuthorizedException', `${name}: the alias/aws/ prefix is reserved for AWS managed keys`)
    }
    if (name.includes(':')) throw validation(`${name} contains invalid characters for an alias`)
    if (name.length === 'alias/'.length) throw validation('Alias must have a name after the prefix "alias/"')
    return name
  }
}
