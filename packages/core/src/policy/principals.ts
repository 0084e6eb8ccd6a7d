/**
 * Who an AWS-style principal names: the `"AWS"` entries of an IAM-style key policy's
 * `Principal` and the grantee or retiring principal of a grant, matched against the
 * engine's principal names.
 *
 * ```ts
 * awsPrincipalMatches('arn:aws:iam::111122223333:user/alice', 'alice', '111122223333')   // true
 * awsPrincipalMatches('arn:aws:iam::111122223333:root', 'alice', '111122223333')         // false: the account itself
 * awsPrincipalArn('alice', '111122223333')   // 'arn:aws:iam::111122223333:user/alice'
 * ```
 *
 * The engine's principals are names (`alice`, `svc/orders`, or an ARN if the host chose
 * ARNs as names). An IAM ARN names an engine principal when it is the same string, or
 * when it is an IAM user or role of the engine's account (any partition, any path) whose
 * name is the principal's (`…:user/alice`, `…:role/ops/alice`, STS `…:assumed-role/alice/…`).
 *
 * The account itself (`"111122223333"`, `arn:aws:iam::111122223333:root`) names only the
 * engine owner (`root`): in AWS such a statement does not reach the account's users, it
 * lets their IAM policies decide, which is what the engine's identity policies do.
 */

/** The engine owner's principal name (policy-store.ts's ROOT_PRINCIPAL), which the account itself names. */
const OWNER = 'root'
const ACCOUNT_ID = /^\d{12}$/
/** `arn:<partition>:iam::<account>:<resource>` and `arn:<partition>:sts::<account>:<resource>`. */
const IAM_ARN = /^arn:[a-z-]+:(iam|sts)::(\d{12}):(.+)$/

/** The last name an IAM resource names: `user/path/alice` → alice; `assumed-role/alice/session` → alice. */
function iamName(service: string, resource: string): string | undefined {
  const parts = resource.split('/')
  if (service === 'sts') return parts[0] === 'assumed-role' && parts.length >= 2 ? parts[1] : undefined
  if ((parts[0] === 'user' || parts[0] === 'role') && parts.length >= 2) return parts[parts.length - 1]
  return undefined
}

/** True when an `"AWS"` principal entry (or a grant's principal) names `principal`. */
export function awsPrincipalMatches(entry: string, principal: string, account: string | undefined): boolean {
  if (entry === '*' || entry === principal) return true
  if (ACCOUNT_ID.test(entry)) return entry === account && principal === OWNER
  const m = IAM_ARN.exec(entry)
  if (m === null) return false
  const [, service, entryAccount, resource] = m as unknown as [string, string, string, string]
  if (entryAccount !== account) return false
  if (resource === 'root') return principal === OWNER
  // An ARN used as the principal's name, in another partition's spelling.
  const named = IAM_ARN.exec(principal)
  if (named !== null) return named[2] === entryAccount && named[3] === resource
  return iamName(service, resource) === principal
}

/** The ARN a principal has in `aws:PrincipalArn`: its name when that is an ARN, else an IAM user of the account. */
export function awsPrincipalArn(principal: string, account: string): string {
  if (principal === OWNER) return `arn:aws:iam::${account}:root`
  return IAM_ARN.test(principal) ? principal : `arn:aws:iam::${account}:user/${principal}`
}

/** The account a principal belongs to (`kms:CallerAccount`): its ARN's, else the engine's. */
export function callerAccount(principal: string, account: string): string {
  return IAM_ARN.exec(principal)?.[2] ?? account
}
