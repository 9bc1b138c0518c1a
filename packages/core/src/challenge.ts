/** A realm goes inside a quoted string: printable ASCII without quotes or backslashes. */
export const REALM = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

/** What a quoted-string parameter may hold here: printable ASCII without quotes or backslashes. */
const PARAM_VALUE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A `WWW-Authenticate` challenge as RFC 6750 writes it. A parameter whose value is not printable
 * ASCII without quotes or backslashes is left out, so a challenge built from request data (the
 * scopes a client asked for) can always be sent.
 *
 * @example
 * challenge("Bearer", "api", { error: "insufficient_scope", scope: "read write" });
 * // 'Bearer realm="api", error="insufficient_scope", scope="read write"'
 */
export function challenge(scheme: string, realm: string, params: Readonly<Record<string, string>> = {}): string {
  let out = `${scheme} realm="${realm}"`;
  for (const [name, value] of Object.entries(params)) if (PARAM_VALUE.test(value)) out += `, ${name}="${value}"`;
  return out;
}
