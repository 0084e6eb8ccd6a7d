/**
 * The operation table lookup every facade does: a table maps each operation (action) name
 * of its API to a row — an implementation, or `{ unsupported: reason }` — and a name that is
 * not the table's own key (`toString`, `__proto__`, …) is no operation at all.
 *
 * ```ts
 * const entry = findOperation(AWS_OPERATIONS, 'Encrypt')   // { run: Encrypt }
 * findOperation(AWS_OPERATIONS, 'constructor')             // undefined: UnknownOperationException
 * ```
 */

/** A row of an operation table for an operation the facade does not serve, with the reason. */
export interface UnsupportedOperation {
  readonly unsupported: string
}

/** The table's row for `name`, or `undefined` when the API has no such operation. */
export function findOperation<Row>(table: Readonly<Record<string, Row>>, name: string): Row | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined
}
