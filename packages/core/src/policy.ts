/**
 * Least-privilege authorization: policy documents in the reference model's RAM policy
 * language, validated by `parsePolicyDocument` and decided by the pure `evaluate`.
 * Nothing here does I/O or knows the engine; the engine builds the request context.
 *
 * ```ts
 * const document = parsePolicyDocument({
 *   Version: '1',
 *   Statement: [{
 *     Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: 'acs:kms:*:*:key/*',
 *     Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
 *   }],
 * }, 'identity')
 * evaluate(
 *   { principal: 'alice', action: 'kms:Encrypt', resource: 'acs:kms:local:000000000000:key/1',
 *     context: { 'kms:EncryptionContext:tenant': 'acme' } },
 *   [{ name: 'acme-crypto', kind: 'identity', document }],
 * ) // { allowed: true, by: { policy: 'acme-crypto', statement: 0 } }
 * ```
 *
 * Two kinds of policy, one language:
 * - identity policies are attached to a principal and never name one (`Principal` refused);
 * - key policies are attached to a key and must say whom they govern (`Principal` required:
 *   `"*"`, `{ "RAM": ["alice", "svc-*"] }` or `{ "AWS": [ARNs or names] }`).
 *
 * Two spellings of it: `Version: "1"` (the reference model's) and IAM-style JSON
 * (`Version: "2012-10-17"`, as AWS key policies are written: an optional `Id`, `"AWS"`
 * principals matched by policy/principals.ts, `arn:<partition>:kms:…` resources matched
 * against the engine's `acs:kms:…` names, and AWS's action names for the engine operations
 * named otherwise, e.g. `kms:PutKeyPolicy` for `kms:SetKeyPolicy`). The engine adds one
 * rule of AWS's for IAM-style key policies (engine/dispatcher.ts): identity policies allow
 * only when the key policy allows the account itself.
 *
 * Decision (the AWS IAM evaluation logic, single account, without permission boundaries):
 * every applicable statement of every policy handed to `evaluate` — identity and key
 * policies together, as one set — is considered. Any applicable Deny wins
 * (`explicit-deny`); otherwise any applicable Allow allows; otherwise `no-allow` (default
 * deny). So a principal may act when its identity policy OR the key policy allows and
 * nothing denies. Because deny overrides, the order of statements and policies never
 * changes `allowed`/`reason`; it only picks which statement `by` reports (the first
 * applicable one in the order given; `statement` is the 0-based index in `Statement`).
 *
 * A statement applies when its Action matches (wildcards, case-insensitive, as AWS action
 * names are), its Resource matches (wildcards, case-sensitive), for key policies its
 * Principal matches (wildcards, case-sensitive) and every Condition matches. A Resource
 * of `*` also matches the `'*'` resource of account-level actions (list, create); a
 * specific pattern such as `acs:kms:*:*:key/*` does not.
 *
 * Condition keys the engine supplies (the evaluator reads whatever the context holds):
 * `kms:EncryptionContext:<name>` (one per context entry), `kms:EncryptionContextKeys`
 * (multi-valued), `kms:tag/<tagKey>`, `kms:KeySpec`, `kms:KeyUsage`, `kms:KeyOrigin`,
 * `kms:KeyState`, `kms:RequestAlias` (when the request named an alias),
 * `kms:DataKeySpec`, `kms:NumberOfBytes` (data key requests), `acs:CurrentTime` (ISO 8601),
 * `acs:PrincipalName`. Condition key names compare case-insensitively (as AWS's do,
 * including the `<name>` in `kms:EncryptionContext:<name>`); values compare
 * case-sensitively except under the `IgnoreCase` operators and `Bool`.
 *
 * Condition semantics (AWS IAM "Condition operators" and "Multivalued context keys"):
 * - all operator blocks must match, and within a block every key must match (AND);
 * - several policy values for one key: a positive operator matches if ANY value matches
 *   (OR); a negated operator (`StringNotEquals`, `StringNotEqualsIgnoreCase`,
 *   `StringNotLike`, `NumericNotEquals`, `DateNotEquals`) matches only if NONE does;
 * - key absent from the context (or an empty list): positive operators are false,
 *   negated operators are TRUE — AWS: "If the key that you specify in a policy condition
 *   is not present in the request context, the values do not match and the condition is
 *   false. If the policy condition requires that the key is not matched, such as
 *   StringNotLike …, and the right key is not present, the condition is true." Beware:
 *   an Allow guarded only by a negated operator also allows requests without the key;
 *   pair it with `Null: { key: "false" }` to require the key;
 * - `Null: { key: "true" }` matches when the key is absent (or an empty list), `"false"`
 *   when it is present;
 * - a request value that is not a number (Numeric*), a date (Date*) or `true`/`false`
 *   (Bool) satisfies no operator of that family, negated ones included: a type mismatch
 *   is not "a different value";
 * - multi-valued keys: `ForAnyValue:<op>` is true when at least one request value
 *   satisfies `<op>` (false for an absent/empty set); `ForAllValues:<op>` when every
 *   request value does (TRUE for an absent/empty set, as in AWS — so pair it with
 *   `Null: { key: "false" }` in an Allow). Without a qualifier, a positive operator asks
 *   whether any request value matches, a negated one whether none does.
 * - Date values are ISO 8601 (`2030-01-01`, `2030-01-01T00:00:00Z`, `…+08:00`; no offset
 *   means UTC, so a policy never depends on the host's time zone) or epoch seconds.
 *
 * Wildcards (`wildcardMatch`): `*` matches any run of characters, empty included and `:`
 * and `/` included; `?` exactly one character (code point). Everything else is literal.
 * Matching is greedy with single backtracking, O(pattern × value) at worst, never a RegExp.
 *
 * Errors: a malformed document throws `KmsError('InvalidParameter')` whose message starts
 * with the path of the offending element, e.g. `Statement[1].Condition.StringEquals: …`.
 */
export * from './policy/types.js'
export { wildcardMatch } from './policy/operators.js'
export { parsePolicyDocument } from './policy/parse.js'
export { encryptionContextConditions, evaluate } from './policy/evaluate.js'
