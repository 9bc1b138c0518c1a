import type { IncomingHttpHeaders } from "node:http";
import { isSafeMethod } from "@portcullis/core/internal";

export interface SameSitePolicy {
  /** Origins other than the request's own that may send unsafe requests with the session. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** Whether sibling subdomains (`Sec-Fetch-Site: same-site`) count as the same site. */
  readonly trustSameSite: boolean;
}

/**
 * Whether a request that a session cookie would authenticate may go on, as OWASP's CSRF sheet
 * advises: safe methods always; otherwise Fetch Metadata when the browser sends it, else the
 * `Origin` against the allowed origins and the request's own. A request with neither header is
 * not from a browser (curl, requests) and cannot be a cross-site forgery: it goes on.
 *
 * @example
 * isSameSiteRequest(req.method, req.headers, () => ownOrigin(req), policy);
 */
export function isSameSiteRequest(
  method: string,
  headers: IncomingHttpHeaders,
  ownOrigin: () => string,
  policy: SameSitePolicy,
): boolean {
  if (isSafeMethod(method)) return true;
  const site = headers["sec-fetch-site"];
  if (typeof site === "string") {
    if (site === "same-origin" || site === "none") return true;
    if (site === "same-site") return policy.trustSameSite;
    return false;
  }
  const origin = headers.origin;
  if (origin === undefined) return true;
  // The own origin is worked out only here: most requests are safe ones and never need it.
  return origin === ownOrigin() || policy.allowedOrigins.has(origin);
}
