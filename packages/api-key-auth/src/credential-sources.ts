import { configError } from "@portcullis/core/internal";

/** Where a key may be sent: an `Authorization` scheme, or a header of its own. */
export type CredentialSource = { readonly authorization: string } | { readonly header: string };

/** `Authorization: Bearer`, `x-api-key` and `Authorization: Key`: the three seed platforms' forms. */
export const DEFAULT_SOURCES: readonly CredentialSource[] = [
  { authorization: "Bearer" },
  { header: "x-api-key" },
  { authorization: "Key" },
];

/** Sources resolved once, for lookups without allocation per request. */
export interface CompiledSources {
  /** Lower-cased scheme → the scheme as configured. */
  readonly schemes: ReadonlyMap<string, string>;
  /** Lower-cased header names (Node lower-cases incoming header names). */
  readonly headers: readonly string[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 token: scheme and header names

export function compileSources(sources: readonly CredentialSource[]): CompiledSources {
  if (!Array.isArray(sources) || sources.length === 0) {
    throw configError("apiKeyAuth", `"sources" must be a non-empty array such as [{ authorization: "Bearer" }, { header: "x-api-key" }]`);
  }
  const schemes = new Map<string, string>();
  const headers: string[] = [];
  for (const source of sources) {
    const isObject = source !== null && typeof source === "object"; // `in` throws on null or a string
    if (isObject && "authorization" in source && typeof source.authorization === "string" && TOKEN.test(source.authorization)) {
      schemes.set(source.authorization.toLowerCase(), source.authorization);
    } else if (isObject && "header" in source && typeof source.header === "string" && TOKEN.test(source.header)) {
      const name = source.header.toLowerCase();
      if (name === "authorization" || name === "cookie") {
        throw configError("apiKeyAuth", `use { authorization: "<scheme>" } for the Authorization header; keys are never read from cookies`);
      }
      headers.push(name);
    } else {
      throw configError("apiKeyAuth", `each source is { authorization: "<scheme>" } or { header: "<name>" }, got ${JSON.stringify(source)}`);
    }
  }
  return { schemes, headers };
}
