import type { IncomingHttpHeaders } from "node:http";
import type { CompiledSources } from "./credential-sources";

/** No key is longer; anything longer is refused before it is hashed or matched. */
export const MAX_PRESENTED_KEY_LENGTH = 256;

/** What a request carries, decided from its headers alone. */
export type Extraction =
  | { readonly kind: "none" }
  /** An `Authorization` header with a scheme this middleware does not read (Basic, say). */
  | { readonly kind: "foreign_scheme" }
  | { readonly kind: "several" }
  | { readonly kind: "key"; readonly key: string };

/**
 * Finds the API key in the configured places. Pure: no store, no Express, so every odd header
 * can be tested directly. Empty values count as absent; two credentials are refused rather than
 * guessed between.
 */
export function extractApiKey(headers: IncomingHttpHeaders, sources: CompiledSources): Extraction {
  const found: string[] = [];
  let foreign = false;

  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.trim() !== "") {
    const value = authorization.trim();
    const space = value.indexOf(" ");
    const scheme = space === -1 ? value : value.slice(0, space);
    if (sources.schemes.has(scheme.toLowerCase())) found.push(space === -1 ? "" : value.slice(space + 1).trim());
    else foreign = true;
  }
  for (const name of sources.headers) {
    const value = headers[name];
    // Node joins repeated headers with ", "; an array only comes from set-cookie-like headers.
    const text = Array.isArray(value) ? value.join(", ") : value;
    if (text !== undefined && text.trim() !== "") found.push(text.trim());
  }

  if (found.length > 1) return { kind: "several" };
  if (found.length === 1) return { kind: "key", key: found[0]! };
  return foreign ? { kind: "foreign_scheme" } : { kind: "none" };
}
