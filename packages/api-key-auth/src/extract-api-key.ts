import type { CompiledSources } from "./credential-sources";

/** No key is longer; anything longer is refused before it is hashed or matched. */
export const MAX_PRESENTED_KEY_LENGTH = 256;

/** What a request carries, decided from its headers alone. */
export type Extraction =
  | { readonly kind: "none" }
  /** An `Authorization` header with a scheme this middleware does not read (Basic, say). */
  | { readonly kind: "foreign_scheme" }
  /** Two credentials, or one header sent twice: refused rather than guessed between. */
  | { readonly kind: "several" }
  | { readonly kind: "key"; readonly key: string };

/** `scheme` then spaces or tabs then the credentials (RFC 9110 §11.4). */
const AUTHORIZATION = /^([^ \t]+)(?:[ \t]+([^]*))?$/;

/**
 * Finds the API key in the configured places. Pure: no store, no Express, so every odd header
 * can be tested directly. Takes every copy of a repeated header (`headersToRead`, or
 * `req.headersDistinct`): Node would otherwise keep only the first `Authorization`, while a proxy in front may
 * read the last, and the two would disagree about who is calling. Empty values count as absent.
 *
 * @example
 * extractApiKey(headersToRead(req.rawHeaders, sources), sources);
 * // { kind: "key", key: "cpx_live.…" }
 */
export function extractApiKey(headers: NodeJS.Dict<string[]>, sources: CompiledSources): Extraction {
  const found: string[] = [];
  let foreign = false;

  for (const raw of headers.authorization ?? []) {
    const match = AUTHORIZATION.exec(raw.trim());
    if (!match) continue; // an empty header
    if (sources.schemes.has(match[1]!.toLowerCase())) found.push((match[2] ?? "").trim());
    else foreign = true;
  }
  for (const name of sources.headers) {
    for (const raw of headers[name] ?? []) if (raw.trim() !== "") found.push(raw.trim());
  }

  if (found.length > 1) return { kind: "several" };
  if (found.length === 1) return { kind: "key", key: found[0]! };
  return foreign ? { kind: "foreign_scheme" } : { kind: "none" };
}

/**
 * The copies of the headers `sources` reads, each kept as sent, from `req.rawHeaders`: the same
 * as `req.headersDistinct` for those headers, without building it for every header a request
 * carries (a cost paid on every authenticated request).
 *
 * @example
 * extractApiKey(headersToRead(req.rawHeaders, sources), sources);
 */
export function headersToRead(rawHeaders: readonly string[], sources: CompiledSources): NodeJS.Dict<string[]> {
  const found: NodeJS.Dict<string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === "authorization" || sources.headers.includes(name)) (found[name] ??= []).push(rawHeaders[i + 1]!);
  }
  return found;
}
