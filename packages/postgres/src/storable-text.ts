/**
 * Whether PostgreSQL's `text` can hold each string as it is: it refuses U+0000, failing the whole
 * statement. No stored row holds such a value, so a lookup by one finds nothing; the stores answer
 * it so without a statement, rather than fail as an outage (a 503) that any request could cause
 * with `%00` in a field it sends.
 */
export function isStorableText(...values: readonly (string | undefined)[]): boolean {
  return values.every((value) => value === undefined || !value.includes("\u0000"));
}
