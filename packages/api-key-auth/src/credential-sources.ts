import { z } from "zod";

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

/** A source as it is used (only the field that counts), or what is wrong with it. */
function readSource(source: unknown): CredentialSource | string {
  const isObject = source !== null && typeof source === "object"; // `in` throws on null or a string
  if (isObject && "authorization" in source && typeof source.authorization === "string" && TOKEN.test(source.authorization)) {
    return { authorization: source.authorization };
  }
  if (isObject && "header" in source && typeof source.header === "string" && TOKEN.test(source.header)) {
    const name = source.header.toLowerCase();
    if (name === "authorization") return `must not name the Authorization header: use { authorization: "<scheme>" } for it`;
    if (name === "cookie") return `must not name the Cookie header: keys are never read from cookies`;
    return { header: source.header };
  }
  return `must be { authorization: "<scheme>" } or { header: "<name>" }, the scheme or name a token (letters, digits and !#$%&'*+.^_\`|~-), got ${JSON.stringify(source)}`;
}

const SOURCES_RULE = `must be a non-empty array such as [{ authorization: "Bearer" }, { header: "x-api-key" }]`;

/** The `sources` option of apiKeyAuth, checked source by source. */
export const sourcesOption = z
  .array(
    z.unknown().transform((source, ctx) => {
      const read = readSource(source);
      if (typeof read !== "string") return read;
      ctx.addIssue({ code: "custom", message: read });
      return z.NEVER;
    }),
    { error: SOURCES_RULE },
  )
  .min(1, { error: SOURCES_RULE })
  .default(() => [...DEFAULT_SOURCES]);

/** Resolves checked sources (see `sourcesOption`) into the lookups a request uses. */
export function compileSources(sources: readonly CredentialSource[]): CompiledSources {
  const schemes = new Map<string, string>();
  const headers: string[] = [];
  for (const source of sources) {
    if ("authorization" in source) schemes.set(source.authorization.toLowerCase(), source.authorization);
    else headers.push(source.header.toLowerCase());
  }
  return { schemes, headers };
}
